package dev.gatun.bindings;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Raw FFM bindings of {@code native/include/gatun_cuda.h}, in the shape jextract generates:
 * one static method per C function, same name, parameters in C order ({@code MemorySegment}
 * for pointers, {@code long} for {@code int64_t}, {@code int} for {@code int32_t} and enums,
 * {@code float} for {@code float}), plus its descriptor, handle and address.
 *
 * <pre>{@code
 * int status = gatun_cuda_h.gatun_cuda_unary(gatun_h.GATUN_ACT_SILU, gatun_h.GATUN_F32, n,
 *         src, dst, MemorySegment.NULL);                      // device pointers, NULL stream
 * if (status != gatun_cuda_h.GATUN_CUDA_OK) {
 *     String why = gatun_cuda_h.gatun_cuda_last_error().reinterpret(Integer.MAX_VALUE)
 *             .getString(0);
 * }
 * }</pre>
 *
 * <p>This layer checks nothing and throws nothing of its own: it is what the typed API in
 * {@code dev.gatun.backend.cuda} wraps, and what nothing else should call. Tensor arguments
 * are device addresses wrapped as segments, never dereferenced by Java.
 *
 * <p>Unlike {@link gatun_h}, the library is optional: {@link GatunCudaLibrary} loads it when
 * the first function is linked, and only then. Each function's descriptor lives apart from
 * its address and handle (the nested {@code Linked} class), so that the descriptors can be
 * read, and checked against the header, on machines where the library was not built. Where
 * the library cannot be loaded, the first call of each function throws
 * {@link ExceptionInInitializerError} caused by an {@link IllegalStateException} saying why
 * (later calls, NoClassDefFoundError): check {@link GatunCudaLibrary#failure()} first.
 *
 * <p>Only {@code gatun_cuda_abi_version} and {@code gatun_cuda_last_error} are linked with
 * {@link Linker.Option#critical(boolean) critical(false)}: every other function may wait on
 * the GPU (a synchronising copy, the id check of the embedding), and a critical call would
 * hold up garbage collection for as long.
 */
public final class gatun_cuda_h {

    private gatun_cuda_h() {}

    /** {@code #define GATUN_CUDA_ABI_VERSION}: the ABI these bindings were written against. */
    public static final int GATUN_CUDA_ABI_VERSION = 1;

    // gatun_cuda_status (the same numbers as gatun_status)
    public static final int GATUN_CUDA_OK = 0;
    public static final int GATUN_CUDA_ERR_INVALID_ARGUMENT = 1;
    public static final int GATUN_CUDA_ERR_UNSUPPORTED = 2;
    public static final int GATUN_CUDA_ERR_CUDA = 3;
    public static final int GATUN_CUDA_ERR_OUT_OF_MEMORY = 4;
    public static final int GATUN_CUDA_ERR_INTERNAL = 5;

    /** {@code int32_t} and the enums. */
    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    /** {@code int64_t}. */
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    /** {@code float}. */
    public static final ValueLayout.OfFloat C_FLOAT = ValueLayout.JAVA_FLOAT;
    /** Every pointer, host or device. */
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);

    private static final class gatun_cuda_abi_version {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_abi_version");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC, CRITICAL);
        }
    }

    public static FunctionDescriptor gatun_cuda_abi_version$descriptor() {
        return gatun_cuda_abi_version.DESC;
    }

    public static MethodHandle gatun_cuda_abi_version$handle() {
        return gatun_cuda_abi_version.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_abi_version$address() {
        return gatun_cuda_abi_version.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * int32_t gatun_cuda_abi_version(void)
     * }
     */
    public static int gatun_cuda_abi_version() {
        try {
            return (int) gatun_cuda_abi_version.Linked.HANDLE.invokeExact();
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_last_error {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_last_error");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC, CRITICAL);
        }
    }

    public static FunctionDescriptor gatun_cuda_last_error$descriptor() {
        return gatun_cuda_last_error.DESC;
    }

    public static MethodHandle gatun_cuda_last_error$handle() {
        return gatun_cuda_last_error.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_last_error$address() {
        return gatun_cuda_last_error.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * const char *gatun_cuda_last_error(void)
     * }
     */
    public static MemorySegment gatun_cuda_last_error() {
        try {
            return (MemorySegment) gatun_cuda_last_error.Linked.HANDLE.invokeExact();
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_device_count {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_device_count");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_device_count$descriptor() {
        return gatun_cuda_device_count.DESC;
    }

    public static MethodHandle gatun_cuda_device_count$handle() {
        return gatun_cuda_device_count.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_device_count$address() {
        return gatun_cuda_device_count.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_device_count(int32_t *count)
     * }
     */
    public static int gatun_cuda_device_count(MemorySegment count) {
        try {
            return (int) gatun_cuda_device_count.Linked.HANDLE.invokeExact(count);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_device_info {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT,
                C_POINTER, C_LONG, C_POINTER, C_POINTER, C_POINTER, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_device_info");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_device_info$descriptor() {
        return gatun_cuda_device_info.DESC;
    }

    public static MethodHandle gatun_cuda_device_info$handle() {
        return gatun_cuda_device_info.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_device_info$address() {
        return gatun_cuda_device_info.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_device_info(int32_t device, char *name, int64_t
     *     name_capacity, int32_t *cc_major, int32_t *cc_minor, int32_t *sm_count, int64_t
     *     *total_bytes)
     * }
     */
    public static int gatun_cuda_device_info(int device, MemorySegment name,
            long name_capacity, MemorySegment cc_major, MemorySegment cc_minor,
            MemorySegment sm_count, MemorySegment total_bytes) {
        try {
            return (int) gatun_cuda_device_info.Linked.HANDLE.invokeExact(device, name,
                    name_capacity, cc_major, cc_minor, sm_count, total_bytes);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_set_device {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_set_device");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_set_device$descriptor() {
        return gatun_cuda_set_device.DESC;
    }

    public static MethodHandle gatun_cuda_set_device$handle() {
        return gatun_cuda_set_device.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_set_device$address() {
        return gatun_cuda_set_device.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_set_device(int32_t device)
     * }
     */
    public static int gatun_cuda_set_device(int device) {
        try {
            return (int) gatun_cuda_set_device.Linked.HANDLE.invokeExact(device);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_get_device {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_get_device");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_get_device$descriptor() {
        return gatun_cuda_get_device.DESC;
    }

    public static MethodHandle gatun_cuda_get_device$handle() {
        return gatun_cuda_get_device.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_get_device$address() {
        return gatun_cuda_get_device.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_get_device(int32_t *device)
     * }
     */
    public static int gatun_cuda_get_device(MemorySegment device) {
        try {
            return (int) gatun_cuda_get_device.Linked.HANDLE.invokeExact(device);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_mem_info {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER,
                C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = GatunCudaLibrary.find("gatun_cuda_mem_info");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_mem_info$descriptor() {
        return gatun_cuda_mem_info.DESC;
    }

    public static MethodHandle gatun_cuda_mem_info$handle() {
        return gatun_cuda_mem_info.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_mem_info$address() {
        return gatun_cuda_mem_info.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_mem_info(int64_t *free_bytes, int64_t *total_bytes)
     * }
     */
    public static int gatun_cuda_mem_info(MemorySegment free_bytes,
            MemorySegment total_bytes) {
        try {
            return (int) gatun_cuda_mem_info.Linked.HANDLE.invokeExact(free_bytes,
                    total_bytes);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_has_wgmma {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = GatunCudaLibrary.find("gatun_cuda_has_wgmma");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_has_wgmma$descriptor() {
        return gatun_cuda_has_wgmma.DESC;
    }

    public static MethodHandle gatun_cuda_has_wgmma$handle() {
        return gatun_cuda_has_wgmma.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_has_wgmma$address() {
        return gatun_cuda_has_wgmma.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_has_wgmma(int32_t *has_wgmma)
     * }
     */
    public static int gatun_cuda_has_wgmma(MemorySegment has_wgmma) {
        try {
            return (int) gatun_cuda_has_wgmma.Linked.HANDLE.invokeExact(has_wgmma);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_malloc {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_LONG,
                C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = GatunCudaLibrary.find("gatun_cuda_malloc");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_malloc$descriptor() {
        return gatun_cuda_malloc.DESC;
    }

    public static MethodHandle gatun_cuda_malloc$handle() {
        return gatun_cuda_malloc.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_malloc$address() {
        return gatun_cuda_malloc.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_malloc(int64_t bytes, void **ptr)
     * }
     */
    public static int gatun_cuda_malloc(long bytes, MemorySegment ptr) {
        try {
            return (int) gatun_cuda_malloc.Linked.HANDLE.invokeExact(bytes, ptr);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_free {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = GatunCudaLibrary.find("gatun_cuda_free");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_free$descriptor() {
        return gatun_cuda_free.DESC;
    }

    public static MethodHandle gatun_cuda_free$handle() {
        return gatun_cuda_free.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_free$address() {
        return gatun_cuda_free.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_free(void *ptr)
     * }
     */
    public static int gatun_cuda_free(MemorySegment ptr) {
        try {
            return (int) gatun_cuda_free.Linked.HANDLE.invokeExact(ptr);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_memcpy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER,
                C_POINTER, C_LONG, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = GatunCudaLibrary.find("gatun_cuda_memcpy");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_memcpy$descriptor() {
        return gatun_cuda_memcpy.DESC;
    }

    public static MethodHandle gatun_cuda_memcpy$handle() {
        return gatun_cuda_memcpy.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_memcpy$address() {
        return gatun_cuda_memcpy.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_memcpy(void *dst, const void *src, int64_t bytes, void
     *     *stream)
     * }
     */
    public static int gatun_cuda_memcpy(MemorySegment dst, MemorySegment src, long bytes,
            MemorySegment stream) {
        try {
            return (int) gatun_cuda_memcpy.Linked.HANDLE.invokeExact(dst, src, bytes,
                    stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_memset {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER,
                C_INT, C_LONG, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = GatunCudaLibrary.find("gatun_cuda_memset");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_memset$descriptor() {
        return gatun_cuda_memset.DESC;
    }

    public static MethodHandle gatun_cuda_memset$handle() {
        return gatun_cuda_memset.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_memset$address() {
        return gatun_cuda_memset.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_memset(void *dst, int32_t value, int64_t bytes, void
     *     *stream)
     * }
     */
    public static int gatun_cuda_memset(MemorySegment dst, int value, long bytes,
            MemorySegment stream) {
        try {
            return (int) gatun_cuda_memset.Linked.HANDLE.invokeExact(dst, value, bytes,
                    stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_stream_create {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_stream_create");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_stream_create$descriptor() {
        return gatun_cuda_stream_create.DESC;
    }

    public static MethodHandle gatun_cuda_stream_create$handle() {
        return gatun_cuda_stream_create.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_stream_create$address() {
        return gatun_cuda_stream_create.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_stream_create(void **stream)
     * }
     */
    public static int gatun_cuda_stream_create(MemorySegment stream) {
        try {
            return (int) gatun_cuda_stream_create.Linked.HANDLE.invokeExact(stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_stream_destroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_stream_destroy");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_stream_destroy$descriptor() {
        return gatun_cuda_stream_destroy.DESC;
    }

    public static MethodHandle gatun_cuda_stream_destroy$handle() {
        return gatun_cuda_stream_destroy.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_stream_destroy$address() {
        return gatun_cuda_stream_destroy.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_stream_destroy(void *stream)
     * }
     */
    public static int gatun_cuda_stream_destroy(MemorySegment stream) {
        try {
            return (int) gatun_cuda_stream_destroy.Linked.HANDLE.invokeExact(stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_stream_synchronize {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_stream_synchronize");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_stream_synchronize$descriptor() {
        return gatun_cuda_stream_synchronize.DESC;
    }

    public static MethodHandle gatun_cuda_stream_synchronize$handle() {
        return gatun_cuda_stream_synchronize.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_stream_synchronize$address() {
        return gatun_cuda_stream_synchronize.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_stream_synchronize(void *stream)
     * }
     */
    public static int gatun_cuda_stream_synchronize(MemorySegment stream) {
        try {
            return (int) gatun_cuda_stream_synchronize.Linked.HANDLE.invokeExact(stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_matmul {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_LONG, C_LONG, C_POINTER, C_POINTER, C_POINTER, C_POINTER,
                C_POINTER, C_INT, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = GatunCudaLibrary.find("gatun_cuda_matmul");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_matmul$descriptor() {
        return gatun_cuda_matmul.DESC;
    }

    public static MethodHandle gatun_cuda_matmul$handle() {
        return gatun_cuda_matmul.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_matmul$address() {
        return gatun_cuda_matmul.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_matmul(int32_t dtype, int64_t batch, int64_t m, int64_t
     *     n, int64_t k, const void *a, const int64_t *a_strides, const void *w, const
     *     int64_t *w_strides, const void *bias, int32_t activation, const void *residual,
     *     const int64_t *r_strides, void *dst, const int64_t *d_strides, void *stream)
     * }
     */
    public static int gatun_cuda_matmul(int dtype, long batch, long m, long n, long k,
            MemorySegment a, MemorySegment a_strides, MemorySegment w,
            MemorySegment w_strides, MemorySegment bias, int activation,
            MemorySegment residual, MemorySegment r_strides, MemorySegment dst,
            MemorySegment d_strides, MemorySegment stream) {
        try {
            return (int) gatun_cuda_matmul.Linked.HANDLE.invokeExact(dtype, batch, m, n, k,
                    a, a_strides, w, w_strides, bias, activation, residual, r_strides, dst,
                    d_strides, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_matmul_reference {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_LONG, C_LONG, C_POINTER, C_POINTER, C_POINTER, C_POINTER,
                C_POINTER, C_INT, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_matmul_reference");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_matmul_reference$descriptor() {
        return gatun_cuda_matmul_reference.DESC;
    }

    public static MethodHandle gatun_cuda_matmul_reference$handle() {
        return gatun_cuda_matmul_reference.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_matmul_reference$address() {
        return gatun_cuda_matmul_reference.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_matmul_reference(int32_t dtype, int64_t batch, int64_t
     *     m, int64_t n, int64_t k, const void *a, const int64_t *a_strides, const void *w,
     *     const int64_t *w_strides, const void *bias, int32_t activation, const void
     *     *residual, const int64_t *r_strides, void *dst, const int64_t *d_strides, void
     *     *stream)
     * }
     */
    public static int gatun_cuda_matmul_reference(int dtype, long batch, long m, long n,
            long k, MemorySegment a, MemorySegment a_strides, MemorySegment w,
            MemorySegment w_strides, MemorySegment bias, int activation,
            MemorySegment residual, MemorySegment r_strides, MemorySegment dst,
            MemorySegment d_strides, MemorySegment stream) {
        try {
            return (int) gatun_cuda_matmul_reference.Linked.HANDLE.invokeExact(dtype, batch,
                    m, n, k, a, a_strides, w, w_strides, bias, activation, residual,
                    r_strides, dst, d_strides, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_layer_norm {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_POINTER, C_LONG, C_POINTER, C_LONG, C_POINTER, C_POINTER, C_FLOAT,
                C_POINTER, C_LONG, C_POINTER, C_LONG, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_layer_norm");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_layer_norm$descriptor() {
        return gatun_cuda_layer_norm.DESC;
    }

    public static MethodHandle gatun_cuda_layer_norm$handle() {
        return gatun_cuda_layer_norm.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_layer_norm$address() {
        return gatun_cuda_layer_norm.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_layer_norm(int32_t dtype, int64_t rows, int64_t c,
     *     const void *src, int64_t src_ld, const void *residual, int64_t residual_ld,
     *     const float *gamma, const float *beta, float eps, void *dst, int64_t dst_ld,
     *     void *sum_dst, int64_t sum_ld, void *stream)
     * }
     */
    public static int gatun_cuda_layer_norm(int dtype, long rows, long c, MemorySegment src,
            long src_ld, MemorySegment residual, long residual_ld, MemorySegment gamma,
            MemorySegment beta, float eps, MemorySegment dst, long dst_ld,
            MemorySegment sum_dst, long sum_ld, MemorySegment stream) {
        try {
            return (int) gatun_cuda_layer_norm.Linked.HANDLE.invokeExact(dtype, rows, c,
                    src, src_ld, residual, residual_ld, gamma, beta, eps, dst, dst_ld,
                    sum_dst, sum_ld, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_layer_norm_reference {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_POINTER, C_LONG, C_POINTER, C_LONG, C_POINTER, C_POINTER, C_FLOAT,
                C_POINTER, C_LONG, C_POINTER, C_LONG, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_layer_norm_reference");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_layer_norm_reference$descriptor() {
        return gatun_cuda_layer_norm_reference.DESC;
    }

    public static MethodHandle gatun_cuda_layer_norm_reference$handle() {
        return gatun_cuda_layer_norm_reference.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_layer_norm_reference$address() {
        return gatun_cuda_layer_norm_reference.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_layer_norm_reference(int32_t dtype, int64_t rows,
     *     int64_t c, const void *src, int64_t src_ld, const void *residual, int64_t
     *     residual_ld, const float *gamma, const float *beta, float eps, void *dst,
     *     int64_t dst_ld, void *sum_dst, int64_t sum_ld, void *stream)
     * }
     */
    public static int gatun_cuda_layer_norm_reference(int dtype, long rows, long c,
            MemorySegment src, long src_ld, MemorySegment residual, long residual_ld,
            MemorySegment gamma, MemorySegment beta, float eps, MemorySegment dst,
            long dst_ld, MemorySegment sum_dst, long sum_ld, MemorySegment stream) {
        try {
            return (int) gatun_cuda_layer_norm_reference.Linked.HANDLE.invokeExact(dtype,
                    rows, c, src, src_ld, residual, residual_ld, gamma, beta, eps, dst,
                    dst_ld, sum_dst, sum_ld, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_rms_norm {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_POINTER, C_LONG, C_POINTER, C_LONG, C_POINTER, C_FLOAT, C_POINTER,
                C_LONG, C_POINTER, C_LONG, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = GatunCudaLibrary.find("gatun_cuda_rms_norm");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_rms_norm$descriptor() {
        return gatun_cuda_rms_norm.DESC;
    }

    public static MethodHandle gatun_cuda_rms_norm$handle() {
        return gatun_cuda_rms_norm.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_rms_norm$address() {
        return gatun_cuda_rms_norm.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_rms_norm(int32_t dtype, int64_t rows, int64_t c, const
     *     void *src, int64_t src_ld, const void *residual, int64_t residual_ld, const
     *     float *gamma, float eps, void *dst, int64_t dst_ld, void *sum_dst, int64_t
     *     sum_ld, void *stream)
     * }
     */
    public static int gatun_cuda_rms_norm(int dtype, long rows, long c, MemorySegment src,
            long src_ld, MemorySegment residual, long residual_ld, MemorySegment gamma,
            float eps, MemorySegment dst, long dst_ld, MemorySegment sum_dst, long sum_ld,
            MemorySegment stream) {
        try {
            return (int) gatun_cuda_rms_norm.Linked.HANDLE.invokeExact(dtype, rows, c, src,
                    src_ld, residual, residual_ld, gamma, eps, dst, dst_ld, sum_dst, sum_ld,
                    stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_rms_norm_reference {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_POINTER, C_LONG, C_POINTER, C_LONG, C_POINTER, C_FLOAT, C_POINTER,
                C_LONG, C_POINTER, C_LONG, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_rms_norm_reference");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_rms_norm_reference$descriptor() {
        return gatun_cuda_rms_norm_reference.DESC;
    }

    public static MethodHandle gatun_cuda_rms_norm_reference$handle() {
        return gatun_cuda_rms_norm_reference.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_rms_norm_reference$address() {
        return gatun_cuda_rms_norm_reference.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_rms_norm_reference(int32_t dtype, int64_t rows, int64_t
     *     c, const void *src, int64_t src_ld, const void *residual, int64_t residual_ld,
     *     const float *gamma, float eps, void *dst, int64_t dst_ld, void *sum_dst, int64_t
     *     sum_ld, void *stream)
     * }
     */
    public static int gatun_cuda_rms_norm_reference(int dtype, long rows, long c,
            MemorySegment src, long src_ld, MemorySegment residual, long residual_ld,
            MemorySegment gamma, float eps, MemorySegment dst, long dst_ld,
            MemorySegment sum_dst, long sum_ld, MemorySegment stream) {
        try {
            return (int) gatun_cuda_rms_norm_reference.Linked.HANDLE.invokeExact(dtype,
                    rows, c, src, src_ld, residual, residual_ld, gamma, eps, dst, dst_ld,
                    sum_dst, sum_ld, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_softmax {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_POINTER, C_LONG, C_FLOAT, C_POINTER, C_LONG, C_POINTER, C_LONG,
                C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = GatunCudaLibrary.find("gatun_cuda_softmax");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_softmax$descriptor() {
        return gatun_cuda_softmax.DESC;
    }

    public static MethodHandle gatun_cuda_softmax$handle() {
        return gatun_cuda_softmax.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_softmax$address() {
        return gatun_cuda_softmax.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_softmax(int32_t dtype, int64_t rows, int64_t cols,
     *     const void *src, int64_t src_ld, float scale, const float *mask, int64_t
     *     mask_ld, void *dst, int64_t dst_ld, void *stream)
     * }
     */
    public static int gatun_cuda_softmax(int dtype, long rows, long cols, MemorySegment src,
            long src_ld, float scale, MemorySegment mask, long mask_ld, MemorySegment dst,
            long dst_ld, MemorySegment stream) {
        try {
            return (int) gatun_cuda_softmax.Linked.HANDLE.invokeExact(dtype, rows, cols,
                    src, src_ld, scale, mask, mask_ld, dst, dst_ld, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_softmax_reference {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_POINTER, C_LONG, C_FLOAT, C_POINTER, C_LONG, C_POINTER, C_LONG,
                C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_softmax_reference");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_softmax_reference$descriptor() {
        return gatun_cuda_softmax_reference.DESC;
    }

    public static MethodHandle gatun_cuda_softmax_reference$handle() {
        return gatun_cuda_softmax_reference.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_softmax_reference$address() {
        return gatun_cuda_softmax_reference.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_softmax_reference(int32_t dtype, int64_t rows, int64_t
     *     cols, const void *src, int64_t src_ld, float scale, const float *mask, int64_t
     *     mask_ld, void *dst, int64_t dst_ld, void *stream)
     * }
     */
    public static int gatun_cuda_softmax_reference(int dtype, long rows, long cols,
            MemorySegment src, long src_ld, float scale, MemorySegment mask, long mask_ld,
            MemorySegment dst, long dst_ld, MemorySegment stream) {
        try {
            return (int) gatun_cuda_softmax_reference.Linked.HANDLE.invokeExact(dtype, rows,
                    cols, src, src_ld, scale, mask, mask_ld, dst, dst_ld, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_attention {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_POINTER, C_POINTER, C_POINTER,
                C_POINTER, C_POINTER, C_POINTER, C_FLOAT, C_INT, C_POINTER, C_POINTER,
                C_POINTER, C_POINTER, C_POINTER, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = GatunCudaLibrary.find("gatun_cuda_attention");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_attention$descriptor() {
        return gatun_cuda_attention.DESC;
    }

    public static MethodHandle gatun_cuda_attention$handle() {
        return gatun_cuda_attention.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_attention$address() {
        return gatun_cuda_attention.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_attention(int32_t dtype, int64_t b, int64_t h, int64_t
     *     hkv, int64_t tq, int64_t tk, int64_t d, const void *q, const int64_t *q_strides,
     *     const void *k, const int64_t *k_strides, const void *v, const int64_t
     *     *v_strides, float scale, int32_t causal, const float *mask, const int64_t
     *     *mask_strides, const int32_t *key_lengths, void *dst, const int64_t *d_strides,
     *     void *stream)
     * }
     */
    public static int gatun_cuda_attention(int dtype, long b, long h, long hkv, long tq,
            long tk, long d, MemorySegment q, MemorySegment q_strides, MemorySegment k,
            MemorySegment k_strides, MemorySegment v, MemorySegment v_strides, float scale,
            int causal, MemorySegment mask, MemorySegment mask_strides,
            MemorySegment key_lengths, MemorySegment dst, MemorySegment d_strides,
            MemorySegment stream) {
        try {
            return (int) gatun_cuda_attention.Linked.HANDLE.invokeExact(dtype, b, h, hkv,
                    tq, tk, d, q, q_strides, k, k_strides, v, v_strides, scale, causal,
                    mask, mask_strides, key_lengths, dst, d_strides, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_attention_reference {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_POINTER, C_POINTER, C_POINTER,
                C_POINTER, C_POINTER, C_POINTER, C_FLOAT, C_INT, C_POINTER, C_POINTER,
                C_POINTER, C_POINTER, C_POINTER, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_attention_reference");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_attention_reference$descriptor() {
        return gatun_cuda_attention_reference.DESC;
    }

    public static MethodHandle gatun_cuda_attention_reference$handle() {
        return gatun_cuda_attention_reference.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_attention_reference$address() {
        return gatun_cuda_attention_reference.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_attention_reference(int32_t dtype, int64_t b, int64_t
     *     h, int64_t hkv, int64_t tq, int64_t tk, int64_t d, const void *q, const int64_t
     *     *q_strides, const void *k, const int64_t *k_strides, const void *v, const
     *     int64_t *v_strides, float scale, int32_t causal, const float *mask, const
     *     int64_t *mask_strides, const int32_t *key_lengths, void *dst, const int64_t
     *     *d_strides, void *stream)
     * }
     */
    public static int gatun_cuda_attention_reference(int dtype, long b, long h, long hkv,
            long tq, long tk, long d, MemorySegment q, MemorySegment q_strides,
            MemorySegment k, MemorySegment k_strides, MemorySegment v,
            MemorySegment v_strides, float scale, int causal, MemorySegment mask,
            MemorySegment mask_strides, MemorySegment key_lengths, MemorySegment dst,
            MemorySegment d_strides, MemorySegment stream) {
        try {
            return (int) gatun_cuda_attention_reference.Linked.HANDLE.invokeExact(dtype, b,
                    h, hkv, tq, tk, d, q, q_strides, k, k_strides, v, v_strides, scale,
                    causal, mask, mask_strides, key_lengths, dst, d_strides, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_rope {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_LONG, C_LONG, C_POINTER, C_POINTER, C_POINTER, C_FLOAT, C_INT,
                C_POINTER, C_POINTER, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = GatunCudaLibrary.find("gatun_cuda_rope");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_rope$descriptor() {
        return gatun_cuda_rope.DESC;
    }

    public static MethodHandle gatun_cuda_rope$handle() {
        return gatun_cuda_rope.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_rope$address() {
        return gatun_cuda_rope.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_rope(int32_t dtype, int64_t b, int64_t h, int64_t t,
     *     int64_t d, const void *src, const int64_t *src_strides, const int32_t
     *     *positions, float theta, int32_t interleaved, void *dst, const int64_t
     *     *dst_strides, void *stream)
     * }
     */
    public static int gatun_cuda_rope(int dtype, long b, long h, long t, long d,
            MemorySegment src, MemorySegment src_strides, MemorySegment positions,
            float theta, int interleaved, MemorySegment dst, MemorySegment dst_strides,
            MemorySegment stream) {
        try {
            return (int) gatun_cuda_rope.Linked.HANDLE.invokeExact(dtype, b, h, t, d, src,
                    src_strides, positions, theta, interleaved, dst, dst_strides, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_rope_reference {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_LONG, C_LONG, C_POINTER, C_POINTER, C_POINTER, C_FLOAT, C_INT,
                C_POINTER, C_POINTER, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_rope_reference");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_rope_reference$descriptor() {
        return gatun_cuda_rope_reference.DESC;
    }

    public static MethodHandle gatun_cuda_rope_reference$handle() {
        return gatun_cuda_rope_reference.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_rope_reference$address() {
        return gatun_cuda_rope_reference.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_rope_reference(int32_t dtype, int64_t b, int64_t h,
     *     int64_t t, int64_t d, const void *src, const int64_t *src_strides, const int32_t
     *     *positions, float theta, int32_t interleaved, void *dst, const int64_t
     *     *dst_strides, void *stream)
     * }
     */
    public static int gatun_cuda_rope_reference(int dtype, long b, long h, long t, long d,
            MemorySegment src, MemorySegment src_strides, MemorySegment positions,
            float theta, int interleaved, MemorySegment dst, MemorySegment dst_strides,
            MemorySegment stream) {
        try {
            return (int) gatun_cuda_rope_reference.Linked.HANDLE.invokeExact(dtype, b, h, t,
                    d, src, src_strides, positions, theta, interleaved, dst, dst_strides,
                    stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_binary {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT,
                C_LONG, C_POINTER, C_POINTER, C_LONG, C_POINTER, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = GatunCudaLibrary.find("gatun_cuda_binary");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_binary$descriptor() {
        return gatun_cuda_binary.DESC;
    }

    public static MethodHandle gatun_cuda_binary$handle() {
        return gatun_cuda_binary.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_binary$address() {
        return gatun_cuda_binary.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_binary(int32_t op, int32_t dtype, int64_t n, const void
     *     *a, const void *b, int64_t b_len, void *dst, void *stream)
     * }
     */
    public static int gatun_cuda_binary(int op, int dtype, long n, MemorySegment a,
            MemorySegment b, long b_len, MemorySegment dst, MemorySegment stream) {
        try {
            return (int) gatun_cuda_binary.Linked.HANDLE.invokeExact(op, dtype, n, a, b,
                    b_len, dst, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_binary_reference {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT,
                C_LONG, C_POINTER, C_POINTER, C_LONG, C_POINTER, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_binary_reference");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_binary_reference$descriptor() {
        return gatun_cuda_binary_reference.DESC;
    }

    public static MethodHandle gatun_cuda_binary_reference$handle() {
        return gatun_cuda_binary_reference.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_binary_reference$address() {
        return gatun_cuda_binary_reference.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_binary_reference(int32_t op, int32_t dtype, int64_t n,
     *     const void *a, const void *b, int64_t b_len, void *dst, void *stream)
     * }
     */
    public static int gatun_cuda_binary_reference(int op, int dtype, long n,
            MemorySegment a, MemorySegment b, long b_len, MemorySegment dst,
            MemorySegment stream) {
        try {
            return (int) gatun_cuda_binary_reference.Linked.HANDLE.invokeExact(op, dtype, n,
                    a, b, b_len, dst, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_unary {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT,
                C_LONG, C_POINTER, C_POINTER, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = GatunCudaLibrary.find("gatun_cuda_unary");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_unary$descriptor() {
        return gatun_cuda_unary.DESC;
    }

    public static MethodHandle gatun_cuda_unary$handle() {
        return gatun_cuda_unary.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_unary$address() {
        return gatun_cuda_unary.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_unary(int32_t activation, int32_t dtype, int64_t n,
     *     const void *src, void *dst, void *stream)
     * }
     */
    public static int gatun_cuda_unary(int activation, int dtype, long n, MemorySegment src,
            MemorySegment dst, MemorySegment stream) {
        try {
            return (int) gatun_cuda_unary.Linked.HANDLE.invokeExact(activation, dtype, n,
                    src, dst, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_unary_reference {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT,
                C_LONG, C_POINTER, C_POINTER, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_unary_reference");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_unary_reference$descriptor() {
        return gatun_cuda_unary_reference.DESC;
    }

    public static MethodHandle gatun_cuda_unary_reference$handle() {
        return gatun_cuda_unary_reference.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_unary_reference$address() {
        return gatun_cuda_unary_reference.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_unary_reference(int32_t activation, int32_t dtype,
     *     int64_t n, const void *src, void *dst, void *stream)
     * }
     */
    public static int gatun_cuda_unary_reference(int activation, int dtype, long n,
            MemorySegment src, MemorySegment dst, MemorySegment stream) {
        try {
            return (int) gatun_cuda_unary_reference.Linked.HANDLE.invokeExact(activation,
                    dtype, n, src, dst, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_convert {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT,
                C_LONG, C_POINTER, C_POINTER, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = GatunCudaLibrary.find("gatun_cuda_convert");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_convert$descriptor() {
        return gatun_cuda_convert.DESC;
    }

    public static MethodHandle gatun_cuda_convert$handle() {
        return gatun_cuda_convert.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_convert$address() {
        return gatun_cuda_convert.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_convert(int32_t src_dtype, int32_t dst_dtype, int64_t
     *     n, const void *src, void *dst, void *stream)
     * }
     */
    public static int gatun_cuda_convert(int src_dtype, int dst_dtype, long n,
            MemorySegment src, MemorySegment dst, MemorySegment stream) {
        try {
            return (int) gatun_cuda_convert.Linked.HANDLE.invokeExact(src_dtype, dst_dtype,
                    n, src, dst, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_convert_reference {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT,
                C_LONG, C_POINTER, C_POINTER, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_convert_reference");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_convert_reference$descriptor() {
        return gatun_cuda_convert_reference.DESC;
    }

    public static MethodHandle gatun_cuda_convert_reference$handle() {
        return gatun_cuda_convert_reference.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_convert_reference$address() {
        return gatun_cuda_convert_reference.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_convert_reference(int32_t src_dtype, int32_t dst_dtype,
     *     int64_t n, const void *src, void *dst, void *stream)
     * }
     */
    public static int gatun_cuda_convert_reference(int src_dtype, int dst_dtype, long n,
            MemorySegment src, MemorySegment dst, MemorySegment stream) {
        try {
            return (int) gatun_cuda_convert_reference.Linked.HANDLE.invokeExact(src_dtype,
                    dst_dtype, n, src, dst, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_embedding {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_POINTER, C_LONG, C_LONG, C_POINTER, C_POINTER, C_LONG, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR = GatunCudaLibrary.find("gatun_cuda_embedding");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_embedding$descriptor() {
        return gatun_cuda_embedding.DESC;
    }

    public static MethodHandle gatun_cuda_embedding$handle() {
        return gatun_cuda_embedding.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_embedding$address() {
        return gatun_cuda_embedding.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_embedding(int32_t dtype, int64_t v, int64_t c, const
     *     void *table, int64_t table_ld, int64_t n, const int32_t *ids, void *dst, int64_t
     *     dst_ld, void *stream)
     * }
     */
    public static int gatun_cuda_embedding(int dtype, long v, long c, MemorySegment table,
            long table_ld, long n, MemorySegment ids, MemorySegment dst, long dst_ld,
            MemorySegment stream) {
        try {
            return (int) gatun_cuda_embedding.Linked.HANDLE.invokeExact(dtype, v, c, table,
                    table_ld, n, ids, dst, dst_ld, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cuda_embedding_reference {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_POINTER, C_LONG, C_LONG, C_POINTER, C_POINTER, C_LONG, C_POINTER);
        static final class Linked {
            static final MemorySegment ADDR =
                    GatunCudaLibrary.find("gatun_cuda_embedding_reference");
            static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
        }
    }

    public static FunctionDescriptor gatun_cuda_embedding_reference$descriptor() {
        return gatun_cuda_embedding_reference.DESC;
    }

    public static MethodHandle gatun_cuda_embedding_reference$handle() {
        return gatun_cuda_embedding_reference.Linked.HANDLE;
    }

    public static MemorySegment gatun_cuda_embedding_reference$address() {
        return gatun_cuda_embedding_reference.Linked.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_cuda_status gatun_cuda_embedding_reference(int32_t dtype, int64_t v, int64_t
     *     c, const void *table, int64_t table_ld, int64_t n, const int32_t *ids, void
     *     *dst, int64_t dst_ld, void *stream)
     * }
     */
    public static int gatun_cuda_embedding_reference(int dtype, long v, long c,
            MemorySegment table, long table_ld, long n, MemorySegment ids,
            MemorySegment dst, long dst_ld, MemorySegment stream) {
        try {
            return (int) gatun_cuda_embedding_reference.Linked.HANDLE.invokeExact(dtype, v,
                    c, table, table_ld, n, ids, dst, dst_ld, stream);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }
}
