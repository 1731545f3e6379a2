package dev.gatun.nn;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gatun.Ops;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

class FeedForwardTest {
    static List<String> backends() {
        return Support.backends();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void geluMlpMatchesReference(String backend) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            Support.Ffn ffn = s.gelu(24, 52);
            Support.Param x = s.input(2, 5, 24);
            s.assertClose(ffn.apply(x.values(), null), ffn.module().forward(ops, x.tensor()),
                    1e-5, "FeedForward GELU");
            s.assertClose(ffn.apply(x.values(), x.values()),
                    ffn.module().forward(ops, x.tensor(), x.tensor()), 1e-5,
                    "FeedForward GELU + residual");
            s.assertClose(ffn.apply(x.values(), x.values()),
                    ffn.module().packed(ops).forward(ops, x.tensor(), x.tensor()), 1e-5,
                    "packed FeedForward GELU + residual");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void swiGluMatchesReference(String backend) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            Support.Ffn ffn = s.swiGlu(20, 44);
            Support.Param x = s.input(3, 7, 20);
            s.assertClose(ffn.apply(x.values(), x.values()),
                    ffn.module().forward(ops, x.tensor(), x.tensor()), 1e-5,
                    "FeedForward SwiGLU + residual");
            s.assertClose(ffn.apply(x.values(), x.values()),
                    ffn.module().packed(ops).forward(ops, x.tensor(), x.tensor()), 1e-5,
                    "packed FeedForward SwiGLU + residual");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void rejectsMismatchedWidths(String backend) {
        try (Support s = new Support()) {
            Support.Lin a = s.linear(10, 4, false);
            Support.Lin b = s.linear(4, 9, false);
            assertThrows(IllegalArgumentException.class,
                    () -> FeedForward.gelu(a.module(), b.module()));
            Support.Lin up = s.linear(11, 4, false);
            Support.Lin down = s.linear(4, 10, false);
            assertThrows(IllegalArgumentException.class,
                    () -> FeedForward.swiGlu(a.module(), up.module(), down.module()));
        }
    }
}
