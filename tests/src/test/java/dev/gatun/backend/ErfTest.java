package dev.gatun.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@link Erf} against published values and against an independent float64 evaluation (the
 * Maclaurin series and the continued fraction of erfc, written here), over a dense grid.
 */
class ErfTest {

    @Test
    void publishedValues() {
        // Abramowitz and Stegun, table 7.1, and erfc values computed to 16 digits
        double[][] table = {
            {0.1, 0.1124629160182849}, {0.5, 0.5204998778130465},
            {1.0, 0.8427007929497149}, {1.5, 0.9661051464753108},
            {2.0, 0.9953222650189527}, {3.0, 0.9999779095030014},
        };
        for (double[] row : table) {
            assertEquals(row[1], Erf.erf(row[0]), 1.2e-7 * row[1], "erf(" + row[0] + ")");
            assertEquals(-row[1], Erf.erf(-row[0]), 1.2e-7 * row[1], "erf(-" + row[0] + ")");
        }
        assertEquals(2.209049699858544e-05, Erf.erfc(3.0), 1.2e-7 * 2.2e-5, "erfc(3)");
        assertEquals(1.541725790028002e-08, Erf.erfc(4.0), 1.2e-7 * 1.5e-8, "erfc(4)");
        assertEquals(0.0, Erf.erf(0.0), "erf(0)");
    }

    @Test
    void relativeErrorBelow2e7OnAGrid() {
        double worstErf = 0;
        double worstErfc = 0;
        for (double x = -6; x <= 6; x += 1e-3) {
            double ref = seriesOrTail(x);
            if (ref != 0) {
                worstErf = Math.max(worstErf, Math.abs(Erf.erf(x) - ref) / Math.abs(ref));
            }
        }
        for (double x = -3; x <= 9; x += 1e-3) {
            double ref = x >= 2 ? continuedFraction(x) : 1 - seriesOrTail(x);
            worstErfc = Math.max(worstErfc, Math.abs(Erf.erfc(x) - ref) / ref);
        }
        double e = worstErf;
        double c = worstErfc;
        assertTrue(e < 2e-7, () -> "worst relative error of erf on [-6, 6]: " + e);
        assertTrue(c < 2e-7, () -> "worst relative error of erfc on [-3, 9]: " + c);
    }

    @Test
    void tinyArgumentsKeepRelativeAccuracy() {
        for (double x : new double[] {1e-30, 1e-10, -3e-5, 1e-3}) {
            double ref = 2 / Math.sqrt(Math.PI) * (x - x * x * x / 3);
            assertEquals(ref, Erf.erf(x), Math.abs(ref) * 1e-12, "erf(" + x + ")");
        }
    }

    /** erf by the series for |x| <= 3, else +-(1 - erfc) by the continued fraction. */
    private static double seriesOrTail(double x) {
        if (Math.abs(x) > 3) {
            return Math.signum(x) * (1 - continuedFraction(Math.abs(x)));
        }
        double term = x;
        double sum = x;
        for (int n = 1; n < 200 && Math.abs(term) > 1e-22; n++) {
            term *= -x * x / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    /** erfc(x), x >= 2, as exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))). */
    private static double continuedFraction(double x) {
        double f = x;
        for (int n = 400; n >= 1; n--) {
            f = x + (n / 2.0) / f;
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }
}
