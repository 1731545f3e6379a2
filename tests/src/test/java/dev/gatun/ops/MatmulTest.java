package dev.gatun.ops;

import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.ops.Data.Layout;
import dev.gatun.ops.TestBackends.Case;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Ops#matmul} against a float64 triple loop, on every backend: awkward sizes (1, odd,
 * not multiples of the vector width, larger than one cache tile), every operand layout
 * (contiguous, padded rows, transposed), batched and shared right-hand sides.
 */
class MatmulTest {
    /** {M, K, N}: ones, odd sizes, and sizes past the Java backend's 64 x 256 x 256 tile. */
    private static final int[][] SIZES = {
        {1, 1, 1}, {1, 67, 33}, {3, 5, 7}, {4, 33, 17}, {17, 33, 67}, {5, 300, 1},
        {70, 260, 130},
    };

    static Stream<Arguments> cases() {
        return TestBackends.all().flatMap(c -> Stream.of(DType.F32, DType.BF16, DType.F16)
                .map(d -> Arguments.of(c, d)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void twoDimensionalInEveryLayout(Case c, DType dtype) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            for (int[] s : SIZES) {
                for (Layout la : Layout.values()) {
                    for (Layout lb : Layout.values()) {
                        Tensor a = Data.matrix(scope, rng, dtype, la, s[0], s[1]);
                        Tensor b = Data.matrix(scope, rng, dtype, lb, s[1], s[2]);
                        Tensor got = ops.matmul(a, b);
                        String what = "seed=" + seed + " " + c + " " + dtype + " M,K,N="
                                + s[0] + "," + s[1] + "," + s[2] + " a " + la + " b " + lb;
                        Data.assertClose(product(Data.values(a), Data.values(b), 1, s[0],
                                s[1], s[2], false), got, new long[] {s[0], s[2]},
                                Data.tolerance(dtype), what);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void batchedLeftTimesSharedRight(Case c, DType dtype) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            // a [2, 3, 17, 33] row-major folds into one [102, 33] matrix
            Tensor a = Data.random(scope, rng, dtype, 2, 3, 17, 33);
            Tensor b = Data.matrix(scope, rng, dtype, Layout.TRANSPOSED, 33, 19);
            Data.assertClose(product(Data.values(a), Data.values(b), 6, 17, 33, 19, false),
                    ops.matmul(a, b), new long[] {2, 3, 17, 19}, Data.tolerance(dtype),
                    "seed=" + seed + " " + c + " " + dtype + " folded [2, 3, 17, 33] x [33, 19]");

            // a [3, 17, 33] with each matrix transposed cannot fold: batch of 3
            Tensor at = Data.random(scope, rng, dtype, 3, 33, 17).transpose(1, 2);
            Data.assertClose(product(Data.values(at), Data.values(b), 3, 17, 33, 19, false),
                    ops.matmul(at, b), new long[] {3, 17, 19}, Data.tolerance(dtype),
                    "seed=" + seed + " " + c + " " + dtype + " transposed batch x [33, 19]");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void batchedTimesBatched(Case c, DType dtype) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            for (int[] s : new int[][] {{1, 8, 1}, {5, 16, 37}, {37, 16, 5}}) {
                // attention-shaped: [B, H, M, K] x [B, H, K, N], b given as a permuted view
                Tensor a = Data.random(scope, rng, dtype, 2, 3, s[0], s[1]);
                Tensor b = Data.random(scope, rng, dtype, 2, 3, s[2], s[1]).transpose(2, 3);
                Data.assertClose(product(Data.values(a), Data.values(b), 6, s[0], s[1], s[2],
                        true), ops.matmul(a, b), new long[] {2, 3, s[0], s[2]},
                        Data.tolerance(dtype), "seed=" + seed + " " + c + " " + dtype
                                + " batched M,K,N=" + s[0] + "," + s[1] + "," + s[2]);
            }
        }
    }

    /**
     * ref[b, i, j] = sum_k a[b, i, k] w[b', k, j], with b' = b when {@code batchedW}, else 0;
     * a and w given row-major in their logical shapes.
     */
    static double[] product(double[] a, double[] w, int batch, int m, int k, int n,
                            boolean batchedW) {
        double[] out = new double[batch * m * n];
        for (int b = 0; b < batch; b++) {
            int wb = batchedW ? b * k * n : 0;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        s += a[(b * m + i) * k + p] * w[wb + p * n + j];
                    }
                    out[(b * m + i) * n + j] = s;
                }
            }
        }
        return out;
    }
}
