package dev.gatun.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Raw FFM bindings of {@code native/include/gatun.h}, in the shape jextract generates: one
 * static method per C function, same name, parameters in C order ({@code MemorySegment} for
 * pointers, {@code long} for {@code int64_t}, {@code int} for {@code int32_t} and enums,
 * {@code float} for {@code float}), plus its descriptor, handle and address.
 *
 * <pre>{@code
 * int status = gatun_h.gatun_unary(gatun_h.GATUN_ACT_SILU, gatun_h.GATUN_F32, n, src, dst);
 * if (status != gatun_h.GATUN_OK) {
 *     String why = gatun_h.gatun_last_error().reinterpret(Integer.MAX_VALUE).getString(0);
 * }
 * }</pre>
 *
 * <p>This layer checks nothing and throws nothing of its own: it is what the typed API in
 * {@code dev.gatun.backend.NativeBackend} wraps, and what nothing else should call. The
 * library is loaded by {@link GatunLibrary} when the first function is linked. Where it
 * cannot be loaded, the first call of each function throws {@link ExceptionInInitializerError}
 * caused by an {@link IllegalStateException} saying why (later calls, NoClassDefFoundError):
 * check {@link GatunLibrary#failure()} before calling.
 *
 * <p>Short calls that never call back into Java (library queries and the elementwise, convert,
 * embedding and rope kernels) are linked with {@link Linker.Option#critical(boolean)
 * critical(false)}, which skips the thread-state transition; the long-running kernels are not,
 * so that garbage collection can proceed while they run.
 */
public final class gatun_h {

    private gatun_h() {}

    /** {@code #define GATUN_ABI_VERSION}: the ABI these bindings were written against. */
    public static final int GATUN_ABI_VERSION = 2;

    // gatun_status
    public static final int GATUN_OK = 0;
    public static final int GATUN_ERR_INVALID_ARGUMENT = 1;
    public static final int GATUN_ERR_UNSUPPORTED = 2;
    public static final int GATUN_ERR_ONEDNN = 3;
    public static final int GATUN_ERR_OUT_OF_MEMORY = 4;
    public static final int GATUN_ERR_INTERNAL = 5;

    // gatun_dtype
    public static final int GATUN_F32 = 0;
    public static final int GATUN_F16 = 1;
    public static final int GATUN_BF16 = 2;
    public static final int GATUN_I32 = 3;

    // gatun_activation
    public static final int GATUN_ACT_NONE = 0;
    public static final int GATUN_ACT_GELU_ERF = 1;
    public static final int GATUN_ACT_GELU_TANH = 2;
    public static final int GATUN_ACT_SILU = 3;

    // gatun_binary_op
    public static final int GATUN_BINARY_ADD = 0;
    public static final int GATUN_BINARY_MUL = 1;

    /** {@code int32_t} and the enums. */
    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    /** {@code int64_t}. */
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    /** {@code float}. */
    public static final ValueLayout.OfFloat C_FLOAT = ValueLayout.JAVA_FLOAT;
    /** Every pointer. */
    public static final ValueLayout C_POINTER = ValueLayout.ADDRESS;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);

    private static final class gatun_abi_version {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_abi_version");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC, CRITICAL);
    }

    public static FunctionDescriptor gatun_abi_version$descriptor() {
        return gatun_abi_version.DESC;
    }

    public static MethodHandle gatun_abi_version$handle() {
        return gatun_abi_version.HANDLE;
    }

    public static MemorySegment gatun_abi_version$address() {
        return gatun_abi_version.ADDR;
    }

    /**
     * {@snippet lang=c :
     * int32_t gatun_abi_version(void)
     * }
     */
    public static int gatun_abi_version() {
        try {
            return (int) gatun_abi_version.HANDLE.invokeExact();
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_last_error {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_POINTER);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_last_error");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC, CRITICAL);
    }

    public static FunctionDescriptor gatun_last_error$descriptor() {
        return gatun_last_error.DESC;
    }

    public static MethodHandle gatun_last_error$handle() {
        return gatun_last_error.HANDLE;
    }

    public static MemorySegment gatun_last_error$address() {
        return gatun_last_error.ADDR;
    }

    /**
     * {@snippet lang=c :
     * const char *gatun_last_error(void)
     * }
     */
    public static MemorySegment gatun_last_error() {
        try {
            return (MemorySegment) gatun_last_error.HANDLE.invokeExact();
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_cache_stats {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER,
                C_POINTER);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_cache_stats");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC, CRITICAL);
    }

    public static FunctionDescriptor gatun_cache_stats$descriptor() {
        return gatun_cache_stats.DESC;
    }

    public static MethodHandle gatun_cache_stats$handle() {
        return gatun_cache_stats.HANDLE;
    }

    public static MemorySegment gatun_cache_stats$address() {
        return gatun_cache_stats.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_status gatun_cache_stats(int64_t *created, int64_t *hits)
     * }
     */
    public static int gatun_cache_stats(MemorySegment created, MemorySegment hits) {
        try {
            return (int) gatun_cache_stats.HANDLE.invokeExact(created, hits);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_scratch_stats {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER,
                C_POINTER, C_POINTER);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_scratch_stats");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC, CRITICAL);
    }

    public static FunctionDescriptor gatun_scratch_stats$descriptor() {
        return gatun_scratch_stats.DESC;
    }

    public static MethodHandle gatun_scratch_stats$handle() {
        return gatun_scratch_stats.HANDLE;
    }

    public static MemorySegment gatun_scratch_stats$address() {
        return gatun_scratch_stats.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_status gatun_scratch_stats(int64_t *scratch_bytes, int64_t *scratch_threads,
     *                                  int64_t *buffer_bytes)
     * }
     */
    public static int gatun_scratch_stats(MemorySegment scratchBytes,
                                          MemorySegment scratchThreads,
                                          MemorySegment bufferBytes) {
        try {
            return (int) gatun_scratch_stats.HANDLE.invokeExact(scratchBytes, scratchThreads,
                    bufferBytes);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_matmul {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_LONG, C_LONG, C_POINTER, C_POINTER, C_POINTER, C_POINTER,
                C_POINTER, C_INT, C_POINTER, C_POINTER, C_POINTER, C_POINTER);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_matmul");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
    }

    public static FunctionDescriptor gatun_matmul$descriptor() {
        return gatun_matmul.DESC;
    }

    public static MethodHandle gatun_matmul$handle() {
        return gatun_matmul.HANDLE;
    }

    public static MemorySegment gatun_matmul$address() {
        return gatun_matmul.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_status gatun_matmul(int32_t dtype, int64_t batch, int64_t m, int64_t n,
     *     int64_t k, const void *a, const int64_t *a_strides, const void *w, const
     *     int64_t *w_strides, const void *bias, int32_t activation, const void
     *     *residual, const int64_t *r_strides, void *dst, const int64_t *d_strides)
     * }
     */
    public static int gatun_matmul(int dtype, long batch, long m, long n, long k,
            MemorySegment a, MemorySegment a_strides, MemorySegment w,
            MemorySegment w_strides, MemorySegment bias, int activation,
            MemorySegment residual, MemorySegment r_strides, MemorySegment dst,
            MemorySegment d_strides) {
        try {
            return (int) gatun_matmul.HANDLE.invokeExact(dtype, batch, m, n, k, a,
                    a_strides, w, w_strides, bias, activation, residual, r_strides, dst,
                    d_strides);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_packed_weights_size {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_POINTER);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_packed_weights_size");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
    }

    public static FunctionDescriptor gatun_packed_weights_size$descriptor() {
        return gatun_packed_weights_size.DESC;
    }

    public static MethodHandle gatun_packed_weights_size$handle() {
        return gatun_packed_weights_size.HANDLE;
    }

    public static MemorySegment gatun_packed_weights_size$address() {
        return gatun_packed_weights_size.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_status gatun_packed_weights_size(int32_t dtype, int64_t k, int64_t n,
     *     int64_t *bytes)
     * }
     */
    public static int gatun_packed_weights_size(int dtype, long k, long n, MemorySegment bytes) {
        try {
            return (int) gatun_packed_weights_size.HANDLE.invokeExact(dtype, k, n, bytes);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_pack_weights {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_POINTER, C_POINTER, C_POINTER);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_pack_weights");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
    }

    public static FunctionDescriptor gatun_pack_weights$descriptor() {
        return gatun_pack_weights.DESC;
    }

    public static MethodHandle gatun_pack_weights$handle() {
        return gatun_pack_weights.HANDLE;
    }

    public static MemorySegment gatun_pack_weights$address() {
        return gatun_pack_weights.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_status gatun_pack_weights(int32_t dtype, int64_t k, int64_t n, const void *w,
     *     const int64_t *w_strides, void *packed)
     * }
     */
    public static int gatun_pack_weights(int dtype, long k, long n, MemorySegment w,
            MemorySegment w_strides, MemorySegment packed) {
        try {
            return (int) gatun_pack_weights.HANDLE.invokeExact(dtype, k, n, w, w_strides, packed);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_matmul_packed {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_LONG, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_INT, C_POINTER,
                C_POINTER, C_POINTER, C_POINTER);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_matmul_packed");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
    }

    public static FunctionDescriptor gatun_matmul_packed$descriptor() {
        return gatun_matmul_packed.DESC;
    }

    public static MethodHandle gatun_matmul_packed$handle() {
        return gatun_matmul_packed.HANDLE;
    }

    public static MemorySegment gatun_matmul_packed$address() {
        return gatun_matmul_packed.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_status gatun_matmul_packed(int32_t dtype, int64_t m, int64_t n, int64_t k,
     *     const void *a, const int64_t *a_strides, const void *packed, const void *bias,
     *     int32_t activation, const void *residual, const int64_t *r_strides, void *dst,
     *     const int64_t *d_strides)
     * }
     */
    public static int gatun_matmul_packed(int dtype, long m, long n, long k,
            MemorySegment a, MemorySegment a_strides, MemorySegment packed,
            MemorySegment bias, int activation, MemorySegment residual,
            MemorySegment r_strides, MemorySegment dst, MemorySegment d_strides) {
        try {
            return (int) gatun_matmul_packed.HANDLE.invokeExact(dtype, m, n, k, a, a_strides,
                    packed, bias, activation, residual, r_strides, dst, d_strides);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_layer_norm {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_POINTER, C_LONG, C_POINTER, C_LONG, C_POINTER, C_POINTER, C_FLOAT,
                C_POINTER, C_LONG, C_POINTER, C_LONG);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_layer_norm");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
    }

    public static FunctionDescriptor gatun_layer_norm$descriptor() {
        return gatun_layer_norm.DESC;
    }

    public static MethodHandle gatun_layer_norm$handle() {
        return gatun_layer_norm.HANDLE;
    }

    public static MemorySegment gatun_layer_norm$address() {
        return gatun_layer_norm.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_status gatun_layer_norm(int32_t dtype, int64_t rows, int64_t c, const void
     *     *src, int64_t src_ld, const void *residual, int64_t residual_ld, const float
     *     *gamma, const float *beta, float eps, void *dst, int64_t dst_ld, void
     *     *sum_dst, int64_t sum_ld)
     * }
     */
    public static int gatun_layer_norm(int dtype, long rows, long c, MemorySegment src,
            long src_ld, MemorySegment residual, long residual_ld, MemorySegment gamma,
            MemorySegment beta, float eps, MemorySegment dst, long dst_ld,
            MemorySegment sum_dst, long sum_ld) {
        try {
            return (int) gatun_layer_norm.HANDLE.invokeExact(dtype, rows, c, src, src_ld,
                    residual, residual_ld, gamma, beta, eps, dst, dst_ld, sum_dst, sum_ld);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_rms_norm {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_POINTER, C_LONG, C_POINTER, C_LONG, C_POINTER, C_FLOAT, C_POINTER,
                C_LONG, C_POINTER, C_LONG);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_rms_norm");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
    }

    public static FunctionDescriptor gatun_rms_norm$descriptor() {
        return gatun_rms_norm.DESC;
    }

    public static MethodHandle gatun_rms_norm$handle() {
        return gatun_rms_norm.HANDLE;
    }

    public static MemorySegment gatun_rms_norm$address() {
        return gatun_rms_norm.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_status gatun_rms_norm(int32_t dtype, int64_t rows, int64_t c, const void
     *     *src, int64_t src_ld, const void *residual, int64_t residual_ld, const float
     *     *gamma, float eps, void *dst, int64_t dst_ld, void *sum_dst, int64_t sum_ld)
     * }
     */
    public static int gatun_rms_norm(int dtype, long rows, long c, MemorySegment src,
            long src_ld, MemorySegment residual, long residual_ld, MemorySegment gamma,
            float eps, MemorySegment dst, long dst_ld, MemorySegment sum_dst, long sum_ld) {
        try {
            return (int) gatun_rms_norm.HANDLE.invokeExact(dtype, rows, c, src, src_ld,
                    residual, residual_ld, gamma, eps, dst, dst_ld, sum_dst, sum_ld);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_softmax {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_POINTER, C_LONG, C_FLOAT, C_POINTER, C_LONG, C_POINTER, C_LONG);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_softmax");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
    }

    public static FunctionDescriptor gatun_softmax$descriptor() {
        return gatun_softmax.DESC;
    }

    public static MethodHandle gatun_softmax$handle() {
        return gatun_softmax.HANDLE;
    }

    public static MemorySegment gatun_softmax$address() {
        return gatun_softmax.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_status gatun_softmax(int32_t dtype, int64_t rows, int64_t cols, const void
     *     *src, int64_t src_ld, float scale, const float *mask, int64_t mask_ld, void
     *     *dst, int64_t dst_ld)
     * }
     */
    public static int gatun_softmax(int dtype, long rows, long cols, MemorySegment src,
            long src_ld, float scale, MemorySegment mask, long mask_ld, MemorySegment dst,
            long dst_ld) {
        try {
            return (int) gatun_softmax.HANDLE.invokeExact(dtype, rows, cols, src, src_ld,
                    scale, mask, mask_ld, dst, dst_ld);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_attention {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_POINTER, C_POINTER, C_POINTER,
                C_POINTER, C_POINTER, C_POINTER, C_FLOAT, C_INT, C_POINTER, C_POINTER,
                C_POINTER, C_POINTER, C_POINTER, C_POINTER);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_attention");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
    }

    public static FunctionDescriptor gatun_attention$descriptor() {
        return gatun_attention.DESC;
    }

    public static MethodHandle gatun_attention$handle() {
        return gatun_attention.HANDLE;
    }

    public static MemorySegment gatun_attention$address() {
        return gatun_attention.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_status gatun_attention(int32_t dtype, int64_t b, int64_t h, int64_t hkv,
     *     int64_t tq, int64_t tk, int64_t d, const void *q, const int64_t *q_strides,
     *     const void *k, const int64_t *k_strides, const void *v, const int64_t
     *     *v_strides, float scale, int32_t causal, const float *mask, const int64_t
     *     *mask_strides, const int32_t *key_lengths, void *dst, const int64_t
     *     *d_strides, float *weights)
     * }
     */
    public static int gatun_attention(int dtype, long b, long h, long hkv, long tq, long tk,
            long d, MemorySegment q, MemorySegment q_strides, MemorySegment k,
            MemorySegment k_strides, MemorySegment v, MemorySegment v_strides, float scale,
            int causal, MemorySegment mask, MemorySegment mask_strides,
            MemorySegment key_lengths, MemorySegment dst, MemorySegment d_strides,
            MemorySegment weights) {
        try {
            return (int) gatun_attention.HANDLE.invokeExact(dtype, b, h, hkv, tq, tk, d, q,
                    q_strides, k, k_strides, v, v_strides, scale, causal, mask,
                    mask_strides, key_lengths, dst, d_strides, weights);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_attention_ragged {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_POINTER, C_LONG, C_LONG, C_LONG, C_POINTER, C_POINTER, C_POINTER, C_POINTER,
                C_POINTER, C_POINTER, C_FLOAT, C_INT, C_POINTER, C_POINTER);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_attention_ragged");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC);
    }

    public static FunctionDescriptor gatun_attention_ragged$descriptor() {
        return gatun_attention_ragged.DESC;
    }

    public static MethodHandle gatun_attention_ragged$handle() {
        return gatun_attention_ragged.HANDLE;
    }

    public static MemorySegment gatun_attention_ragged$address() {
        return gatun_attention_ragged.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_status gatun_attention_ragged(int32_t dtype, int64_t n, const int32_t
     *     *lengths, int64_t h, int64_t hkv, int64_t d, const void *q, const int64_t
     *     *q_strides, const void *k, const int64_t *k_strides, const void *v, const
     *     int64_t *v_strides, float scale, int32_t causal, void *dst, const int64_t
     *     *d_strides)
     * }
     */
    public static int gatun_attention_ragged(int dtype, long n, MemorySegment lengths, long h,
            long hkv, long d, MemorySegment q, MemorySegment q_strides, MemorySegment k,
            MemorySegment k_strides, MemorySegment v, MemorySegment v_strides, float scale,
            int causal, MemorySegment dst, MemorySegment d_strides) {
        try {
            return (int) gatun_attention_ragged.HANDLE.invokeExact(dtype, n, lengths, h, hkv,
                    d, q, q_strides, k, k_strides, v, v_strides, scale, causal, dst,
                    d_strides);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_rope {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_LONG, C_LONG, C_POINTER, C_POINTER, C_POINTER, C_FLOAT, C_INT,
                C_POINTER, C_POINTER);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_rope");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC, CRITICAL);
    }

    public static FunctionDescriptor gatun_rope$descriptor() {
        return gatun_rope.DESC;
    }

    public static MethodHandle gatun_rope$handle() {
        return gatun_rope.HANDLE;
    }

    public static MemorySegment gatun_rope$address() {
        return gatun_rope.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_status gatun_rope(int32_t dtype, int64_t b, int64_t h, int64_t t, int64_t
     *     d, const void *src, const int64_t *src_strides, const int32_t *positions,
     *     float theta, int32_t interleaved, void *dst, const int64_t *dst_strides)
     * }
     */
    public static int gatun_rope(int dtype, long b, long h, long t, long d,
            MemorySegment src, MemorySegment src_strides, MemorySegment positions,
            float theta, int interleaved, MemorySegment dst, MemorySegment dst_strides) {
        try {
            return (int) gatun_rope.HANDLE.invokeExact(dtype, b, h, t, d, src, src_strides,
                    positions, theta, interleaved, dst, dst_strides);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_binary {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT,
                C_LONG, C_POINTER, C_POINTER, C_LONG, C_POINTER);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_binary");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC, CRITICAL);
    }

    public static FunctionDescriptor gatun_binary$descriptor() {
        return gatun_binary.DESC;
    }

    public static MethodHandle gatun_binary$handle() {
        return gatun_binary.HANDLE;
    }

    public static MemorySegment gatun_binary$address() {
        return gatun_binary.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_status gatun_binary(int32_t op, int32_t dtype, int64_t n, const void *a,
     *     const void *b, int64_t b_len, void *dst)
     * }
     */
    public static int gatun_binary(int op, int dtype, long n, MemorySegment a,
            MemorySegment b, long b_len, MemorySegment dst) {
        try {
            return (int) gatun_binary.HANDLE.invokeExact(op, dtype, n, a, b, b_len, dst);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_unary {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT,
                C_LONG, C_POINTER, C_POINTER);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_unary");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC, CRITICAL);
    }

    public static FunctionDescriptor gatun_unary$descriptor() {
        return gatun_unary.DESC;
    }

    public static MethodHandle gatun_unary$handle() {
        return gatun_unary.HANDLE;
    }

    public static MemorySegment gatun_unary$address() {
        return gatun_unary.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_status gatun_unary(int32_t activation, int32_t dtype, int64_t n, const
     *     void *src, void *dst)
     * }
     */
    public static int gatun_unary(int activation, int dtype, long n, MemorySegment src,
            MemorySegment dst) {
        try {
            return (int) gatun_unary.HANDLE.invokeExact(activation, dtype, n, src, dst);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_convert {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT,
                C_LONG, C_POINTER, C_POINTER);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_convert");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC, CRITICAL);
    }

    public static FunctionDescriptor gatun_convert$descriptor() {
        return gatun_convert.DESC;
    }

    public static MethodHandle gatun_convert$handle() {
        return gatun_convert.HANDLE;
    }

    public static MemorySegment gatun_convert$address() {
        return gatun_convert.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_status gatun_convert(int32_t src_dtype, int32_t dst_dtype, int64_t n,
     *     const void *src, void *dst)
     * }
     */
    public static int gatun_convert(int src_dtype, int dst_dtype, long n, MemorySegment src,
            MemorySegment dst) {
        try {
            return (int) gatun_convert.HANDLE.invokeExact(src_dtype, dst_dtype, n, src,
                    dst);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }

    private static final class gatun_embedding {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG,
                C_LONG, C_POINTER, C_LONG, C_LONG, C_POINTER, C_POINTER, C_LONG);
        static final MemorySegment ADDR = GatunLibrary.find("gatun_embedding");
        static final MethodHandle HANDLE = LINKER.downcallHandle(ADDR, DESC, CRITICAL);
    }

    public static FunctionDescriptor gatun_embedding$descriptor() {
        return gatun_embedding.DESC;
    }

    public static MethodHandle gatun_embedding$handle() {
        return gatun_embedding.HANDLE;
    }

    public static MemorySegment gatun_embedding$address() {
        return gatun_embedding.ADDR;
    }

    /**
     * {@snippet lang=c :
     * gatun_status gatun_embedding(int32_t dtype, int64_t v, int64_t c, const void
     *     *table, int64_t table_ld, int64_t n, const int32_t *ids, void *dst, int64_t
     *     dst_ld)
     * }
     */
    public static int gatun_embedding(int dtype, long v, long c, MemorySegment table,
            long table_ld, long n, MemorySegment ids, MemorySegment dst, long dst_ld) {
        try {
            return (int) gatun_embedding.HANDLE.invokeExact(dtype, v, c, table, table_ld, n,
                    ids, dst, dst_ld);
        } catch (Error | RuntimeException ex$) {
            throw ex$;
        } catch (Throwable ex$) {
            throw new AssertionError("unreachable: " + ex$, ex$);
        }
    }
}
