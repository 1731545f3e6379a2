package dev.gatun.nn;

import dev.gatun.Activation;
import dev.gatun.Ops;
import dev.gatun.Tensor;

/**
 * A fully connected layer, {@code y = act(x W^T + bias) + residual}, with the weight in
 * PyTorch's layout.
 *
 * <pre>{@code
 * Linear proj = new Linear(weight, bias);                    // weight [N, K], bias [N]
 * Tensor y = proj.forward(ops, x);                           // x [B, T, K] -> [B, T, N]
 * Tensor h = proj.forward(ops, x, Activation.GELU_ERF, null);
 * }</pre>
 *
 * <p>The weight is used in place: the op receives its transposed view [K, N], so loading a
 * checkpoint needs no copy.
 */
public final class Linear {
    private final Tensor weight;
    private final Tensor bias;

    /**
     * A layer with weight [N, K] = [out, in] and an optional bias [N] of the same dtype.
     *
     * @throws IllegalArgumentException if the weight is not 2-D, or the bias is not [N] of
     *     the weight's dtype
     */
    public Linear(Tensor weight, Tensor bias) {
        if (weight.rank() != 2) {
            throw new IllegalArgumentException("Linear: weight must be [N, K] = [out, in], got "
                    + weight.describe());
        }
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != weight.dim(0)
                || bias.dtype() != weight.dtype())) {
            throw new IllegalArgumentException("Linear: bias must be [N] = [" + weight.dim(0)
                    + "] of " + weight.dtype() + " like the weight " + weight.describe()
                    + ", got " + bias.describe());
        }
        this.weight = weight;
        this.bias = bias;
    }

    /** A layer without bias; weight [N, K]. */
    public Linear(Tensor weight) {
        this(weight, null);
    }

    /** The weight, [N, K]. */
    public Tensor weight() {
        return weight;
    }

    /** The bias [N], or null. */
    public Tensor bias() {
        return bias;
    }

    /** K, the width of an input row. */
    public long inFeatures() {
        return weight.dim(1);
    }

    /** N, the width of an output row. */
    public long outFeatures() {
        return weight.dim(0);
    }

    /**
     * {@code x W^T + bias}.
     *
     * @param x [..., K] in the weight's dtype
     * @return [..., N], owned by {@code ops.scope()}
     * @throws IllegalArgumentException if x's last dimension is not K or its dtype differs
     */
    public Tensor forward(Ops ops, Tensor x) {
        return forward(ops, x, Activation.NONE, null);
    }

    /**
     * {@code act(x W^T + bias) + residual}, the activation and the residual add fused into
     * the matrix product.
     *
     * @param x        [..., K] in the weight's dtype
     * @param act      applied before the residual add
     * @param residual [..., N], or null
     * @return [..., N], owned by {@code ops.scope()}
     * @throws IllegalArgumentException if a shape or dtype does not fit
     */
    public Tensor forward(Ops ops, Tensor x, Activation act, Tensor residual) {
        if (x.rank() < 1 || x.dim(-1) != inFeatures()) {
            throw new IllegalArgumentException("Linear: x must be [..., K] with K = "
                    + inFeatures() + " (weight " + weight.describe() + "), got "
                    + x.describe());
        }
        Tensor w = weight.transpose(0, 1); // [K, N] view of the [N, K] weight
        if (residual == null) {
            return ops.linear(x, w, bias, act);
        }
        return ops.linear(x, w, bias, act, residual);
    }
}
