package dev.gatun.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatun.Activation;
import dev.gatun.DType;
import dev.gatun.MemoryPool;
import dev.gatun.Ops;
import dev.gatun.PackedWeight;
import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Ops allocate their results uninitialised, so each op must write every element (fully
 * masked attention rows included). Each op here runs in a pooled scope whose only cached
 * block, of exactly the result's size, is filled with NaN first: the result must equal, bit
 * for bit, the same op's result in freshly zeroed memory.
 */
class PooledResultsTest {

    static Stream<TestBackends.Case> cases() {
        return TestBackends.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyOpWritesItsWholeResult(TestBackends.Case c) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope inputs = Scope.open()) {
            Tensor a = Data.random(inputs, rng, DType.F32, 2, 7, 24);
            Tensor w = Data.random(inputs, rng, DType.F32, 24, 13);
            Tensor bias = Data.random(inputs, rng, DType.F32, 13);
            Tensor gamma = Data.random(inputs, rng, DType.F32, 24);
            Tensor q = Data.random(inputs, rng, DType.F32, 2, 3, 5, 8);
            Tensor k = Data.random(inputs, rng, DType.F32, 2, 3, 9, 8);
            Tensor ids = Tensor.fromInts(inputs, new int[] {3, 0, 6, 6, 1}, 5);
            Tensor table = Data.random(inputs, rng, DType.F32, 7, 24);
            Tensor positions = Tensor.fromInts(inputs, new int[] {0, 1, 2, 3, 4}, 5);
            Tensor lengths = Tensor.fromInts(inputs, new int[] {9, 0}, 2); // batch 1: no key
            Tensor qBig = Data.random(inputs, rng, DType.F32, 2, 4, 64, 32);
            Tensor kBig = Data.random(inputs, rng, DType.F32, 2, 2, 128, 32);
            Tensor bigLengths = Tensor.fromInts(inputs, new int[] {128, 50}, 2);
            PackedWeight packed = new Ops(c.require(), inputs).packWeight(w);
            String what = c + " seed=" + seed;

            check(c, what + " linear", ops -> ops.linear(a, w, bias, Activation.GELU_ERF));
            check(c, what + " matmul of a transposed view",
                    ops -> ops.matmul(a.transpose(1, 2), a));
            check(c, what + " layerNorm", ops -> ops.layerNorm(a, a, gamma, gamma, 1e-5f));
            check(c, what + " rmsNorm", ops -> ops.rmsNorm(a, gamma, 1e-5f));
            check(c, what + " softmax", ops -> ops.softmax(a));
            check(c, what + " add", ops -> ops.add(a, gamma));
            check(c, what + " mul", ops -> ops.mul(a, gamma));
            check(c, what + " gelu", ops -> ops.gelu(a));
            check(c, what + " silu", ops -> ops.silu(a));
            check(c, what + " attention, a fully masked sequence", ops -> ops.attention(q, k,
                    k, 0.3f, true, null, lengths));
            check(c, what + " attentionWithWeights", ops -> ops.attentionWithWeights(q, k, k,
                    0.3f, false, null, lengths).output());
            check(c, what + " attention, whole call, GQA", ops -> ops.attention(qBig, kBig,
                    kBig, 0.2f, true, null, bigLengths));
            if (packed != null) {
                check(c, what + " linear, packed weight", ops -> ops.linear(a, packed, bias,
                        Activation.GELU_ERF, null));
            }
            check(c, what + " rope", ops -> ops.rope(q, positions, 10000f,
                    RopeStyle.HALF_SPLIT));
            check(c, what + " embedding", ops -> ops.embedding(table, ids));
            check(c, what + " convert", ops -> ops.convert(a, DType.BF16));
            check(c, what + " copy", ops -> ops.copy(a.transpose(0, 2)));
        }
    }

    private static void check(TestBackends.Case c, String what, Function<Ops, Tensor> op) {
        byte[] expected;
        long bytes;
        try (Scope plain = Scope.open()) {
            Tensor r = op.apply(new Ops(c.require(), plain));
            bytes = r.numel() * r.dtype().byteSize();
            expected = r.segment().asSlice(r.offset() * r.dtype().byteSize(), bytes)
                    .toArray(ValueLayout.JAVA_BYTE);
        }
        try (MemoryPool pool = MemoryPool.create(1 << 20)) {
            try (Scope poison = Scope.open(pool)) {
                MemorySegment block = poison.allocateUninitialized(bytes, 64);
                for (long i = 0; i + 4 <= bytes; i += 4) {
                    block.set(ValueLayout.JAVA_FLOAT_UNALIGNED, i, Float.NaN);
                }
            }
            try (Scope pooled = Scope.open(pool)) {
                Tensor r = op.apply(new Ops(c.require(), pooled));
                assertEquals(1, pool.hits(), what + ": the result should reuse the poisoned "
                        + "block");
                byte[] got = r.segment().asSlice(r.offset() * r.dtype().byteSize(), bytes)
                        .toArray(ValueLayout.JAVA_BYTE);
                assertArrayEquals(expected, got, what + ": differs from the result in zeroed "
                        + "memory (an element left unwritten?)");
            }
        }
    }
}
