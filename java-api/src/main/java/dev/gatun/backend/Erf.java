package dev.gatun.backend;

/**
 * The error function and its complement in double precision, accurate to about 1e-7
 * relative, for the exact GELU.
 *
 * <p>Two pieces: below 1 the Maclaurin series, which converges in under twenty terms there
 * and is exact to rounding; from 1 up the Chebyshev fit of erfc published in Numerical
 * Recipes (2nd ed., section 6.2), whose relative error is below 1.2e-7 for every argument.
 * erf(x) = 1 - erfc(x) is formed only where erfc(x) < 0.16, so the fit's error does not
 * grow through cancellation, and erfc(x) = 1 - erf(x) only where erf(x) < 0.85.
 */
final class Erf {
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    private static final double SERIES_LIMIT = 1.0;

    private Erf() {}

    /** erf(x) = 2/sqrt(pi) times the integral of exp(-t^2) from 0 to x. */
    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < SERIES_LIMIT) {
            return series(x);
        }
        double e = 1 - erfcFit(ax);
        return x < 0 ? -e : e;
    }

    /** erfc(x) = 1 - erf(x), without cancellation for large x. */
    static double erfc(double x) {
        if (x < 0) {
            return 2 - erfc(-x);
        }
        return x < SERIES_LIMIT ? 1 - series(x) : erfcFit(x);
    }

    /** erf by its Maclaurin series: 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1)). */
    private static double series(double x) {
        double x2 = x * x;
        double term = x; // (-1)^n x^(2n+1) / n!
        double sum = x;
        for (int n = 1; n < 40; n++) {
            term *= -x2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
                break;
            }
        }
        return TWO_OVER_SQRT_PI * sum;
    }

    /** erfc(z) for z >= 0 by the Numerical Recipes Chebyshev fit (relative error < 1.2e-7). */
    private static double erfcFit(double z) {
        double t = 1 / (1 + 0.5 * z);
        double poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277))))))));
        return t * Math.exp(-z * z + poly);
    }
}
