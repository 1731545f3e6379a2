package dev.gatun.bindings;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Raw FFM bindings of the few CUDA runtime functions Gatun calls itself (device memory,
 * copies, streams, events, device queries), from {@code cuda_runtime_api.h}, in the shape
 * jextract generates: one static method per C function, parameters in C order
 * ({@code MemorySegment} for pointers, {@code cudaStream_t} and {@code cudaEvent_t};
 * {@code long} for {@code size_t}; {@code int} for {@code int}, {@code cudaError_t} and the
 * enums), plus its descriptor, handle and address.
 *
 * <pre>{@code
 * try (Arena arena = Arena.ofConfined()) {
 *     MemorySegment count = arena.allocate(cudart_h.C_INT);
 *     int error = cudart_h.cudaGetDeviceCount(count);
 *     if (error != cudart_h.cudaSuccess) {
 *         String why = cudart_h.cudaGetErrorString(error).reinterpret(256).getString(0);
 *     }
 * }
 * }</pre>
 *
 * <p>This layer checks nothing and throws nothing of its own: {@code dev.gatun.backend.cuda}
 * wraps it. The library ({@code libcudart.so.13}) is found and loaded by
 * {@link CudaRuntimeLibrary} when the first function is linked, and only then; as in
 * {@link gatun_cuda_h}, each function's descriptor lives apart from its address and handle
 * (the nested {@code Linked} class), so that the descriptors can be checked against the
 * toolkit's header on machines without the runtime. Where the runtime cannot be loaded,
 * the first call of each function throws {@link ExceptionInInitializerError} caused by an
 * {@link IllegalStateException} saying why: check {@link CudaRuntimeLibrary#failure()} first.
 *
 * <p>Every function here has kept its signature since CUDA 4, so these bindings fit any
 * CUDA 12 or 13 runtime. {@code cudaGetDeviceProperties} is deliberately absent: its struct
 * changes layout between releases; a device's name comes from {@code gatun_cuda_device_info}
 * and its numbers from {@code cudaDeviceGetAttribute}. The asynchronous functions are bound
 * under their plain names, which order work with the legacy default stream (as code
 * compiled without {@code --default-stream per-thread} does).
 */
public final class cudart_h {

    private cudart_h() {}

    // cudaError_t: the values Gatun tells apart; any other is reported by name
    public static final int cudaSuccess = 0;
    public static final int cudaErrorMemoryAllocation = 2;
    public static final int cudaErrorInsufficientDriver = 35;
    public static final int cudaErrorNoDevice = 100;

    // enum cudaMemcpyKind
    public static final int cudaMemcpyHostToHost = 0;
    public static final int cudaMemcpyHostToDevice = 1;
    public static final int cudaMemcpyDeviceToHost = 2;
    public static final int cudaMemcpyDeviceToDevice = 3;
    public static final int cudaMemcpyDefault = 4;

    // enum cudaDeviceAttr: the attributes Gatun reads
    public static final int cudaDevAttrMultiProcessorCount = 16;
    public static final int cudaDevAttrComputeCapabilityMajor = 75;
    public static final int cudaDevAttrComputeCapabilityMinor = 76;

    /** {@code int}, {@code cudaError_t} and the enums. */
    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    /** {@code size_t} (LP64). */
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    /** {@code float}. */
    public static final ValueLayout.OfFloat C_FLOAT = ValueLayout.JAVA_FLOAT;
    /** Every pointer, {@code cudaStream_t} and {@code cudaEvent_t}. */
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS;

    private static final Linker LINKER = Linker.nativeLinker();

    private static final class cudaGetDeviceCount {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = CudaRuntimeLibrary.find("cudaGetDeviceCount");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaGetDeviceCount$descriptor() {
        return cudaGetDeviceCount.DESC;
    }

    public static MethodHandle cudaGetDeviceCount$handle() {
        return cudaGetDeviceCount.Linked.HANDLE;
    }

    public static MemorySegment cudaGetDeviceCount$address() {
        return cudaGetDeviceCount.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaGetDeviceCount(int *count)
     * }
     */
    public static int cudaGetDeviceCount(MemorySegment count) {
        try {
            return (int) cudaGetDeviceCount.Linked.HANDLE.invokeExact(count);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaGetErrorString {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_POINTER, C_INT);
        static final class Linked {
            static final MemorySegment ADDR = CudaRuntimeLibrary.find("cudaGetErrorString");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaGetErrorString$descriptor() {
        return cudaGetErrorString.DESC;
    }

    public static MethodHandle cudaGetErrorString$handle() {
        return cudaGetErrorString.Linked.HANDLE;
    }

    public static MemorySegment cudaGetErrorString$address() {
        return cudaGetErrorString.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * const char *cudaGetErrorString(cudaError_t error)
     * }
     */
    public static MemorySegment cudaGetErrorString(int error) {
        try {
            return (MemorySegment) cudaGetErrorString.Linked.HANDLE.invokeExact(error);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaGetErrorName {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_POINTER, C_INT);
        static final class Linked {
            static final MemorySegment ADDR = CudaRuntimeLibrary.find("cudaGetErrorName");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaGetErrorName$descriptor() {
        return cudaGetErrorName.DESC;
    }

    public static MethodHandle cudaGetErrorName$handle() {
        return cudaGetErrorName.Linked.HANDLE;
    }

    public static MemorySegment cudaGetErrorName$address() {
        return cudaGetErrorName.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * const char *cudaGetErrorName(cudaError_t error)
     * }
     */
    public static MemorySegment cudaGetErrorName(int error) {
        try {
            return (MemorySegment) cudaGetErrorName.Linked.HANDLE.invokeExact(error);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaRuntimeGetVersion {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    CudaRuntimeLibrary.find("cudaRuntimeGetVersion");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaRuntimeGetVersion$descriptor() {
        return cudaRuntimeGetVersion.DESC;
    }

    public static MethodHandle cudaRuntimeGetVersion$handle() {
        return cudaRuntimeGetVersion.Linked.HANDLE;
    }

    public static MemorySegment cudaRuntimeGetVersion$address() {
        return cudaRuntimeGetVersion.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaRuntimeGetVersion(int *runtimeVersion)
     * }
     */
    public static int cudaRuntimeGetVersion(MemorySegment runtimeVersion) {
        try {
            return (int) cudaRuntimeGetVersion.Linked.HANDLE.invokeExact(runtimeVersion);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaDriverGetVersion {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    CudaRuntimeLibrary.find("cudaDriverGetVersion");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaDriverGetVersion$descriptor() {
        return cudaDriverGetVersion.DESC;
    }

    public static MethodHandle cudaDriverGetVersion$handle() {
        return cudaDriverGetVersion.Linked.HANDLE;
    }

    public static MemorySegment cudaDriverGetVersion$address() {
        return cudaDriverGetVersion.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaDriverGetVersion(int *driverVersion)
     * }
     */
    public static int cudaDriverGetVersion(MemorySegment driverVersion) {
        try {
            return (int) cudaDriverGetVersion.Linked.HANDLE.invokeExact(driverVersion);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaDeviceGetAttribute {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER,
                C_INT, C_INT);
        static final class Linked {
            static final MemorySegment ADDR =
                    CudaRuntimeLibrary.find("cudaDeviceGetAttribute");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaDeviceGetAttribute$descriptor() {
        return cudaDeviceGetAttribute.DESC;
    }

    public static MethodHandle cudaDeviceGetAttribute$handle() {
        return cudaDeviceGetAttribute.Linked.HANDLE;
    }

    public static MemorySegment cudaDeviceGetAttribute$address() {
        return cudaDeviceGetAttribute.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaDeviceGetAttribute(int *value, enum cudaDeviceAttr attr, int device)
     * }
     */
    public static int cudaDeviceGetAttribute(MemorySegment value, int attr, int device) {
        try {
            return (int) cudaDeviceGetAttribute.Linked.HANDLE.invokeExact(value, attr,
                    device);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaMemGetInfo {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER,
                C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = CudaRuntimeLibrary.find("cudaMemGetInfo");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaMemGetInfo$descriptor() {
        return cudaMemGetInfo.DESC;
    }

    public static MethodHandle cudaMemGetInfo$handle() {
        return cudaMemGetInfo.Linked.HANDLE;
    }

    public static MemorySegment cudaMemGetInfo$address() {
        return cudaMemGetInfo.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaMemGetInfo(size_t *free, size_t *total)
     * }
     */
    public static int cudaMemGetInfo(MemorySegment free, MemorySegment total) {
        try {
            return (int) cudaMemGetInfo.Linked.HANDLE.invokeExact(free, total);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaDeviceSynchronize {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT);
        static final class Linked {
            static final MemorySegment ADDR =
                    CudaRuntimeLibrary.find("cudaDeviceSynchronize");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaDeviceSynchronize$descriptor() {
        return cudaDeviceSynchronize.DESC;
    }

    public static MethodHandle cudaDeviceSynchronize$handle() {
        return cudaDeviceSynchronize.Linked.HANDLE;
    }

    public static MemorySegment cudaDeviceSynchronize$address() {
        return cudaDeviceSynchronize.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaDeviceSynchronize(void)
     * }
     */
    public static int cudaDeviceSynchronize() {
        try {
            return (int) cudaDeviceSynchronize.Linked.HANDLE.invokeExact();
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaMalloc {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER,
                C_LONG);
        static final class Linked {
            static final MemorySegment ADDR = CudaRuntimeLibrary.find("cudaMalloc");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaMalloc$descriptor() {
        return cudaMalloc.DESC;
    }

    public static MethodHandle cudaMalloc$handle() {
        return cudaMalloc.Linked.HANDLE;
    }

    public static MemorySegment cudaMalloc$address() {
        return cudaMalloc.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaMalloc(void **devPtr, size_t size)
     * }
     */
    public static int cudaMalloc(MemorySegment devPtr, long size) {
        try {
            return (int) cudaMalloc.Linked.HANDLE.invokeExact(devPtr, size);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaFree {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = CudaRuntimeLibrary.find("cudaFree");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaFree$descriptor() {
        return cudaFree.DESC;
    }

    public static MethodHandle cudaFree$handle() {
        return cudaFree.Linked.HANDLE;
    }

    public static MemorySegment cudaFree$address() {
        return cudaFree.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaFree(void *devPtr)
     * }
     */
    public static int cudaFree(MemorySegment devPtr) {
        try {
            return (int) cudaFree.Linked.HANDLE.invokeExact(devPtr);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaMemcpy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER,
                C_POINTER, C_LONG, C_INT);
        static final class Linked {
            static final MemorySegment ADDR = CudaRuntimeLibrary.find("cudaMemcpy");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaMemcpy$descriptor() {
        return cudaMemcpy.DESC;
    }

    public static MethodHandle cudaMemcpy$handle() {
        return cudaMemcpy.Linked.HANDLE;
    }

    public static MemorySegment cudaMemcpy$address() {
        return cudaMemcpy.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind
     *     kind)
     * }
     */
    public static int cudaMemcpy(MemorySegment dst, MemorySegment src, long count,
            int kind) {
        try {
            return (int) cudaMemcpy.Linked.HANDLE.invokeExact(dst, src, count, kind);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaMemcpyAsync {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER,
                C_POINTER, C_LONG, C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = CudaRuntimeLibrary.find("cudaMemcpyAsync");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaMemcpyAsync$descriptor() {
        return cudaMemcpyAsync.DESC;
    }

    public static MethodHandle cudaMemcpyAsync$handle() {
        return cudaMemcpyAsync.Linked.HANDLE;
    }

    public static MemorySegment cudaMemcpyAsync$address() {
        return cudaMemcpyAsync.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count, enum
     *     cudaMemcpyKind kind, cudaStream_t stream)
     * }
     */
    public static int cudaMemcpyAsync(MemorySegment dst, MemorySegment src, long count,
            int kind, MemorySegment stream) {
        try {
            return (int) cudaMemcpyAsync.Linked.HANDLE.invokeExact(dst, src, count, kind,
                    stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaMemcpy2DAsync {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER,
                C_LONG, C_POINTER, C_LONG, C_LONG, C_LONG, C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = CudaRuntimeLibrary.find("cudaMemcpy2DAsync");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaMemcpy2DAsync$descriptor() {
        return cudaMemcpy2DAsync.DESC;
    }

    public static MethodHandle cudaMemcpy2DAsync$handle() {
        return cudaMemcpy2DAsync.Linked.HANDLE;
    }

    public static MemorySegment cudaMemcpy2DAsync$address() {
        return cudaMemcpy2DAsync.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaMemcpy2DAsync(void *dst, size_t dpitch, const void *src, size_t
     *     spitch, size_t width, size_t height, enum cudaMemcpyKind kind, cudaStream_t
     *     stream)
     * }
     */
    public static int cudaMemcpy2DAsync(MemorySegment dst, long dpitch, MemorySegment src,
            long spitch, long width, long height, int kind, MemorySegment stream) {
        try {
            return (int) cudaMemcpy2DAsync.Linked.HANDLE.invokeExact(dst, dpitch, src,
                    spitch, width, height, kind, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaMemset {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER,
                C_INT, C_LONG);
        static final class Linked {
            static final MemorySegment ADDR = CudaRuntimeLibrary.find("cudaMemset");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaMemset$descriptor() {
        return cudaMemset.DESC;
    }

    public static MethodHandle cudaMemset$handle() {
        return cudaMemset.Linked.HANDLE;
    }

    public static MemorySegment cudaMemset$address() {
        return cudaMemset.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaMemset(void *devPtr, int value, size_t count)
     * }
     */
    public static int cudaMemset(MemorySegment devPtr, int value, long count) {
        try {
            return (int) cudaMemset.Linked.HANDLE.invokeExact(devPtr, value, count);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaMemsetAsync {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER,
                C_INT, C_LONG, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = CudaRuntimeLibrary.find("cudaMemsetAsync");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaMemsetAsync$descriptor() {
        return cudaMemsetAsync.DESC;
    }

    public static MethodHandle cudaMemsetAsync$handle() {
        return cudaMemsetAsync.Linked.HANDLE;
    }

    public static MemorySegment cudaMemsetAsync$address() {
        return cudaMemsetAsync.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaMemsetAsync(void *devPtr, int value, size_t count, cudaStream_t
     *     stream)
     * }
     */
    public static int cudaMemsetAsync(MemorySegment devPtr, int value, long count,
            MemorySegment stream) {
        try {
            return (int) cudaMemsetAsync.Linked.HANDLE.invokeExact(devPtr, value, count,
                    stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaStreamCreate {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = CudaRuntimeLibrary.find("cudaStreamCreate");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaStreamCreate$descriptor() {
        return cudaStreamCreate.DESC;
    }

    public static MethodHandle cudaStreamCreate$handle() {
        return cudaStreamCreate.Linked.HANDLE;
    }

    public static MemorySegment cudaStreamCreate$address() {
        return cudaStreamCreate.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaStreamCreate(cudaStream_t *pStream)
     * }
     */
    public static int cudaStreamCreate(MemorySegment pStream) {
        try {
            return (int) cudaStreamCreate.Linked.HANDLE.invokeExact(pStream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaStreamDestroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = CudaRuntimeLibrary.find("cudaStreamDestroy");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaStreamDestroy$descriptor() {
        return cudaStreamDestroy.DESC;
    }

    public static MethodHandle cudaStreamDestroy$handle() {
        return cudaStreamDestroy.Linked.HANDLE;
    }

    public static MemorySegment cudaStreamDestroy$address() {
        return cudaStreamDestroy.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaStreamDestroy(cudaStream_t stream)
     * }
     */
    public static int cudaStreamDestroy(MemorySegment stream) {
        try {
            return (int) cudaStreamDestroy.Linked.HANDLE.invokeExact(stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaStreamSynchronize {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    CudaRuntimeLibrary.find("cudaStreamSynchronize");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaStreamSynchronize$descriptor() {
        return cudaStreamSynchronize.DESC;
    }

    public static MethodHandle cudaStreamSynchronize$handle() {
        return cudaStreamSynchronize.Linked.HANDLE;
    }

    public static MemorySegment cudaStreamSynchronize$address() {
        return cudaStreamSynchronize.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaStreamSynchronize(cudaStream_t stream)
     * }
     */
    public static int cudaStreamSynchronize(MemorySegment stream) {
        try {
            return (int) cudaStreamSynchronize.Linked.HANDLE.invokeExact(stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaEventCreate {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = CudaRuntimeLibrary.find("cudaEventCreate");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaEventCreate$descriptor() {
        return cudaEventCreate.DESC;
    }

    public static MethodHandle cudaEventCreate$handle() {
        return cudaEventCreate.Linked.HANDLE;
    }

    public static MemorySegment cudaEventCreate$address() {
        return cudaEventCreate.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaEventCreate(cudaEvent_t *event)
     * }
     */
    public static int cudaEventCreate(MemorySegment event) {
        try {
            return (int) cudaEventCreate.Linked.HANDLE.invokeExact(event);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaEventRecord {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER,
                C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = CudaRuntimeLibrary.find("cudaEventRecord");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaEventRecord$descriptor() {
        return cudaEventRecord.DESC;
    }

    public static MethodHandle cudaEventRecord$handle() {
        return cudaEventRecord.Linked.HANDLE;
    }

    public static MemorySegment cudaEventRecord$address() {
        return cudaEventRecord.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream)
     * }
     */
    public static int cudaEventRecord(MemorySegment event, MemorySegment stream) {
        try {
            return (int) cudaEventRecord.Linked.HANDLE.invokeExact(event, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaEventSynchronize {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    CudaRuntimeLibrary.find("cudaEventSynchronize");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaEventSynchronize$descriptor() {
        return cudaEventSynchronize.DESC;
    }

    public static MethodHandle cudaEventSynchronize$handle() {
        return cudaEventSynchronize.Linked.HANDLE;
    }

    public static MemorySegment cudaEventSynchronize$address() {
        return cudaEventSynchronize.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaEventSynchronize(cudaEvent_t event)
     * }
     */
    public static int cudaEventSynchronize(MemorySegment event) {
        try {
            return (int) cudaEventSynchronize.Linked.HANDLE.invokeExact(event);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaEventElapsedTime {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER,
                C_POINTER, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    CudaRuntimeLibrary.find("cudaEventElapsedTime");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaEventElapsedTime$descriptor() {
        return cudaEventElapsedTime.DESC;
    }

    public static MethodHandle cudaEventElapsedTime$handle() {
        return cudaEventElapsedTime.Linked.HANDLE;
    }

    public static MemorySegment cudaEventElapsedTime$address() {
        return cudaEventElapsedTime.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t start, cudaEvent_t end)
     * }
     */
    public static int cudaEventElapsedTime(MemorySegment ms, MemorySegment start,
            MemorySegment end) {
        try {
            return (int) cudaEventElapsedTime.Linked.HANDLE.invokeExact(ms, start, end);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class cudaEventDestroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = CudaRuntimeLibrary.find("cudaEventDestroy");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor cudaEventDestroy$descriptor() {
        return cudaEventDestroy.DESC;
    }

    public static MethodHandle cudaEventDestroy$handle() {
        return cudaEventDestroy.Linked.HANDLE;
    }

    public static MemorySegment cudaEventDestroy$address() {
        return cudaEventDestroy.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaEventDestroy(cudaEvent_t event)
     * }
     */
    public static int cudaEventDestroy(MemorySegment event) {
        try {
            return (int) cudaEventDestroy.Linked.HANDLE.invokeExact(event);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }
}
