package dev.gatun.nn;

import dev.gatun.Ops;
import dev.gatun.Tensor;

/**
 * Root-mean-square normalisation, {@code x / sqrt(mean(x^2) + eps) * gamma} over each row
 * (Llama's norm).
 *
 * <pre>{@code
 * RMSNorm norm = new RMSNorm(gamma, 1e-5f);   // gamma F32 [C]
 * Tensor y = norm.forward(ops, x);            // [B, T, C]
 * }</pre>
 */
public final class RMSNorm implements Norm {
    private final Tensor gamma;
    private final float eps;

    /**
     * An RMS norm with scale {@code gamma}, F32 [C].
     *
     * @throws IllegalArgumentException if gamma is not F32 [C] or eps is not positive
     */
    public RMSNorm(Tensor gamma, float eps) {
        LayerNorm.checkGamma("RMSNorm", "gamma", gamma, gamma.rank() == 1 ? gamma.dim(0) : -1);
        LayerNorm.checkEps("RMSNorm", eps);
        this.gamma = gamma;
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

    /** The epsilon added to the mean square. */
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
        LayerNorm.checkInput("RMSNorm", x, width());
        return ops.rmsNorm(x, residual, gamma, eps);
    }
}
