package dev.gatun.backend;

/**
 * The error function and its complement in double precision, accurate to about 1e-7
 * relative, for the exact GELU.
 *
 * <p>Two pieces: below 1 the Maclaurin series to degree 25, exact there to about 1e-11;
 * from 1 up the Chebyshev fit of erfc published in Numerical Recipes (2nd ed., section
 * 6.2), whose relative error is below 1.2e-7 for every argument.
 * erf(x) = 1 - erfc(x) is formed only where erfc(x) < 0.16, so the fit's error does not
 * grow through cancellation, and erfc(x) = 1 - erf(x) only where erf(x) < 0.85.
 */
final class Erf {
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    private static final double SERIES_LIMIT = 1.0;

    /** (-1)^n / (n! (2n+1)) for n in [0, 12]. */
    private static final double[] SERIES = new double[13];

    static {
        double factorial = 1;
        for (int n = 0; n < SERIES.length; n++) {
            factorial *= Math.max(n, 1);
            SERIES[n] = (n % 2 == 0 ? 1 : -1) / (factorial * (2 * n + 1));
        }
    }

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

    /**
     * erf by its Maclaurin series, 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1)), cut after
     * n = 12 and evaluated by Horner's rule in x^2. For |x| < 1 the series alternates with
     * shrinking terms, so the cut costs less than the first term left out, 6e-12.
     */
    private static double series(double x) {
        double x2 = x * x;
        double sum = SERIES[SERIES.length - 1];
        for (int n = SERIES.length - 2; n >= 0; n--) {
            sum = sum * x2 + SERIES[n];
        }
        return TWO_OVER_SQRT_PI * x * sum;
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
