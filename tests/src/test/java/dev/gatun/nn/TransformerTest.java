package dev.gatun.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

class TransformerTest {
    static final int C = 16;
    static final int H = 4;
    static final int HKV = 2;
    static final int F = 36;
    static final int VS = 13;
    static final int VT = 17;
    static final int TMAX = 12;
    static final int BOS = 1;
    static final int EOS = 2;

    static Stream<Arguments> backendsAndNorm() {
        List<Arguments> out = new ArrayList<>();
        for (String b : Support.backends()) {
            out.add(Arguments.of(b, false));
            out.add(Arguments.of(b, true));
        }
        return out.stream();
    }

    /** A random two-layer encoder-decoder and everything its reference needs. */
    record Model(Transformer module, Support.Param srcTable, Support.Param tgtTable,
                 double[] positions, List<Support.EncLayer> enc, Support.NormParams encNorm,
                 List<Support.DecLayer> dec, Support.NormParams decNorm, Support.Lin gen) {

        double[] embed(double[] table, int[] ids, int b, int t) {
            double[] x = new double[b * t * C];
            for (int i = 0; i < b * t; i++) {
                for (int c = 0; c < C; c++) {
                    x[i * C + c] = table[ids[i] * C + c] + positions[(i % t) * C + c];
                }
            }
            return x;
        }

        double[] encode(int[] src, int b, int ts, int[] lengths) {
            double[] h = embed(srcTable.values(), src, b, ts);
            for (Support.EncLayer l : enc) {
                h = l.apply(h, b, ts, lengths).out();
            }
            return encNorm == null ? h : encNorm.apply(h);
        }

        /** Logits [B, Tt, VT] of every target position. */
        double[] logits(int[] src, int ts, int[] lengths, int[] tgt, int b, int tt) {
            double[] memory = encode(src, b, ts, lengths);
            double[] h = embed(tgtTable.values(), tgt, b, tt);
            for (Support.DecLayer l : dec) {
                h = l.apply(h, b, tt, memory, ts, lengths);
            }
            return gen.apply(decNorm == null ? h : decNorm.apply(h));
        }
    }

    static Model model(Support s, boolean preNorm) {
        Support.Param src = s.param(1.0, VS, C);
        Support.Param tgt = s.param(1.0, VT, C);
        Tensor pos = Transformer.sinusoidalPositions(s.scope, DType.F32, TMAX, C);
        double[] posValues = new double[TMAX * C];
        float[] pf = pos.toFloatArray();
        for (int i = 0; i < pf.length; i++) {
            posValues[i] = pf[i];
        }
        List<Support.EncLayer> enc = List.of(s.encoderLayer(C, H, F, preNorm),
                s.encoderLayer(C, H, F, preNorm));
        List<Support.DecLayer> dec = List.of(s.decoderLayer(C, H, HKV, F, preNorm),
                s.decoderLayer(C, H, HKV, F, preNorm));
        Support.NormParams encNorm = preNorm ? s.layerNorm(C) : null;
        Support.NormParams decNorm = preNorm ? s.layerNorm(C) : null;
        Support.Lin gen = s.linear(VT, C, true);
        Transformer t = new Transformer(new Embedding(src.tensor()), new Embedding(tgt.tensor()),
                pos,
                new Encoder(enc.stream().map(Support.EncLayer::module).toList(),
                        encNorm == null ? null : encNorm.module()),
                new Decoder(dec.stream().map(Support.DecLayer::module).toList(),
                        decNorm == null ? null : decNorm.module()),
                gen.module());
        return new Model(t, src, tgt, posValues, enc, encNorm, dec, decNorm, gen);
    }

    @ParameterizedTest
    @MethodSource("backendsAndNorm")
    void forwardMatchesReference(String backend, boolean preNorm) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            Model m = model(s, preNorm);
            int b = 2;
            int ts = 7;
            int tt = 5;
            int[] src = s.ids(b * ts, VS);
            int[] tgt = s.ids(b * tt, VT);
            int[] lengths = {ts, 4};

