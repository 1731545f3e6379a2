package dev.gatun.backend;

import dev.gatun.Backend;
import dev.gatun.BackendProvider;

/**
 * Registers {@link JavaBackend} as "java", priority 10: it runs everywhere, so it is the
 * default only where no native backend can run.
 */
public final class JavaBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return "java";
    }

    @Override
    public int priority() {
        return 10;
    }

    @Override
    public Availability probe() {
        return Availability.yes();
    }

    @Override
    public Backend create() {
        return new JavaBackend();
    }
}
