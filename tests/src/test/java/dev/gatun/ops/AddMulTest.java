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
 * {@link Ops#add} and {@link Ops#mul} against float64: b the same shape as a, a row
 * repeated over a's leading dims, a scalar; contiguous and strided operands; sizes that
 * cross the Java backend's 4096-element chunks.
 */
class AddMulTest {

    static Stream<Arguments> cases() {
        return TestBackends.all().flatMap(c -> Stream.of(DType.F32, DType.BF16, DType.F16)
                .map(d -> Arguments.of(c, d)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void broadcastSuffixes(Case c, DType dtype) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            long[][][] shapes = {
                {{1}, {1}}, {{17}, {17}}, {{2, 3, 17}, {17}}, {{2, 3, 17}, {3, 17}},
                {{2, 3, 17}, {}}, {{3, 4099}, {4099}}, {{5000, 3}, {3}}, {{67, 33}, {67, 33}},
            };
            for (long[][] s : shapes) {
                Tensor a = Data.random(scope, rng, dtype, s[0]);
                Tensor b = Data.random(scope, rng, dtype, s[1]);
                check(ops, a, b, dtype, "seed=" + seed + " " + c + " " + dtype + " a="
                        + java.util.Arrays.toString(s[0]) + " b="
                        + java.util.Arrays.toString(s[1]));
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void stridedOperands(Case c, DType dtype) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            Tensor a = Data.random(scope, rng, dtype, 33, 17).transpose(0, 1); // [17, 33]
            Tensor b = Data.random(scope, rng, dtype, 2, 33).select(0, 1);     // [33]
            Tensor bWide = Data.random(scope, rng, dtype, 17, 40).slice(1, 0, 33);
            String what = "seed=" + seed + " " + c + " " + dtype;
            check(ops, a, b, dtype, what + " transposed a, row b");
            check(ops, a, bWide, dtype, what + " transposed a, padded b");
        }
    }

    private static void check(Ops ops, Tensor a, Tensor b, DType dtype, String what) {
        double[] av = Data.values(a);
        double[] bv = Data.values(b);
        double[] sum = new double[av.length];
        double[] prod = new double[av.length];
        for (int i = 0; i < av.length; i++) {
            sum[i] = av[i] + bv[i % bv.length];
            prod[i] = av[i] * bv[i % bv.length];
        }
        Data.assertClose(sum, ops.add(a, b), a.shape(), Data.tolerance(dtype), what + " add");
        Data.assertClose(prod, ops.mul(a, b), a.shape(), Data.tolerance(dtype), what + " mul");
    }
}
