package dev.gatun.ops;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gatun.Activation;
import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.PackedWeight;
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
 * {@link Ops#linear} against float64: x [..., K] times a weight given as the transposed view
 * of an [N, K] matrix (the PyTorch layout) or row-major [K, N], with bias, every fused
 * activation and a residual.
 */
class LinearTest {

    static Stream<Arguments> cases() {
        return TestBackends.all().flatMap(c -> Stream.of(DType.F32, DType.BF16, DType.F16)
                .map(d -> Arguments.of(c, d)));
    }

    /**
     * Results of a fused activation are checked relative to an RMS of at least this: the
     * native backend fuses oneDNN's GELU, exact in the negative tail only to ~1e-7 absolute
     * (native/cpu/elementwise.cpp), and a 1 x 1 product can land wholly in that tail.
     */
    private static final double FLOOR = 0.1;

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void biasActivationResidual(Case c, DType dtype) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            // rows = 2 x the first: with packed weights the native backend's own kernel
            // takes up to 256 rows, 7 per pass (18 rows: three passes), and oneDNN more (300)
            int[][] sizes = {{1, 1, 1}, {1, 67, 33}, {2, 17, 67}, {3, 33, 130}, {9, 40, 70},
                {150, 20, 64}};
            for (int[] s : sizes) {
                for (Activation act : Activation.values()) {
                    for (Layout lw : new Layout[] {Layout.TRANSPOSED, Layout.CONTIGUOUS}) {
                        int rows = 2 * s[0];
                        // x [2, B, K] scaled so that every activation sees its curved part
                        Tensor x = Tensor.fromFloats(scope, dtype,
                                Data.uniform(rng, rows * s[1], -3, 3), 2, s[0], s[1]);
                        Tensor w = Data.matrix(scope, rng, dtype, lw, s[1], s[2]);
                        Tensor bias = Data.random(scope, rng, dtype, s[2]);
                        Tensor res = Data.random(scope, rng, dtype, 2, s[0], s[2]);
                        String what = "seed=" + seed + " " + c + " " + dtype + " rows,K,N="
                                + rows + "," + s[1] + "," + s[2] + " " + act + " w " + lw;

                        double[] ref = reference(Data.values(x), Data.values(w),
                                Data.values(bias), act, null, rows, s[1], s[2]);
                        Data.assertClose(ref, ops.linear(x, w, bias, act),
                                new long[] {2, s[0], s[2]}, Data.tolerance(dtype), FLOOR, what);

                        double[] refRes = reference(Data.values(x), Data.values(w),
                                Data.values(bias), act, Data.values(res), rows, s[1], s[2]);
                        Data.assertClose(refRes, ops.linear(x, w, bias, act, res),
                                new long[] {2, s[0], s[2]}, Data.tolerance(dtype), FLOOR,
                                what + " +residual");

                        // the same through the backend's packed layout, where it has one
                        PackedWeight packed = packed(ops, c, dtype, w);
                        if (packed != null) {
                            Data.assertClose(ref, ops.linear(x, packed, bias, act, null),
                                    new long[] {2, s[0], s[2]}, Data.tolerance(dtype), FLOOR,
                                    what + " packed");
                            Data.assertClose(refRes, ops.linear(x, packed, bias, act, res),
                                    new long[] {2, s[0], s[2]}, Data.tolerance(dtype), FLOOR,
                                    what + " packed +residual");
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void stridedInputsAndNoBias(Case c, DType dtype) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            // x: rows of a wider tensor (padded), x: a rank-1 vector, residual: transposed
            Tensor wide = Data.random(scope, rng, dtype, 5, 33 + 7);
            Tensor x = wide.slice(1, 3, 36);
            Tensor w = Data.matrix(scope, rng, dtype, Layout.TRANSPOSED, 33, 17);
            Tensor res = Data.random(scope, rng, dtype, 17, 5).transpose(0, 1);
            double[] ref = reference(Data.values(x), Data.values(w), null, Activation.NONE,
                    Data.values(res), 5, 33, 17);
            Data.assertClose(ref, ops.linear(x, w, null, Activation.NONE, res),
                    new long[] {5, 17}, Data.tolerance(dtype),
                    "seed=" + seed + " " + c + " " + dtype + " padded x, transposed residual");

            Tensor v = Data.random(scope, rng, dtype, 33);
            double[] refV = reference(Data.values(v), Data.values(w), null, Activation.SILU,
                    null, 1, 33, 17);
            Data.assertClose(refV, ops.linear(v, w, null, Activation.SILU), new long[] {17},
                    Data.tolerance(dtype), "seed=" + seed + " " + c + " " + dtype + " x [K]");

            PackedWeight packed = packed(ops, c, dtype, w);
            if (packed != null) {
                Data.assertClose(ref, ops.linear(x, packed, null, Activation.NONE, res),
                        new long[] {5, 17}, Data.tolerance(dtype), "seed=" + seed + " " + c
                                + " " + dtype + " packed, padded x, transposed residual");
                Data.assertClose(refV, ops.linear(v, packed, null, Activation.SILU, null),
                        new long[] {17}, Data.tolerance(dtype), "seed=" + seed + " " + c
                                + " " + dtype + " packed, x [K]");
                Tensor narrow = Data.random(scope, rng, dtype, 5, 32);
                assertThrows(IllegalArgumentException.class, () -> ops.linear(narrow, packed,
                        null, Activation.NONE, null), "K differs");
                // a record built by hand over too little memory is refused, not read past
                PackedWeight forged = new PackedWeight(packed.backend(), packed.dtype(),
                        packed.k(), packed.n(), packed.memory().asSlice(0, 64));
                assertThrows(IllegalArgumentException.class, () -> ops.linear(x, forged, null,
                        Activation.NONE, null), "a short packed weight");
                PackedWeight relabelled = new PackedWeight(packed.backend(), packed.dtype(),
                        packed.k(), packed.n() - 1, packed.memory());
                assertThrows(IllegalArgumentException.class, () -> ops.linear(x, relabelled,
                        null, Activation.NONE, null), "a packed weight with another N");
            }
        }
    }

    /**
     * w packed by the backend, or null where it has no packed layout: the native backend
     * must have one for F32 and BF16 (oneDNN multiplies both on every x86-64-v3 CPU).
     */
    private static PackedWeight packed(Ops ops, Case c, DType dtype, Tensor w) {
        PackedWeight packed = ops.packWeight(w);
        if (c.label().equals("native") && dtype != DType.F16) {
            assertNotNull(packed, "native packs " + dtype + " weights");
        }
        return packed;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void emptyKGivesActivatedBiasPlusResidual(Case c, DType dtype) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            Tensor x = Tensor.allocate(scope, dtype, 3, 0);
            Tensor w = Tensor.allocate(scope, dtype, 0, 17);
            Tensor bias = Data.random(scope, rng, dtype, 17);
            Tensor res = Data.random(scope, rng, dtype, 3, 17);
            double[] ref = reference(new double[0], new double[0], Data.values(bias),
                    Activation.GELU_ERF, Data.values(res), 3, 0, 17);
            Data.assertClose(ref, ops.linear(x, w, bias, Activation.GELU_ERF, res),
                    new long[] {3, 17}, Data.tolerance(dtype),
                    "seed=" + seed + " " + c + " " + dtype + " K=0");
        }
    }

    /** act(x w + bias) + residual over rows x [rows, K], w [K, N]; bias, res may be null. */
    static double[] reference(double[] x, double[] w, double[] bias, Activation act,
                              double[] res, int rows, int k, int n) {
        double[] out = new double[rows * n];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < n; j++) {
                double s = bias == null ? 0 : bias[j];
                for (int p = 0; p < k; p++) {
                    s += x[i * k + p] * w[p * n + j];
                }
                s = Reference.activation(act, s);
                out[i * n + j] = res == null ? s : s + res[i * n + j];
            }
        }
        return out;
    }
}
