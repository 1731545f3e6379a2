package dev.gatun.ops;

import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.ops.TestBackends.Case;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Ops#softmax} against float64: rows around +1e4 and -1e4 (exp overflows or
 * underflows unless the row max is subtracted), a scale, masks broadcast in each supported
 * way, a fully masked row (zeros), awkward widths and a transposed input.
 */
class SoftmaxTest {

    static Stream<Arguments> cases() {
        return TestBackends.all().flatMap(c -> Stream.of(DType.F32, DType.BF16, DType.F16)
                .map(d -> Arguments.of(c, d)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void hugeAndTinyRows(Case c, DType dtype) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            for (int cols : new int[] {1, 17, 33, 67, 1000}) {
                for (float centre : new float[] {1e4f, -1e4f, 0f}) {
                    Tensor x = Tensor.fromFloats(scope, dtype,
                            Data.uniform(rng, 3 * cols, centre - 8, centre + 8), 3, cols);
                    double[] ref = reference(Data.values(x), 1, null, 3, cols);
                    Data.assertClose(ref, ops.softmax(x), new long[] {3, cols},
                            Data.tolerance(dtype), "seed=" + seed + " " + c + " " + dtype
                                    + " cols=" + cols + " around " + centre);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void scaleAndMasks(Case c, DType dtype) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            long[] shape = {2, 3, 37};
            Tensor x = Tensor.fromFloats(scope, dtype, Data.uniform(rng, 2 * 3 * 37, -4, 4),
                    shape);
            float scale = 0.125f;
            String what = "seed=" + seed + " " + c + " " + dtype;

            // one mask row for every row, then one mask per [3, 37] block, then full
            long[][] maskShapes = {{37}, {3, 37}, {2, 1, 37}, {2, 3, 37}, {2, 3, 1}};
            for (long[] ms : maskShapes) {
                Tensor mask = Data.random(scope, rng, DType.F32, ms);
                double[] full = broadcast(Data.values(mask), ms, shape);
                Data.assertClose(reference(Data.values(x), scale, full, 6, 37),
                        ops.softmax(x, scale, mask), shape, Data.tolerance(dtype),
                        what + " mask " + Arrays.toString(ms));
            }

            // a mask row of -inf masks the whole row: zeros, not NaN
            float[] m = Data.uniform(rng, 3 * 37, -1, 1);
            Arrays.fill(m, 37, 74, Float.NEGATIVE_INFINITY);
            m[80] = Float.NEGATIVE_INFINITY;
            Tensor mask = Tensor.fromFloats(scope, m, 3, 37);
            double[] full = broadcast(Data.values(mask), new long[] {3, 37}, shape);
            Tensor got = ops.softmax(x, scale, mask);
            Data.assertClose(reference(Data.values(x), scale, full, 6, 37), got, shape,
                    Data.tolerance(dtype), what + " fully masked row 1 of each block");
            for (float v : got.select(1, 1).toFloatArray()) {
                if (v != 0f) {
                    throw new AssertionError(what + ": fully masked row must be zeros, got "
                            + Arrays.toString(got.select(1, 1).toFloatArray()));
                }
            }

            Tensor xt = Tensor.fromFloats(scope, dtype, Data.uniform(rng, 67 * 5, -4, 4), 67,
                    5).transpose(0, 1);
            Data.assertClose(reference(Data.values(xt), 1, null, 5, 67), ops.softmax(xt),
                    new long[] {5, 67}, Data.tolerance(dtype), what + " transposed x");
        }
    }

    /** mask values [maskShape] repeated to fill [shape], row-major. */
    static double[] broadcast(double[] mask, long[] maskShape, long[] shape) {
        int n = (int) Data.numel(shape);
        double[] out = new double[n];
        int lead = shape.length - maskShape.length;
        for (int flat = 0; flat < n; flat++) {
            int rem = flat;
            int src = 0;
            int srcStride = 1;
            for (int d = shape.length - 1; d >= 0; d--) {
                int idx = (int) (rem % shape[d]);
                rem /= (int) shape[d];
                if (d >= lead) {
                    long md = maskShape[d - lead];
                    src += (md == 1 ? 0 : idx) * srcStride;
                    srcStride *= (int) md;
                }
            }
            out[flat] = mask[src];
        }
        return out;
    }

    /** Row-wise softmax(scale x + mask) in double; all -inf rows give zeros. */
    static double[] reference(double[] x, double scale, double[] mask, int rows, int cols) {
        double[] out = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            double max = Double.NEGATIVE_INFINITY;
            double[] v = new double[cols];
            for (int j = 0; j < cols; j++) {
                v[j] = scale * x[i * cols + j] + (mask == null ? 0 : mask[i * cols + j]);
                max = Math.max(max, v[j]);
            }
            if (max == Double.NEGATIVE_INFINITY) {
                continue;
            }
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                sum += Math.exp(v[j] - max);
            }
            for (int j = 0; j < cols; j++) {
                out[i * cols + j] = Math.exp(v[j] - max) / sum;
            }
        }
        return out;
    }
}
