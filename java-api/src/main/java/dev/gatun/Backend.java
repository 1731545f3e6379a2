package dev.gatun;

/**
 * The op set every Gatun backend computes: native (oneDNN), pure Java, CUDA.
 *
 * <p>Users do not call a backend directly: {@link Ops} checks every argument (shapes, dtypes,
 * devices, strides, liveness) and then calls these methods, so an implementation may assume
 * valid arguments as documented here. Outputs are written into {@code dst} tensors the caller
 * allocated; no method writes to an input unless the documentation says dst may alias it.
 *
 * <p>Shape letters: B batch, T sequence length (Tq, Tk), H query heads, Hkv key/value heads,
 * D head dim, C width, M/N/K matrix sizes, V vocabulary. "rows" is the product of all
 * dimensions but the last. Floating-point ops accumulate in fp32 for every storage dtype.
 */
public interface Backend {

    /** A short, stable name: "native", "java", "cuda". */
    String name();

    /** The device whose tensors this backend reads and writes. */
    Device device();

    /**
     * Allocates a zero-filled, contiguous tensor on {@link #device()}, owned by {@code scope}.
     * {@link Ops} allocates through this method the results it needs zeroed, and through
     * {@link #allocateUninitialized} those an op writes in full. The default allocates host
     * memory, which is right for backends whose device is {@link Device#CPU}.
     *
     * @throws IllegalStateException if the scope is closed
     */
    default Tensor allocate(Scope scope, DType dtype, long... shape) {
        return Tensor.allocate(scope, dtype, shape);
    }

    /**
     * w [K, N] (any strides, one of them 1) reordered into the layout this backend multiplies
     * fastest, owned by {@code scope}; null when the backend has no such layout for w (the
     * default), in which case callers keep multiplying by w itself.
     *
     * @throws IllegalStateException if the scope is closed
     */
    default PackedWeight packWeight(Scope scope, Tensor w) {
        return null;
    }

    /**
     * {@code dst = act(a x w + bias) + residual} with a weight from this backend's
     * {@link #packWeight}: a [M, K] with a row stride and inner stride 1, residual and dst
     * [M, N] likewise, bias [N] contiguous or null, all of w's dtype. Backends whose
     * {@link #packWeight} returns null receive this call only with a record they did not
     * issue; the default refuses it.
     *
     * @throws IllegalArgumentException if this backend did not pack w
     */
    default void matmulPacked(Tensor a, PackedWeight w, Tensor bias, Activation act,
                              Tensor residual, Tensor dst) {
        throw new IllegalArgumentException(name() + " packs no weights, so it did not pack "
                + (w == null ? "null" : w.describe()));
    }

    /**
     * As {@link #allocate}, but the contents are unspecified: {@link Ops} allocates through
     * this method the results that the op then writes in full, which saves a fill of every
     * result (and, with a {@link MemoryPool}, lets same-shaped calls reuse memory untouched).
     * The default calls {@link #allocate}.
     *
     * @throws IllegalStateException if the scope is closed
     */
    default Tensor allocateUninitialized(Scope scope, DType dtype, long... shape) {
        return allocate(scope, dtype, shape);
    }

    /**
     * {@code dst = act(a x w + bias) + residual}, batched.
     *
     * @param a        [batch, M, K], any strides with one inner stride 1
     * @param w        [batch, K, N] or a broadcast view with batch stride 0
     * @param bias     [N] contiguous, or null
     * @param act      fused activation applied before the residual add
     * @param residual [batch, M, N], or null
     * @param dst      [batch, M, N]
     */
    void matmul(Tensor a, Tensor w, Tensor bias, Activation act, Tensor residual, Tensor dst);

    /** {@code dst = a + b}; all contiguous, b's numel divides a's and repeats ("bias rows"). */
    void add(Tensor a, Tensor b, Tensor dst);

    /** {@code dst = a * b}; same layout rules as {@link #add}. */
    void mul(Tensor a, Tensor b, Tensor dst);

    /** {@code dst = act(src)}, contiguous, same shape; dst may alias src. */
    void activation(Activation act, Tensor src, Tensor dst);

    /**
     * Layer norm over the last dimension of {@code x = src + residual}.
     *
     * @param src      [rows, C] (a 2-D view; row stride may exceed C)
     * @param residual [rows, C] or null
     * @param gamma    F32 [C] or null (ones)
     * @param beta     F32 [C] or null (zeros)
     * @param dst      [rows, C]; may alias src or residual
     * @param sumDst   [rows, C] receiving x, or null
     */
    void layerNorm(Tensor src, Tensor residual, Tensor gamma, Tensor beta, float eps,
                   Tensor dst, Tensor sumDst);

