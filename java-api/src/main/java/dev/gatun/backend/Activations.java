package dev.gatun.backend;

import dev.gatun.Activation;

/** The pointwise activations in double precision, rounded once to float (scalar kernels). */
final class Activations {
    private static final double INV_SQRT2 = 0.7071067811865476;
    private static final double SQRT_2_OVER_PI = 0.7978845608028654;

    private Activations() {}

    static float apply(Activation act, float x) {
        double v = x;
        return switch (act) {
            case NONE -> x;
            // for x < 0 the complement avoids 1 + erf cancelling to nothing
            case GELU_ERF -> (float) (x < 0 ? 0.5 * v * Erf.erfc(-v * INV_SQRT2)
                    : 0.5 * v * (1 + Erf.erf(v * INV_SQRT2)));
            // 0.5 (1 + tanh z) = 1 / (1 + exp(-2z)): the same value, without the
            // cancellation of 1 + tanh z for x far below 0
            case GELU_TANH -> (float) (v
                    / (1 + Math.exp(-2 * SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))));
            case SILU -> (float) (v / (1 + Math.exp(-v)));
        };
    }

    /** x = act(x) over x[off, off + n). */
    static void apply(Activation act, float[] x, int off, int n) {
        if (act == Activation.NONE) {
            return;
        }
        for (int i = off; i < off + n; i++) {
            x[i] = apply(act, x[i]);
        }
    }
}
