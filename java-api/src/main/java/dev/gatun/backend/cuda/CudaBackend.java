package dev.gatun.backend.cuda;

import dev.gatun.Activation;
import dev.gatun.Backend;
import dev.gatun.DType;
import dev.gatun.Device;
import dev.gatun.GatunException;
import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.bindings.gatun_cuda_h;
import dev.gatun.bindings.gatun_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The CUDA backend over {@code libgatun_cuda.so}: each op queues the kernels of one call
 * into {@code gatun_cuda.h} on this backend's stream and returns without waiting.
 *
 * <pre>{@code
 * Backend gpu = Backends.get("cuda");               // IllegalStateException with the reason
 * try (Scope scope = Scope.open()) {                 //   where CUDA cannot run
 *     Ops ops = new Ops(gpu, scope);
 *     Tensor x = ops.toDevice(Tensor.fromFloats(scope, data, 4, 384));   // [4, 384] on CUDA
 *     Tensor y = ops.linear(x, w, bias, Activation.GELU_ERF);            // w, bias on CUDA
 *     float[] out = ops.toHost(y).toFloatArray();                         // waits for y
 * }
 * }</pre>
 *
 * <p>Tensors are device tensors ({@link Device#CUDA}, see {@link Cuda}) of F32, BF16 or F16
 * (I32 for ids, positions and lengths); every op accumulates in fp32, and F32 matrix
 * products run on tensor cores as TF32 (about 1e-3 relative error). Work is queued on the
 * legacy default stream, or on the {@link CudaStream} given; copies to the host
 * ({@link dev.gatun.Ops#toHost}) wait for it, so results read back are complete. A kernel
 * that fails while running (a bad pointer, say) is reported by a later call on the stream,
 * as in any CUDA program. Each native status becomes a {@link GatunException} in
 * {@link #check}; {@link dev.gatun.Ops} has validated the arguments before, and the limits
 * of the kernels below are checked here, before any native call, as
 * {@link IllegalArgumentException}s.
 *
 * <p>Limits and differences from the CPU backends:
 * <ul>
 *   <li>attention: head dim D at most 256 (tensor cores for D = 32, 64, 128 in 16-bit
 *       types, a slower fp32 kernel otherwise); B, H and B·Hkv at most 65535;
 *   <li>attention with weights ({@link dev.gatun.Ops#attentionWithWeights}) computes the
 *       weights apart from the output: q k^T by matmul in q's dtype (rounded to it before
 *       the softmax for F16 and BF16; TF32 for F32), then one softmax, with the mask, the
 *       causal rule and the key lengths merged into one additive mask built in host memory
 *       (B·H·Tq·Tk floats, one copy each way); it waits for the device;
 *   <li>layer norm and RMSNorm: C at most 32768;
 *   <li>matmul: M at most 8388480; batches over 65535 run as several calls;
 *   <li>embedding ids and attention key lengths in device memory are not read by Java:
 *       a bad id fails in the kernel's check (a {@link GatunException} with status 1,
 *       INVALID_ARGUMENT), key lengths mask as given.
 * </ul>
 *
 * <p>{@link #reference()} gives the same backend over the reference twins of every kernel
 * (plain fp32 kernels, one thread per output), for comparing the fast kernels on a GPU.
 *
 * <p>Thread-safe: any number of threads may call one instance; their work is serialised on
 * its stream. Limitation: no GPU has run this code yet (see {@link Cuda}).
 */
public final class CudaBackend implements Backend {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    /** Gatun's batch limit per matmul call (a grid dimension). */
    static final long MAX_BATCH = 65535;
    /** The fast matmul's limit on M (the grid's y dimension of 128-row tiles). */
    static final long MAX_M = 8388480;
    /** The largest head dim the attention kernels take. */
    static final long MAX_HEAD_DIM = 256;
    /** The largest row the fast norm kernels hold in shared memory. */
    static final long MAX_NORM_WIDTH = 32768;

    /** Off-heap stride arrays, one set per thread, reused by every call on that thread. */
    private static final ThreadLocal<Strides> STRIDES = ThreadLocal.withInitial(Strides::new);

    /** The stream queued on; null for the legacy default stream. */
    private final CudaStream queue;
    private final boolean reference;

    /**
     * The backend on the legacy default stream (what {@code Backends.get("cuda")} gives).
     *
     * @throws IllegalStateException if CUDA is not available, with the reason
     */
    public CudaBackend() {
        this(null, false);
    }

    /**
     * The backend on {@code stream}; once the stream is closed, every op throws
     * {@link IllegalStateException}.
     *
     * @throws IllegalStateException if CUDA is not available, or the stream is closed
     */
    public CudaBackend(CudaStream stream) {
        this(stream, false);
        stream.handle(); // closed streams are refused here already
    }

    private CudaBackend(CudaStream stream, boolean reference) {
        Cuda.requireAvailable("CudaBackend");
        this.queue = stream;
        this.reference = reference;
    }

    /**
     * The backend over the reference kernels ({@code gatun_cuda_*_reference}), on the
     * legacy default stream; its name is "cuda-reference".
     *
     * @throws IllegalStateException if CUDA is not available, with the reason
     */
    public static CudaBackend reference() {
        return new CudaBackend(null, true);
    }

    @Override
    public String name() {
        return reference ? "cuda-reference" : "cuda";
    }

    @Override
    public Device device() {
        return Device.CUDA;
    }

    /** {@inheritDoc} Device memory, cleared on this backend's stream; see {@link Cuda}. */
    @Override
    public Tensor allocate(Scope scope, DType dtype, long... shape) {
        Tensor t = Cuda.allocateUncleared(scope, dtype, shape);
        if (t.numel() > 0) {
            CudaRuntime.memsetZero(t.segment(), t.segment().byteSize(), stream());
        }
        return t;
    }

    /** {@inheritDoc} Device memory, not cleared. */
    @Override
    public Tensor allocateUninitialized(Scope scope, DType dtype, long... shape) {
        return Cuda.allocateUncleared(scope, dtype, shape);
    }

    /**
     * {@inheritDoc} Runs on this backend's stream as a few 2-D block copies (see
     * {@link Cuda#copy}); one from or to host memory waits for the stream.
     */
    @Override
    public void copy(Tensor src, Tensor dst) {
        if (src.device() == Device.CPU && dst.device() == Device.CPU) {
            dst.copyFrom(src);
            return;
        }
        Cuda.copy(src, dst, stream());
    }

    /** Waits until the work queued by this backend has finished. */
    public void synchronize() {
        CudaRuntime.streamSynchronize(stream());
    }

    /** {@inheritDoc} a, w, residual and dst are rank 3, or rank 2 for a batch of one. */
    @Override
    public void matmul(Tensor a, Tensor w, Tensor bias, Activation act, Tensor residual,
                       Tensor dst) {
        long batch = dst.rank() == 3 ? dst.dim(0) : 1;
        long m = dst.dim(-2);
        long n = dst.dim(-1);
        long k = a.dim(-1);
        if (m > MAX_M) {
            throw new IllegalArgumentException("matmul: the CUDA kernels take M <= " + MAX_M
                    + ", got M=" + m + " (a=" + a.describe() + ")");
        }
        Strides s = STRIDES.get();
        MemorySegment as = s.matrix(0, a);
        MemorySegment ws = s.matrix(1, w);
        MemorySegment rs = s.matrix(2, residual);
        MemorySegment ds = s.matrix(3, dst);
        // the grid holds at most 65535 matrices: larger batches run in chunks
        for (long first = 0; first < batch; first += MAX_BATCH) {
            long count = Math.min(MAX_BATCH, batch - first);
            int status = reference
                    ? gatun_cuda_h.gatun_cuda_matmul_reference(code(dst), count, m, n, k,
                            at(a, first), as, at(w, first), ws, segment(bias), act.code(),
                            at(residual, first), rs, at(dst, first), ds, stream())
                    : gatun_cuda_h.gatun_cuda_matmul(code(dst), count, m, n, k,
                            at(a, first), as, at(w, first), ws, segment(bias), act.code(),
                            at(residual, first), rs, at(dst, first), ds, stream());
            check("matmul", status);
        }
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor dst) {
        binary("add", gatun_h.GATUN_BINARY_ADD, a, b, dst);
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor dst) {
        binary("mul", gatun_h.GATUN_BINARY_MUL, a, b, dst);
    }

    private void binary(String op, int code, Tensor a, Tensor b, Tensor dst) {
        int status = reference
                ? gatun_cuda_h.gatun_cuda_binary_reference(code, code(dst), a.numel(),
                        segment(a), segment(b), b.numel(), segment(dst), stream())
                : gatun_cuda_h.gatun_cuda_binary(code, code(dst), a.numel(), segment(a),
                        segment(b), b.numel(), segment(dst), stream());
        check(op, status);
    }

    @Override
    public void activation(Activation act, Tensor src, Tensor dst) {
        int status = reference
                ? gatun_cuda_h.gatun_cuda_unary_reference(act.code(), code(dst), src.numel(),
                        segment(src), segment(dst), stream())
                : gatun_cuda_h.gatun_cuda_unary(act.code(), code(dst), src.numel(),
                        segment(src), segment(dst), stream());
        check("activation", status);
    }

    @Override
    public void layerNorm(Tensor src, Tensor residual, Tensor gamma, Tensor beta, float eps,
                          Tensor dst, Tensor sumDst) {
        long c = src.dim(-1);
        checkNormWidth("layerNorm", src);
        int status = reference
                ? gatun_cuda_h.gatun_cuda_layer_norm_reference(code(src), rows(src), c,
                        segment(src), ld(src), segment(residual), ld(residual),
                        segment(gamma), segment(beta), eps, segment(dst), ld(dst),
                        segment(sumDst), ld(sumDst), stream())
                : gatun_cuda_h.gatun_cuda_layer_norm(code(src), rows(src), c, segment(src),
                        ld(src), segment(residual), ld(residual), segment(gamma),
                        segment(beta), eps, segment(dst), ld(dst), segment(sumDst),
                        ld(sumDst), stream());
        check("layerNorm", status);
    }

    @Override
    public void rmsNorm(Tensor src, Tensor residual, Tensor gamma, float eps, Tensor dst,
                        Tensor sumDst) {
        long c = src.dim(-1);
        checkNormWidth("rmsNorm", src);
        int status = reference
                ? gatun_cuda_h.gatun_cuda_rms_norm_reference(code(src), rows(src), c,
                        segment(src), ld(src), segment(residual), ld(residual),
                        segment(gamma), eps, segment(dst), ld(dst), segment(sumDst),
                        ld(sumDst), stream())
                : gatun_cuda_h.gatun_cuda_rms_norm(code(src), rows(src), c, segment(src),
                        ld(src), segment(residual), ld(residual), segment(gamma), eps,
                        segment(dst), ld(dst), segment(sumDst), ld(sumDst), stream());
        check("rmsNorm", status);
    }

    private void checkNormWidth(String op, Tensor src) {
        if (!reference && src.dim(-1) > MAX_NORM_WIDTH) {
            throw new IllegalArgumentException(op + ": the CUDA kernel takes C <= "
                    + MAX_NORM_WIDTH + " (a row is held in shared memory), got C="
                    + src.dim(-1) + " (x=" + src.describe() + ")");
        }
    }

    @Override
    public void softmax(Tensor src, float scale, Tensor mask, Tensor dst) {
        long cols = src.dim(-1);
        long maskLd = mask == null ? 0 : mask.rank() >= 2 ? mask.stride(-2) : cols;
        int status = reference
                ? gatun_cuda_h.gatun_cuda_softmax_reference(code(src), rows(src), cols,
                        segment(src), ld(src), scale, segment(mask), maskLd, segment(dst),
                        ld(dst), stream())
                : gatun_cuda_h.gatun_cuda_softmax(code(src), rows(src), cols, segment(src),
                        ld(src), scale, segment(mask), maskLd, segment(dst), ld(dst),
                        stream());
        check("softmax", status);
    }

    /**
     * {@inheritDoc} The last stride (along D) of q, k, v and dst must be 1. With
     * {@code weights}, see the class notes.
     */
    @Override
    public void attention(Tensor q, Tensor k, Tensor v, float scale, boolean causal,
                          Tensor mask, Tensor keyLengths, Tensor dst, Tensor weights) {
        String op = weights == null ? "attention" : "attentionWithWeights";
        long b = q.dim(0);
        long h = q.dim(1);
        long hkv = k.dim(1);
        long d = q.dim(3);
        if (d > MAX_HEAD_DIM || b > MAX_BATCH || h > MAX_BATCH || b * hkv > MAX_BATCH) {
            throw new IllegalArgumentException(op + ": the CUDA kernels take D <= "
                    + MAX_HEAD_DIM + " and B, H, B*Hkv <= " + MAX_BATCH + ", got q="
                    + q.describe() + ", k=" + k.describe());
        }
        Strides s = STRIDES.get();
        int status = reference
                ? gatun_cuda_h.gatun_cuda_attention_reference(code(q), b, h, hkv, q.dim(2),
                        k.dim(2), d, segment(q), s.of4(0, q), segment(k), s.of4(1, k),
                        segment(v), s.of4(2, v), scale, causal ? 1 : 0, segment(mask),
                        s.of4(3, mask), segment(keyLengths), segment(dst), s.of4(4, dst),
                        stream())
                : gatun_cuda_h.gatun_cuda_attention(code(q), b, h, hkv, q.dim(2), k.dim(2),
                        d, segment(q), s.of4(0, q), segment(k), s.of4(1, k), segment(v),
                        s.of4(2, v), scale, causal ? 1 : 0, segment(mask), s.of4(3, mask),
                        segment(keyLengths), segment(dst), s.of4(4, dst), stream());
        check(op, status);
        if (weights != null) {
            AttentionWeights.compute(this, q, k, scale, causal, mask, keyLengths, weights);
        }
    }

    @Override
    public void rope(Tensor src, Tensor positions, float theta, RopeStyle style, Tensor dst) {
        Strides s = STRIDES.get();
        int interleaved = style == RopeStyle.INTERLEAVED ? 1 : 0;
        int status = reference
                ? gatun_cuda_h.gatun_cuda_rope_reference(code(src), src.dim(0), src.dim(1),
                        src.dim(2), src.dim(3), segment(src), s.of4(0, src),
                        segment(positions), theta, interleaved, segment(dst), s.of4(1, dst),
                        stream())
                : gatun_cuda_h.gatun_cuda_rope(code(src), src.dim(0), src.dim(1),
                        src.dim(2), src.dim(3), segment(src), s.of4(0, src),
                        segment(positions), theta, interleaved, segment(dst), s.of4(1, dst),
                        stream());
        check("rope", status);
    }

    /** {@inheritDoc} Device ids are checked by the kernel (see the class notes). */
    @Override
    public void embedding(Tensor table, Tensor ids, Tensor dst) {
        long c = table.dim(1);
        // a table of one row has no meaningful row stride: any value >= C will do
        long tableLd = table.dim(0) == 1 ? c : table.stride(0);
        int status = reference
                ? gatun_cuda_h.gatun_cuda_embedding_reference(code(table), table.dim(0), c,
                        segment(table), tableLd, ids.numel(), segment(ids), segment(dst),
                        ld(dst), stream())
                : gatun_cuda_h.gatun_cuda_embedding(code(table), table.dim(0), c,
                        segment(table), tableLd, ids.numel(), segment(ids), segment(dst),
                        ld(dst), stream());
        check("embedding", status);
    }

    @Override
    public void convert(Tensor src, Tensor dst) {
        int status = reference
                ? gatun_cuda_h.gatun_cuda_convert_reference(code(src), code(dst), src.numel(),
                        segment(src), segment(dst), stream())
                : gatun_cuda_h.gatun_cuda_convert(code(src), code(dst), src.numel(),
                        segment(src), segment(dst), stream());
        check("convert", status);
    }

    // ---- helpers ------------------------------------------------------------------------------

    /**
     * The stream this backend queues on; NULL for the legacy default stream.
     *
     * @throws IllegalStateException if the backend's CudaStream is closed
     */
    MemorySegment stream() {
        return queue == null ? MemorySegment.NULL : queue.handle();
    }

    /** Whether the reference kernels run. */
    boolean isReference() {
        return reference;
    }

    /**
     * Turns a non-zero {@code gatun_cuda_status} into a {@link GatunException} with the
     * library's message: the one place libgatun_cuda.so's failures become exceptions.
     */
    static void check(String op, int status) {
        if (status != gatun_cuda_h.GATUN_CUDA_OK) {
            String message = gatun_cuda_h.gatun_cuda_last_error()
                    .reinterpret(Integer.MAX_VALUE).getString(0);
            throw new GatunException(op, status, statusName(status), message);
        }
    }

    private static String statusName(int status) {
        return switch (status) {
            case gatun_cuda_h.GATUN_CUDA_ERR_INVALID_ARGUMENT -> "INVALID_ARGUMENT";
            case gatun_cuda_h.GATUN_CUDA_ERR_UNSUPPORTED -> "UNSUPPORTED";
            case gatun_cuda_h.GATUN_CUDA_ERR_CUDA -> "CUDA";
            case gatun_cuda_h.GATUN_CUDA_ERR_OUT_OF_MEMORY -> "OUT_OF_MEMORY";
            case gatun_cuda_h.GATUN_CUDA_ERR_INTERNAL -> "INTERNAL";
            default -> "UNKNOWN";
        };
    }

    private static int code(Tensor t) {
        return t.dtype().code();
    }

    static MemorySegment segment(Tensor t) {
        return t == null ? MemorySegment.NULL : t.segment();
    }

    /** The segment of t from matrix {@code first} of its batch (rank 3) on; NULL for null. */
    private static MemorySegment at(Tensor t, long first) {
        if (t == null) {
            return MemorySegment.NULL;
        }
        if (first == 0 || t.rank() != 3) {
            return t.segment();
        }
        return t.segment().asSlice(first * t.stride(0) * t.dtype().byteSize());
    }

    /** Rows of a [rows, C] view (every dimension but the last). */
    private static long rows(Tensor t) {
        long c = t.dim(-1);
        return c == 0 ? 0 : t.numel() / c;
    }

    /** The row stride of a [rows, C] view; C for one row (any stride would do); 0 for null. */
    private static long ld(Tensor t) {
        if (t == null) {
            return 0;
        }
        if (t.rank() < 2 || rows(t) <= 1) {
            return t.dim(-1);
        }
        return t.stride(-2);
    }

    /** A thread's off-heap stride arrays: five slots of four int64_t each. */
    static final class Strides {
        private final MemorySegment[] slots = new MemorySegment[5];

        Strides() {
            // Arena.ofAuto: freed when the thread, and with it this object, is gone
            MemorySegment all = Arena.ofAuto().allocate(LONG, 4L * slots.length);
            for (int i = 0; i < slots.length; i++) {
                slots[i] = all.asSlice(i * 4L * LONG.byteSize(), 4 * LONG.byteSize());
            }
        }

        /** [batch, rows, cols] strides of a rank-2 or rank-3 tensor (batch 0 for rank 2). */
        MemorySegment matrix(int slot, Tensor t) {
            if (t == null) {
                return MemorySegment.NULL;
            }
            return set(slot, t.rank() == 3 ? t.stride(0) : 0, t.stride(-2), t.stride(-1));
        }

        /** The four strides of a rank-4 tensor; NULL for null. */
        MemorySegment of4(int slot, Tensor t) {
            if (t == null) {
                return MemorySegment.NULL;
            }
            MemorySegment s = slots[slot];
            for (int i = 0; i < 4; i++) {
                s.setAtIndex(LONG, i, t.stride(i));
            }
            return s;
        }

        /** Slot {@code slot} holding the given strides. */
        MemorySegment set(int slot, long... strides) {
            MemorySegment s = slots[slot];
            for (int i = 0; i < strides.length; i++) {
                s.setAtIndex(LONG, i, strides[i]);
            }
            return s;
        }
    }

    static Strides strides() {
        return STRIDES.get();
    }
}