    /** RMSNorm: {@code dst = x / sqrt(mean(x^2) + eps) * gamma}; arguments as layerNorm. */
    void rmsNorm(Tensor src, Tensor residual, Tensor gamma, float eps, Tensor dst,
                 Tensor sumDst);

    /**
     * {@code dst = softmax(scale * src + mask)} over the last dimension; fully masked rows
     * become zeros.
     *
     * @param src  [rows, cols] 2-D view
     * @param mask F32 [rows, cols] 2-D view (row stride 0 allowed), or null
     * @param dst  [rows, cols]; may alias src
     */
    void softmax(Tensor src, float scale, Tensor mask, Tensor dst);

    /**
     * Scaled dot-product attention: {@code dst = softmax(scale q k^T + mask) v}.
     *
     * @param q          [B, H, Tq, D], any strides with the last one 1
     * @param k          [B, Hkv, Tk, D]; H is a multiple of Hkv
     * @param v          [B, Hkv, Tk, D]
     * @param causal     query i sees keys j <= i + Tk - Tq
     * @param mask       F32 additive, broadcast view [B, H, Tq, Tk], or null
     * @param keyLengths I32 [B]: keys at or past keyLengths[b] are masked; or null
     * @param dst        [B, H, Tq, D], any strides with the last one 1 ({@link Ops} passes a
     *                   view of [B, Tq, H, D] memory)
     * @param weights    F32 contiguous [B, H, Tq, Tk] receiving the probabilities, or null
     */
    void attention(Tensor q, Tensor k, Tensor v, float scale, boolean causal, Tensor mask,
                   Tensor keyLengths, Tensor dst, Tensor weights);

    /**
     * Attention over a ragged batch: sequences laid end to end along the T axis, each query
     * seeing only the keys of its own sequence (with causal, those at or before it).
     *
     * <p>The default makes one {@link #attention} call per sequence on views; a backend
     * that can do them in one call overrides it.
     *
     * @param q       [1, H, T, D], any strides with the last one 1
     * @param k       [1, Hkv, T, D]
     * @param v       [1, Hkv, T, D]
     * @param lengths each sequence's positions, each >= 1, summing to T
     * @param dst     [1, H, T, D], any strides with the last one 1
     */
    default void raggedAttention(Tensor q, Tensor k, Tensor v, float scale, boolean causal,
                                 int[] lengths, Tensor dst) {
        long start = 0;
        for (int len : lengths) {
            long end = start + len;
            attention(q.slice(2, start, end), k.slice(2, start, end), v.slice(2, start, end),
                    scale, causal, null, null, dst.slice(2, start, end), null);
            start = end;
        }
    }

    /**
     * Rotary position embedding, {@code theta} the frequency base (10000 for Llama).
     *
     * @param src       [B, H, T, D], D even, last stride 1
     * @param positions I32 [T], absolute positions
     * @param dst       [B, H, T, D]; may alias src
     */
    void rope(Tensor src, Tensor positions, float theta, RopeStyle style, Tensor dst);

    /**
     * Row gather: {@code dst[i] = table[ids[i]]}.
     *
     * @param table [V, C], last stride 1
     * @param ids   I32 [n] contiguous, each in [0, V) (checked by the caller)
     * @param dst   [n, C]
     */
    void embedding(Tensor table, Tensor ids, Tensor dst);

    /** Converts between floating dtypes: contiguous src and dst of equal numel. */
    void convert(Tensor src, Tensor dst);

    /**
     * Copies every element of {@code src} into {@code dst}: the same shape and dtype (any,
     * I32 included), any strides. Each of the two may be in host memory or on
     * {@link #device()}, so this is also how a device backend moves tensors to and from the
     * host. dst must not overlap src, nor itself (no stride-0 dimension); when either is in
     * host memory, the copy has finished when this returns.
     *
     * <p>The default, right for backends whose device is {@link Device#CPU}, is
     * {@link Tensor#copyFrom(Tensor)}.
     *
     * @param src [...] any strides
     * @param dst [...] the same shape and dtype
     */
    default void copy(Tensor src, Tensor dst) {
        dst.copyFrom(src);
    }
}
