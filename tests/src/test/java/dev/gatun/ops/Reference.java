package dev.gatun.ops;

import dev.gatun.Activation;

/**
 * Plain float64 definitions the op tests compare against, written independently of Gatun's
 * kernels (no shared code with {@code dev.gatun.backend}). Public for the CUDA tests in
 * {@code dev.gatun.backend.cuda}.
 */
public final class Reference {
    private Reference() {}

    /** act(x) in double. */
    public static double activation(Activation act, double x) {
        return switch (act) {
            case NONE -> x;
            case GELU_ERF -> 0.5 * x * erfc(-x / Math.sqrt(2));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI)
                    * (x + 0.044715 * x * x * x)));
            case SILU -> x / (1 + Math.exp(-x));
        };
    }

    /**
     * erf by its Maclaurin series (|x| <= 3, exact to ~1e-13 there) and +-(1 - erfc) beyond.
     */
    static double erf(double x) {
        if (Math.abs(x) > 3) {
            return Math.signum(x) * (1 - erfcContinuedFraction(Math.abs(x)));
        }
        double term = x;
        double sum = x;
        for (int n = 1; n < 200; n++) {
            term *= -x * x / n;
            sum += term / (2 * n + 1);
            if (Math.abs(term) < 1e-20) {
                break;
            }
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    /** erfc(x) = 1 - erf(x), by a continued fraction for x >= 2 to keep its tail exact. */
    static double erfc(double x) {
        if (x >= 2) {
            return erfcContinuedFraction(x);
        }
        if (x <= -2) {
            return 2 - erfcContinuedFraction(-x);
        }
        return 1 - erf(x);
    }

    /**
     * erfc(x) = exp(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))), for
     * x >= 2, evaluated from the tail.
     */
    private static double erfcContinuedFraction(double x) {
        double f = x;
        for (int n = 300; n >= 1; n--) {
            f = x + (n / 2.0) / f;
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }
}
