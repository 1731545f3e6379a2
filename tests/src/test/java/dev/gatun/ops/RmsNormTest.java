package dev.gatun.ops;

import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.ops.TestBackends.Case;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Ops#rmsNorm} against float64: awkward widths, with and without gamma and the fused
 * residual, rows padded inside a wider tensor.
 */
class RmsNormTest {

    static Stream<Arguments> cases() {
        return TestBackends.all().flatMap(c -> Stream.of(DType.F32, DType.BF16, DType.F16)
                .map(d -> Arguments.of(c, d)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesReference(Case c, DType dtype) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            // 3·5·2048 elements exceed the native loops' limit (16384): oneDNN's path
            for (int width : new int[] {1, 17, 33, 64, 67, 2048}) {
                for (int variant = 0; variant < 4; variant++) {
                    boolean scaled = variant % 2 == 1;
                    boolean residual = variant >= 2;
                    Tensor x = Data.random(scope, rng, dtype, 3, 5, width);
                    Tensor r = residual ? Data.random(scope, rng, dtype, 3, 5, width) : null;
                    Tensor g = scaled ? Data.random(scope, rng, DType.F32, width) : null;
                    String what = "seed=" + seed + " " + c + " " + dtype + " C=" + width
                            + (scaled ? " gamma" : "") + (residual ? " +residual" : "");
                    double[] ref = reference(Data.values(x), r == null ? null : Data.values(r),
                            g == null ? null : Data.values(g), 1e-5, 15, width);
                    Data.assertClose(ref, ops.rmsNorm(x, r, g, 1e-5f),
                            new long[] {3, 5, width}, Data.tolerance(dtype), what);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void paddedRows(Case c, DType dtype) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            Tensor x = Data.random(scope, rng, dtype, 7, 80).slice(1, 3, 70);
            Tensor g = Data.random(scope, rng, DType.F32, 67);
            double[] ref = reference(Data.values(x), null, Data.values(g), 1e-6, 7, 67);
            Data.assertClose(ref, ops.rmsNorm(x, g, 1e-6f), new long[] {7, 67},
                    Data.tolerance(dtype), "seed=" + seed + " " + c + " " + dtype
                            + " rows of a wider tensor");
        }
    }

    /** Row-wise v / sqrt(mean(v^2) + eps) g with v = x + r, in double; r, g may be null. */
    static double[] reference(double[] x, double[] r, double[] g, double eps, int rows,
                              int width) {
        double[] out = new double[rows * width];
        for (int i = 0; i < rows; i++) {
            double ms = 0;
            double[] v = new double[width];
            for (int j = 0; j < width; j++) {
                v[j] = x[i * width + j] + (r == null ? 0 : r[i * width + j]);
                ms += v[j] * v[j] / width;
            }
            for (int j = 0; j < width; j++) {
                out[i * width + j] = v[j] / Math.sqrt(ms + eps) * (g == null ? 1 : g[j]);
            }
        }
        return out;
    }
}
