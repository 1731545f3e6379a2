package dev.gatun.backend.cuda;

import dev.gatun.GatunException;
import dev.gatun.bindings.CudaRuntimeLibrary;
import dev.gatun.bindings.cudart_h;
import dev.gatun.bindings.gatun_cuda_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The CUDA runtime calls Gatun makes itself, typed: device memory, copies, streams, events
 * and device queries over {@link cudart_h}. Every call checks its {@code cudaError_t} here,
 * in {@link #check}, the one place a runtime error becomes a {@link GatunException}.
 *
 * <p>All calls act on the calling thread's current device, which Gatun leaves at device 0.
 * The kernels in {@code libgatun_cuda.so} carry their own (static) copy of the runtime; both
 * copies work in the device's primary context, so memory, streams and events from one are
 * valid in the other.
 */
final class CudaRuntime {
    private CudaRuntime() {}

    /** Why the runtime library cannot be loaded, or null when it is loaded. */
    static String loadFailure() {
        return CudaRuntimeLibrary.failure().orElse(null);
    }

    /**
     * Throws a {@link GatunException} naming the call and the CUDA error unless
     * {@code error} is {@code cudaSuccess}: status 4 (OUT_OF_MEMORY) for
     * {@code cudaErrorMemoryAllocation}, else 3 (CUDA).
     */
    static void check(String call, int error) {
        if (error != cudart_h.cudaSuccess) {
            boolean oom = error == cudart_h.cudaErrorMemoryAllocation;
            int status = oom ? gatun_cuda_h.GATUN_CUDA_ERR_OUT_OF_MEMORY
                    : gatun_cuda_h.GATUN_CUDA_ERR_CUDA;
            throw new GatunException(call, status, oom ? "OUT_OF_MEMORY" : "CUDA",
                    describe(error));
        }
    }

    /** "cudaErrorNoDevice (no CUDA-capable device is detected)". */
    static String describe(int error) {
        String name = cudart_h.cudaGetErrorName(error).reinterpret(256).getString(0);
        String text = cudart_h.cudaGetErrorString(error).reinterpret(1024).getString(0);
        return name + " (" + text + ")";
    }

    /** The device count, or the error cudaGetDeviceCount gave (a count of -1). */
    record DeviceCount(int count, int error) {}

    static DeviceCount deviceCount() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(cudart_h.C_INT);
            int error = cudart_h.cudaGetDeviceCount(count);
            return error == cudart_h.cudaSuccess
                    ? new DeviceCount(count.get(cudart_h.C_INT, 0), error)
                    : new DeviceCount(-1, error);
        }
    }

    /** A {@code cudaDeviceAttr} of a device. */
    static int attribute(int attribute, int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(cudart_h.C_INT);
            check("cudaDeviceGetAttribute(" + attribute + ", device " + device + ")",
                    cudart_h.cudaDeviceGetAttribute(value, attribute, device));
            return value.get(cudart_h.C_INT, 0);
        }
    }

    /** The runtime's version, 1000 * major + 10 * minor (13000 for CUDA 13.0). */
    static int runtimeVersion() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(cudart_h.C_INT);
            check("cudaRuntimeGetVersion", cudart_h.cudaRuntimeGetVersion(value));
            return value.get(cudart_h.C_INT, 0);
        }
    }

    /** Free and total bytes of the current device. */
    static long[] memoryInfo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(cudart_h.C_LONG);
            MemorySegment total = arena.allocate(cudart_h.C_LONG);
            check("cudaMemGetInfo", cudart_h.cudaMemGetInfo(free, total));
            return new long[] {free.get(cudart_h.C_LONG, 0), total.get(cudart_h.C_LONG, 0)};
        }
    }

    /**
     * Allocates {@code bytes} (> 0) of device memory; the address, as a zero-length segment.
     *
     * @throws GatunException with status 4 (OUT_OF_MEMORY), saying how much was free, when
     *     the device has too little memory
     */
    static MemorySegment malloc(long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ptr = arena.allocate(cudart_h.C_POINTER);
            int error = cudart_h.cudaMalloc(ptr, bytes);
            if (error == cudart_h.cudaErrorMemoryAllocation) {
                long[] info = memoryInfo();
                throw new GatunException("cudaMalloc(" + bytes + " bytes)",
                        gatun_cuda_h.GATUN_CUDA_ERR_OUT_OF_MEMORY, "OUT_OF_MEMORY",
                        describe(error) + "; " + info[0] + " of " + info[1]
                                + " bytes are free");
            }
            check("cudaMalloc(" + bytes + " bytes)", error);
            return ptr.get(cudart_h.C_POINTER, 0);
        }
    }

    /** Frees memory from {@link #malloc}; waits for the device's queued work first. */
    static void free(MemorySegment ptr) {
        check("cudaFree", cudart_h.cudaFree(ptr));
    }

    /** Sets {@code bytes} of device memory to zero, queued on {@code stream}. */
    static void memsetZero(MemorySegment dst, long bytes, MemorySegment stream) {
        check("cudaMemsetAsync(" + bytes + " bytes)",
                cudart_h.cudaMemsetAsync(dst, 0, bytes, stream));
    }

    /**
     * Queues one block of a {@link CopyPlan} on {@code stream}, the direction inferred from
     * the addresses (host memory is pageable: a copy from it returns once the data is
     * staged, a copy to it once the data has arrived).
     */
    static void copy(MemorySegment dst, long dstPitch, MemorySegment src, long srcPitch,
                     long width, long height, MemorySegment stream) {
        if (height == 1) {
            check("cudaMemcpyAsync(" + width + " bytes)", cudart_h.cudaMemcpyAsync(dst, src,
                    width, cudart_h.cudaMemcpyDefault, stream));
        } else {
            check("cudaMemcpy2DAsync(" + height + " rows of " + width + " bytes, pitches "
                    + dstPitch + ", " + srcPitch + ")", cudart_h.cudaMemcpy2DAsync(dst,
                    dstPitch, src, srcPitch, width, height, cudart_h.cudaMemcpyDefault,
                    stream));
        }
    }

    /** A new stream, ordered with the legacy default stream (cudaStreamCreate). */
    static MemorySegment streamCreate() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stream = arena.allocate(cudart_h.C_POINTER);
            check("cudaStreamCreate", cudart_h.cudaStreamCreate(stream));
            return stream.get(cudart_h.C_POINTER, 0);
        }
    }

    static void streamDestroy(MemorySegment stream) {
        check("cudaStreamDestroy", cudart_h.cudaStreamDestroy(stream));
    }

    /** Waits for the work queued on {@code stream}; a kernel's failure surfaces here. */
    static void streamSynchronize(MemorySegment stream) {
        check("cudaStreamSynchronize", cudart_h.cudaStreamSynchronize(stream));
    }

    static MemorySegment eventCreate() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment event = arena.allocate(cudart_h.C_POINTER);
            check("cudaEventCreate", cudart_h.cudaEventCreate(event));
            return event.get(cudart_h.C_POINTER, 0);
        }
    }

    static void eventRecord(MemorySegment event, MemorySegment stream) {
        check("cudaEventRecord", cudart_h.cudaEventRecord(event, stream));
    }

    static void eventSynchronize(MemorySegment event) {
        check("cudaEventSynchronize", cudart_h.cudaEventSynchronize(event));
    }

    /** Milliseconds between two recorded events (about 0.5 us resolution). */
    static float elapsedMillis(MemorySegment start, MemorySegment end) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ms = arena.allocate(cudart_h.C_FLOAT);
            check("cudaEventElapsedTime", cudart_h.cudaEventElapsedTime(ms, start, end));
            return ms.get(cudart_h.C_FLOAT, 0);
        }
    }

    static void eventDestroy(MemorySegment event) {
        check("cudaEventDestroy", cudart_h.cudaEventDestroy(event));
    }

    /** Waits for all work on the device. */
    static void deviceSynchronize() {
        check("cudaDeviceSynchronize", cudart_h.cudaDeviceSynchronize());
    }
}
