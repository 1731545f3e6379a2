package dev.gatun;

/**
 * Prints the default backend's name, or the exception that choosing it threw: BackendsTest
 * runs this in a fresh JVM, where nothing has chosen the default yet.
 */
public final class BackendsMain {
    private BackendsMain() {}

    public static void main(String[] args) {
        try {
            System.out.println("default=" + Backends.defaultBackend().name());
        } catch (RuntimeException e) {
            System.out.println("error=" + e.getClass().getSimpleName() + ": " + e.getMessage());
            System.exit(3);
        }
    }
}
