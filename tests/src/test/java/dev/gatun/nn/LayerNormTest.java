package dev.gatun.nn;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gatun.Ops;
import dev.gatun.Tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

class LayerNormTest {
    static List<String> backends() {
        return Support.backends();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void normalisesRowsWithAndWithoutResidual(String backend) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            int c = 45;
            Support.NormParams norm = s.layerNorm(c);
            Support.Param x = s.input(2, 5, c);
            Support.Param r = s.input(2, 5, c);

            Tensor y = norm.module().forward(ops, x.tensor());
            s.assertClose(norm.apply(x.values()), y, 2e-5, "LayerNorm");

            Tensor z = norm.module().forward(ops, x.tensor(), r.tensor());
            s.assertClose(norm.apply(Ref.add(x.values(), r.values())), z, 2e-5,
                    "LayerNorm(x + residual)");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void rejectsBadParameters(String backend) {
        try (Support s = new Support()) {
            Tensor gamma = s.input(8).tensor();
            assertThrows(IllegalArgumentException.class,
                    () -> new LayerNorm(gamma, s.input(7).tensor(), 1e-5f));
            assertThrows(IllegalArgumentException.class, () -> new LayerNorm(gamma, null, 0f));
            LayerNorm norm = new LayerNorm(gamma, null, 1e-5f);
            assertThrows(IllegalArgumentException.class,
                    () -> norm.forward(s.ops(backend), s.input(2, 9).tensor()));
        }
    }
}
