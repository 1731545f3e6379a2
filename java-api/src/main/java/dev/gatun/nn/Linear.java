package dev.gatun.nn;

import dev.gatun.Activation;
import dev.gatun.Backend;
import dev.gatun.Ops;
import dev.gatun.PackedWeight;
import dev.gatun.Scope;
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
 * checkpoint needs no copy. {@link #packed} makes the other trade, a copy made once: in the
 * backend's own layout where it has one ({@link Ops#packWeight}; oneDNN's blocked layout on
 * the native backend, about a third faster when x has few rows), else row-major [K, N]
 * (which oneDNN multiplies up to 1.6 times faster than the transposed view at few rows:
 * 102 us against 163 us at 15 x 384 x 1536 on a 2-core Zen 4); either can hold several
 * layers side by side, so that one product computes all of them.
 */
public final class Linear {
    private final long in; // K
    private final long out; // N
    private final Tensor weight; // [N, K], or null when only the backend's packed copy exists
    private final Tensor bias;
    private final Tensor rows; // [K, N] view or copy of weight, or null with weight
    private final PackedWeight packed; // the backend's own layout, or null

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
        this.in = weight.dim(1);
        this.out = weight.dim(0);
        this.weight = weight;
        this.bias = bias;
        this.rows = weight.transpose(0, 1);
        this.packed = null;
    }

    /** A layer over a [K, N] matrix, or over a backend's packed weight (rows null). */
    private Linear(Tensor rows, Tensor bias, PackedWeight packed) {
        this.in = rows != null ? rows.dim(0) : packed.k();
        this.out = rows != null ? rows.dim(1) : packed.n();
        this.weight = rows == null ? null : rows.transpose(0, 1);
        this.bias = bias;
        this.rows = rows;
        this.packed = packed;
    }

    /**
     * One layer computing {@code parts} side by side, its weight copied once into
     * {@code ops.scope()}: theirs stacked along N ([N1 + N2 + ..., K]) in the backend's own
     * layout where it has one ({@link Ops#packWeight}), else as one contiguous row-major
     * [K, N1 + N2 + ...] matrix on the backend's device. Its bias is theirs joined (zeros for
     * a part without bias; none if no part has one), its output each part's output in turn
     * along the last axis. One part alone gives that part in the faster layout.
     *
     * <p>A layer in a backend's own layout runs on that backend only (its {@link #weight()}
     * is null); a row-major one runs on any backend of its device.
     *
     * @throws IllegalArgumentException if there are no parts, they differ in K, dtype or
     *     device, or a part is itself in a backend's own layout
     */
    public static Linear packed(Ops ops, Linear... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("Linear.packed: needs at least one layer");
        }
        Linear first = parts[0];
        long n = 0;
        boolean anyBias = false;
        for (Linear p : parts) {
            if (p.rows == null) {
                throw new IllegalArgumentException("Linear.packed: " + p.describe()
                        + " is in its backend's own layout already");
            }
            if (p.in != first.in || p.rows.dtype() != first.rows.dtype()
                    || p.rows.device() != first.rows.device()) {
                throw new IllegalArgumentException("Linear.packed: every layer must read the "
                        + "same K in the same dtype on the same device, got "
                        + first.describe() + " and " + p.describe());
            }
            n += p.out;
            anyBias |= p.bias != null;
        }
        Backend backend = ops.backend();
        Tensor bias = anyBias ? backend.allocate(ops.scope(), first.rows.dtype(), n) : null;
        if (bias != null) {
            long at = 0;
            for (Linear p : parts) {
                if (p.bias != null) {
                    backend.copy(p.bias, bias.slice(0, at, at + p.out));
                }
                at += p.out;
            }
        }
        // the row-major matrix is staged in a scope of its own: with a packed copy it is
        // not kept
        try (Scope staging = Scope.open()) {
            PackedWeight packed = ops.packWeight(stack(backend, staging, parts, n));
            if (packed != null) {
                return new Linear(null, bias, packed);
            }
        }
        return new Linear(stack(backend, ops.scope(), parts, n), bias, null);
    }

    /** The parts' [K, N] matrices side by side in one [K, sum of N] tensor in scope. */
    private static Tensor stack(Backend backend, Scope scope, Linear[] parts, long n) {
        Tensor rows = backend.allocateUninitialized(scope, parts[0].rows.dtype(),
                parts[0].in, n);
        long at = 0;
        for (Linear p : parts) {
            backend.copy(p.rows, rows.slice(1, at, at + p.out));
            at += p.out;
        }
        return rows;
    }

    /** A layer without bias; weight [N, K]. */
    public Linear(Tensor weight) {
        this(weight, null);
    }

    /** The weight, [N, K]; null for a layer in a backend's own layout ({@link #packed}). */
    public Tensor weight() {
        return weight;
    }

    /** The bias [N], or null. */
    public Tensor bias() {
        return bias;
    }

    /** K, the width of an input row. */
    public long inFeatures() {
        return in;
    }

    /** N, the width of an output row. */
    public long outFeatures() {
        return out;
    }

    /** A short description of the weight for messages. */
    public String describe() {
        return weight != null ? "weight " + weight.describe() : packed.describe();
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
     * @throws IllegalArgumentException if a shape or dtype does not fit, or this layer is in
     *     another backend's own layout
     */
    public Tensor forward(Ops ops, Tensor x, Activation act, Tensor residual) {
        if (x.rank() < 1 || x.dim(-1) != in) {
            throw new IllegalArgumentException("Linear: x must be [..., K] with K = " + in
                    + " (" + describe() + "), got " + x.describe());
        }
        if (packed != null && packed.backend() == ops.backend()) {
            return ops.linear(x, packed, bias, act, residual);
        }
        if (rows == null) {
            throw new IllegalArgumentException("Linear: this layer is " + packed.describe()
                    + " and runs only there, not on " + ops.backend().name());
        }
        if (residual == null) {
            return ops.linear(x, rows, bias, act);
        }
        return ops.linear(x, rows, bias, act, residual);
    }
}
