package dev.gatun.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gatun.Activation;
import dev.gatun.Ops;
import dev.gatun.Tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.function.DoubleUnaryOperator;

class LinearTest {
    static List<String> backends() {
        return Support.backends();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void matchesReferenceWithBiasActivationAndResidual(String backend) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            int b = 2;
            int t = 7;
            int k = 37;
            int n = 19;
            Support.Lin lin = s.linear(n, k, true);
            Support.Param x = s.input(b, t, k);
            Support.Param residual = s.input(b, t, n);

            Tensor y = lin.module().forward(ops, x.tensor());
            assertEquals(List.of(2L, 7L, 19L), List.of(y.dim(0), y.dim(1), y.dim(2)));
            s.assertClose(lin.apply(x.values()), y, 1e-5, "Linear x W^T + b");

            for (Activation act : Activation.values()) {
                DoubleUnaryOperator f = switch (act) {
                    case NONE -> v -> v;
                    case GELU_ERF -> Ref::gelu;
                    case GELU_TANH -> Ref::geluTanh;
                    case SILU -> Ref::silu;
                };
                double[] expected = Ref.add(Ref.map(lin.apply(x.values()), f),
                        residual.values());
                Tensor z = lin.module().forward(ops, x.tensor(), act, residual.tensor());
                s.assertClose(expected, z, 1e-5, "Linear " + act + " + residual");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void withoutBias(String backend) {
        try (Support s = new Support()) {
            Support.Lin lin = s.linear(5, 16, false);
            Support.Param x = s.input(3, 16);
            Tensor y = lin.module().forward(s.ops(backend), x.tensor());
            s.assertClose(lin.apply(x.values()), y, 1e-5, "Linear without bias");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void packedJoinsLayersSideBySide(String backend) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            Support.Lin a = s.linear(5, 16, true);
            Support.Lin b = s.linear(7, 16, false);
            Support.Param x = s.input(2, 3, 16);
            Linear joined = Linear.packed(ops, a.module(), b.module());
            assertEquals(16, joined.inFeatures());
            assertEquals(12, joined.outFeatures());

            // y = [a(x) | b(x)] along the last axis
            double[] ya = a.apply(x.values());
            double[] yb = b.apply(x.values());
            double[] expected = new double[6 * 12];
            for (int r = 0; r < 6; r++) {
                System.arraycopy(ya, r * 5, expected, r * 12, 5);
                System.arraycopy(yb, r * 7, expected, r * 12 + 5, 7);
            }
            s.assertClose(expected, joined.forward(ops, x.tensor()), 1e-5, "packed [a | b]");

            // packed into the native backend's own layout, a layer runs there only
            assertEquals(backend.equals("native"), joined.weight() == null,
                    "only the native backend has a layout of its own");
            if (joined.weight() == null) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> joined.forward(s.ops("java"), x.tensor()));
                assertEquals(true, e.getMessage().contains("runs only there"), e.getMessage());
                assertThrows(IllegalArgumentException.class,
                        () -> Linear.packed(ops, joined));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void rejectsWrongShapes(String backend) {
        try (Support s = new Support()) {
            Support.Lin lin = s.linear(5, 16, true);
            Support.Param x = s.input(3, 15);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> lin.module().forward(s.ops(backend), x.tensor()));
            assertEquals(true, e.getMessage().contains("K = 16"), e.getMessage());
            Support.Param w = s.input(5, 16);
            Support.Param bias = s.input(6);
            assertThrows(IllegalArgumentException.class,
                    () -> new Linear(w.tensor(), bias.tensor()));
            assertThrows(IllegalArgumentException.class, () -> new Linear(s.input(80).tensor()));
        }
    }
}
