package dev.gatun.backend;

import dev.gatun.Backend;
import dev.gatun.BackendProvider;
import dev.gatun.bindings.GatunLibrary;

/**
 * Offers {@link NativeBackend} to {@link dev.gatun.Backends}: priority 100, the default
 * wherever {@code libgatun.so} loads.
 */
public final class NativeBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return "native";
    }

    @Override
    public int priority() {
        return 100;
    }

    /** Loads the native library (once per class loader) and reports why it cannot. */
    @Override
    public Availability probe() {
        return GatunLibrary.failure().map(Availability::no).orElseGet(Availability::yes);
    }

    @Override
    public Backend create() {
        Availability availability = probe();
        if (!availability.usable()) {
            throw new IllegalStateException("backend 'native' cannot run here: "
                    + availability.reason());
        }
        return new NativeBackend();
    }
}
