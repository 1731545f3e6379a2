package dev.gatun.backend;

import dev.gatun.Activation;
import dev.gatun.Backend;
import dev.gatun.DType;
import dev.gatun.Device;
import dev.gatun.GatunException;
import dev.gatun.PackedWeight;
import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.bindings.GatunLibrary;
import dev.gatun.bindings.gatun_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.IntSupplier;

/**
 * The CPU backend over {@code libgatun.so}: each op is one call into {@code gatun.h}, which
 * runs oneDNN primitives (matmul, layer norm, softmax, eltwise) and OpenMP loops (rope,
 * embedding, masks, conversions) on the host's cores.
 *
 * <pre>{@code
 * Backend cpu = Backends.get("native");
 * cpu.matmul(x, w, bias, Activation.GELU_ERF, null, y);   // y = gelu(x w + bias)
 * }</pre>
 *
 * <p>Tensors are host tensors of F32, BF16 or F16 (I32 for ids, positions and lengths);
 * every op accumulates in fp32. Arguments reach native code as the tensors' memory segments,
 * so the scope owning a tensor cannot be closed while a call uses it. {@link dev.gatun.Ops}
 * validates arguments before calling here; called directly, each method still checks that
 * every tensor has the shape, dtype and layout the native call reads it with
 * ({@link IllegalArgumentException} otherwise, never a read outside a tensor's memory); the
 * native library validates sizes again and a failure it reports becomes a
 * {@link GatunException} carrying its status and message.
 *
 * <p>Thread-safe: any number of threads may call one instance. Each calling thread runs its
 * own OpenMP team of {@code OMP_NUM_THREADS} (default: all cores), so several threads calling
 * at once oversubscribe the cores; set {@code OMP_NUM_THREADS} accordingly.
 *
 * <p>Limitations:
 * <ul>
 *   <li>F16 runs natively only where oneDNN has F16 kernels (CPUs with AVX512-FP16 or
 *       AVX2-VNNI-2); elsewhere matmul, attention, the norms, softmax and the activations
 *       convert their operands to f32 copies per call, which costs memory and time.
 *   <li>oneDNN primitives are built once per shape and kept in a cache of the 1024 most
 *       recently used ({@link #cacheStats()}); a shape seen for the first time pays for a
 *       JIT compilation (~0.5 ms for a matmul). Attention over at most 8 query rows (decoding)
 *       takes Tk at run time, so a growing KV cache adds only a softmax primitive per length.
 *   <li>A GELU fused into {@link #matmul} is oneDNN's, whose relative error grows below
 *       x = -2 (the absolute error stays under 1e-6); {@link #activation} recomputes those
 *       elements exactly.
 *   <li>The library needs an x86-64-v3 CPU (AVX2, FMA, F16C) on Linux.
 * </ul>
 */
public final class NativeBackend implements Backend {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;

    /** Off-heap stride arrays, one set per thread, reused by every call on that thread. */
    private static final ThreadLocal<Strides> STRIDES = ThreadLocal.withInitial(Strides::new);
    /**
     * The packed weights this class issued, by value (a wrapper's relabelled copy of one is
     * found too), with their packed size in bytes: segments compare by address alone, so a
     * record over a shorter slice of the same memory is told apart by its size. Weak, so
     * that a dropped model's entries go with it. A new weight may be given a freed one's
     * address, and so equal its stale record: {@link #packWeight} replaces that key, since
     * a map keeps the first of two equal keys and would lose the entry when the stale one
     * is collected.
     */
    private static final Map<PackedWeight, Long> ISSUED =
            Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * Creates the backend, loading the native library if it is not loaded yet.
     *
     * @throws IllegalStateException if the library cannot be loaded, saying why
     */
    public NativeBackend() {
        GatunLibrary.lookup();
    }

    /** Counters of the native primitive cache. */
    public record CacheStats(long created, long hits) {}

