package dev.gatun.backend.cuda;

import dev.gatun.BackendProvider.Availability;
import dev.gatun.DType;
import dev.gatun.Device;
import dev.gatun.MemoryStats;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.bindings.GatunCudaLibrary;
import dev.gatun.bindings.cudart_h;
import dev.gatun.bindings.gatun_cuda_h;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * The CUDA device as Gatun uses it: whether it is there (and why not), and tensors in its
 * memory, made, filled and read back.
 *
 * <pre>{@code
 * if (!Cuda.isAvailable()) {
 *     System.out.println("no CUDA: " + Cuda.availability().reason());
 * }
 * try (Scope scope = Scope.open()) {
 *     Tensor x = Cuda.toDevice(scope, Tensor.fromFloats(scope, data, 4, 384)); // [4, 384]
 *     Tensor y = Cuda.allocate(scope, DType.BF16, 4, 384);      // zeros, on the device
 *     float[] back = Cuda.toHost(scope, x).toFloatArray();
 * } // x's and y's device memory is freed here (cudaFree)
 * }</pre>
 *
 * <p>Device tensors are ordinary {@link Tensor}s whose {@link Tensor#device()} is
 * {@link Device#CUDA}: views (slices, transposes, reshapes) work on them as on host tensors,
 * but their memory is never read from Java, so the element accessors
 * ({@link Tensor#toFloatArray()}, {@link Tensor#getFloat}) throw
 * {@link IllegalArgumentException} for them. Their memory belongs to the {@link Scope} passed
 * in: it is freed by {@code cudaFree} when that scope closes, and
 * {@link MemoryStats#liveDeviceBytes()} counts it until then. Any thread may use them.
 *
 * <p>Gatun uses device 0 (each thread's current device, which it never changes). The first
 * call probes the machine once, in this order: the CUDA runtime {@code libcudart} must load
 * ({@link dev.gatun.bindings.CudaRuntimeLibrary}), {@code cudaGetDeviceCount} must find a
 * device, {@code libgatun_cuda.so} must have been built (the build needs {@code nvcc}) and
 * load, and the device must run its code (compute capability 8.0, Ampere, or newer).
 * Where any of these fails, every method here that needs the device throws
 * {@link IllegalStateException} with that reason; nothing falls back to the host.
 *
 * <p>Limitation: no GPU has run this code yet. It was compiled and tested only for its
 * behaviour on machines without a device; the tests that compare it with the CPU backends
 * skip, saying so, where there is no GPU.
 */
public final class Cuda {
    private static final System.Logger LOG = System.getLogger(Cuda.class.getName());

    private Cuda() {}

    /**
     * What {@link #device()} reports.
     *
     * @param name            the device's name ("NVIDIA H100 80GB HBM3")
     * @param major           compute capability, major (9 for Hopper)
     * @param minor           compute capability, minor
     * @param multiprocessors streaming multiprocessors
     * @param totalBytes      global memory
     * @param runtimeVersion  the loaded libcudart's version, 1000 * major + 10 * minor
     */
    public record DeviceInfo(String name, int major, int minor, int multiprocessors,
                             long totalBytes, int runtimeVersion) {}

    /** What the probe found: the device, or why there is none. */
    private record Found(Availability availability, DeviceInfo device) {}

    /** The probe, run once on first use (it loads libraries and initialises CUDA). */
    private static final class Probe {
        static final Found RESULT = probe();
    }

    /** Whether CUDA can run here and, when not, why (see the class notes for the order). */
    public static Availability availability() {
        return Probe.RESULT.availability();
    }

    /** Whether CUDA can run here. */
    public static boolean isAvailable() {
        return availability().usable();
    }

    /**
     * The device Gatun uses (device 0).
     *
     * @throws IllegalStateException if CUDA is not available, with the reason
     */
    public static DeviceInfo device() {
        requireAvailable("Cuda.device");
        return Probe.RESULT.device();
    }

    /**
     * Throws {@link IllegalStateException} naming {@code op} and the reason unless CUDA is
     * available.
     */
    static void requireAvailable(String op) {
        Availability a = availability();
        if (!a.usable()) {
            throw new IllegalStateException(op + ": CUDA is not available: " + a.reason());
        }
    }

    private static Found probe() {
        try {
            String runtime = CudaRuntime.loadFailure();
            if (runtime != null) {
                return no(runtime);
            }
            CudaRuntime.DeviceCount count = CudaRuntime.deviceCount();
            if (count.error() != cudart_h.cudaSuccess) {
                return no("no CUDA device (cudaGetDeviceCount: "
                        + CudaRuntime.describe(count.error()) + ")");
            }
            if (count.count() == 0) {
                return no("no CUDA device (cudaGetDeviceCount: 0 devices)");
            }
            String library = GatunCudaLibrary.failure().orElse(null);
            if (library != null) {
                return no(library);
            }
            int major = CudaRuntime.attribute(cudart_h.cudaDevAttrComputeCapabilityMajor, 0);
            int minor = CudaRuntime.attribute(cudart_h.cudaDevAttrComputeCapabilityMinor, 0);
            if (major < 8) {
                return no("CUDA device 0 has compute capability " + major + "." + minor
                        + "; libgatun_cuda.so carries code for 8.0 (Ampere) and newer");
            }
            return new Found(Availability.yes(), readInfo());
        } catch (RuntimeException | LinkageError e) {
            return no("probing CUDA failed: " + e);
        }
    }

    private static Found no(String reason) {
        LOG.log(Level.DEBUG, "CUDA is not available: {0}", reason);
        return new Found(Availability.no(reason), null);
    }

    private static DeviceInfo readInfo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(256);
            MemorySegment total = arena.allocate(gatun_cuda_h.C_LONG);
            CudaBackend.check("Cuda.device", gatun_cuda_h.gatun_cuda_device_info(0, name, 256,
                    MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, total));
            DeviceInfo info = new DeviceInfo(name.getString(0),
                    CudaRuntime.attribute(cudart_h.cudaDevAttrComputeCapabilityMajor, 0),
                    CudaRuntime.attribute(cudart_h.cudaDevAttrComputeCapabilityMinor, 0),
                    CudaRuntime.attribute(cudart_h.cudaDevAttrMultiProcessorCount, 0),
                    total.get(gatun_cuda_h.C_LONG, 0), CudaRuntime.runtimeVersion());
            LOG.log(Level.INFO, "CUDA device 0: {0}, compute capability {1}.{2}, {3} SMs,"
                    + " {4} MiB; runtime {5}", info.name(), info.major(), info.minor(),
                    info.multiprocessors(), info.totalBytes() >> 20, info.runtimeVersion());
            return info;
        }
    }

    // ---- tensors ------------------------------------------------------------------------------

    /**
     * Allocates a zero-filled, contiguous device tensor owned by {@code scope}.
     *
     * @throws IllegalStateException if CUDA is not available (with the reason) or the scope
     *     is closed
     * @throws IllegalArgumentException if a dimension is negative
     * @throws dev.gatun.GatunException with status 4 (OUT_OF_MEMORY) if the device has too
     *     little free memory
     */
    public static Tensor allocate(Scope scope, DType dtype, long... shape) {
        requireAvailable("Cuda.allocate");
        Tensor t = allocateUncleared(scope, dtype, shape);
        if (t.numel() > 0) {
            CudaRuntime.memsetZero(t.segment(), t.segment().byteSize(), MemorySegment.NULL);
        }
        return t;
    }

    /**
     * A contiguous device copy of host tensor {@code host} (any dtype and strides), owned by
     * {@code scope}; the copy has finished when this returns.
     *
     * @throws IllegalStateException if CUDA is not available or a scope is closed
     * @throws IllegalArgumentException if {@code host} is not in host memory
     */
    public static Tensor toDevice(Scope scope, Tensor host) {
        requireAvailable("Cuda.toDevice");
        requireDevice("Cuda.toDevice", "host", host, Device.CPU);
        Tensor t = allocateUncleared(scope, host.dtype(), host.shape());
        copy(host, t, MemorySegment.NULL);
        return t;
    }

    /**
     * A contiguous host copy of device tensor {@code device} (any dtype and strides), owned by
     * {@code scope}. It waits for the work queued on the legacy default stream (where the
     * backend from {@code Backends.get("cuda")} runs), so it holds every op's result.
     *
     * @throws IllegalStateException if CUDA is not available or a scope is closed
     * @throws IllegalArgumentException if {@code device} is not in device memory
     */
    public static Tensor toHost(Scope scope, Tensor device) {
        requireAvailable("Cuda.toHost");
        requireDevice("Cuda.toHost", "device", device, Device.CUDA);
        Tensor t = Tensor.allocate(scope, device.dtype(), device.shape());
        copy(device, t, MemorySegment.NULL);
        return t;
    }

    /**
     * Copies every element of {@code src} into {@code dst}: the same shape and dtype, any
     * strides, each in host or device memory, queued on the legacy default stream. When
     * either is in host memory the copy has finished when this returns.
     *
     * @throws IllegalStateException if CUDA is not available or a tensor's scope is closed
     * @throws IllegalArgumentException if the shapes or dtypes differ, or dst repeats an
     *     element (a stride-0 dimension)
     */
    public static void copy(Tensor src, Tensor dst) {
        if (src.device() == Device.CPU && dst.device() == Device.CPU) {
            dst.copyFrom(src);
            return;
        }
        requireAvailable("Cuda.copy");
        copy(src, dst, MemorySegment.NULL);
    }

    /**
     * Waits until the device has finished all work queued so far, on every stream; a kernel's
     * failure surfaces here as a {@link dev.gatun.GatunException}.
     *
     * @throws IllegalStateException if CUDA is not available
     */
    public static void synchronize() {
        requireAvailable("Cuda.synchronize");
        CudaRuntime.deviceSynchronize();
    }

    // ---- shared with CudaBackend and CudaStream ---------------------------------------------

    /**
     * A contiguous device tensor owned by {@code scope}, its memory not cleared. Freed with
     * cudaFree when the scope closes; counted in {@link MemoryStats} until then.
     */
    static Tensor allocateUncleared(Scope scope, DType dtype, long[] shape) {
        long numel = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("Cuda.allocate: dimensions must be >= 0,"
                        + " got " + Arrays.toString(shape));
            }
            numel = Math.multiplyExact(numel, d);
        }
        long bytes = Math.multiplyExact(numel, dtype.byteSize());
        if (!scope.isOpen()) {
            throw new IllegalStateException("Cuda.allocate: scope is closed");
        }
        MemorySegment ptr = MemorySegment.NULL;
        if (bytes > 0) {
            ptr = CudaRuntime.malloc(bytes);
            MemorySegment owned = ptr;
            try {
                scope.onClose(() -> {
                    CudaRuntime.free(owned);
                    MemoryStats.deviceDelta(-bytes);
                });
            } catch (IllegalStateException closedMeanwhile) {
                CudaRuntime.free(ptr);
                throw closedMeanwhile;
            }
            MemoryStats.deviceDelta(bytes);
        }
        // tied to the scope's arena, so that the tensor's liveness checks follow the scope
        MemorySegment segment = ptr.reinterpret(bytes, scope.arena(), null);
        return Tensor.wrap(segment, dtype, shape, contiguousStrides(shape), Device.CUDA);
    }

    /**
     * Copies src into dst (see {@link CopyPlan}) on {@code stream}; waits for the stream
     * when either side is host memory, so that the host side is complete on return.
     */
    static void copy(Tensor src, Tensor dst, MemorySegment stream) {
        src.checkAlive("copy: src");
        dst.checkAlive("copy: dst");
        List<CopyPlan.Block> plan = CopyPlan.of(src, dst);
        if (plan.isEmpty()) {
            return;
        }
        MemorySegment s = src.segment();
        MemorySegment d = dst.segment();
        for (CopyPlan.Block b : plan) {
            MemorySegment from = b.fromDst() ? d : s;
            // native copies are not bounds-checked: check each block against its segments
            within(d, b.dstOffset(), b.dstPitch(), b.width(), b.height(), "dst");
            within(from, b.srcOffset(), b.srcPitch(), b.width(), b.height(), "src");
            CudaRuntime.copy(d.asSlice(b.dstOffset()), b.dstPitch(),
                    from.asSlice(b.srcOffset()), b.srcPitch(), b.width(), b.height(), stream);
        }
        if (src.device() == Device.CPU || dst.device() == Device.CPU) {
            CudaRuntime.streamSynchronize(stream);
        }
    }

    private static void within(MemorySegment segment, long offset, long pitch, long width,
                               long height, String name) {
        long end = offset + (height - 1) * pitch + width;
        if (offset < 0 || end > segment.byteSize()) {
            throw new IllegalStateException("copy: a block of " + height + " x " + width
                    + " bytes at " + offset + " (pitch " + pitch + ") overruns " + name
                    + "'s " + segment.byteSize() + " bytes");
        }
    }

    private static void requireDevice(String op, String name, Tensor t, Device device) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + name + " must not be null");
        }
        if (t.device() != device) {
            throw new IllegalArgumentException(op + ": " + name + " must be on " + device
                    + ", got " + t.describe());
        }
    }

    private static long[] contiguousStrides(long[] shape) {
        long[] strides = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return strides;
    }
}
