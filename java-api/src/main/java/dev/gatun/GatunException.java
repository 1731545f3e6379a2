package dev.gatun;

/**
 * A native kernel failed: carries the {@code gatun_status} code and the native message.
 *
 * <p>Argument errors are caught in Java before any native call and surface as
 * {@link IllegalArgumentException} or {@link IllegalStateException}; this type is for what
 * only the native side can detect (oneDNN or CUDA failures, out-of-memory in a kernel, an
 * id out of range in device memory, bugs).
 */
public final class GatunException extends RuntimeException {
    private final int status;

    public GatunException(String op, int status, String nativeMessage) {
        this(op, status, statusName(status), nativeMessage);
    }

    /**
     * A failure whose status is named by its library: {@code gatun_cuda_status} shares the
     * numbers of {@code gatun_status} but calls 3 {@code CUDA} where gatun.h says
     * {@code ONEDNN}.
     */
    public GatunException(String op, int status, String statusName, String nativeMessage) {
        super(op + " failed (status " + status + " " + statusName + "): " + nativeMessage);
        this.status = status;
    }

    /** The {@code gatun_status} (or {@code gatun_cuda_status}) the native call returned. */
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
