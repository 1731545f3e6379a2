package dev.gatun.nn;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gatun.Ops;
import dev.gatun.Tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

class RMSNormTest {
    static List<String> backends() {
        return Support.backends();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void normalisesRowsWithAndWithoutResidual(String backend) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            int c = 33;
            Support.NormParams norm = s.rmsNorm(c);
            Support.Param x = s.input(3, 4, c);
            Support.Param r = s.input(3, 4, c);

            s.assertClose(norm.apply(x.values()), norm.module().forward(ops, x.tensor()), 2e-5,
                    "RMSNorm");
            s.assertClose(norm.apply(Ref.add(x.values(), r.values())),
                    norm.module().forward(ops, x.tensor(), r.tensor()), 2e-5,
                    "RMSNorm(x + residual)");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void rejectsBadParameters(String backend) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            assertThrows(IllegalArgumentException.class,
                    () -> new RMSNorm(Tensors.ints(ops, new int[] {1, 2}, 2), 1e-5f));
            assertThrows(IllegalArgumentException.class,
                    () -> new RMSNorm(s.input(2, 2).tensor(), 1e-5f));
            RMSNorm norm = new RMSNorm(s.input(4).tensor(), 1e-5f);
            Tensor x = s.input(3).tensor();
            assertThrows(IllegalArgumentException.class, () -> norm.forward(ops, x));
        }
    }
}
