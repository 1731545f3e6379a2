package dev.gatun.nn;

import dev.gatun.Activation;
import dev.gatun.Backend;
import dev.gatun.Ops;
import dev.gatun.PackedWeight;
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
 * checkpoint needs no copy. {@link #packed} makes the other trade: one row-major [K, N] copy,
 * which oneDNN's CPU matmul multiplies up to 1.6 times faster when x has few rows (measured
 * at 15 x 384 x 1536 on a 2-core Zen 4: 102 us against 163 us), and which can hold several
 * layers side by side so that one product computes all of them.
 */
public final class Linear {
    private final Tensor weight; // [N, K]
    private final Tensor bias;
    private final Tensor rows; // [K, N], what the product multiplies by
    private final PackedWeight packed; // rows in its backend's own layout, or null

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
        this.rows = weight.transpose(0, 1);
        this.packed = null;
    }

    /** Over a [K, N] matrix and, when its backend has one, that matrix in its own layout. */
    private Linear(Tensor rows, Tensor bias, PackedWeight packed) {
        this.weight = rows.transpose(0, 1);
        this.bias = bias;
        this.rows = rows;
        this.packed = packed;
    }

    /**
     * One layer computing {@code parts} side by side: its weight is theirs stacked along N
     * ([N1 + N2 + ..., K]), stored as one contiguous row-major [K, N1 + N2 + ...] copy in
     * {@code ops.scope()} on the backend's device, its bias theirs joined (zeros for a part
     * without bias; none if no part has one). Its output holds each part's output in turn
     * along the last axis. One part alone gives that part in the packed layout. Where the
     * backend has a layout of its own for weights ({@link Ops#packWeight}: oneDNN's blocked
     * layout on the native backend) the layer also keeps that copy and multiplies by it on
     * that backend; on any other backend it multiplies by the row-major copy.
     *
     * @throws IllegalArgumentException if there are no parts, or they differ in K, dtype or
     *     device
     */
    public static Linear packed(Ops ops, Linear... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("Linear.packed: needs at least one layer");
        }
        Linear first = parts[0];
        long n = 0;
        boolean anyBias = false;
        for (Linear p : parts) {
            if (p.inFeatures() != first.inFeatures() || p.weight.dtype() != first.weight.dtype()
                    || p.weight.device() != first.weight.device()) {
                throw new IllegalArgumentException("Linear.packed: every layer must read the "
                        + "same K in the same dtype on the same device, got "
                        + first.weight.describe() + " and " + p.weight.describe());
            }
            n += p.outFeatures();
            anyBias |= p.bias != null;
        }
        Backend backend = ops.backend();
        Tensor rows = backend.allocateUninitialized(ops.scope(), first.weight.dtype(),
                first.inFeatures(), n);
        Tensor bias = anyBias ? backend.allocate(ops.scope(), first.weight.dtype(), n) : null;
        long at = 0;
        for (Linear p : parts) {
            long end = at + p.outFeatures();
            backend.copy(p.rows, rows.slice(1, at, end));
            if (p.bias != null) {
                backend.copy(p.bias, bias.slice(0, at, end));
            }
            at = end;
        }
        return new Linear(rows, bias, ops.packWeight(rows));
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
        if (packed != null && packed.backend() == ops.backend()) {
            return ops.linear(x, packed, bias, act, residual);
        }
        if (residual == null) {
            return ops.linear(x, rows, bias, act);
        }
        return ops.linear(x, rows, bias, act, residual);
    }
}
