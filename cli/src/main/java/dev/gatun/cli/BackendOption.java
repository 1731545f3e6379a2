package dev.gatun.cli;

import dev.gatun.Backend;
import dev.gatun.Backends;
import picocli.CommandLine.Option;

/**
 * The {@code --backend} option shared by the commands that compute: a backend by name, or
 * Gatun's default (native where it can run, else java; see {@link Backends}). CUDA is never
 * the default: it runs only when named, and where it cannot run that is a one-line error
 * giving the reason (no libcudart, no device, or a library built without nvcc).
 */
final class BackendOption {
    @Option(names = "--backend", paramLabel = "native|java|cuda",
            description = "The backend to compute on: native (CPU, oneDNN), java (CPU, Vector"
                    + " API) or cuda (NVIDIA GPU). Default: Gatun's default backend"
                    + " (gatun.backend / GATUN_BACKEND, else native, else java).")
    String name;

    /**
     * The chosen backend.
     *
     * @throws IllegalArgumentException if no backend has that name
     * @throws IllegalStateException if it cannot run here, with the reason
     */
    Backend resolve() {
        return name == null ? Backends.defaultBackend() : Backends.get(name);
    }
}
