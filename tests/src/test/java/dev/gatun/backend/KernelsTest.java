package dev.gatun.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatun.Activation;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@link JavaKernels} method of the scalar kernels and of the kernels this JVM picks
 * (vector when the incubator module is present) against float64, at lengths 0, 1, around
 * the vector width and odd, with nonzero offsets, so tails and masks are exercised.
 */
class KernelsTest {
    private static final int[] LENGTHS = {0, 1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 67, 130};

    static Stream<JavaKernels> kernels() {
        return Stream.of(JavaKernels.scalar(), new JavaBackend().kernels());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void gemmAddsIntoC(JavaKernels kern) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        int[] dims = {1, 2, 3, 4, 5, 17, 33, 40};
        for (int m : dims) {
            for (int n : dims) {
                for (int k : new int[] {0, 1, 7, 33}) {
                    int lda = k + 2;
                    int ldb = n + 3;
                    int ldc = n + 1;
                    float[] a = random(rng, 5 + m * lda);
                    float[] b = random(rng, 7 + k * ldb);
                    float[] c = random(rng, 2 + m * ldc);
                    double[] ref = new double[c.length];
                    for (int i = 0; i < c.length; i++) {
                        ref[i] = c[i];
                    }
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            for (int p = 0; p < k; p++) {
                                ref[2 + i * ldc + j] += (double) a[5 + i * lda + p]
                                        * b[7 + p * ldb + j];
                            }
                        }
                    }
                    kern.gemm(m, n, k, a, 5, lda, b, 7, ldb, c, 2, ldc);
                    for (int i = 0; i < c.length; i++) {
                        // padding between rows must stay untouched, so compare everything
                        assertEquals(ref[i], c[i], 1e-5 * (1 + Math.abs(ref[i])), "seed=" + seed
                                + " " + kern.name() + " gemm m,n,k=" + m + "," + n + "," + k
                                + " at " + i);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void reductionsAndUpdates(JavaKernels kern) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        for (int n : LENGTHS) {
            String what = "seed=" + seed + " " + kern.name() + " n=" + n;
            float[] x = random(rng, n + 3);
            float[] y = random(rng, n + 5);
            double dot = 0;
            double sum = 0;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                dot += (double) x[3 + i] * y[5 + i];
                sum += x[3 + i];
                max = Math.max(max, x[3 + i]);
            }
            assertEquals(dot, kern.dot(x, 3, y, 5, n), 1e-5 * (1 + n), what + " dot");
            assertEquals(sum, kern.sum(x, 3, n), 1e-5 * (1 + n), what + " sum");
            assertEquals((float) max, kern.max(x, 3, n), what + " max");

            float[] yAxpy = y.clone();
            kern.axpy(0.75f, x, 3, yAxpy, 5, n);
            float[] scaled = x.clone();
            kern.scale(scaled, 3, n, -2.5f);
            float[] e = x.clone();
            float expSum = kern.expSum(e, 3, n, 0.5f);
            double refExpSum = 0;
            for (int i = 0; i < n + 5; i++) {
                double expect = i < 5 ? y[i] : y[i] + 0.75 * x[i - 2];
                assertEquals(expect, yAxpy[i], 1e-6, what + " axpy at " + i);
            }
            for (int i = 0; i < n + 3; i++) {
                boolean inside = i >= 3;
                double expScaled = inside ? -2.5 * x[i] : x[i];
                double expExp = inside ? Math.exp(x[i] - 0.5) : x[i];
                refExpSum += inside ? expExp : 0;
                assertEquals(expScaled, scaled[i], 1e-6, what + " scale at " + i);
                assertEquals(expExp, e[i], 2e-7 * Math.abs(expExp) + 1e-30, what
                        + " expSum value at " + i);
            }
            assertEquals(refExpSum, expSum, 1e-6 * (1 + refExpSum), what + " expSum total");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void activationsOnEveryLengthAndRange(JavaKernels kern) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        for (Activation act : Activation.values()) {
            for (int n : LENGTHS) {
                float[] x = new float[n + 2];
                for (int i = 0; i < x.length; i++) {
                    // spread over [-12, 12]: both erf branches, the tails, and zero
                    x[i] = (float) (24 * rng.nextDouble() - 12) * (i % 3 == 0 ? 0.05f : 1);
                }
                float[] y = x.clone();
                kern.activation(act, y, 2, n);
                for (int i = 0; i < x.length; i++) {
                    double ref = i < 2 ? x[i] : reference(act, x[i]);
                    double err = Math.abs(y[i] - ref);
                    assertTrue(err <= 2e-6 * Math.max(Math.abs(ref), 1e-2), "seed=" + seed
                            + " " + kern.name() + " " + act + " n=" + n + " x=" + x[i]
                            + ": got " + y[i] + ", expected " + ref);
                }
            }
        }
    }

    /** act(x) in double, GELU through erf from its series and continued fraction. */
    private static double reference(Activation act, double x) {
        return switch (act) {
            case NONE -> x;
            case GELU_ERF -> 0.5 * x * erfc(-x / Math.sqrt(2));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI)
                    * (x + 0.044715 * x * x * x)));
            case SILU -> x / (1 + Math.exp(-x));
        };
    }

    /** erfc by its series below 2 and its continued fraction above (see ErfTest). */
    private static double erfc(double x) {
        if (x < 0) {
            return 2 - erfc(-x);
        }
        if (x >= 2) {
            double f = x;
            for (int n = 400; n >= 1; n--) {
                f = x + (n / 2.0) / f;
            }
            return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
        }
        double term = x;
        double sum = x;
        for (int n = 1; n < 200 && Math.abs(term) > 1e-22; n++) {
            term *= -x * x / n;
            sum += term / (2 * n + 1);
        }
        return 1 - 2 / Math.sqrt(Math.PI) * sum;
    }

    private static float[] random(Random rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = 2 * rng.nextFloat() - 1;
        }
        return v;
    }
}
