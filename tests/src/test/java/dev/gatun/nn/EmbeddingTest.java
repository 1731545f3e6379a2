package dev.gatun.nn;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gatun.Ops;
import dev.gatun.Tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

class EmbeddingTest {
    static List<String> backends() {
        return Support.backends();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void gathersRows(String backend) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            int v = 23;
            int c = 12;
            Support.Param table = s.input(v, c);
            int[] ids = s.ids(2 * 5, v);
            Tensor y = new Embedding(table.tensor()).forward(ops, Tensors.ints(ops, ids, 2, 5));

            double[] expected = new double[ids.length * c];
            for (int i = 0; i < ids.length; i++) {
                System.arraycopy(table.values(), ids[i] * c, expected, i * c, c);
            }
            s.assertClose(expected, y, 0, "Embedding rows");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void rejectsOutOfRangeIds(String backend) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            Embedding e = new Embedding(s.input(4, 3).tensor());
            assertThrows(IllegalArgumentException.class,
                    () -> e.forward(ops, Tensors.ints(ops, new int[] {1, 4}, 2)));
            assertThrows(IllegalArgumentException.class,
                    () -> e.forward(ops, Tensors.ints(ops, new int[] {-1}, 1)));
            assertThrows(IllegalArgumentException.class,
                    () -> e.forward(ops, s.input(2).tensor()));
        }
    }
}
