package dev.gatun;

/**
 * A native kernel failed: carries the {@code gatun_status} code and the native message.
 *
 * <p>Argument errors are caught in Java before any native call and surface as
 * {@link IllegalArgumentException} or {@link IllegalStateException}; this type is for what
 * only the native side can detect (oneDNN failures, out-of-memory in a kernel, bugs).
 */
public final class GatunException extends RuntimeException {
    private final int status;

    public GatunException(String op, int status, String nativeMessage) {
        super(op + " failed (status " + status + " " + statusName(status) + "): " + nativeMessage);
        this.status = status;
    }

    /** The {@code gatun_status} value returned by the native call. */
    public int status() {
        return status;
    }

    static String statusName(int status) {
        return switch (status) {
            case 1 -> "INVALID_ARGUMENT";
            case 2 -> "UNSUPPORTED";
            case 3 -> "ONEDNN";
            case 4 -> "OUT_OF_MEMORY";
            case 5 -> "INTERNAL";
            default -> "UNKNOWN";
        };
    }
}
