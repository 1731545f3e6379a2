package dev.gatun.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

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
 * {@link Ops#embedding}: a gather is exact, so rows are compared bit for bit; widths 1, 17
 * and 67, every floating dtype, ids of rank 0, 1 and 2 (repeats and the ends 0 and V - 1),
 * a table whose rows are padded inside a wider tensor, and transposed ids.
 */
class EmbeddingTest {

    static Stream<Arguments> cases() {
        return TestBackends.all().flatMap(c -> Stream.of(DType.F32, DType.F16, DType.BF16)
                .map(d -> Arguments.of(c, d)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void gathersRows(Case c, DType dtype) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            for (int width : new int[] {1, 17, 67}) {
                int vocab = 50;
                Tensor table = Data.random(scope, rng, dtype, vocab, width);
                Tensor padded = Data.random(scope, rng, dtype, vocab, width + 9)
                        .slice(1, 4, 4 + width);
                int[] ids = new int[12];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = rng.nextInt(vocab);
                }
                ids[0] = 0;
                ids[1] = vocab - 1;
                ids[2] = ids[3];
                String what = "seed=" + seed + " " + c + " " + dtype + " C=" + width;
                for (Tensor t : new Tensor[] {table, padded}) {
                    check(ops, t, Tensor.fromInts(scope, ids, 12), what + " ids [12]");
                    check(ops, t, Tensor.fromInts(scope, ids, 3, 4), what + " ids [3, 4]");
                    check(ops, t, Tensor.fromInts(scope, ids, 4, 3).transpose(0, 1),
                            what + " transposed ids [3, 4]");
                    check(ops, t, Tensor.fromInts(scope, new int[] {ids[5]}), what
                            + " scalar id");
                }
            }
        }
    }

    private static void check(Ops ops, Tensor table, Tensor ids, String what) {
        Tensor got = ops.embedding(table, ids);
        long[] shape = java.util.Arrays.copyOf(ids.shape(), ids.rank() + 1);
        shape[ids.rank()] = table.dim(1);
        assertArrayEquals(shape, got.shape(), what + ": shape");
        int[] flat = ids.toIntArray();
        for (int i = 0; i < flat.length; i++) {
            float[] expected = table.select(0, flat[i]).toFloatArray();
            float[] row = got.reshape(flat.length, table.dim(1)).select(0, i).toFloatArray();
            assertArrayEquals(expected, row, what + ": row " + i + " (id " + flat[i] + ")");
        }
    }
}