            Tensor logits = m.module().forward(ops, Tensors.ints(ops, src, b, ts),
                    Tensors.ints(ops, lengths, b), Tensors.ints(ops, tgt, b, tt));
            assertArrayEquals(new long[] {b, tt, VT}, logits.shape());
            s.assertClose(m.logits(src, ts, lengths, tgt, b, tt), logits, 5e-5,
                    "Transformer logits " + (preNorm ? "pre-norm" : "post-norm"));
        }
    }

    @ParameterizedTest
    @MethodSource("backendsAndNorm")
    void greedyDecodeEqualsRecomputingEachStep(String backend, boolean preNorm) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            Model m = model(s, preNorm);
            int b = 3;
            int ts = 6;
            int maxLength = 9;
            int[] src = s.ids(b * ts, VS);
            int[] lengths = {ts, 2, 5};
            Tensor srcT = Tensors.ints(ops, src, b, ts);
            Tensor lenT = Tensors.ints(ops, lengths, b);

            int[][] cached = m.module().greedyDecode(ops, srcT, lenT, BOS, EOS, maxLength);

            // recompute: encode and decode the whole prefix again at every step
            int[][] recomputed = new int[b][];
            for (int i = 0; i < b; i++) {
                List<Integer> prefix = new ArrayList<>(List.of(BOS));
                List<Integer> emitted = new ArrayList<>();
                while (emitted.size() < maxLength) {
                    int next;
                    try (Scope stepScope = Scope.open()) {
                        Ops step = new Ops(ops.backend(), stepScope);
                        int[] one = Arrays.copyOfRange(src, i * ts, (i + 1) * ts);
                        int[] tgt = prefix.stream().mapToInt(Integer::intValue).toArray();
                        float[] logits = m.module().forward(step, Tensors.ints(step, one, 1, ts),
                                Tensors.ints(step, new int[] {lengths[i]}, 1),
                                Tensors.ints(step, tgt, 1, tgt.length)).toFloatArray();
                        next = argmax(logits, (tgt.length - 1) * VT, VT);

                        // the float64 reference agrees that this token is (near) the best
                        double[] ref = m.logits(one, ts, new int[] {lengths[i]}, tgt, 1,
                                tgt.length);
                        int r = (tgt.length - 1) * VT;
                        double best = Arrays.stream(ref, r, r + VT).max().orElseThrow();
                        assertTrue(ref[r + next] >= best - 1e-4, "sequence " + i + " step "
                                + emitted.size() + ": token " + next + " has reference logit "
                                + ref[r + next] + ", best is " + best + " (seed " + s.seed + ")");
                    }
                    emitted.add(next);
                    prefix.add(next);
                    if (next == EOS) {
                        break;
                    }
                }
                recomputed[i] = emitted.stream().mapToInt(Integer::intValue).toArray();
            }
            for (int i = 0; i < b; i++) {
                assertArrayEquals(recomputed[i], cached[i], "sequence " + i + " (seed "
                        + s.seed + ")");
            }
        }
    }

    @Test
    void sinusoidalPositionsFollowThePaper() {
        try (Scope scope = Scope.open()) {
            Tensor p = Transformer.sinusoidalPositions(scope, DType.F32, 50, 12);
            for (int pos = 0; pos < 50; pos++) {
                for (int i = 0; i < 6; i++) {
                    double angle = pos / Math.pow(10000, 2.0 * i / 12);
                    assertEquals(Math.sin(angle), p.getFloat(pos, 2 * i), 1e-6);
                    assertEquals(Math.cos(angle), p.getFloat(pos, 2 * i + 1), 1e-6);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backendsAndNorm")
    void rejectsDecodingPastThePositionTable(String backend, boolean preNorm) {
        try (Support s = new Support()) {
            Ops ops = s.ops(backend);
            Model m = model(s, preNorm);
            Tensor src = Tensors.ints(ops, s.ids(4, VS), 1, 4);
            assertThrows(IllegalArgumentException.class,
                    () -> m.module().greedyDecode(ops, src, null, BOS, EOS, TMAX + 1));
        }
    }

    static int argmax(float[] v, int from, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (v[from + i] > v[from + best]) {
                best = i;
            }
        }
        return best;
    }
}
