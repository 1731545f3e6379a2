package dev.gatun.nn;

import dev.gatun.Activation;
import dev.gatun.Ops;
import dev.gatun.Tensor;

/**
 * The position-wise feed-forward block: an activated MLP {@code w2(act(w1 x))} (GELU in BERT
 * and Vaswani et al.'s ReLU's place) or a gated SwiGLU {@code down(silu(gate x) * up x)}
 * (Llama).
 *
 * <pre>{@code
 * FeedForward bert = FeedForward.gelu(intermediate, output);   // [F, C], [C, F] weights
 * FeedForward llama = FeedForward.swiGlu(gate, up, down);      // [F, C], [F, C], [C, F]
 * Tensor y = llama.forward(ops, x, x);                          // x + FFN(x), [B, T, C]
 * }</pre>
 */
public final class FeedForward {
    private final Linear first;
    private final Linear gateUp;
    private final Linear second;
    private final Activation activation;

    private FeedForward(Linear first, Linear up, Linear second, Activation activation) {
        if (second.inFeatures() != first.outFeatures()
                || (up != null && (up.outFeatures() != first.outFeatures()
                        || up.inFeatures() != first.inFeatures()))) {
            throw new IllegalArgumentException("FeedForward: the inner layers must produce F "
                    + "from C and the outer read F: first " + first.describe()
                    + (up == null ? "" : ", up " + up.describe()) + ", second "
                    + second.describe());
        }
        this.first = first;
        this.gateUp = up;
        this.second = second;
        this.activation = activation;
    }

    /** {@code w2(gelu(w1 x + b1)) + b2} with exact (erf) GELU; w1 [F, C], w2 [C, F]. */
    public static FeedForward gelu(Linear w1, Linear w2) {
        return mlp(w1, w2, Activation.GELU_ERF);
    }

    /** {@code w2(act(w1 x + b1)) + b2}; w1 [F, C], w2 [C, F]. */
    public static FeedForward mlp(Linear w1, Linear w2, Activation act) {
        return new FeedForward(w1, null, w2, act);
    }

    /** {@code down(silu(gate x) * (up x))}; gate and up [F, C], down [C, F]. */
    public static FeedForward swiGlu(Linear gate, Linear up, Linear down) {
        return new FeedForward(gate, up, down, Activation.SILU);
    }

    /**
     * This block with every projection {@link Linear#packed packed}, the weights copied into
     * {@code ops.scope()}, which must live as long as the returned block.
     */
    public FeedForward packed(Ops ops) {
        return new FeedForward(Linear.packed(ops, first),
                gateUp == null ? null : Linear.packed(ops, gateUp),
                Linear.packed(ops, second), activation);
    }

    /** Whether this is the gated (SwiGLU) form. */
    public boolean gated() {
        return gateUp != null;
    }

    /** F, the inner width. */
    public long hidden() {
        return first.outFeatures();
    }

    /** The FFN of x; x [..., C] gives [..., C], owned by {@code ops.scope()}. */
    public Tensor forward(Ops ops, Tensor x) {
        return forward(ops, x, null);
    }

    /**
     * {@code FFN(x) + residual}, the add fused into the last projection.
     *
     * @param x        [..., C]
     * @param residual [..., C], or null
     * @return [..., C], owned by {@code ops.scope()}
     * @throws IllegalArgumentException if a shape or dtype does not fit
     */
    public Tensor forward(Ops ops, Tensor x, Tensor residual) {
        Tensor h;
        if (gateUp == null) {
            // h = act(w1 x + b1): [..., F]
            h = first.forward(ops, x, activation, null);
        } else {
            // h = silu(gate x) * (up x): [..., F]
            Tensor gate = first.forward(ops, x, activation, null);
            Tensor up = gateUp.forward(ops, x);
            h = ops.mul(gate, up);
        }

        // y = w2 h + b2 + residual: [..., C]
        return second.forward(ops, h, Activation.NONE, residual);
    }
}
