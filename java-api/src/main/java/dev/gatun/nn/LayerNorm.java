package dev.gatun.nn;

import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.Tensor;

/**
 * Layer normalisation, {@code (x - mean) / sqrt(var + eps) * gamma + beta} over each row.
 *
 * <pre>{@code
 * LayerNorm norm = new LayerNorm(gamma, beta, 1e-12f);  // gamma, beta F32 [C]
 * Tensor y = norm.forward(ops, x, residual);            // LN(x + residual), [B, T, C]
 * }</pre>
 */
public final class LayerNorm implements Norm {
    private final Tensor gamma;
    private final Tensor beta;
    private final float eps;

    /**
     * A layer norm with scale {@code gamma} and shift {@code beta}, both F32 [C].
     *
     * @param beta F32 [C], or null for no shift
     * @throws IllegalArgumentException if gamma or beta is not F32 [C], or eps is not
     *     positive
     */
    public LayerNorm(Tensor gamma, Tensor beta, float eps) {
        checkGamma("LayerNorm", "gamma", gamma, gamma.rank() == 1 ? gamma.dim(0) : -1);
        if (beta != null) {
            checkGamma("LayerNorm", "beta", beta, gamma.dim(0));
        }
        checkEps("LayerNorm", eps);
        this.gamma = gamma;
        this.beta = beta;
        this.eps = eps;
    }

    @Override
    public long width() {
        return gamma.dim(0);
    }

    /** The scale, F32 [C]. */
    public Tensor gamma() {
        return gamma;
    }

    /** The shift, F32 [C], or null. */
    public Tensor beta() {
        return beta;
    }

    /** The epsilon added to the variance. */
    public float eps() {
        return eps;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if x's last dimension is not C
     */
    @Override
    public Tensor forward(Ops ops, Tensor x, Tensor residual) {
        checkInput("LayerNorm", x, width());
        return ops.layerNorm(x, residual, gamma, beta, eps);
    }

    static void checkGamma(String op, String name, Tensor t, long c) {
        if (t.dtype() != DType.F32 || t.rank() != 1 || t.dim(0) != c) {
            throw new IllegalArgumentException(op + ": " + name + " must be F32 [C]"
                    + (c >= 0 ? " = [" + c + "]" : "") + ", got " + t.describe());
        }
    }

    static void checkEps(String op, float eps) {
        if (!(eps > 0) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps must be positive and finite, got "
                    + eps);
        }
    }

    static void checkInput(String op, Tensor x, long c) {
        if (x.rank() < 1 || x.dim(-1) != c) {
            throw new IllegalArgumentException(op + ": x must be [..., C] with C = " + c
                    + ", got " + x.describe());
        }
    }
}
