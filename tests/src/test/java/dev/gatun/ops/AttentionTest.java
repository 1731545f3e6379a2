package dev.gatun.ops;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.ops.TestBackends.Case;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Ops#attention} and {@link Ops#attentionWithWeights} against float64: grouped-query
 * heads, one query over a cache of 37 keys, causal masks with Tq < Tk (bottom-right
 * aligned), key lengths including 0, additive padding and full masks, fully masked rows
 * (zeros), head dims 8, 16, 64 and 80, and q/k/v given as [B, T, H, D] tensors permuted to
 * [B, H, T, D]; and {@link Ops#raggedAttention} against the same reference with a
 * block-diagonal mask.
 */
class AttentionTest {

    /** One attention problem. lengths may be null; maskShape null means no mask. */
    record Spec(String name, int b, int h, int hkv, int tq, int tk, int d, boolean causal,
                long[] maskShape, int[] lengths, boolean permuted) {}

    private static final Spec[] SPECS = {
        new Spec("plain", 2, 4, 4, 17, 17, 16, false, null, null, false),
        new Spec("GQA 8 over 2, D=80", 1, 8, 2, 5, 33, 80, false, null, null, false),
        new Spec("decode Tq=1 Tk=37", 2, 4, 2, 1, 37, 64, true, null, null, false),
        new Spec("causal Tq<Tk", 1, 3, 1, 5, 37, 8, true, null, null, false),
        new Spec("causal Tq=Tk=67", 1, 2, 2, 67, 67, 16, true, null, null, false),
        new Spec("key lengths", 2, 2, 1, 3, 37, 16, false, null, new int[] {37, 20}, false),
        new Spec("key length 0", 2, 2, 2, 3, 37, 8, true, null, new int[] {0, 5}, false),
        new Spec("padding mask", 2, 4, 4, 9, 9, 16, false, new long[] {2, 1, 1, 9}, null,
                false),
        new Spec("full mask", 2, 2, 1, 6, 11, 8, false, new long[] {2, 2, 6, 11}, null,
                false),
        new Spec("masked rows", 1, 2, 2, 4, 7, 8, false, new long[] {4, 7}, null, false),
        new Spec("permuted [B,T,H,D]", 2, 4, 2, 7, 19, 16, true, new long[] {19},
                new int[] {19, 12}, true),
        // the native backend has four paths: on AVX-512 CPUs, F32 calls with Tq·Tk·D at
        // most 65536 and Tk, D at most 128 run per head in registers (the F32 cases above
        // but "causal Tq=Tk=67"); else the whole call at once when B·H·Tq·Tk·D is at least
        // 2^20 and Tq > 8 (the first two below), else per block of query rows, by plain
        // loops when rows·Tk·D is at most 65536 (the cases above), else by oneDNN matmuls:
        // "long keys, mask" has one row alone over that limit, whatever the thread count
        // that sets the blocks, and its Tq <= 8 takes the runtime-Tk matmuls
        new Spec("long, GQA, key lengths", 2, 4, 2, 130, 130, 64, true, null,
                new int[] {130, 77}, false),
        new Spec("whole call, mask, D=48", 3, 4, 4, 32, 80, 48, false,
                new long[] {3, 1, 1, 80}, null, true),
        new Spec("long keys, mask", 1, 2, 2, 4, 2100, 32, false, new long[] {4, 2100}, null,
                true),
    };

    static Stream<Arguments> cases() {
        return TestBackends.all().flatMap(c -> Stream.of(DType.F32, DType.BF16, DType.F16)
                .map(d -> Arguments.of(c, d)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesReference(Case c, DType dtype) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            for (Spec s : SPECS) {
                check(ops, scope, rng, dtype, s, "seed=" + seed + " " + c + " " + dtype + " "
                        + s.name());
            }
        }
    }

    private static void check(Ops ops, Scope scope, Random rng, DType dtype, Spec s,
                              String what) {
        Tensor q = heads(scope, rng, dtype, s.b(), s.h(), s.tq(), s.d(), s.permuted());
        Tensor k = heads(scope, rng, dtype, s.b(), s.hkv(), s.tk(), s.d(), s.permuted());
        Tensor v = heads(scope, rng, dtype, s.b(), s.hkv(), s.tk(), s.d(), s.permuted());
        long[] scoreShape = {s.b(), s.h(), s.tq(), s.tk()};
        Tensor mask = null;
        double[] fullMask = null;
        if (s.maskShape() != null) {
            float[] m = Data.uniform(rng, (int) Data.numel(s.maskShape()), -2, 2);
            // mask some entries outright, and for "masked rows" one whole row
            for (int i = 0; i < m.length; i += 3) {
                m[i] = Float.NEGATIVE_INFINITY;
            }
            if (s.name().equals("masked rows")) {
                Arrays.fill(m, 7, 14, Float.NEGATIVE_INFINITY);
            }
            mask = Tensor.fromFloats(scope, m, s.maskShape());
            fullMask = SoftmaxTest.broadcast(Data.values(mask), s.maskShape(), scoreShape);
        }
        Tensor lengths = s.lengths() == null ? null
                : Tensor.fromInts(scope, s.lengths(), s.b());
        float scale = (float) (1 / Math.sqrt(s.d()));

        double[][] ref = reference(Data.values(q), Data.values(k), Data.values(v), s, scale,
                fullMask);
        Ops.AttentionResult got = ops.attentionWithWeights(q, k, v, scale, s.causal(), mask,
                lengths);
        Data.assertClose(ref[0], got.output(), new long[] {s.b(), s.h(), s.tq(), s.d()},
                Data.tolerance(dtype), what + " output");
        Data.assertClose(ref[1], got.weights(), scoreShape, Data.tolerance(dtype),
                what + " weights");
        Data.assertClose(ref[0], ops.attention(q, k, v, scale, s.causal(), mask, lengths),
                new long[] {s.b(), s.h(), s.tq(), s.d()}, Data.tolerance(dtype),
                what + " output without weights");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void raggedBatchesMatchABlockDiagonalReference(Case c, DType dtype) {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(c.require(), scope);
            for (boolean causal : new boolean[] {false, true}) {
                // random lengths, a 1-token sequence among them, one past the native
                // backend's per-head register path (Tk <= 128)
                int[] lengths = {1 + rng.nextInt(20), 1, 1 + rng.nextInt(40), 130,
                    1 + rng.nextInt(9)};
                int n = Arrays.stream(lengths).sum();
                int h = 4;
                int hkv = 2;
                int d = 16;
                String what = "seed=" + seed + " " + c + " " + dtype + " ragged "
                        + Arrays.toString(lengths) + " causal=" + causal;
                Tensor q = heads(scope, rng, dtype, 1, h, n, d, true);
                Tensor k = heads(scope, rng, dtype, 1, hkv, n, d, true);
                Tensor v = heads(scope, rng, dtype, 1, hkv, n, d, true);
                // the reference sees one sequence of N with every other block's keys masked
                double[] blocks = new double[h * n * n];
                Arrays.fill(blocks, Double.NEGATIVE_INFINITY);
                int start = 0;
                for (int len : lengths) {
                    for (int hi = 0; hi < h; hi++) {
                        for (int i = start; i < start + len; i++) {
                            Arrays.fill(blocks, (hi * n + i) * n + start,
                                    (hi * n + i) * n + start + len, 0);
                        }
                    }
                    start += len;
                }
                float scale = (float) (1 / Math.sqrt(d));
                Spec s = new Spec("ragged", 1, h, hkv, n, n, d, causal, null, null, true);
                double[] ref = reference(Data.values(q), Data.values(k), Data.values(v), s,
                        scale, blocks)[0];
                Data.assertClose(ref, ops.raggedAttention(q, k, v, scale, causal, lengths),
                        new long[] {1, h, n, d}, Data.tolerance(dtype), what);
            }

            Tensor q = Data.random(scope, rng, dtype, 1, 2, 10, 8);
            assertThrows(IllegalArgumentException.class, () -> ops.raggedAttention(q, q, q, 1f,
                    false, new int[] {4, 5}), "lengths summing to 9, not 10");
            assertThrows(IllegalArgumentException.class, () -> ops.raggedAttention(q, q, q, 1f,
                    false, new int[] {10, 0}), "a length of 0");
            Tensor two = Data.random(scope, rng, dtype, 2, 2, 5, 8);
            assertThrows(IllegalArgumentException.class, () -> ops.raggedAttention(two, two,
                    two, 1f, false, new int[] {5}), "B = 2");
        }
    }

    /** A [B, H, T, D] tensor, contiguous or the permuted view of a [B, T, H, D] one. */
    private static Tensor heads(Scope scope, Random rng, DType dtype, int b, int h, int t,
                                int d, boolean permuted) {
        if (permuted) {
            return Data.random(scope, rng, dtype, b, t, h, d).permute(0, 2, 1, 3);
        }
        return Data.random(scope, rng, dtype, b, h, t, d);
    }

    /** {output [B, H, Tq, D], weights [B, H, Tq, Tk]} in double. */
    static double[][] reference(double[] q, double[] k, double[] v, Spec s, double scale,
                                double[] mask) {
        int b = s.b();
        int h = s.h();
        int tq = s.tq();
        int tk = s.tk();
        int d = s.d();
        double[] out = new double[b * h * tq * d];
        double[] weights = new double[b * h * tq * tk];
        for (int bi = 0; bi < b; bi++) {
            for (int hi = 0; hi < h; hi++) {
                int g = hi / (h / s.hkv());
                for (int i = 0; i < tq; i++) {
                    double[] p = new double[tk];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < tk; j++) {
                        boolean hidden = (s.causal() && j > i + tk - tq)
                                || (s.lengths() != null && j >= s.lengths()[bi]);
                        double dot = 0;
                        for (int c = 0; c < d; c++) {
                            dot += q[((bi * h + hi) * tq + i) * d + c]
                                    * k[((bi * s.hkv() + g) * tk + j) * d + c];
                        }
                        double m = mask == null ? 0 : mask[((bi * h + hi) * tq + i) * tk + j];
                        p[j] = hidden ? Double.NEGATIVE_INFINITY : scale * dot + m;
                        max = Math.max(max, p[j]);
                    }
                    if (max == Double.NEGATIVE_INFINITY) {
                        continue; // no visible key: zeros
                    }
                    double sum = 0;
                    for (int j = 0; j < tk; j++) {
                        p[j] = Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    int row = (bi * h + hi) * tq + i;
                    for (int j = 0; j < tk; j++) {
                        p[j] /= sum;
                        weights[row * tk + j] = p[j];
                        for (int c = 0; c < d; c++) {
                            out[row * d + c] += p[j] * v[((bi * s.hkv() + g) * tk + j) * d + c];
                        }
                    }
                }
            }
        }
        return new double[][] {out, weights};
    }
}