    /** How many oneDNN primitives were built so far, and how many calls reused one. */
    public static CacheStats cacheStats() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment created = arena.allocate(LONG);
            MemorySegment hits = arena.allocate(LONG);
            check("cacheStats", gatun_h.gatun_cache_stats(created, hits));
            return new CacheStats(created.get(LONG, 0), hits.get(LONG, 0));
        }
    }

    /**
     * Host memory the native library holds outside any {@link dev.gatun.Scope}.
     *
     * @param scratchBytes   per-thread scratch held now, all threads together: grown on
     *                       demand, bounded per thread (a few MiB), kept for each thread's
     *                       life and freed when the thread exits
     * @param scratchThreads threads (callers and their OpenMP workers) holding scratch now
     * @param bufferBytes    per-call buffers alive now; 0 whenever no call is running
     */
    public record ScratchStats(long scratchBytes, long scratchThreads, long bufferBytes) {}

    /**
     * What the native library holds now besides the memory of tensors, for leak checks (see
     * {@link dev.gatun.MemoryStats} for the memory of scopes). oneDNN's own memory (its
     * primitives and their JIT code, at most the {@link #cacheStats() cache}'s capacity) is
     * not counted.
     */
    public static ScratchStats scratchStats() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(LONG);
            MemorySegment threads = arena.allocate(LONG);
            MemorySegment buffers = arena.allocate(LONG);
            check("scratchStats", gatun_h.gatun_scratch_stats(bytes, threads, buffers));
            return new ScratchStats(bytes.get(LONG, 0), threads.get(LONG, 0),
                    buffers.get(LONG, 0));
        }
    }

    @Override
    public String name() {
        return "native";
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public Tensor allocateUninitialized(Scope scope, DType dtype, long... shape) {
        return Tensor.allocateUninitialized(scope, dtype, shape);
    }

    /** {@inheritDoc} a, w, residual and dst are rank 3, or rank 2 for a batch of one. */
    @Override
    public void matmul(Tensor a, Tensor w, Tensor bias, Activation act, Tensor residual,
                       Tensor dst) {
        String op = "matmul";
        NativeChecks.present(op, "a", a);
        NativeChecks.present(op, "w", w);
        NativeChecks.present(op, "dst", dst);
        if (act == null) {
            throw new IllegalArgumentException("native matmul: act must not be null");
        }
        NativeChecks.floating(op, "dst", dst);
        long batch = dst.rank() == 3 ? dst.dim(0) : 1;
        long m = dst.rank() >= 2 ? dst.dim(-2) : -1;
        long n = dst.rank() >= 2 ? dst.dim(-1) : -1;
        NativeChecks.matrix(op, "dst", dst, batch, m, n);
        NativeChecks.matrix(op, "a", a, batch, m, a.rank() > 0 ? a.dim(-1) : -1);
        NativeChecks.matrix(op, "w", w, batch, a.dim(-1), n);
        NativeChecks.matrix(op, "residual", residual, batch, m, n);
        NativeChecks.numel(op, "bias", bias, n);
        NativeChecks.contiguous(op, "bias", bias);
        for (Tensor t : new Tensor[] {a, w, bias, residual}) {
            NativeChecks.dtype(op, "every operand", t, dst.dtype());
        }

        Strides s = STRIDES.get();
        call("matmul", () -> gatun_h.gatun_matmul(code(dst), batch, dst.dim(-2), dst.dim(-1),
                a.dim(-1), segment(a), s.matrix(0, a), segment(w), s.matrix(1, w),
                segment(bias), act.code(), segment(residual), s.matrix(2, residual),
                segment(dst), s.matrix(3, dst)));
    }

    /**
     * {@inheritDoc} oneDNN's blocked layout for this CPU ({@code gatun_pack_weights}); null
     * for a dtype oneDNN does not multiply here (F16 without AVX512-FP16).
     */
    @Override
    public PackedWeight packWeight(Scope scope, Tensor w) {
        String op = "packWeight";
        NativeChecks.present(op, "w", w);
        NativeChecks.floating(op, "w", w);
        NativeChecks.matrix(op, "w", w, 1, w.rank() == 2 ? w.dim(0) : -1,
                w.rank() == 2 ? w.dim(1) : -1);
        long k = w.dim(0);
        long n = w.dim(1);
        long bytes = packedBytes(w.dtype(), k, n);
        if (bytes < 0) {
            return null;
        }
        MemorySegment packed = scope.allocateUninitialized(bytes, 64);
        Strides s = STRIDES.get();
        call(op, () -> gatun_h.gatun_pack_weights(code(w), k, n, segment(w), s.of2(0, w),
                packed));
        PackedWeight result = new PackedWeight(this, w.dtype(), k, n, packed);
        synchronized (ISSUED) {
            ISSUED.remove(result);
            ISSUED.put(result, bytes);
        }
        return result;
    }

    @Override
    public void matmulPacked(Tensor a, PackedWeight w, Tensor bias, Activation act,
                             Tensor residual, Tensor dst) {
        String op = "matmulPacked";
        NativeChecks.present(op, "a", a);
        NativeChecks.present(op, "dst", dst);
        if (w == null || w.backend() != this || act == null) {
            throw new IllegalArgumentException("native matmulPacked: w must be packed by this "
                    + "backend and act must not be null, got w=" + w + ", act=" + act);
        }
        for (Tensor t : new Tensor[] {a, residual, dst}) {
            if (t != null && t.rank() != 2) {
                throw new IllegalArgumentException("native matmulPacked: a, residual and dst "
                        + "must have rank 2, got " + t);
            }
        }
        long m = dst.dim(0);
        NativeChecks.matrix(op, "dst", dst, 1, m, w.n());
        NativeChecks.matrix(op, "a", a, 1, m, w.k());
        NativeChecks.matrix(op, "residual", residual, 1, m, w.n());
        NativeChecks.numel(op, "bias", bias, w.n());
        NativeChecks.contiguous(op, "bias", bias);
        for (Tensor t : new Tensor[] {a, bias, residual, dst}) {
            NativeChecks.dtype(op, "every operand", t, w.dtype());
        }
        // the native side trusts the packed bytes and their dtype, K and N: only a record
        // this backend issued, over all of its memory, is used
        Long bytes = ISSUED.get(w);
        if (bytes == null || w.memory().byteSize() != bytes) {
            throw new IllegalArgumentException("native matmulPacked: " + w.describe()
                    + " over " + w.memory() + " was not packed by this backend");
        }
        Strides s = STRIDES.get();
        call(op, () -> gatun_h.gatun_matmul_packed(w.dtype().code(), m, w.n(), w.k(),
                segment(a), s.of2(0, a), w.memory(), segment(bias), act.code(),
                segment(residual), s.of2(1, residual), segment(dst), s.of2(2, dst)));
    }

    /** The bytes of a packed [K, N] weight of dtype, or -1 where this CPU has no layout. */
    private static long packedBytes(DType dtype, long k, long n) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(LONG);
            int status = gatun_h.gatun_packed_weights_size(dtype.code(), k, n, size);
            if (status == gatun_h.GATUN_ERR_UNSUPPORTED) {
                return -1;
            }
            check("packWeight", status);
            return size.get(LONG, 0);
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

    private static void binary(String op, int code, Tensor a, Tensor b, Tensor dst) {
        elementwise(op, a, dst);
        NativeChecks.present(op, "b", b);
        NativeChecks.contiguous(op, "b", b);
        NativeChecks.dtype(op, "b", b, a.dtype());
        if (a.numel() > 0 && (b.numel() == 0 || a.numel() % b.numel() != 0)) {
            throw NativeChecks.fail(op, "b's numel must divide a's", a, b);
        }
        call(op, () -> gatun_h.gatun_binary(code, code(dst), a.numel(), segment(a),
                segment(b), b.numel(), segment(dst)));
    }

    @Override
    public void activation(Activation act, Tensor src, Tensor dst) {
        if (act == null) {
            throw new IllegalArgumentException("native activation: act must not be null");
        }
        elementwise("activation", src, dst);
        call("activation", () -> gatun_h.gatun_unary(act.code(), code(dst), src.numel(),
                segment(src), segment(dst)));
    }

    @Override
    public void layerNorm(Tensor src, Tensor residual, Tensor gamma, Tensor beta, float eps,
                          Tensor dst, Tensor sumDst) {
        norm("layerNorm", src, residual, gamma, beta, dst, sumDst);
        call("layerNorm", () -> gatun_h.gatun_layer_norm(code(src), rows(src), src.dim(-1),
                segment(src), rowStride(src), segment(residual), rowStride(residual),
                segment(gamma), segment(beta), eps, segment(dst), rowStride(dst),
                segment(sumDst), rowStride(sumDst)));
    }

    @Override
    public void rmsNorm(Tensor src, Tensor residual, Tensor gamma, float eps, Tensor dst,
                        Tensor sumDst) {
        norm("rmsNorm", src, residual, gamma, null, dst, sumDst);
        call("rmsNorm", () -> gatun_h.gatun_rms_norm(code(src), rows(src), src.dim(-1),
                segment(src), rowStride(src), segment(residual), rowStride(residual),
                segment(gamma), eps, segment(dst), rowStride(dst), segment(sumDst),
                rowStride(sumDst)));
    }

    @Override
    public void softmax(Tensor src, float scale, Tensor mask, Tensor dst) {
        String op = "softmax";
        NativeChecks.present(op, "src", src);
        NativeChecks.present(op, "dst", dst);
        NativeChecks.floating(op, "src", src);
        long rows = rows(src);
        long cols = src.rank() > 0 ? src.dim(-1) : -1;
        NativeChecks.rows(op, "src", src, rows, cols);
        NativeChecks.rows(op, "mask", mask, rows, cols);
        NativeChecks.rows(op, "dst", dst, rows, cols);
        NativeChecks.dtype(op, "mask", mask, DType.F32);
        NativeChecks.dtype(op, "dst", dst, src.dtype());
        call("softmax", () -> gatun_h.gatun_softmax(code(src), rows(src), src.dim(-1),
                segment(src), rowStride(src), scale, segment(mask), rowStride(mask),
                segment(dst), rowStride(dst)));
    }

    /** {@inheritDoc} The last stride (along D) of q, k, v and dst must be 1. */
    @Override
    public void attention(Tensor q, Tensor k, Tensor v, float scale, boolean causal,
                          Tensor mask, Tensor keyLengths, Tensor dst, Tensor weights) {
        String op = "attention";
        checkHeads(op, q, k, v, dst);
        long[] scores = {q.dim(0), q.dim(1), q.dim(2), k.dim(2)};
        NativeChecks.shape(op, "k", k, q.dim(0), k.dim(1), k.dim(2), q.dim(3));
        NativeChecks.shape(op, "v", v, k.shape());
        NativeChecks.shape(op, "dst", dst, q.shape());
        NativeChecks.shape(op, "mask", mask, scores);
        NativeChecks.shape(op, "weights", weights, scores);
        NativeChecks.contiguous(op, "weights", weights);
        NativeChecks.numel(op, "keyLengths", keyLengths, q.dim(0));
        NativeChecks.contiguous(op, "keyLengths", keyLengths);
        for (Tensor t : new Tensor[] {k, v, dst}) {
            NativeChecks.dtype(op, "k, v and dst", t, q.dtype());
        }
        NativeChecks.dtype(op, "mask", mask, DType.F32);
        NativeChecks.dtype(op, "weights", weights, DType.F32);
        NativeChecks.dtype(op, "keyLengths", keyLengths, DType.I32);

        Strides s = STRIDES.get();
        call("attention", () -> gatun_h.gatun_attention(code(q), q.dim(0), q.dim(1), k.dim(1),
                q.dim(2), k.dim(2), q.dim(3), segment(q), s.of4(0, q), segment(k),
                s.of4(1, k), segment(v), s.of4(2, v), scale, causal ? 1 : 0, segment(mask),
                s.of4(3, mask), segment(keyLengths), segment(dst), s.of4(4, dst),
                segment(weights)));
    }

    /** q, k, v and dst present, of rank 4 with the last stride 1; q floating. */
    private static void checkHeads(String op, Tensor q, Tensor k, Tensor v, Tensor dst) {
        for (Tensor t : new Tensor[] {q, k, v, dst}) {
            NativeChecks.present(op, "q, k, v and dst", t);
            NativeChecks.rank(op, "q, k, v and dst", t, 4);
            NativeChecks.unitLast(op, "q, k, v and dst", t);
        }
        NativeChecks.floating(op, "q", q);
    }

    /** {@inheritDoc} All sequences in one native call ({@code gatun_attention_ragged}). */
    @Override
    public void raggedAttention(Tensor q, Tensor k, Tensor v, float scale, boolean causal,
                                int[] lengths, Tensor dst) {
        String op = "raggedAttention";
        checkHeads(op, q, k, v, dst);
        long t = q.dim(2);
        NativeChecks.shape(op, "q", q, 1, q.dim(1), t, q.dim(3));
        NativeChecks.shape(op, "k", k, 1, k.dim(1), t, q.dim(3));
        NativeChecks.shape(op, "v", v, k.shape());
        NativeChecks.shape(op, "dst", dst, q.shape());
        for (Tensor x : new Tensor[] {k, v, dst}) {
            NativeChecks.dtype(op, "k, v and dst", x, q.dtype());
        }
        // lengths are checked natively (each >= 1); their sum must be T here, since the
        // native side reads the positions they cover
        long sum = 0;
        for (int len : lengths) {
            sum += len;
        }
        if (sum != t) {
            throw new IllegalArgumentException("native raggedAttention: lengths sum to " + sum
                    + ", must sum to T=" + t + " (q=" + q + ")");
        }
        Strides s = STRIDES.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment lens = arena.allocateFrom(ValueLayout.JAVA_INT, lengths);
            call(op, () -> gatun_h.gatun_attention_ragged(code(q), lengths.length, lens,
                    q.dim(1), k.dim(1), q.dim(3), segment(q), s.last3(0, q), segment(k),
                    s.last3(1, k), segment(v), s.last3(2, v), scale, causal ? 1 : 0,
                    segment(dst), s.last3(3, dst)));
        }
    }

    @Override
    public void rope(Tensor src, Tensor positions, float theta, RopeStyle style, Tensor dst) {
        String op = "rope";
        NativeChecks.present(op, "src", src);
        NativeChecks.present(op, "positions", positions);
        NativeChecks.present(op, "dst", dst);
        NativeChecks.rank(op, "src", src, 4);
        NativeChecks.floating(op, "src", src);
        NativeChecks.unitLast(op, "src", src);
        NativeChecks.unitLast(op, "dst", dst);
        NativeChecks.shape(op, "dst", dst, src.shape());
        NativeChecks.dtype(op, "dst", dst, src.dtype());
        NativeChecks.dtype(op, "positions", positions, DType.I32);
        NativeChecks.numel(op, "positions", positions, src.dim(2));
        NativeChecks.contiguous(op, "positions", positions);
        Strides s = STRIDES.get();
        call("rope", () -> gatun_h.gatun_rope(code(src), src.dim(0), src.dim(1), src.dim(2),
                src.dim(3), segment(src), s.of4(0, src), segment(positions), theta,
                style == RopeStyle.INTERLEAVED ? 1 : 0, segment(dst), s.of4(1, dst)));
    }

    @Override
    public void embedding(Tensor table, Tensor ids, Tensor dst) {
        String op = "embedding";
        NativeChecks.present(op, "table", table);
        NativeChecks.present(op, "ids", ids);
        NativeChecks.present(op, "dst", dst);
        NativeChecks.rank(op, "table", table, 2);
        NativeChecks.floating(op, "table", table);
        NativeChecks.unitLast(op, "table", table);
        NativeChecks.dtype(op, "ids", ids, DType.I32);
        NativeChecks.contiguous(op, "ids", ids);
        NativeChecks.shape(op, "dst", dst, ids.numel(), table.dim(1));
        NativeChecks.unitLast(op, "dst", dst);
        NativeChecks.dtype(op, "dst", dst, table.dtype());
        call("embedding", () -> gatun_h.gatun_embedding(code(table), table.dim(0), table.dim(1),
                segment(table), rowStride(table), ids.numel(), segment(ids), segment(dst),
                rowStride(dst)));
    }

    @Override
    public void convert(Tensor src, Tensor dst) {
        elementwise("convert", src, dst);
        call("convert", () -> gatun_h.gatun_convert(code(src), code(dst), src.numel(),
                segment(src), segment(dst)));
    }

    // ---- helpers ------------------------------------------------------------------------------

    /**
     * Runs one native call and checks its status. A tensor whose scope another thread closed
     * after {@link dev.gatun.Ops} checked it fails here, before the call starts, with an
     * {@link IllegalStateException} naming the op (once the call has started, the scope
     * cannot close until it returns).
     */
    private static void call(String op, IntSupplier nativeCall) {
        int status;
        try {
            status = nativeCall.getAsInt();
        } catch (IllegalStateException e) {
            throw new IllegalStateException(op + ": the memory of an argument was freed (its"
                    + " scope was closed, by another thread or before the call): "
                    + e.getMessage(), e);
        }
        check(op, status);
    }

    /**
     * Turns a non-zero {@code gatun_status} into a {@link GatunException} with the native
     * message: the one place native failures become exceptions.
     */
    static void check(String op, int status) {
        if (status != gatun_h.GATUN_OK) {
            String message = gatun_h.gatun_last_error().reinterpret(Integer.MAX_VALUE)
                    .getString(0);
            throw new GatunException(op, status, message);
        }
    }

    /**
     * src and dst are contiguous and floating with one number of elements; dst has src's
     * dtype except in convert.
     */
    private static void elementwise(String op, Tensor src, Tensor dst) {
        NativeChecks.present(op, "src", src);
        NativeChecks.present(op, "dst", dst);
        NativeChecks.floating(op, "src", src);
        NativeChecks.floating(op, "dst", dst);
        NativeChecks.contiguous(op, "src", src);
        NativeChecks.contiguous(op, "dst", dst);
        NativeChecks.numel(op, "dst", dst, src.numel());
        if (!op.equals("convert")) {
            NativeChecks.dtype(op, "dst", dst, src.dtype());
        }
    }

    /** The tensors of a norm: [rows, C] views of src's dtype, gamma and beta F32 [C]. */
    private static void norm(String op, Tensor src, Tensor residual, Tensor gamma, Tensor beta,
                             Tensor dst, Tensor sumDst) {
        NativeChecks.present(op, "src", src);
        NativeChecks.present(op, "dst", dst);
        NativeChecks.floating(op, "src", src);
        long rows = rows(src);
        long c = src.rank() > 0 ? src.dim(-1) : -1;
        for (Tensor t : new Tensor[] {src, residual, dst, sumDst}) {
            NativeChecks.rows(op, "src, residual, dst and sumDst", t, rows, c);
            NativeChecks.dtype(op, "residual, dst and sumDst", t, src.dtype());
        }
        for (Tensor t : new Tensor[] {gamma, beta}) {
            NativeChecks.dtype(op, "gamma and beta", t, DType.F32);
            NativeChecks.numel(op, "gamma and beta", t, c);
            NativeChecks.contiguous(op, "gamma and beta", t);
        }
    }

    private static int code(Tensor t) {
        return t.dtype().code();
    }

    private static MemorySegment segment(Tensor t) {
        return t == null ? MemorySegment.NULL : t.segment();
    }

    /** Rows of a [rows, C] view (every dimension but the last). */
    private static long rows(Tensor t) {
        if (t.rank() == 0) {
            return 1;
        }
        long c = t.dim(-1);
        return c == 0 ? 0 : t.numel() / c;
    }

    /** The row stride of a [rows, C] view; C for a single row or vector; 0 for null. */
    private static long rowStride(Tensor t) {
        if (t == null) {
            return 0;
        }
        return t.rank() >= 2 ? t.stride(-2) : t.dim(-1);
    }

    /** A thread's off-heap stride arrays: five slots of four int64_t each. */
    private static final class Strides {
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
            MemorySegment s = slots[slot];
            if (t == null) {
                return MemorySegment.NULL;
            }
            if (t.rank() != 2 && t.rank() != 3) {
                throw new IllegalArgumentException("matmul: operands must have rank 2 or 3, got "
                        + t);
            }
            s.setAtIndex(LONG, 0, t.rank() == 3 ? t.stride(0) : 0);
            s.setAtIndex(LONG, 1, t.stride(-2));
            s.setAtIndex(LONG, 2, t.stride(-1));
            return s;
        }

        /** The two strides of a rank-2 tensor; NULL for null. */
        MemorySegment of2(int slot, Tensor t) {
            if (t == null) {
                return MemorySegment.NULL;
            }
            MemorySegment s = slots[slot];
            s.setAtIndex(LONG, 0, t.stride(0));
            s.setAtIndex(LONG, 1, t.stride(1));
            return s;
        }

        /** The last three strides of a rank-4 tensor. */
        MemorySegment last3(int slot, Tensor t) {
            MemorySegment s = slots[slot];
            for (int i = 0; i < 3; i++) {
                s.setAtIndex(LONG, i, t.stride(i + 1));
            }
            return s;
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
    }
}
