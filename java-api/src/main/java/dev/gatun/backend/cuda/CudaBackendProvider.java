package dev.gatun.backend.cuda;

import dev.gatun.Backend;
import dev.gatun.BackendProvider;

/**
 * Offers {@link CudaBackend} to {@link dev.gatun.Backends} as "cuda", priority 5: below the
 * CPU backends (native 100, java 10), so that the default backend is never a device backend
 * by chance. CUDA runs where it is named: {@code Backends.get("cuda")},
 * {@code -Dgatun.backend=cuda}, {@code GATUN_BACKEND=cuda} or {@code --backend cuda}; where
 * it cannot run, that is an {@link IllegalStateException} giving the probe's reason.
 *
 * <p>The probe ({@link Cuda#availability()}) says, for the first check that fails:
 * "libcudart not found (looked at: ...)", "no CUDA device (cudaGetDeviceCount: ...)",
 * "... libgatun_cuda.so was not built (no nvcc at build time) ...", or that the device's
 * compute capability is below 8.0.
 */
public final class CudaBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public int priority() {
        return 5;
    }

    /** Probes once per JVM (loads libcudart and libgatun_cuda.so, counts devices). */
    @Override
    public Availability probe() {
        return Cuda.availability();
    }

    @Override
    public Backend create() {
        return new CudaBackend();
    }
}
