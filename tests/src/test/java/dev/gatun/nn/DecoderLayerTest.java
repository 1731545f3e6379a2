package dev.gatun.nn;

import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

class DecoderLayerTest {
    static Stream<Arguments> backendsAndNorm() {
        List<Arguments> out = new ArrayList<>();
        for (String b : Support.backends()) {
            out.add(Arguments.of(b, false));
            out.add(Arguments.of(b, true));
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("backendsAndNorm")
    void matchesReferenceFullAndCached(String backend, boolean preNorm) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            int b = 2;
            int t = 6;
            int ts = 8;
            int c = 24;
            Support.DecLayer layer = s.decoderLayer(c, 4, 2, 40, preNorm);
            Support.Param x = s.input(b, t, c);
            Support.Param memory = s.input(b, ts, c);
            int[] lengths = {ts, 3};
            AttentionMask memoryMask = AttentionMask.keyLengths(Tensors.ints(ops, lengths, b));
            double[] ref = layer.apply(x.values(), b, t, memory.values(), ts, lengths);
            String what = preNorm ? "pre-norm" : "post-norm";

            // the whole target at once, no cache
            MultiHeadAttention.KeyValues kv = layer.module().memoryKeyValues(ops,
                    memory.tensor());
            DecoderLayer.Output full = layer.module().forward(ops, x.tensor(), kv, memoryMask,
                    null, true);
            s.assertClose(ref, full.output(), 2e-5, "DecoderLayer " + what);

            // one position at a time with a cache, memory keys/values projected once
            KVCache cache = KVCache.allocate(ops, 1, b, 2, t, c / 4, DType.F32);
            float[] stepped = new float[b * t * c];
            for (int p = 0; p < t; p++) {
                try (Scope stepScope = Scope.open()) {
                    Ops step = new Ops(ops.backend(), stepScope);
                    Tensor xp = step.copy(x.tensor().slice(1, p, p + 1));
                    float[] y = layer.module().forward(step, xp, kv, memoryMask,
                            cache.layer(0)).toFloatArray();
                    for (int bi = 0; bi < b; bi++) {
                        System.arraycopy(y, bi * c, stepped, (bi * t + p) * c, c);
                    }
                }
            }
            s.assertClose(ref, stepped, 2e-5, "DecoderLayer cached " + what);
        }
    }
}
