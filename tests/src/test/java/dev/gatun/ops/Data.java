package dev.gatun.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatun.DType;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.util.Random;

/**
 * Inputs and comparisons for the op tests: random tensors in the layouts the ops must read
 * (contiguous, padded rows, transposed), the tolerance of each dtype, and the relative norm
 * error ||got - ref|| / ||ref|| against a float64 reference.
 */
final class Data {
    private Data() {}

    /** The layouts a matrix operand [rows, cols] is given in. */
    enum Layout {
        /** Row-major, rows contiguous. */
        CONTIGUOUS,
        /** Row-major slice of a wider matrix: row stride cols + 5. */
        PADDED,
        /** The transpose of a row-major [cols, rows] matrix: strides (1, rows). */
        TRANSPOSED
    }

    /** Relative norm error allowed for results stored in {@code dtype}. */
    static double tolerance(DType dtype) {
        return switch (dtype) {
            case F32 -> 1e-5;
            case F16 -> 2e-3;
            case BF16 -> 1e-2;
            case I32 -> 0;
        };
    }

    /** Uniform values in [lo, hi). */
    static float[] uniform(Random rng, int n, float lo, float hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + (hi - lo) * rng.nextFloat();
        }
        return v;
    }

    /** A contiguous tensor of uniform values in [-1, 1). */
    static Tensor random(Scope scope, Random rng, DType dtype, long... shape) {
        int n = Math.toIntExact(numel(shape));
        return Tensor.fromFloats(scope, dtype, uniform(rng, n, -1, 1), shape);
    }

    /** A [rows, cols] matrix of values in [-1, 1) in the given layout. */
    static Tensor matrix(Scope scope, Random rng, DType dtype, Layout layout, long rows,
                         long cols) {
        return switch (layout) {
            case CONTIGUOUS -> random(scope, rng, dtype, rows, cols);
            case PADDED -> random(scope, rng, dtype, rows, cols + 5).slice(1, 0, cols);
            case TRANSPOSED -> random(scope, rng, dtype, cols, rows).transpose(0, 1);
        };
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** The tensor's values in row-major order, widened to double. */
    static double[] values(Tensor t) {
        float[] f = t.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** ||got - ref|| / ||ref||, or ||got - ref|| when ref is all zeros. */
    static double relativeError(double[] ref, float[] got) {
        return relativeError(ref, got, 0);
    }

    /**
     * ||got - ref|| / max(||ref||, floor·sqrt(n)): relative error, but measured against an
     * RMS of at least {@code floor}, so that a result of only tiny values is held to an
     * absolute bound (see {@link #assertClose(double[], Tensor, long[], double, double,
     * String)}).
     */
    static double relativeError(double[] ref, float[] got, double floor) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < ref.length; i++) {
            double e = got[i] - ref[i];
            num += e * e;
            den += ref[i] * ref[i];
        }
        den = Math.max(den, floor * floor * ref.length);
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /**
     * Asserts that {@code got} has {@code shape} and is within {@code tol} relative norm
     * error of {@code ref}, with no NaN; {@code what} (seed included) heads every message.
     */
    static void assertClose(double[] ref, Tensor got, long[] shape, double tol, String what) {
        assertClose(ref, got, shape, tol, 0, what);
    }

    /**
     * As {@link #assertClose(double[], Tensor, long[], double, String)}, with the error
     * measured against an RMS of at least {@code floor}: relative for results of that size
     * and more, absolute (tol x floor) below, ActivationTest's rule for the negative tails
     * of GELU, where an fp32 kernel forming 1 + erf(x) is exact only in absolute terms.
     */
    static void assertClose(double[] ref, Tensor got, long[] shape, double tol, double floor,
                            String what) {
        assertArrayEquals(shape, got.shape(), what + ": shape");
        float[] g = got.toFloatArray();
        assertEquals(ref.length, g.length, what + ": element count");
        for (int i = 0; i < g.length; i++) {
            if (Float.isNaN(g[i]) && !Double.isNaN(ref[i])) {
                throw new AssertionError(what + ": NaN at flat index " + i + ", expected "
                        + ref[i]);
            }
        }
        double err = relativeError(ref, g, floor);
        assertTrue(err <= tol, () -> what + ": relative error " + err + " > " + tol
                + " (first values: got " + head(g) + ", expected " + head(ref) + ")");
    }

    private static String head(float[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < Math.min(4, v.length); i++) {
            sb.append(i > 0 ? ", " : "").append(v[i]);
        }
        return sb.append(v.length > 4 ? ", ...]" : "]").toString();
    }

    private static String head(double[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < Math.min(4, v.length); i++) {
            sb.append(i > 0 ? ", " : "").append(v[i]);
        }
        return sb.append(v.length > 4 ? ", ...]" : "]").toString();
    }
}
