package dev.gatun.vector;

import dev.gatun.Activation;
import dev.gatun.backend.JavaKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link JavaKernels} on the incubating Vector API, at the machine's preferred width (16
 * floats with AVX-512, 8 with AVX2).
 *
 * <p>Loaded by {@link dev.gatun.backend.JavaBackend} through {@link java.util.ServiceLoader}
 * only when the JVM runs with {@code --add-modules jdk.incubator.vector}; nothing else in
 * Gatun touches this class. Every method accumulates in fp32 in several vector lanes, so
 * sums differ from the scalar kernels' only by the order of additions.
 *
 * <p>Results do not depend on how far the JIT has compiled this class: lanes are summed in
 * a fixed order ({@link #sumLanes}), not by {@code reduceLanes(ADD)}, whose order the Vector
 * API leaves open (the interpreter and C2 add in different orders); exponentials (softmax,
 * the activations) are {@link #exp(FloatVector)}, built from exactly rounded lane
 * operations, never {@code lanewise(EXP)} (C2 calls a vector math library whose last bits
 * differ from the interpreter's, and on CPUs without it falls back to a slow loop). The same
 * input thus gives the same bits on the first call and the thousandth, on any thread.
 *
 * <p>The matrix kernel keeps a block of 4 rows x 2 vectors of C in registers while it walks
 * K, loading two vectors of B and broadcasting one element of A per row at each step;
 * columns left over are done one vector at a time under a mask, rows left over one at a
 * time.
 */
public final class VectorKernels implements JavaKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private static final float LOG2E = 1.44269504f;
    /** ln 2 split so that n * LN2_HI is exact for |n| < 2^10 (Cody and Waite). */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float to the nearest integer. */
    private static final float ROUND = 12582912f;
    /** exp(r) = 1 + r + r^2 P(r) on [-ln2/2, ln2/2], P's coefficients r^5 first (Cephes). */
    private static final float[] EXP_POLY = {1.9875691500e-4f, 1.3981999507e-3f,
        8.3334519073e-3f, 4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};
    private static final float INV_SQRT2 = 0.70710678f;
    private static final float SQRT_2_OVER_PI = 0.7978845608f;
    private static final float TWO_OVER_SQRT_PI = 1.1283791671f;

    /** (-1)^n / (n! (2n+1)), n in [0, 10]: erf's Maclaurin series, cut below 2e-9 at u < 1. */
    private static final float[] ERF_SERIES = new float[11];

    /** The Numerical Recipes Chebyshev fit of erfc (see dev.gatun.backend.Erf), t^0 first. */
    private static final float[] ERFC_FIT = {-1.26551223f, 1.00002368f, 0.37409196f,
        0.09678418f, -0.18628806f, 0.27886807f, -1.13520398f, 1.48851587f, -0.82215223f,
        0.17087277f};

    static {
        double factorial = 1;
        for (int n = 0; n < ERF_SERIES.length; n++) {
            factorial *= Math.max(n, 1);
            ERF_SERIES[n] = (float) ((n % 2 == 0 ? 1 : -1) / (factorial * (2 * n + 1)));
        }
    }

    /** Called by {@link java.util.ServiceLoader}. */
    public VectorKernels() {}

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public String toString() {
        return "FloatVector " + S.vectorBitSize() + " bits, " + L + " lanes";
    }

    @Override
    public void gemm(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff,
                     int ldb, float[] c, int cOff, int ldc) {
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            rows4(n, k, a, aOff + i * lda, lda, b, bOff, ldb, c, cOff + i * ldc, ldc);
        }
        for (; i < m; i++) {
            row1(n, k, a, aOff + i * lda, b, bOff, ldb, c, cOff + i * ldc);
        }
    }

    /**
     * C[4, n] += A[4, k] B[k, n]: blocks of two vectors of columns, then the columns left
     * over one vector at a time under a mask.
     *
     * <p>Three methods, not one: as one method C1's register allocator gives up on it ("out
     * of virtual registers"), and a JVM that had first compiled it at C1's limited-profile
     * tier (which it does when C2's queue is long) never moved it on to C2, leaving every
     * matmul of the Java backend about 20 times slower for the life of the process.
     */
    private static void rows4(int n, int k, float[] a, int a0, int lda, float[] b, int bOff,
                              int ldb, float[] c, int c0, int ldc) {
        int a1 = a0 + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        int c1 = c0 + ldc;
        int c2 = c1 + ldc;
        int c3 = c2 + ldc;
        int j = 0;
        for (; j + 2 * L <= n; j += 2 * L) {
            rows4Block(k, a, a0, a1, a2, a3, b, bOff + j, ldb, c, c0 + j, c1 + j, c2 + j,
                    c3 + j);
        }
        for (; j < n; j += L) {
            rows4Masked(n - j, k, a, a0, a1, a2, a3, b, bOff + j, ldb, c, c0 + j, c1 + j,
                    c2 + j, c3 + j);
        }
    }

    /** C[4, 2L] += A[4, k] B[k, 2L], rows of A at a0..a3 and of C at c0..c3. */
    private static void rows4Block(int k, float[] a, int a0, int a1, int a2, int a3,
                                   float[] b, int bOff, int ldb, float[] c, int c0, int c1,
                                   int c2, int c3) {
        FloatVector x00 = FloatVector.fromArray(S, c, c0);
        FloatVector x01 = FloatVector.fromArray(S, c, c0 + L);
        FloatVector x10 = FloatVector.fromArray(S, c, c1);
        FloatVector x11 = FloatVector.fromArray(S, c, c1 + L);
        FloatVector x20 = FloatVector.fromArray(S, c, c2);
        FloatVector x21 = FloatVector.fromArray(S, c, c2 + L);
        FloatVector x30 = FloatVector.fromArray(S, c, c3);
        FloatVector x31 = FloatVector.fromArray(S, c, c3 + L);
        for (int p = 0; p < k; p++) {
            int bp = bOff + p * ldb;
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
            FloatVector av = FloatVector.broadcast(S, a[a0 + p]);
            x00 = av.fma(b0, x00);
            x01 = av.fma(b1, x01);
            av = FloatVector.broadcast(S, a[a1 + p]);
            x10 = av.fma(b0, x10);
            x11 = av.fma(b1, x11);
            av = FloatVector.broadcast(S, a[a2 + p]);
            x20 = av.fma(b0, x20);
            x21 = av.fma(b1, x21);
            av = FloatVector.broadcast(S, a[a3 + p]);
            x30 = av.fma(b0, x30);
            x31 = av.fma(b1, x31);
        }
        x00.intoArray(c, c0);
        x01.intoArray(c, c0 + L);
        x10.intoArray(c, c1);
        x11.intoArray(c, c1 + L);
        x20.intoArray(c, c2);
        x21.intoArray(c, c2 + L);
        x30.intoArray(c, c3);
        x31.intoArray(c, c3 + L);
    }

    /** C[4, cols] += A[4, k] B[k, cols] for the first min(cols, L) columns, under a mask. */
    private static void rows4Masked(int cols, int k, float[] a, int a0, int a1, int a2,
                                    int a3, float[] b, int bOff, int ldb, float[] c, int c0,
                                    int c1, int c2, int c3) {
        VectorMask<Float> mask = S.indexInRange(0, cols);
        FloatVector x0 = FloatVector.fromArray(S, c, c0, mask);
        FloatVector x1 = FloatVector.fromArray(S, c, c1, mask);
        FloatVector x2 = FloatVector.fromArray(S, c, c2, mask);
        FloatVector x3 = FloatVector.fromArray(S, c, c3, mask);
        for (int p = 0; p < k; p++) {
            FloatVector bv = FloatVector.fromArray(S, b, bOff + p * ldb, mask);
            x0 = FloatVector.broadcast(S, a[a0 + p]).fma(bv, x0);
            x1 = FloatVector.broadcast(S, a[a1 + p]).fma(bv, x1);
            x2 = FloatVector.broadcast(S, a[a2 + p]).fma(bv, x2);
            x3 = FloatVector.broadcast(S, a[a3 + p]).fma(bv, x3);
        }
        x0.intoArray(c, c0, mask);
        x1.intoArray(c, c1, mask);
        x2.intoArray(c, c2, mask);
        x3.intoArray(c, c3, mask);
    }

    /** C[1, n] += A[1, k] B[k, n]. */
    private static void row1(int n, int k, float[] a, int a0, float[] b, int bOff, int ldb,
                             float[] c, int c0) {
        int j = 0;
        for (; j + 2 * L <= n; j += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(S, c, c0 + j);
            FloatVector x1 = FloatVector.fromArray(S, c, c0 + j + L);
            for (int p = 0; p < k; p++) {
                int bp = bOff + p * ldb + j;
                FloatVector av = FloatVector.broadcast(S, a[a0 + p]);
                x0 = av.fma(FloatVector.fromArray(S, b, bp), x0);
                x1 = av.fma(FloatVector.fromArray(S, b, bp + L), x1);
            }
            x0.intoArray(c, c0 + j);
            x1.intoArray(c, c0 + j + L);
        }
        for (; j < n; j += L) {
            VectorMask<Float> mask = S.indexInRange(j, n);
            FloatVector x = FloatVector.fromArray(S, c, c0 + j, mask);
            for (int p = 0; p < k; p++) {
                FloatVector bv = FloatVector.fromArray(S, b, bOff + p * ldb + j, mask);
                x = FloatVector.broadcast(S, a[a0 + p]).fma(bv, x);
            }
            x.intoArray(c, c0 + j, mask);
        }
    }

    @Override
    public float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector acc0 = FloatVector.zero(S);
        FloatVector acc1 = FloatVector.zero(S);
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            acc0 = FloatVector.fromArray(S, x, xOff + i)
                    .fma(FloatVector.fromArray(S, y, yOff + i), acc0);
            acc1 = FloatVector.fromArray(S, x, xOff + i + L)
                    .fma(FloatVector.fromArray(S, y, yOff + i + L), acc1);
        }
        for (; i + L <= n; i += L) {
            acc0 = FloatVector.fromArray(S, x, xOff + i)
                    .fma(FloatVector.fromArray(S, y, yOff + i), acc0);
        }
        float s = sumLanes(acc0.add(acc1));
        for (; i < n; i++) {
            s = Math.fma(x[xOff + i], y[yOff + i], s);
        }
        return s;
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector av = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(S, x, xOff + i)
                    .fma(av, FloatVector.fromArray(S, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] = Math.fma(alpha, x[xOff + i], y[yOff + i]);
        }
    }

    @Override
    public float sum(float[] x, int off, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i + L <= n; i += L) {
            acc = acc.add(FloatVector.fromArray(S, x, off + i));
        }
        float s = sumLanes(acc);
        for (; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    @Override
    public float max(float[] x, int off, int n) {
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i + L <= n; i += L) {
            acc = acc.max(FloatVector.fromArray(S, x, off + i));
        }
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    @Override
    public float expSum(float[] x, int off, int n, float shift) {
        // exp by this class's own exp (see the class notes), the tail under a mask
        int i = 0;
        for (; i + L <= n; i += L) {
            exp(FloatVector.fromArray(S, x, off + i).sub(shift)).intoArray(x, off + i);
        }
        if (i < n) {
            VectorMask<Float> mask = S.indexInRange(i, n);
            exp(FloatVector.fromArray(S, x, off + i, mask).sub(shift))
                    .intoArray(x, off + i, mask);
        }
        return sum(x, off, n);
    }

    /**
     * The lanes of {@code v} added first to last: one order in every JIT tier. (A tree of
     * rearranges would keep the sum in registers, but C2 does not compile it into shuffles
     * here and it runs about ten times slower.)
     */
    private static float sumLanes(FloatVector v) {
        float[] lanes = v.toArray();
        float s = 0;
        for (float lane : lanes) {
            s += lane;
        }
        return s;
    }

    @Override
    public void scale(float[] x, int off, int n, float factor) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(S, x, off + i).mul(factor).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] *= factor;
        }
    }

    @Override
    public void activation(Activation act, float[] x, int off, int n) {
        if (act == Activation.NONE) {
            return;
        }
        int i = 0;
        for (; i + L <= n; i += L) {
            apply(act, FloatVector.fromArray(S, x, off + i)).intoArray(x, off + i);
        }
        if (i < n) {
            VectorMask<Float> mask = S.indexInRange(i, n);
            apply(act, FloatVector.fromArray(S, x, off + i, mask)).intoArray(x, off + i, mask);
        }
    }

    private static FloatVector apply(Activation act, FloatVector v) {
        return switch (act) {
            case NONE -> v;
            case SILU -> v.div(exp(v.neg()).add(1f));
            case GELU_TANH -> {
                // 0.5 x (1 + tanh z) = x / (1 + exp(-2z)), free of cancellation for x < 0
                FloatVector z = v.mul(v).mul(0.044715f).add(1f).mul(v).mul(SQRT_2_OVER_PI);
                yield v.div(exp(z.mul(-2f)).add(1f));
            }
            case GELU_ERF -> geluErf(v);
        };
    }

    /**
     * e^x per lane to within 2 ulp, from operations the Vector API rounds exactly (add, mul,
     * fma, conversions), so the interpreter and C2 agree bit for bit: x = n ln2 + r with
     * |r| <= ln2/2, e^r by a polynomial, times 2^n made from its bits. x is clamped to
     * [-87, 88], where 2^n stays a normal float: e^x below e^-87 comes out near 1.6e-38
     * instead of smaller (or 0), above e^88 as 1.65e38 instead of larger (or infinity);
     * NaN stays NaN.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(-87f).min(88f);
        FloatVector n = c.fma(LOG2E, ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), c);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(S, EXP_POLY[0]);
        for (int k = 1; k < EXP_POLY.length; k++) {
            p = p.fma(r, FloatVector.broadcast(S, EXP_POLY[k]));
        }
        FloatVector er = p.fma(r.mul(r), r.add(1f));
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127)
                .lanewise(VectorOperators.LSHL, 23);
        return er.mul(bits.reinterpretAsFloats());
    }

    /**
     * x/2 (1 + erf(x / sqrt 2)), as dev.gatun.backend.Erf computes it but in float: with
     * u = |x| / sqrt 2, erf(u) by its series below 1 and erfc(u) by the Chebyshev fit from
     * 1 up; then x/2 (1 + erf(u)) for x >= 0 and x/2 erfc(u) for x < 0, so no result is a
     * difference of nearly equal numbers.
     */
    private static FloatVector geluErf(FloatVector x) {
        FloatVector u = x.abs().mul(INV_SQRT2);
        FloatVector u2 = u.mul(u);

        // erf(u) for u < 1
        FloatVector series = FloatVector.broadcast(S, ERF_SERIES[ERF_SERIES.length - 1]);
        for (int k = ERF_SERIES.length - 2; k >= 0; k--) {
            series = series.fma(u2, FloatVector.broadcast(S, ERF_SERIES[k]));
        }
        series = series.mul(u).mul(TWO_OVER_SQRT_PI);

        // erfc(u) for u >= 1: t exp(-u^2 + poly(t)), t = 1 / (1 + u/2)
        FloatVector t = FloatVector.broadcast(S, 1f).div(u.fma(0.5f, 1f));
        FloatVector poly = FloatVector.broadcast(S, ERFC_FIT[ERFC_FIT.length - 1]);
        for (int k = ERFC_FIT.length - 2; k >= 0; k--) {
            poly = poly.fma(t, FloatVector.broadcast(S, ERFC_FIT[k]));
        }
        FloatVector fit = exp(poly.sub(u2)).mul(t);

        VectorMask<Float> small = u.lt(1f);
        FloatVector erf = fit.neg().add(1f).blend(series, small);
        FloatVector erfc = fit.blend(series.neg().add(1f), small);
        FloatVector half = x.mul(0.5f);
        return half.mul(erf.add(1f)).blend(half.mul(erfc), x.lt(0f));
    }
}
