package dev.gatun.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatun.Activation;
import dev.gatun.DType;
import dev.gatun.Device;
import dev.gatun.GatunException;
import dev.gatun.RopeStyle;
import dev.gatun.Tensor;
import dev.gatun.ops.Reference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every op of the CUDA backend (fast kernels, and the reference twins as
 * "cuda-reference") against the CPU backend and a float64 reference computed here, at the
 * lengths T = 1, 97, 257, 1025 and head dims 8, 32, 64, 80, 128, in F32, F16 and BF16.
 * Each output is poisoned with NaN before the op, so an element it fails to write fails the
 * test. Tolerances are relative norm errors: 1e-5 in F32 (3e-3 for products, which run as
 * TF32), 3e-3 in F16, 1e-2 in BF16.
 *
 * <p>Skipped, with the reason, where there is no GPU. {@code -Dgatun.test.cudaTarget=native}
 * runs the same checks on the native backend, which checks the checks without a GPU.
 */
class CudaOpsTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.gatun.backend.cuda.GpuRun#targets")
    void matmulWithBiasActivationAndResidual(String target) {
        long k = 96;
        long n = 80;
        for (DType dtype : GpuRun.FLOATS) {
            for (long t : GpuRun.LENGTHS) {
                try (GpuRun r = GpuRun.open(target)) {
                    // a [1, T, K]; w the transpose of a [N, K] weight, shared: [1, K, N]
                    Tensor a = r.host(dtype, 1, t, k);
                    Tensor weight = r.host(dtype, n, k);
                    Tensor bias = r.host(dtype, n);
                    Tensor residual = r.host(dtype, 1, t, n);
                    long[] wShape = {1, k, n};
                    long[] wStrides = {0, 1, k};
                    Tensor w = GpuRun.view(weight, wShape, wStrides);

                    Tensor dst = r.poisoned(dtype, 1, t, n);
                    r.backend.matmul(r.up(a), GpuRun.view(r.up(weight), wShape, wStrides),
                            r.up(bias), Activation.GELU_ERF, r.up(residual), dst);
                    Tensor cpuDst = r.poisonedHost(dtype, 1, t, n);
                    r.cpu.matmul(a, w, bias, Activation.GELU_ERF, residual, cpuDst);

                    double[] ref = matmul(a, w, bias, Activation.GELU_ERF, residual);
                    r.check("matmul " + dtype + " [1, " + t + ", " + k + "] x [" + k + ", "
                            + n + "]", ref, r.down(dst), cpuDst.toFloatArray(),
                            GpuRun.tolerance(dtype, true));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.gatun.backend.cuda.GpuRun#targets")
    void batchedMatmulWithTransposedOperands(String target) {
        for (DType dtype : GpuRun.FLOATS) {
            for (long t : new long[] {1, 97, 257}) {
                try (GpuRun r = GpuRun.open(target)) {
                    long batch = 3;
                    long k = 40;
                    long n = 72;
                    // a: each [T, K] matrix stored transposed ([K, T]); w: [K, N] per batch
                    Tensor stored = r.host(dtype, batch, k, t);
                    long[] aShape = {batch, t, k};
                    long[] aStrides = {k * t, 1, t};
                    Tensor a = GpuRun.view(stored, aShape, aStrides);
                    Tensor w = r.host(dtype, batch, k, n);

                    Tensor dst = r.poisoned(dtype, batch, t, n);
                    r.backend.matmul(GpuRun.view(r.up(stored), aShape, aStrides), r.up(w),
                            null, Activation.NONE, null, dst);
                    Tensor cpuDst = r.poisonedHost(dtype, batch, t, n);
                    r.cpu.matmul(a, w, null, Activation.NONE, null, cpuDst);

                    r.check("batched matmul " + dtype + " [" + batch + ", " + t + ", " + k
                                    + "] (transposed) x [" + batch + ", " + k + ", " + n + "]",
                            matmul(a, w, null, Activation.NONE, null), r.down(dst),
                            cpuDst.toFloatArray(), GpuRun.tolerance(dtype, true));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.gatun.backend.cuda.GpuRun#targets")
    void addMulAndActivations(String target) {
        long c = 384;
        for (DType dtype : GpuRun.FLOATS) {
            for (long t : GpuRun.LENGTHS) {
                try (GpuRun r = GpuRun.open(target)) {
                    Tensor a = r.host(dtype, t, c);
                    Tensor row = r.host(dtype, c);
                    double[] av = GpuRun.doubles(a);
                    double[] bv = GpuRun.doubles(row);
                    double tol = GpuRun.tolerance(dtype, false);
                    for (String op : new String[] {"add", "mul"}) {
                        Tensor dst = r.poisoned(dtype, t, c);
                        Tensor cpuDst = r.poisonedHost(dtype, t, c);
                        double[] ref = new double[av.length];
                        for (int i = 0; i < av.length; i++) {
                            double b = bv[(int) (i % c)];
                            ref[i] = op.equals("add") ? av[i] + b : av[i] * b;
                        }
                        if (op.equals("add")) {
                            r.backend.add(r.up(a), r.up(row), dst);
                            r.cpu.add(a, row, cpuDst);
                        } else {
                            r.backend.mul(r.up(a), r.up(row), dst);
                            r.cpu.mul(a, row, cpuDst);
                        }
                        r.check(op + " " + dtype + " [" + t + ", " + c + "] by rows", ref,
                                r.down(dst), cpuDst.toFloatArray(), tol);
                    }
                    for (Activation act : Activation.values()) {
                        // over a wider range than [-1, 1), where the curves bend
                        Tensor x = r.uniform(dtype, -6, 6, t, c);
                        double[] xv = GpuRun.doubles(x);
                        double[] ref = new double[xv.length];
                        for (int i = 0; i < xv.length; i++) {
                            ref[i] = Reference.activation(act, xv[i]);
                        }
                        Tensor dst = r.poisoned(dtype, t, c);
                        Tensor cpuDst = r.poisonedHost(dtype, t, c);
                        r.backend.activation(act, r.up(x), dst);
                        r.cpu.activation(act, x, cpuDst);
                        r.check(act + " " + dtype + " [" + t + ", " + c + "]", ref,
                                r.down(dst), cpuDst.toFloatArray(), tol);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.gatun.backend.cuda.GpuRun#targets")
    void layerNormAndRmsNormWithResidualOnPaddedRows(String target) {
        for (DType dtype : GpuRun.FLOATS) {
            for (long c : new long[] {384, 1000}) {
                for (long t : GpuRun.LENGTHS) {
                    try (GpuRun r = GpuRun.open(target)) {
                        // src: a slice of wider rows (row stride C + 16)
                        Tensor wide = r.host(dtype, t, c + 16);
                        Tensor src = wide.slice(1, 0, c);
                        Tensor residual = r.host(dtype, t, c);
                        Tensor gamma = r.uniform(DType.F32, 0.5f, 1.5f, c);
                        Tensor beta = r.host(DType.F32, c);
                        for (boolean rms : new boolean[] {false, true}) {
                            normCase(r, dtype, t, c, wide, src, residual, gamma,
                                    rms ? null : beta, rms);
                        }
                    }
                }
            }
        }
    }

    private static void normCase(GpuRun r, DType dtype, long t, long c, Tensor wide,
                                 Tensor src, Tensor residual, Tensor gamma, Tensor beta,
                                 boolean rms) {
        float eps = 1e-5f;
        Tensor dst = r.poisoned(dtype, t, c);
        Tensor sum = r.poisoned(dtype, t, c);
        Tensor srcDev = r.up(wide).slice(1, 0, c);
        Tensor cpuDst = r.poisonedHost(dtype, t, c);
        Tensor cpuSum = r.poisonedHost(dtype, t, c);
        if (rms) {
            r.backend.rmsNorm(srcDev, r.up(residual), r.up(gamma), eps, dst, sum);
            r.cpu.rmsNorm(src, residual, gamma, eps, cpuDst, cpuSum);
        } else {
            r.backend.layerNorm(srcDev, r.up(residual), r.up(gamma), r.up(beta), eps, dst,
                    sum);
            r.cpu.layerNorm(src, residual, gamma, beta, eps, cpuDst, cpuSum);
        }

        // x = src + residual, rounded to the dtype (the statistics are taken of what sum holds)
        double[] s = GpuRun.doubles(src);
        double[] res = GpuRun.doubles(residual);
        float[] xs = new float[s.length];
        for (int i = 0; i < s.length; i++) {
            xs[i] = (float) (s[i] + res[i]);
        }
        double[] x = GpuRun.doubles(Tensor.fromFloats(r.scope, dtype, xs, t, c));
        double[] g = GpuRun.doubles(gamma);
        double[] b = beta == null ? null : GpuRun.doubles(beta);
        double[] ref = new double[x.length];
        for (int row = 0; row < t; row++) {
            int at = (int) (row * c);
            double mean = 0;
            for (int j = 0; j < c; j++) {
                mean += x[at + j];
            }
            mean = rms ? 0 : mean / c;
            double var = 0;
            for (int j = 0; j < c; j++) {
                var += (x[at + j] - mean) * (x[at + j] - mean);
            }
            double inv = 1 / Math.sqrt(var / c + eps);
            for (int j = 0; j < c; j++) {
                ref[at + j] = (x[at + j] - mean) * inv * g[j] + (b == null ? 0 : b[j]);
            }
        }
        String what = (rms ? "rmsNorm " : "layerNorm ") + dtype + " [" + t + ", " + c + "]";
        double tol = GpuRun.tolerance(dtype, false);
        r.check(what, ref, r.down(dst), cpuDst.toFloatArray(), Math.max(tol, 1e-5));
        r.check(what + " sum", x, r.down(sum), cpuSum.toFloatArray(), tol);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.gatun.backend.cuda.GpuRun#targets")
    void softmaxWithScaleMaskAndAFullyMaskedRow(String target) {
        long cols = 257;
        float scale = 0.7f;
        for (DType dtype : GpuRun.FLOATS) {
            for (long t : GpuRun.LENGTHS) {
                try (GpuRun r = GpuRun.open(target)) {
                    Tensor src = r.uniform(dtype, -4, 4, t, cols);
                    float[] m = new float[(int) (t * cols)];
                    for (int i = 0; i < m.length; i++) {
                        m[i] = i < cols ? Float.NEGATIVE_INFINITY // row 0: every key masked
                                : r.rng.nextInt(5) == 0 ? Float.NEGATIVE_INFINITY
                                : -r.rng.nextFloat();
                    }
                    Tensor mask = Tensor.fromFloats(r.scope, m, t, cols);
                    Tensor dst = r.poisoned(dtype, t, cols);
                    r.backend.softmax(r.up(src), scale, r.up(mask), dst);
                    Tensor cpuDst = r.poisonedHost(dtype, t, cols);
                    r.cpu.softmax(src, scale, mask, cpuDst);

                    double[] x = GpuRun.doubles(src);
                    double[] ref = new double[x.length];
                    for (int row = 0; row < t; row++) {
                        int at = (int) (row * cols);
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < cols; j++) {
                            max = Math.max(max, scale * x[at + j] + m[at + j]);
                        }
                        double sum = 0;
                        for (int j = 0; j < cols; j++) {
                            double v = max == Double.NEGATIVE_INFINITY ? 0
                                    : Math.exp(scale * x[at + j] + m[at + j] - max);
                            ref[at + j] = v;
                            sum += v;
                        }
                        for (int j = 0; j < cols; j++) {
                            ref[at + j] = sum == 0 ? 0 : ref[at + j] / sum;
                        }
                    }
                    float[] got = r.down(dst);
                    for (int j = 0; j < cols; j++) {
                        assertEquals(0f, got[j], r.what("softmax: a fully masked row is zeros"));
                    }
                    r.check("softmax " + dtype + " [" + t + ", " + cols + "]", ref, got,
                            cpuDst.toFloatArray(), GpuRun.tolerance(dtype, false));
                }
            }
        }
    }

    /** One attention shape: B, H, Hkv, Tq, Tk, D. */
    private record Shape(long b, long h, long hkv, long tq, long tk, long d) {
        @Override
        public String toString() {
            return "[B, H, Hkv, Tq, Tk, D] = [" + b + ", " + h + ", " + hkv + ", " + tq + ", "
                    + tk + ", " + d + "]";
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.gatun.backend.cuda.GpuRun#targets")
    void attentionOverHeadDimsLengthsAndMasks(String target) {
        for (long d : GpuRun.HEAD_DIMS) {
            for (DType dtype : GpuRun.FLOATS) {
                // grouped heads, Tq != Tk, causal with key lengths
                attentionCase(target, dtype, new Shape(2, 4, 2, 97, 257, d), true, false, true);
            }
        }
        for (DType dtype : GpuRun.FLOATS) {
            // decoding: one query over a long cache
            attentionCase(target, dtype, new Shape(2, 4, 1, 1, 1025, 64), true, false, false);
            // more queries than keys, causal: the first rows see nothing and are zeros
            attentionCase(target, dtype, new Shape(1, 2, 2, 257, 97, 80), true, true, false);
            // a long prefill
            attentionCase(target, dtype, new Shape(1, 2, 1, 1025, 1025, 128), true, false,
                    false);
            // an additive mask per key, no causality
            attentionCase(target, dtype, new Shape(2, 3, 3, 257, 257, 32), false, true, true);
        }
    }

    private static void attentionCase(String target, DType dtype, Shape s, boolean causal,
                                      boolean mask, boolean lengths) {
        try (GpuRun r = GpuRun.open(target)) {
            // q, k, v stored [B, T, heads, D] and viewed [B, heads, T, D], as the layers do
            Tensor qs = r.host(dtype, s.b(), s.tq(), s.h(), s.d());
            Tensor ks = r.host(dtype, s.b(), s.tk(), s.hkv(), s.d());
            Tensor vs = r.host(dtype, s.b(), s.tk(), s.hkv(), s.d());
            Tensor q = qs.permute(0, 2, 1, 3);
            Tensor k = ks.permute(0, 2, 1, 3);
            Tensor v = vs.permute(0, 2, 1, 3);
            long[] scores = {s.b(), s.h(), s.tq(), s.tk()};
            Tensor maskHost = mask ? r.uniform(DType.F32, -2, 0, s.b(), 1, 1, s.tk()) : null;
            int[] len = new int[(int) s.b()];
            for (int i = 0; i < len.length; i++) {
                len[i] = lengths ? (int) (s.tk() / 2 + 1 + i) : (int) s.tk();
            }
            Tensor lenHost = lengths ? Tensor.fromInts(r.scope, len, s.b()) : null;
            float scale = (float) (1 / Math.sqrt(s.d()));

            Tensor dst = r.poisoned(dtype, s.b(), s.h(), s.tq(), s.d());
            Tensor weights = r.poisoned(DType.F32, scores);
            r.backend.attention(r.up(qs).permute(0, 2, 1, 3), r.up(ks).permute(0, 2, 1, 3),
                    r.up(vs).permute(0, 2, 1, 3), scale, causal,
                    mask ? r.up(maskHost).expand(scores) : null,
                    lengths ? r.up(lenHost) : null, dst, weights);
            Tensor cpuDst = r.poisonedHost(dtype, s.b(), s.h(), s.tq(), s.d());
            Tensor cpuWeights = r.poisonedHost(DType.F32, scores);
            r.cpu.attention(q, k, v, scale, causal, mask ? maskHost.expand(scores) : null,
                    lenHost, cpuDst, cpuWeights);

            double[][] ref = attention(q, k, v, scale, causal, maskHost, len);
            String what = "attention " + dtype + " " + s + (causal ? " causal" : "")
                    + (mask ? " masked" : "") + (lengths ? " key lengths" : "");
            r.check(what, ref[0], r.down(dst), cpuDst.toFloatArray(),
                    dtype == DType.F32 ? 1e-4 : GpuRun.tolerance(dtype, false));
            r.check(what + ": weights", ref[1], r.down(weights), cpuWeights.toFloatArray(),
                    dtype == DType.F32 ? 5e-3 : GpuRun.tolerance(dtype, true));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.gatun.backend.cuda.GpuRun#targets")
    void ropeInBothStylesOnStridedInput(String target) {
        for (DType dtype : GpuRun.FLOATS) {
            for (long d : new long[] {64, 80, 128}) {
                for (long t : GpuRun.LENGTHS) {
                    for (RopeStyle style : RopeStyle.values()) {
                        try (GpuRun r = GpuRun.open(target)) {
                            ropeCase(r, dtype, t, d, style);
                        }
                    }
                }
            }
        }
    }

    private static void ropeCase(GpuRun r, DType dtype, long t, long d, RopeStyle style) {
        long b = 1;
        long h = 3;
        float theta = 10000;
        Tensor stored = r.host(dtype, b, t, h, d); // viewed [B, H, T, D]
        Tensor x = stored.permute(0, 2, 1, 3);
        int[] pos = new int[(int) t];
        int start = r.rng.nextInt(500);
        for (int i = 0; i < pos.length; i++) {
            pos[i] = start + i;
        }
        Tensor positions = Tensor.fromInts(r.scope, pos, t);
        Tensor dst = r.poisoned(dtype, b, h, t, d);
        r.backend.rope(r.up(stored).permute(0, 2, 1, 3), r.up(positions), theta, style, dst);
        Tensor cpuDst = r.poisonedHost(dtype, b, h, t, d);
        r.cpu.rope(x, positions, theta, style, cpuDst);

        double[] xv = GpuRun.doubles(x);
        double[] ref = new double[xv.length];
        for (int row = 0; row < b * h * t; row++) {
            int at = (int) (row * d);
            int p = pos[(int) (row % t)];
            for (int i = 0; i < d / 2; i++) {
                double angle = p * Math.pow(theta, -2.0 * i / d);
                int i0 = style == RopeStyle.INTERLEAVED ? 2 * i : i;
                int i1 = style == RopeStyle.INTERLEAVED ? 2 * i + 1 : (int) (i + d / 2);
                double x0 = xv[at + i0];
                double x1 = xv[at + i1];
                ref[at + i0] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
                ref[at + i1] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
            }
        }
        // fp32 angles at positions up to ~1500 lose about 1e-4 of a radian
        r.check("rope " + style + " " + dtype + " [1, 3, " + t + ", " + d + "] from "
                + start, ref, r.down(dst), cpuDst.toFloatArray(),
                Math.max(GpuRun.tolerance(dtype, false), 3e-4));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.gatun.backend.cuda.GpuRun#targets")
    void embeddingGathersRowsAndRejectsABadId(String target) {
        long vocab = 1000;
        long c = 384;
        for (DType dtype : GpuRun.FLOATS) {
            for (long t : GpuRun.LENGTHS) {
                try (GpuRun r = GpuRun.open(target)) {
                    Tensor wide = r.host(dtype, vocab, c + 8); // table rows padded
                    Tensor table = wide.slice(1, 0, c);
                    int[] idValues = new int[(int) t];
                    for (int i = 0; i < idValues.length; i++) {
                        idValues[i] = r.rng.nextInt((int) vocab);
                    }
                    Tensor ids = Tensor.fromInts(r.scope, idValues, t);
                    Tensor dst = r.poisoned(dtype, t, c);
                    r.backend.embedding(r.up(wide).slice(1, 0, c), r.up(ids), dst);
                    Tensor cpuDst = r.poisonedHost(dtype, t, c);
                    r.cpu.embedding(table, ids, cpuDst);

                    double[] tv = GpuRun.doubles(table);
                    double[] ref = new double[(int) (t * c)];
                    for (int i = 0; i < t; i++) {
                        System.arraycopy(tv, (int) (idValues[i] * c), ref, (int) (i * c),
                                (int) c);
                    }
                    r.check("embedding " + dtype + " [" + vocab + ", " + c + "] x " + t, ref,
                            r.down(dst), cpuDst.toFloatArray(), 0);
                }
            }
        }
        try (GpuRun r = GpuRun.open(target)) {
            Tensor table = r.up(r.host(DType.F32, vocab, c));
            Tensor ids = r.up(Tensor.fromInts(r.scope, new int[] {3, (int) vocab, 5}, 3));
            if (r.backend.device() == Device.CPU) {
                assertThrows(IllegalArgumentException.class, () -> r.ops.embedding(table, ids),
                        r.what("a host id out of range"));
            } else {
                GatunException e = assertThrows(GatunException.class,
                        () -> r.ops.embedding(table, ids), r.what("a device id out of range"));
                assertEquals(1, e.status(), r.what(e.getMessage()));
                assertTrue(e.getMessage().contains("1000"), r.what(e.getMessage()));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.gatun.backend.cuda.GpuRun#targets")
    void convertRoundsToNearestEven(String target) {
        for (DType from : GpuRun.FLOATS) {
            for (DType to : GpuRun.FLOATS) {
                try (GpuRun r = GpuRun.open(target)) {
                    long n = 1025;
                    Tensor src = r.uniform(from, -70000, 70000, n); // F16 overflows past 65504
                    Tensor dst = r.poisoned(to, n);
                    r.backend.convert(r.up(src), dst);
                    // Java's own rounding (Float.floatToFloat16, DType.floatToBf16) decides
                    float[] want = Tensor.fromFloats(r.scope, to, src.toFloatArray(), n)
                            .toFloatArray();
                    assertArrayEquals(want, r.down(dst), r.what("convert " + from + " -> "
                            + to));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.gatun.backend.cuda.GpuRun#targets")
    void stridedCopiesOnTheDevice(String target) {
        for (DType dtype : DType.values()) {
            try (GpuRun r = GpuRun.open(target)) {
                Tensor host = dtype == DType.I32
                        ? Tensor.fromInts(r.scope, java.util.stream.IntStream.range(0, 2 * 97
                                * 3 * 80).toArray(), 2, 97, 3, 80)
                        : r.host(dtype, 2, 97, 3, 80);
                // merge heads ([B, H, T, D] -> [B, T, H, D]) as attention does, on the device
                Tensor permuted = r.ops.copy(r.up(host).permute(0, 2, 1, 3));
                assertEquals(r.backend.device(), permuted.device());
                float[] want = host.permute(0, 2, 1, 3).contiguous(r.scope).toFloatArray();
                assertArrayEquals(want, r.down(permuted), r.what("copy of a permuted "
                        + dtype + " tensor"));
                // read back a strided view directly
                Tensor slice = r.up(host).slice(1, 5, 60).select(2, 1);
                assertArrayEquals(host.slice(1, 5, 60).select(2, 1).contiguous(r.scope)
                        .toFloatArray(), r.down(slice), r.what("toHost of a strided view"));
            }
        }
    }

    // ---- float64 references -------------------------------------------------------------------

    /** act(a w + bias) + residual: a [B, M, K], w [B, K, N] (views), bias [N], residual. */
    private static double[] matmul(Tensor a, Tensor w, Tensor bias, Activation act,
                                   Tensor residual) {
        long batch = a.dim(0);
        long m = a.dim(1);
        long k = a.dim(2);
        long n = w.dim(2);
        double[] av = GpuRun.doubles(a);
        double[] wv = GpuRun.doubles(w.dim(0) == batch ? w : w.expand(batch, k, n));
        double[] bv = bias == null ? null : GpuRun.doubles(bias);
        double[] rv = residual == null ? null : GpuRun.doubles(residual);
        double[] out = new double[(int) (batch * m * n)];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = bv == null ? 0 : bv[j];
                    for (int p = 0; p < k; p++) {
                        sum += av[(int) ((b * m + i) * k + p)] * wv[(int) ((b * k + p) * n + j)];
                    }
                    int at = (int) ((b * m + i) * n + j);
                    out[at] = Reference.activation(act, sum) + (rv == null ? 0 : rv[at]);
                }
            }
        }
        return out;
    }

    /**
     * softmax(scale q k^T + mask) v and the probabilities, with the causal rule (key j seen
     * by query i when j <= i + Tk - Tq) and key lengths; fully masked rows are zeros.
     */
    private static double[][] attention(Tensor q, Tensor k, Tensor v, float scale,
                                        boolean causal, Tensor mask, int[] lengths) {
        int b = (int) q.dim(0);
        int h = (int) q.dim(1);
        int tq = (int) q.dim(2);
        int d = (int) q.dim(3);
        int hkv = (int) k.dim(1);
        int tk = (int) k.dim(2);
        double[] qv = GpuRun.doubles(q);
        double[] kv = GpuRun.doubles(k);
        double[] vv = GpuRun.doubles(v);
        double[] mv = mask == null ? null : GpuRun.doubles(mask); // [B, 1, 1, Tk]
        double[] out = new double[b * h * tq * d];
        double[] probs = new double[b * h * tq * tk];
        double[] s = new double[tk];
        for (int bi = 0; bi < b; bi++) {
            for (int hi = 0; hi < h; hi++) {
                int kh = hi / (h / hkv);
                for (int i = 0; i < tq; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < tk; j++) {
                        boolean seen = j < lengths[bi] && (!causal || j <= i + tk - tq);
                        double dot = 0;
                        for (int x = 0; x < d; x++) {
                            dot += qv[((bi * h + hi) * tq + i) * d + x]
                                    * kv[((bi * hkv + kh) * tk + j) * d + x];
                        }
                        s[j] = seen ? scale * dot + (mv == null ? 0 : mv[bi * tk + j])
                                : Double.NEGATIVE_INFINITY;
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < tk; j++) {
                        s[j] = max == Double.NEGATIVE_INFINITY ? 0 : Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    int row = (bi * h + hi) * tq + i;
                    for (int j = 0; j < tk; j++) {
                        double p = sum == 0 ? 0 : s[j] / sum;
                        probs[row * tk + j] = p;
                        for (int x = 0; x < d; x++) {
                            out[row * d + x] += p * vv[((bi * hkv + kh) * tk + j) * d + x];
                        }
                    }
                }
            }
        }
        return new double[][] {out, probs};
    }
}
