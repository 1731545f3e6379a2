package dev.gatun;

/**
 * Service-provider interface through which {@link Backends} finds backends with
 * {@link java.util.ServiceLoader}. A provider is cheap to construct; {@link #probe()} says
 * whether its backend can run here and {@link #create()} builds it.
 *
 * <p>Register an implementation in {@code META-INF/services/dev.gatun.BackendProvider}.
 */
public interface BackendProvider {

    /** Whether a backend can run on this machine, and why not when it cannot. */
    record Availability(boolean usable, String reason) {
        public static Availability yes() {
            return new Availability(true, "");
        }

        public static Availability no(String reason) {
            return new Availability(false, reason);
        }
    }

    /** The backend's name, as {@link Backend#name()} returns it. */
    String name();

    /** Order of preference for the default backend: higher wins among usable ones. */
    int priority();

    /** Checks, without side effects beyond loading libraries, whether the backend can run. */
    Availability probe();

    /**
     * Creates the backend.
     *
     * @throws IllegalStateException if {@link #probe()} says it is not usable
     */
    Backend create();
}
