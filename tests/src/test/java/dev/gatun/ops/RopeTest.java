package dev.gatun.ops;

import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.ops.TestBackends.Case;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Ops#rope} against float64 for both pairings: head dims 2, 8, 66 and 128, positions
 * out of order up to 600 (angles must be computed without fp32 loss), theta 10000 and
 * 500000, and x given as a [B, T, H, D] tensor permuted to [B, H, T, D].
 */
class RopeTest {

    static Stream<Arguments> cases() {
        return TestBackends.all().flatMap(c -> Stream.of(DType.F32, DType.BF16, DType.F16)
                .flatMap(d -> Stream.of(RopeStyle.values()).map(s -> Arguments.of(c, d, s))));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void matchesReference(Case c, DType dtype, RopeStyle style) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            int[][] shapes = {{1, 1, 1, 2}, {2, 3, 5, 8}, {1, 2, 17, 66}, {2, 2, 3, 128}};
            for (int[] s : shapes) {
                for (float theta : new float[] {10000f, 500000f}) {
                    for (boolean permuted : new boolean[] {false, true}) {
                        Tensor x = permuted
                                ? Data.random(scope, rng, dtype, s[0], s[2], s[1], s[3])
                                        .permute(0, 2, 1, 3)
                                : Data.random(scope, rng, dtype, s[0], s[1], s[2], s[3]);
                        int[] pos = new int[s[2]];
                        for (int i = 0; i < pos.length; i++) {
                            pos[i] = rng.nextInt(600);
                        }
                        Tensor positions = Tensor.fromInts(scope, pos, s[2]);
                        String what = "seed=" + seed + " " + c + " " + dtype + " " + style
                                + " x=" + java.util.Arrays.toString(s) + " theta=" + theta
                                + (permuted ? " permuted" : "");
                        Data.assertClose(reference(Data.values(x), s, pos, theta, style),
                                ops.rope(x, positions, theta, style), x.shape(),
                                Data.tolerance(dtype), what);
                    }
                }
            }
        }
    }

    /** Rotates each pair by pos * theta^(-2i/D), in double. */
    static double[] reference(double[] x, int[] shape, int[] pos, double theta,
                              RopeStyle style) {
        int rows = shape[0] * shape[1] * shape[2];
        int t = shape[2];
        int d = shape[3];
        double[] out = x.clone();
        for (int r = 0; r < rows; r++) {
            int p = pos[r % t];
            for (int i = 0; i < d / 2; i++) {
                double angle = p * Math.pow(theta, -2.0 * i / d);
                int a = r * d + (style == RopeStyle.INTERLEAVED ? 2 * i : i);
                int b = r * d + (style == RopeStyle.INTERLEAVED ? 2 * i + 1 : i + d / 2);
                out[a] = x[a] * Math.cos(angle) - x[b] * Math.sin(angle);
                out[b] = x[a] * Math.sin(angle) + x[b] * Math.cos(angle);
            }
        }
        return out;
    }
}
