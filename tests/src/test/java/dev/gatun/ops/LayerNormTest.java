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
 * {@link Ops#layerNorm} against float64: widths 1, odd and not multiples of the vector
 * width, with and without gamma, beta and the fused residual; rows whose mean is large
 * against their spread (a one-pass variance E[x^2] - E[x]^2 fails there); strided x.
 */
class LayerNormTest {

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
            // 2·3·4096 elements exceed the native loops' limit (16384): oneDNN's path
            for (int width : new int[] {1, 17, 33, 67, 384, 4096}) {
                for (int variant = 0; variant < 4; variant++) {
                    boolean affine = variant % 2 == 1;
                    boolean residual = variant >= 2;
                    Tensor x = Data.random(scope, rng, dtype, 2, 3, width);
                    Tensor r = residual ? Data.random(scope, rng, dtype, 2, 3, width) : null;
                    Tensor g = affine ? Data.random(scope, rng, DType.F32, width) : null;
                    Tensor b = affine ? Data.random(scope, rng, DType.F32, width) : null;
                    String what = "seed=" + seed + " " + c + " " + dtype + " C=" + width
                            + (affine ? " gamma,beta" : "") + (residual ? " +residual" : "");
                    double[] ref = reference(Data.values(x), r == null ? null : Data.values(r),
                            g == null ? null : Data.values(g), b == null ? null : Data.values(b),
                            1e-5, 6, width);
                    Data.assertClose(ref, ops.layerNorm(x, r, g, b, 1e-5f),
                            new long[] {2, 3, width}, Data.tolerance(dtype), what);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void largeMeanAndStridedRows(Case c, DType dtype) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            int width = 384;
            // mean 30, spread 1: E[x^2] - E[x]^2 in fp32 would lose ~3 of the 7 digits
            Tensor x = Tensor.fromFloats(scope, dtype,
                    Data.uniform(rng, 4 * width, 29, 31), 4, width);
            double[] ref = reference(Data.values(x), null, null, null, 1e-6, 4, width);
            Data.assertClose(ref, ops.layerNorm(x, null, null, 1e-6f), new long[] {4, width},
                    Data.tolerance(dtype), "seed=" + seed + " " + c + " " + dtype
                            + " mean 30, spread 1");

            // 64 padded rows of 384 (over the native loops' limit): strided rows into oneDNN
            Tensor wide = Data.random(scope, rng, dtype, 64, width + 9).slice(1, 0, width);
            double[] refW = reference(Data.values(wide), null, null, null, 1e-5, 64, width);
            Data.assertClose(refW, ops.layerNorm(wide, null, null, 1e-5f),
                    new long[] {64, width}, Data.tolerance(dtype), "seed=" + seed + " " + c
                            + " " + dtype + " padded rows");

            // x [5, 33] as the transpose of [33, 5]: rows are not contiguous
            Tensor xt = Data.random(scope, rng, dtype, 33, 5).transpose(0, 1);
            Tensor g = Data.random(scope, rng, DType.F32, 33);
            double[] refT = reference(Data.values(xt), null, Data.values(g), null, 1e-5, 5, 33);
            Data.assertClose(refT, ops.layerNorm(xt, g, null, 1e-5f), new long[] {5, 33},
                    Data.tolerance(dtype), "seed=" + seed + " " + c + " " + dtype
                            + " transposed x");
        }
    }

    /** Row-wise (x + r - mean) / sqrt(var + eps) g + b in double; r, g, b may be null. */
    static double[] reference(double[] x, double[] r, double[] g, double[] b, double eps,
                              int rows, int width) {
        double[] out = new double[rows * width];
        for (int i = 0; i < rows; i++) {
            double[] v = new double[width];
            double mean = 0;
            for (int j = 0; j < width; j++) {
                v[j] = x[i * width + j] + (r == null ? 0 : r[i * width + j]);
                mean += v[j] / width;
            }
            double var = 0;
            for (int j = 0; j < width; j++) {
                var += (v[j] - mean) * (v[j] - mean) / width;
            }
            for (int j = 0; j < width; j++) {
                double y = (v[j] - mean) / Math.sqrt(var + eps);
                y = y * (g == null ? 1 : g[j]) + (b == null ? 0 : b[j]);
                out[i * width + j] = y;
            }
        }
        return out;
    }
}
