package dev.gatun;

/**
 * The Tensor API's ops: each checks its arguments, allocates its result in this object's
 * scope on the backend's device, and runs on the backend.
 *
 * <pre>{@code
 * try (Scope scope = Scope.open()) {
 *     Ops ops = new Ops(Backends.defaultBackend(), scope);
 *     Tensor x = Tensor.fromFloats(scope, data, 4, 384);
 *     Tensor y = ops.linear(x, w, bias, Activation.GELU_ERF);   // [4, 1536]
 * }
 * }</pre>
 *
 * <p>Every op validates before any native call: a null, a closed tensor, a wrong dtype, device,
 * shape or unsupported stride gives {@link IllegalArgumentException} or
 * {@link IllegalStateException} whose message names the op, the rule and the actual values.
 * A native failure gives {@link GatunException}. Results are owned by {@link #scope()}.
 *
 * <p>An {@code Ops} is as thread-safe as its scope: several threads may share one, but usually
 * each thread has its own scope and its own {@code Ops}.
 */
public final class Ops {
    private final Backend backend;
    private final Scope scope;

    public Ops(Backend backend, Scope scope) {
        this.backend = backend;
        this.scope = scope;
    }

    public Backend backend() {
        return backend;
    }

    public Scope scope() {
        return scope;
    }

    /** The result of {@link #attentionWithWeights}: output [B, H, Tq, D], weights [B, H, Tq, Tk]. */
    public record AttentionResult(Tensor output, Tensor weights) {}

    /**
     * Matrix product: a [..., M, K] x b [K, N] or [..., K, N] (leading dims equal) gives
     * [..., M, N] in a's dtype.
     */
    public Tensor matmul(Tensor a, Tensor b) {
        throw new UnsupportedOperationException("matmul");
    }

    /**
     * {@code act(x w + bias)}: x [..., K], w [K, N] (a transposed view of a [N, K] weight is
     * fine), bias [N] or null; gives [..., N].
     */
    public Tensor linear(Tensor x, Tensor w, Tensor bias, Activation act) {
        throw new UnsupportedOperationException("linear");
    }

    /** {@code act(x w + bias) + residual}, residual [..., N]. */
    public Tensor linear(Tensor x, Tensor w, Tensor bias, Activation act, Tensor residual) {
        throw new UnsupportedOperationException("linear");
    }

    /** {@code a + b}; b's shape must be a suffix of a's (it repeats over a's leading dims). */
    public Tensor add(Tensor a, Tensor b) {
        throw new UnsupportedOperationException("add");
    }

    /** {@code a * b}, broadcast as {@link #add}. */
    public Tensor mul(Tensor a, Tensor b) {
        throw new UnsupportedOperationException("mul");
    }

    /** {@code act(x)}, same shape and dtype. */
    public Tensor activation(Activation act, Tensor x) {
        throw new UnsupportedOperationException("activation");
    }

    /** Exact (erf) GELU. */
    public Tensor gelu(Tensor x) {
        return activation(Activation.GELU_ERF, x);
    }

    /** Tanh-approximated GELU. */
    public Tensor geluTanh(Tensor x) {
        return activation(Activation.GELU_TANH, x);
    }

    /** SiLU. */
    public Tensor silu(Tensor x) {
        return activation(Activation.SILU, x);
    }

    /** Layer norm over the last dim: x [..., C], gamma/beta F32 [C] or null. */
    public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        return layerNorm(x, null, gamma, beta, eps);
    }

    /** {@code layerNorm(x + residual)}, the residual add fused; residual [..., C] or null. */
    public Tensor layerNorm(Tensor x, Tensor residual, Tensor gamma, Tensor beta, float eps) {
        throw new UnsupportedOperationException("layerNorm");
    }

    /** RMSNorm over the last dim: x [..., C], gamma F32 [C] or null. */
    public Tensor rmsNorm(Tensor x, Tensor gamma, float eps) {
        return rmsNorm(x, null, gamma, eps);
    }

    /** {@code rmsNorm(x + residual)}, the residual add fused; residual [..., C] or null. */
    public Tensor rmsNorm(Tensor x, Tensor residual, Tensor gamma, float eps) {
        throw new UnsupportedOperationException("rmsNorm");
    }

    /** Softmax over the last dim. */
    public Tensor softmax(Tensor x) {
        return softmax(x, 1f, null);
    }

    /**
     * {@code softmax(scale x + mask)} over the last dim; mask F32 broadcastable to x, or null.
     * A row that is -inf everywhere gives zeros.
     */
    public Tensor softmax(Tensor x, float scale, Tensor mask) {
        throw new UnsupportedOperationException("softmax");
    }

    /**
     * Scaled dot-product attention.
     *
     * @param q          [B, H, Tq, D]
     * @param k          [B, Hkv, Tk, D], H a multiple of Hkv
     * @param v          [B, Hkv, Tk, D]
     * @param scale      usually 1 / sqrt(D)
     * @param causal     query i sees keys j <= i + Tk - Tq
     * @param mask       F32 additive, broadcastable to [B, H, Tq, Tk], or null
     * @param keyLengths I32 [B] valid keys per sequence, or null
     * @return [B, H, Tq, D]
     */
    public Tensor attention(Tensor q, Tensor k, Tensor v, float scale, boolean causal,
                            Tensor mask, Tensor keyLengths) {
        throw new UnsupportedOperationException("attention");
    }

    /** As {@link #attention}, also returning the probabilities [B, H, Tq, Tk] (F32). */
    public AttentionResult attentionWithWeights(Tensor q, Tensor k, Tensor v, float scale,
                                                boolean causal, Tensor mask,
                                                Tensor keyLengths) {
        throw new UnsupportedOperationException("attentionWithWeights");
    }

    /** Rotary embedding of x [B, H, T, D] at positions I32 [T], frequency base theta. */
    public Tensor rope(Tensor x, Tensor positions, float theta, RopeStyle style) {
        throw new UnsupportedOperationException("rope");
    }

    /** Gathers rows: table [V, C], ids I32 [...], each in [0, V); gives [..., C]. */
    public Tensor embedding(Tensor table, Tensor ids) {
        throw new UnsupportedOperationException("embedding");
    }

    /** A contiguous copy of x converted to {@code dtype} (floating types). */
    public Tensor convert(Tensor x, DType dtype) {
        throw new UnsupportedOperationException("convert");
    }

    /** A contiguous copy of x. */
    public Tensor copy(Tensor x) {
        throw new UnsupportedOperationException("copy");
    }
}
