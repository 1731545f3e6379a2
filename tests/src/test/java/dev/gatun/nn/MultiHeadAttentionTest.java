package dev.gatun.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

class MultiHeadAttentionTest {
    // B 2, T 7, C 30, H 6, Hkv 2 (groups of 3), D 10
    static final int B = 2;
    static final int T = 7;
    static final int C = 30;
    static final int H = 6;
    static final int HKV = 2;
    static final int D = 10;

    static List<String> backends() {
        return Support.backends();
    }

    /** Every backend with no RoPE, interleaved and half-split. */
    static Stream<Arguments> backendsAndRope() {
        List<Arguments> out = new ArrayList<>();
        for (String b : Support.backends()) {
            out.add(Arguments.of(b, null));
            for (RopeStyle style : RopeStyle.values()) {
                out.add(Arguments.of(b, style));
            }
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("backendsAndRope")
    void selfAttentionMatchesReference(String backend, RopeStyle style) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            Support.Attn attn = s.attention(C, C, H, HKV, D, true,
                    style == null ? null : Support.rope(style));
            Support.Param x = s.input(B, T, C);

            for (boolean packed : new boolean[] {false, true}) {
                MultiHeadAttention module = packed ? attn.module().packed(ops) : attn.module();
                for (boolean causal : new boolean[] {false, true}) {
                    AttentionMask mask = causal ? AttentionMask.CAUSAL : AttentionMask.NONE;
                    Tensor y = module.forward(ops, x.tensor(), mask);
                    assertEquals(List.of((long) B, (long) T, (long) C),
                            List.of(y.dim(0), y.dim(1), y.dim(2)));
                    Ref.Attention ref = attn.apply(x.values(), B, T, null, T, 0, causal, null,
                            null, null);
                    s.assertClose(ref.out(), y, 1e-5, "self-attention causal=" + causal
                            + " rope=" + style + " packed=" + packed);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backendsAndRope")
    void aRaggedBatchIsEachSequenceAlone(String backend, RopeStyle style) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            Support.Attn attn = s.attention(C, C, H, HKV, D, true,
                    style == null ? null : Support.rope(style));
            int[] lengths = {3, 1, T, 5};
            int n = Arrays.stream(lengths).sum();
            Support.Param x = s.input(1, n, C);

            for (boolean packedWeights : new boolean[] {false, true}) {
                MultiHeadAttention module = packedWeights ? attn.module().packed(ops)
                        : attn.module();
                for (boolean causal : new boolean[] {false, true}) {
                    AttentionMask mask = AttentionMask.ragged(lengths).withCausal(causal);
                    Tensor y = module.forward(ops, x.tensor(), mask);
                    assertEquals(List.of(1L, (long) n, (long) C),
                            List.of(y.dim(0), y.dim(1), y.dim(2)));
                    // the reference runs each sequence alone, its positions from 0
                    double[] expected = new double[n * C];
                    int start = 0;
                    for (int len : lengths) {
                        double[] xi = Arrays.copyOfRange(x.values(), start * C,
                                (start + len) * C);
                        Ref.Attention ref = attn.apply(xi, 1, len, null, len, 0, causal, null,
                                null, null);
                        System.arraycopy(ref.out(), 0, expected, start * C, len * C);
                        start += len;
                    }
                    s.assertClose(expected, y, 1e-5, "ragged " + Arrays.toString(lengths)
                            + " causal=" + causal + " rope=" + style + " packed weights="
                            + packedWeights);
                }
            }

            Tensor x2 = s.input(2, 4, C).tensor();
            assertThrows(IllegalArgumentException.class, () -> attn.module().forward(ops, x2,
                    AttentionMask.ragged(new int[] {4, 4})), "B = 2");
            assertThrows(IllegalArgumentException.class, () -> attn.module().forward(ops,
                    x.tensor(), AttentionMask.ragged(new int[] {n - 1})), "lengths short of N");
            assertThrows(IllegalArgumentException.class, () -> AttentionMask.ragged(
                    new int[] {3, 0}), "a length of 0");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void additiveMaskKeyLengthsResidualAndWeights(String backend) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            Support.Attn attn = s.attention(C, C, H, HKV, D, false, null);
            Support.Param x = s.input(B, T, C);

            // an additive mask [B, 1, T, T] broadcast over heads, plus key lengths {7, 4}
            Support.Param m = s.param(2.0, B, 1, T, T);
            double[] full = new double[B * H * T * T];
            for (int b = 0; b < B; b++) {
                for (int h = 0; h < H; h++) {
                    System.arraycopy(m.values(), b * T * T, full, (b * H + h) * T * T, T * T);
                }
            }
            int[] lengths = {T, 4};
            AttentionMask mask = AttentionMask.keyLengths(Tensors.ints(ops, lengths, B))
                    .withAdditive(m.tensor().expand(B, H, T, T));

            MultiHeadAttention.Output out = attn.module().attend(ops, x.tensor(), null, null,
                    mask, x.tensor(), true);
            Ref.Attention ref = attn.apply(x.values(), B, T, null, T, 0, false, full, lengths,
                    x.values());
            s.assertClose(ref.out(), out.output(), 1e-5, "masked self-attention + residual");
            s.assertClose(ref.weights(), out.weights(), 1e-5, "attention weights");
            MultiHeadAttention.Output packed = attn.module().packed(ops).attend(ops,
                    x.tensor(), null, null, mask, x.tensor(), true);
            s.assertClose(ref.out(), packed.output(), 1e-5, "packed, + residual");
            s.assertClose(ref.weights(), packed.weights(), 1e-5, "packed, weights");

            // keys past each sequence's length get exactly zero weight
            assertEquals(0f, out.weights().getFloat(1, 0, 0, 4), "masked key (seed "
                    + s.seed + ")");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void crossAttentionMatchesReference(String backend) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            int tk = 11;
            int cm = 14;
            Support.Attn attn = s.attention(C, cm, H, HKV, D, true,
                    Support.rope(RopeStyle.HALF_SPLIT));
            Support.Param x = s.input(B, T, C);
            Support.Param memory = s.input(B, tk, cm);
            int[] lengths = {9, tk};

            MultiHeadAttention.KeyValues kv = attn.module().keyValues(ops, memory.tensor());
            assertEquals(List.of((long) B, (long) HKV, (long) tk, (long) D),
                    List.of(kv.keys().dim(0), kv.keys().dim(1), kv.keys().dim(2),
                            kv.keys().dim(3)));
            MultiHeadAttention.Output out = attn.module().attend(ops, x.tensor(), kv, null,
                    AttentionMask.keyLengths(Tensors.ints(ops, lengths, B)), null, true);

            // cross-attention never rotates: the reference applies no RoPE to memory
            Ref.Attention ref = attn.apply(x.values(), B, T, memory.values(), tk, 0, false,
                    null, lengths, null);
            s.assertClose(ref.out(), out.output(), 1e-5, "cross-attention");
            s.assertClose(ref.weights(), out.weights(), 1e-5, "cross-attention weights");
        }
    }

    @ParameterizedTest
    @MethodSource("backendsAndRope")
    void cachedDecodingEqualsFullSequence(String backend, RopeStyle style) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            Support.Attn attn = s.attention(C, C, H, HKV, D, true,
                    style == null ? null : Support.rope(style));
            Support.Param x = s.input(B, T, C);
            Ref.Attention ref = attn.apply(x.values(), B, T, null, T, 0, true, null, null,
                    x.values());
            Tensor full = attn.module().forward(ops, x.tensor(), AttentionMask.CAUSAL, null,
                    x.tensor());
            float[] fullValues = full.toFloatArray();

            // prefill 3 positions, then one position per step, each step in its own scope;
            // the packed layer (one product for q, k and v) decodes
            MultiHeadAttention packed = attn.module().packed(ops);
            KVCache cache = KVCache.allocate(ops, 1, B, HKV, T + 2, D, DType.F32);
            float[] stepped = new float[B * T * C];
            int[] chunks = {3, 1, 1, 1, 1};
            int start = 0;
            for (int len : chunks) {
                try (Scope stepScope = Scope.open()) {
                    Ops step = new Ops(ops.backend(), stepScope);
                    Tensor xs = x.tensor().slice(1, start, start + len);
                    Tensor y = packed.forward(step, step.copy(xs), AttentionMask.CAUSAL,
                            cache.layer(0), step.copy(xs));
                    float[] yv = y.toFloatArray();
                    for (int b = 0; b < B; b++) {
                        System.arraycopy(yv, b * len * C, stepped, (b * T + start) * C,
                                len * C);
                    }
                }
                start += len;
                assertEquals(start, cache.length(), "cache length (seed " + s.seed + ")");
            }
            s.assertClose(ref.out(), stepped, 1e-5, "cached decode vs reference");
            double[] fullD = new double[fullValues.length];
            for (int i = 0; i < fullD.length; i++) {
                fullD[i] = fullValues[i];
            }
            s.assertClose(fullD, stepped, 2e-6, "cached decode vs full forward");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void cacheOverflowIsIllegalState(String backend) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            Support.Attn attn = s.attention(C, C, H, HKV, D, false, null);
            KVCache cache = KVCache.allocate(ops, 1, B, HKV, 4, D, DType.F32);
            attn.module().forward(ops, s.input(B, 3, C).tensor(), AttentionMask.CAUSAL,
                    cache.layer(0), null);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> attn.module().forward(ops, s.input(B, 2, C).tensor(),
                            AttentionMask.CAUSAL, cache.layer(0), null));
            assertTrue(e.getMessage().contains("Tmax = 4"), e.getMessage());
            assertEquals(3, cache.length(), "a refused append leaves the cache as it was");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void rejectsBadShapes(String backend) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            Support.Lin q = s.linear(H * D, C, false);
            Support.Lin kv = s.linear(HKV * D, C, false);
            Support.Lin o = s.linear(C, H * D, false);
            // H = 6 is not a multiple of Hkv = 4
            assertThrows(IllegalArgumentException.class, () -> new MultiHeadAttention(
                    q.module(), kv.module(), kv.module(), o.module(), H, 4, null));
            // a key width that is not Hkv·D
            assertThrows(IllegalArgumentException.class, () -> new MultiHeadAttention(
                    q.module(), kv.module(), kv.module(), o.module(), H, 3, null));
            MultiHeadAttention attn = new MultiHeadAttention(q.module(), kv.module(),
                    kv.module(), o.module(), H, HKV, null);
            assertThrows(IllegalArgumentException.class,
                    () -> attn.forward(ops, s.input(T, C).tensor(), AttentionMask.NONE));
            assertThrows(IllegalArgumentException.class,
                    () -> attn.forward(ops, s.input(B, T, C + 1).tensor(), AttentionMask.NONE));
        }
    }
}
