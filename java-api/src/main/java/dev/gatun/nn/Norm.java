package dev.gatun.nn;

import dev.gatun.Ops;
import dev.gatun.Tensor;

/** A normalisation over the last dimension: {@link LayerNorm} or {@link RMSNorm}. */
public sealed interface Norm permits LayerNorm, RMSNorm {

    /** C, the width normalised. */
    long width();

    /**
     * Normalises each row of x.
     *
     * @param x [..., C]
     * @return [..., C] in x's dtype, owned by {@code ops.scope()}
     */
    default Tensor forward(Ops ops, Tensor x) {
        return forward(ops, x, null);
    }

    /**
     * Normalises each row of {@code x + residual}, the add fused into the norm.
     *
     * @param x        [..., C]
     * @param residual [..., C] in x's dtype, or null
     * @return [..., C] in x's dtype, owned by {@code ops.scope()}
     */
    Tensor forward(Ops ops, Tensor x, Tensor residual);
}
