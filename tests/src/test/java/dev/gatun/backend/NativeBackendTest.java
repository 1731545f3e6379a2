package dev.gatun.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatun.Activation;
import dev.gatun.Backends;
import dev.gatun.DType;
import dev.gatun.GatunException;
import dev.gatun.PackedWeight;
import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.bindings.gatun_h;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What is specific to {@link NativeBackend}: its primitive cache, native failures becoming
 * {@link GatunException}, the matmul operand layouts it hands to oneDNN (transposed, strided,
 * broadcast), and each op against a plain float64 loop written here, for F32, BF16 and F16.
 *
 * <p>Inputs are fresh random values each run; every message carries the seed. References
 * are computed from the inputs as stored (already rounded to their dtype), so the tolerance
 * (relative L2 error) measures only the kernel: 1e-5 for F32, 1e-2 for BF16, 3e-3 for F16.
 */
class NativeBackendTest {
    private final NativeBackend backend = new NativeBackend();
    private final long seed = System.nanoTime();
    private final Random random = new Random(seed);
    private Scope scope;

    @BeforeEach
    void open() {
        scope = Scope.open();
    }

    @AfterEach
    void close() {
        scope.close();
    }

    // ---- the backend as a service ------------------------------------------------------------

    @Test
    void isRegisteredAsTheNativeProvider() {
        assertInstanceOf(NativeBackend.class, Backends.get("native"));
        assertTrue(Backends.list().stream()
                        .anyMatch(i -> i.name().equals("native") && i.usable()
                                && i.priority() == 100),
                "Backends.list() = " + Backends.list());
    }

    // ---- primitive cache ---------------------------------------------------------------------

    @Test
    void theSameShapeTwiceReusesItsPrimitive() {
        // a shape no other test uses, so the first call must build a primitive; with a bias,
        // since a plain f32 product goes to dnnl_sgemm, which has no primitive to cache
        long m = 200 + random.nextInt(100), k = 31, n = 29;
        Tensor a = random(DType.F32, 1, m, k);
        Tensor w = random(DType.F32, 1, k, n);
        Tensor bias = random(DType.F32, n);
        Tensor dst = Tensor.allocate(scope, DType.F32, 1, m, n);

        NativeBackend.CacheStats before = NativeBackend.cacheStats();
        backend.matmul(a, w, bias, Activation.NONE, null, dst);
        NativeBackend.CacheStats first = NativeBackend.cacheStats();
        backend.matmul(a, w, bias, Activation.NONE, null, dst);
        NativeBackend.CacheStats second = NativeBackend.cacheStats();

        String at = "seed " + seed + ", m=" + m + ": " + before + " -> " + first + " -> "
                + second;
        assertTrue(first.created() > before.created(), "first call builds: " + at);
        assertEquals(first.created(), second.created(), "second call builds nothing: " + at);
        assertTrue(second.hits() > first.hits(), "second call hits the cache: " + at);
    }

    @Test
    void decodeStepsOverAGrowingCacheReuseTheirMatmuls() {
        int b = 1, h = 4, hkv = 2, d = 32, capacity = 40;
        Tensor kCache = random(DType.F32, b, hkv, capacity, d);
        Tensor vCache = random(DType.F32, b, hkv, capacity, d);
        Tensor dst = Tensor.allocate(scope, DType.F32, b, h, 1, d);
        int[] lengths = {1, 2, 3, 20, 21, 22};  // a generation's first steps, and later ones
        for (int tk : lengths) {
            Tensor q = random(DType.F32, b, h, 1, d);
            Tensor k = kCache.slice(2, 0, tk), v = vCache.slice(2, 0, tk);
            NativeBackend.CacheStats before = NativeBackend.cacheStats();
            backend.attention(q, k, v, 0.2f, true, null, null, dst, null);
            NativeBackend.CacheStats after = NativeBackend.cacheStats();
            assertClose(DType.F32, attentionReference(q, k, v, 0.2f, true, null, null)[0],
                    dst, "decode step Tk=" + tk);
            if (tk > 1) {
                // one softmax per new length; the two matmuls take Tk at run time
                assertTrue(after.created() - before.created() <= 1, "seed " + seed
                        + ", Tk=" + tk + ": " + before + " -> " + after);
            }
        }
    }

    @Test
    void threadsCallingAtOnceGetTheirOwnScratch() throws Exception {
        // each thread runs its own shape, so a scratch buffer or stream shared by mistake
        // would mix results; all threads share the primitive cache
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int tq = 5 + 3 * t, d = 16 * (t + 1);
                Tensor q = random(DType.F32, 2, 2, tq, d);
                Tensor k = random(DType.F32, 2, 1, 11, d);
                Tensor v = random(DType.F32, 2, 1, 11, d);
                double[] expected = attentionReference(q, k, v, 0.3f, true, null, null)[0];
                Tensor dst = Tensor.allocate(scope, DType.F32, 2, 2, tq, d);
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 30; i++) {
                        backend.attention(q, k, v, 0.3f, true, null, null, dst, null);
                        assertClose(DType.F32, expected, dst, "attention on a thread, run " + i);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- native failures ---------------------------------------------------------------------

    @Test
    void aNativeStatusBecomesGatunExceptionWithTheNativeMessage() {
        Tensor a = random(DType.F32, 10);
        Tensor b = random(DType.F32, 3);
        Tensor dst = Tensor.allocate(scope, DType.F32, 10);
        int status = gatun_h.gatun_binary(gatun_h.GATUN_BINARY_ADD, gatun_h.GATUN_F32, 10,
                a.segment(), b.segment(), 3, dst.segment());

        GatunException e = assertThrows(GatunException.class,
                () -> NativeBackend.check("add", status));
        assertEquals(gatun_h.GATUN_ERR_INVALID_ARGUMENT, e.status());
        assertTrue(e.getMessage().contains("add failed")
                        && e.getMessage().contains("INVALID_ARGUMENT")
                        && e.getMessage().contains("gatun_binary: b_len must divide n, got "
                        + "n=10 b_len=3"),
                e.getMessage());
    }

    @Test
    void badArgumentsAreRejectedNatively() {
        assertNativeError("dtype must be F32 (0), F16 (1) or BF16 (2), got 3 (I32)",
                gatun_h.gatun_unary(gatun_h.GATUN_ACT_SILU, gatun_h.GATUN_I32, 4,
                        random(DType.F32, 4).segment(), random(DType.F32, 4).segment()));
        assertNativeError("src must not be NULL", gatun_h.gatun_softmax(gatun_h.GATUN_F32,
                2, 3, MemorySegment.NULL, 3, 1f, MemorySegment.NULL, 0,
                random(DType.F32, 6).segment(), 3));
        assertNativeError("H must be a multiple of Hkv, got H=3 Hkv=2",
                gatun_h.gatun_attention(gatun_h.GATUN_F32, 1, 3, 2, 1, 1, 1,
                        MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL,
                        MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, 1f, 0,
                        MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL,
                        MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL));
        Tensor lengths = Tensor.fromInts(scope, new int[] {2, 0, 1}, 3);
        Tensor qkv = random(DType.F32, 2, 3, 4);
        MemorySegment strides = Tensor.allocate(scope, DType.F32, 6).segment(); // 3 longs
        strides.setAtIndex(ValueLayout.JAVA_LONG, 0, 12);
        strides.setAtIndex(ValueLayout.JAVA_LONG, 1, 4);
        strides.setAtIndex(ValueLayout.JAVA_LONG, 2, 1);
        assertNativeError("lengths[1] must be >= 1, got 0",
                gatun_h.gatun_attention_ragged(gatun_h.GATUN_F32, 3, lengths.segment(), 2, 2,
                        4, qkv.segment(), strides, qkv.segment(), strides, qkv.segment(),
                        strides, 1f, 0, qkv.segment(), strides));
        assertNativeError("q_strides must not be NULL",
                gatun_h.gatun_attention_ragged(gatun_h.GATUN_F32, 1, lengths.segment(), 2, 2,
                        4, qkv.segment(), MemorySegment.NULL, qkv.segment(), strides,
                        qkv.segment(), strides, 1f, 0, qkv.segment(), strides));
        assertNativeError("D must be even, got 5", gatun_h.gatun_rope(gatun_h.GATUN_F32, 1,
                1, 1, 5, random(DType.F32, 5).segment(), MemorySegment.NULL,
                MemorySegment.NULL, 10000f, 0, random(DType.F32, 5).segment(),
                MemorySegment.NULL));
        // zero-size dims do nothing and succeed, whatever the pointers
        assertEquals(gatun_h.GATUN_OK, gatun_h.gatun_matmul(gatun_h.GATUN_F32, 0, 4, 4, 4,
                MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL,
                MemorySegment.NULL, 0, MemorySegment.NULL, MemorySegment.NULL,
                MemorySegment.NULL, MemorySegment.NULL));
    }

    /** The status is INVALID_ARGUMENT and the native message contains rule. */
    private void assertNativeError(String rule, int status) {
        GatunException e = assertThrows(GatunException.class,
                () -> NativeBackend.check("op", status), "seed " + seed + ": " + rule);
        assertEquals(gatun_h.GATUN_ERR_INVALID_ARGUMENT, e.status(), e.getMessage());
        assertTrue(e.getMessage().contains(rule), e.getMessage());
    }

    @Test
    void anIdOutOfRangeFailsBeforeAnyWrite() {
        Tensor table = random(DType.F32, 5, 3);
        Tensor ids = Tensor.fromInts(scope, new int[] {0, 4, 5}, 3);
        Tensor dst = Tensor.fromFloats(scope, new float[9], 3, 3);

        GatunException e = assertThrows(GatunException.class,
                () -> backend.embedding(table, ids, dst));
        assertTrue(e.getMessage().contains("ids[2] must be in [0, V=5), got 5"),
                e.getMessage());
        assertArrayEquals(new float[9], dst.toFloatArray(), "dst was written");
    }

    // ---- matmul ------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void matmulWithBiasActivationAndResidual(DType dtype) {
        long batch = 3, m = 37, k = 80, n = 97;
        for (Activation act : Activation.values()) {
            Tensor a = random(dtype, batch, m, k);
            Tensor w = random(dtype, batch, k, n);
            Tensor bias = random(dtype, n);
            Tensor residual = random(dtype, batch, m, n);
            Tensor dst = Tensor.allocate(scope, dtype, batch, m, n);
            backend.matmul(a, w, bias, act, residual, dst);
            assertClose(dtype, matmulReference(a, w, bias, act, residual), dst,
                    "matmul " + act);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void matmulTakesStridedTransposedAndBroadcastOperands(DType dtype) {
        long batch = 2, m = 33, k = 48, n = 65;
        // a transposed: stored [batch, K, M]; w a transposed [N, K] weight shared by batches
        Tensor aT = random(dtype, batch, k, m).transpose(1, 2);
        Tensor wShared = random(dtype, n, k).transpose(0, 1).unsqueeze(0).expand(batch, k, n);
        // a with row stride K + 7; dst with row stride N + 5
        Tensor aWide = random(dtype, batch, m, k + 7).slice(2, 3, 3 + k);
        Tensor dstWide = Tensor.allocate(scope, dtype, batch, m, n + 5).slice(2, 0, n);
        // a residual shared by batches, and one that is transposed (not dense)
        Tensor rShared = random(dtype, m, n).expand(batch, m, n);
        Tensor rT = random(dtype, batch, n, m).transpose(1, 2);
        // dst transposed (last stride != 1); a shared by batches with w per batch
        Tensor dstT = Tensor.allocate(scope, dtype, batch, n, m).transpose(1, 2);
        Tensor aShared = random(dtype, m, k).expand(batch, m, k);
        Tensor wBatched = random(dtype, batch, k, n);

        Object[][] cases = {
            {"a transposed, w broadcast", aT, wShared, rShared, dstWide},
            {"a row stride > K", aWide, wBatched, rT, Tensor.allocate(scope, dtype, batch, m, n)},
            {"dst transposed", aT, wBatched, null, dstT},
            {"a broadcast", aShared, wBatched, rT, dstWide},
            {"a broadcast, w broadcast", aShared, wShared, rShared, dstT},
        };
        for (Object[] c : cases) {
            Tensor a = (Tensor) c[1], w = (Tensor) c[2], r = (Tensor) c[3], dst = (Tensor) c[4];
            Tensor bias = random(dtype, n);
            backend.matmul(a, w, bias, Activation.GELU_TANH, r, dst);
            assertClose(dtype, matmulReference(a, w, bias, Activation.GELU_TANH, r), dst,
                    "matmul, " + c[0]);
        }
    }

    @Test
    void matmulWithEmptyKIsActivatedBiasPlusResidual() {
        Tensor a = Tensor.allocate(scope, DType.F32, 2, 3, 0);
        Tensor w = Tensor.allocate(scope, DType.F32, 2, 0, 4);
        Tensor bias = random(DType.F32, 4);
        Tensor residual = random(DType.F32, 2, 3, 4);
        Tensor dst = Tensor.allocate(scope, DType.F32, 2, 3, 4);
        backend.matmul(a, w, bias, Activation.SILU, residual, dst);
        assertClose(DType.F32, matmulReference(a, w, bias, Activation.SILU, residual), dst,
                "matmul K=0");
    }

    @Test
    void aWeightPackedWhereAFreedOneLayIsStillAccepted() {
        // a model closed and another loaded: the allocator hands the new packed weight the
        // freed one's address, so its record equals the old one. The backend must know the
        // new record; once the old one is collected, a lookup that kept the old key fails.
        long m = 5, k = 48, n = 40;
        Tensor a = random(DType.F32, 1, m, k);
        Tensor w = random(DType.F32, 1, k, n);
        double[] expected = matmulReference(a, w, null, Activation.NONE, null);
        Tensor a2 = a.reshape(m, k), w2 = w.reshape(k, n);
        for (int round = 0; round < 8; round++) {
            try (Scope first = Scope.open()) {
                backend.packWeight(first, w2);
            }
            try (Scope second = Scope.open()) {
                PackedWeight packed = backend.packWeight(second, w2);
                System.gc();
                Tensor dst = Tensor.allocate(second, DType.F32, m, n);
                backend.matmulPacked(a2, packed, null, Activation.NONE, null, dst);
                assertClose(DType.F32, expected, dst, "packed weight, round " + round);
            }
        }
    }

    private double[] matmulReference(Tensor a, Tensor w, Tensor bias, Activation act,
                                     Tensor residual) {
        int batch = (int) a.dim(0), m = (int) a.dim(1), k = (int) a.dim(2);
        int n = (int) w.dim(2);
        float[] av = a.toFloatArray(), wv = w.toFloatArray();
        float[] bv = bias == null ? null : bias.toFloatArray();
        float[] rv = residual == null ? null : residual.toFloatArray();
        double[] out = new double[batch * m * n];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = bv == null ? 0 : bv[j];
                    for (int p = 0; p < k; p++) {
                        sum += (double) av[(b * m + i) * k + p] * wv[(b * k + p) * n + j];
                    }
                    int o = (b * m + i) * n + j;
                    out[o] = activate(act, sum) + (rv == null ? 0 : rv[o]);
                }
            }
        }
        return out;
    }

    // ---- elementwise -------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void addMulAndActivations(DType dtype) {
        long rows = 41, c = 83;
        Tensor a = random(dtype, rows, c);
        Tensor b = random(dtype, c);
        float[] av = a.toFloatArray(), bv = b.toFloatArray();
        Tensor dst = Tensor.allocate(scope, dtype, rows, c);

        backend.add(a, b, dst);
        assertClose(dtype, elementwise(av.length, i -> av[i] + (double) bv[i % (int) c]), dst,
                "add");
        backend.mul(a, b, dst);
        assertClose(dtype, elementwise(av.length, i -> (double) av[i] * bv[i % (int) c]), dst,
                "mul");
        for (Activation act : Activation.values()) {
            backend.activation(act, a, dst);
            assertClose(dtype, elementwise(av.length, i -> activate(act, av[i])), dst,
                    "activation " + act);
        }
        // the negative tails, where 1 + erf(x) cancels: each value to its relative tolerance
        float[] tail = new float[300];
        for (int i = 0; i < tail.length; i++) {
            tail[i] = -9f + 8.5f * i / tail.length;
        }
        Tensor t = Tensor.fromFloats(scope, dtype, tail, tail.length);
        float[] tv = t.toFloatArray();
        Tensor tOut = Tensor.allocate(scope, dtype, tail.length);
        for (Activation act : Activation.values()) {
            backend.activation(act, t, tOut);
            float[] got = tOut.toFloatArray();
            for (int i = 0; i < tail.length; i++) {
                double expected = activate(act, tv[i]);
                // F16 flushes what is below its smallest subnormal, 2^-24
                double floor = dtype == DType.F16 ? 0x1p-24 : 0;
                assertEquals(expected, got[i], Math.max(Math.abs(expected) * tolerance(dtype)
                                * 4, floor),
                        "seed " + seed + ": " + act + " " + dtype + " at x=" + tv[i]);
            }
        }

        backend.activation(Activation.GELU_ERF, a, a); // in place
        assertClose(dtype, elementwise(av.length, i -> activate(Activation.GELU_ERF, av[i])),
                a, "activation in place");
    }

    @Test
    void convertRoundsToNearestEven() {
        float[] values = new float[1000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(9) - 4));
        }
        values[0] = Float.NaN;
        values[1] = Float.NEGATIVE_INFINITY;
        values[2] = 1f + 0x1p-8f; // a bf16 tie: rounds to even (1.0)
        Tensor src = Tensor.fromFloats(scope, values, values.length);
        for (DType to : new DType[] {DType.BF16, DType.F16}) {
            Tensor dst = Tensor.allocate(scope, to, values.length);
            backend.convert(src, dst);
            Tensor back = Tensor.allocate(scope, DType.F32, values.length);
            backend.convert(dst, back);
            float[] got = back.toFloatArray();
            for (int i = 0; i < values.length; i++) {
                float expected = to == DType.BF16
                        ? DType.bf16ToFloat(DType.floatToBf16(values[i]))
                        : Float.float16ToFloat(Float.floatToFloat16(values[i]));
                assertEquals(expected, got[i], 0f, "seed " + seed + ": F32 -> " + to
                        + " -> F32 of " + values[i]);
            }
        }
    }

    // ---- norms -------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void layerNormWithResidualTakesTheVarianceFromCentredValues(DType dtype) {
        int rows = 19, c = 384;
        // a mean of 100 next to a spread of 1.4: E[x^2] - E[x]^2 in fp32 would be off by
        // ~0.3%, 300 times the tolerance
        float offset = dtype == DType.F32 ? 100f : 10f;
        Tensor src = random(dtype, offset, rows, c);
        Tensor residual = random(dtype, rows, c);
        Tensor gamma = random(DType.F32, c);
        Tensor beta = random(DType.F32, c);
        Tensor dst = Tensor.allocate(scope, dtype, rows, c);
        Tensor sum = Tensor.allocate(scope, dtype, rows, c);
        double[] x = add(src.toFloatArray(), residual.toFloatArray());

        backend.layerNorm(src, residual, gamma, beta, 1e-5f, dst, sum);
        assertClose(dtype, x, sum, "layerNorm sumDst");
        assertClose(dtype, normReference(x, c, gamma, beta, 1e-5, false), dst, "layerNorm");

        // in place, no residual, row stride > C
        Tensor wide = random(dtype, rows, c + 16).slice(1, 0, c);
        double[] w = toDouble(wide.toFloatArray());
        backend.layerNorm(wide, null, null, null, 1e-5f, wide, null);
        assertClose(dtype, normReference(w, c, null, null, 1e-5, false), wide,
                "layerNorm in place");
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void rmsNormWithResidual(DType dtype) {
        int rows = 23, c = 200;
        Tensor src = random(dtype, rows, c);
        Tensor residual = random(dtype, rows, c);
        Tensor gamma = random(DType.F32, c);
        Tensor dst = Tensor.allocate(scope, dtype, rows, c);
        double[] x = add(src.toFloatArray(), residual.toFloatArray());

        backend.rmsNorm(src, residual, gamma, 1e-6f, dst, null);
        assertClose(dtype, normReference(x, c, gamma, null, 1e-6, true), dst, "rmsNorm");

        // residual stream updated in place: sumDst aliases the residual
        backend.rmsNorm(src, residual, gamma, 1e-6f, dst, residual);
        assertClose(dtype, x, residual, "rmsNorm sumDst = residual");
    }

    private static double[] normReference(double[] x, int c, Tensor gamma, Tensor beta,
                                          double eps, boolean rms) {
        float[] g = gamma == null ? null : gamma.toFloatArray();
        float[] b = beta == null ? null : beta.toFloatArray();
        double[] out = new double[x.length];
        for (int r = 0; r < x.length / c; r++) {
            double mean = 0;
            for (int j = 0; j < c; j++) {
                mean += x[r * c + j];
            }
            mean = rms ? 0 : mean / c;
            double var = 0;
            for (int j = 0; j < c; j++) {
                double d = x[r * c + j] - mean;
                var += d * d;
            }
            double inv = 1 / Math.sqrt(var / c + eps);
            for (int j = 0; j < c; j++) {
                double y = (x[r * c + j] - mean) * inv * (g == null ? 1 : g[j]);
                out[r * c + j] = y + (b == null ? 0 : b[j]);
            }
        }
        return out;
    }

    // ---- softmax -----------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void softmaxWithScaleAndABroadcastMask(DType dtype) {
        int rows = 30, cols = 97;
        Tensor src = random(dtype, rows, cols);
        float[] mask = new float[cols];
        for (int j = 0; j < cols; j++) {
            mask[j] = j % 7 == 3 ? Float.NEGATIVE_INFINITY : (float) random.nextGaussian();
        }
        Tensor maskRows = Tensor.fromFloats(scope, mask, 1, cols).expand(rows, cols);
        float scale = 0.37f;
        float[] s = src.toFloatArray();
        double[] expected = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, scale * (double) s[r * cols + j] + mask[j]);
            }
            for (int j = 0; j < cols; j++) {
                expected[r * cols + j] = Math.exp(scale * (double) s[r * cols + j] + mask[j]
                        - max);
                sum += expected[r * cols + j];
            }
            for (int j = 0; j < cols; j++) {
                expected[r * cols + j] /= sum;
            }
        }
        Tensor wide = Tensor.allocate(scope, dtype, rows, cols + 9).slice(1, 0, cols);
        backend.softmax(src, scale, maskRows, wide);
        assertClose(dtype, expected, wide, "softmax into rows of stride > cols");
        backend.softmax(src, scale, maskRows, src); // in place
        assertClose(dtype, expected, src, "softmax in place");
    }

    @Test
    void aFullyMaskedSoftmaxRowIsZeros() {
        float inf = Float.NEGATIVE_INFINITY;
        Tensor src = Tensor.fromFloats(scope, new float[] {inf, inf, inf, 1, 2, 3}, 2, 3);
        Tensor dst = Tensor.allocate(scope, DType.F32, 2, 3);
        backend.softmax(src, 1f, null, dst);
        float[] got = dst.toFloatArray();
        assertArrayEquals(new float[] {0, 0, 0}, Arrays.copyOf(got, 3));
        assertEquals(1.0, got[3] + got[4] + got[5], 1e-6);
    }

    // ---- attention ---------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void attentionWithGqaCausalMaskKeyLengthsAndWeights(DType dtype) {
        int b = 2, h = 4, hkv = 2, tq = 7, tk = 13, d = 80;
        // q as a view of [B, Tq, H, D]: the layout a fused projection produces
        Tensor q = random(dtype, b, tq, h, d).permute(0, 2, 1, 3);
        Tensor k = random(dtype, b, hkv, tk, d);
        Tensor v = random(dtype, b, hkv, tk, d);
        // an additive mask per (b, key), broadcast over heads and queries
        Tensor mask = random(DType.F32, b, 1, 1, tk).expand(b, h, tq, tk);
        Tensor lengths = Tensor.fromInts(scope, new int[] {tk, 9}, b);
        Tensor dst = Tensor.allocate(scope, dtype, b, h, tq, d);
        Tensor weights = Tensor.allocate(scope, DType.F32, b, h, tq, tk);
        float scale = (float) (1 / Math.sqrt(d));

        backend.attention(q, k, v, scale, true, mask, lengths, dst, weights);
        double[][] expected = attentionReference(q, k, v, scale, true, mask, lengths);
        assertClose(dtype, expected[0], dst, "attention output");
        assertClose(DType.F32, expected[1], weights, "attention weights");
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16"})
    void attentionSplitsLongQueriesAndKeysIntoBlocks(DType dtype) {
        // {B, H, Hkv, Tq, Tk, D, causal}: one head group cut into query blocks; keys long
        // enough to cut Tq into several blocks of scratch; more queries than keys, so that
        // the first causal rows see no key at all
        int[][] shapes = {{1, 2, 1, 37, 37, 64, 1}, {1, 2, 1, 60, 5000, 32, 0},
                          {2, 3, 3, 9, 4, 16, 1}};
        for (int[] sh : shapes) {
            int b = sh[0], h = sh[1], hkv = sh[2], tq = sh[3], tk = sh[4], d = sh[5];
            boolean causal = sh[6] == 1;
            Tensor q = random(dtype, b, h, tq, d);
            Tensor k = random(dtype, b, hkv, tk, d);
            Tensor v = random(dtype, b, hkv, tk, d);
            // dst as a view of [B, Tq, H, D]: written straight into the model's layout
            Tensor dst = Tensor.allocate(scope, dtype, b, tq, h, d).permute(0, 2, 1, 3);
            float scale = (float) (1 / Math.sqrt(d));
            backend.attention(q, k, v, scale, causal, null, null, dst, null);
            assertClose(dtype, attentionReference(q, k, v, scale, causal, null, null)[0], dst,
                    "attention " + Arrays.toString(sh));
        }
    }

    @Test
    void attentionWithEveryKeyMaskedOutputsZeros() {
        int b = 2, h = 2, tq = 3, tk = 5, d = 16;
        Tensor q = random(DType.F32, b, h, tq, d);
        Tensor k = random(DType.F32, b, h, tk, d);
        Tensor v = random(DType.F32, b, h, tk, d);
        Tensor lengths = Tensor.fromInts(scope, new int[] {0, tk}, b);
        Tensor dst = Tensor.allocate(scope, DType.F32, b, h, tq, d);
        backend.attention(q, k, v, 0.25f, false, null, lengths, dst, null);
        double[][] expected = attentionReference(q, k, v, 0.25f, false, null, lengths);
        assertClose(DType.F32, expected[0], dst, "attention, batch 0 fully masked");
        float[] got = dst.toFloatArray();
        for (int i = 0; i < h * tq * d; i++) {
            assertEquals(0f, got[i], "seed " + seed + ": batch 0 must be zeros at " + i);
        }
    }

    /** {output [B, H, Tq, D], weights [B, H, Tq, Tk]} in float64. */
    private static double[][] attentionReference(Tensor q, Tensor k, Tensor v, float scale,
                                                 boolean causal, Tensor mask,
                                                 Tensor lengths) {
        int b = (int) q.dim(0), h = (int) q.dim(1), tq = (int) q.dim(2), d = (int) q.dim(3);
        int hkv = (int) k.dim(1), tk = (int) k.dim(2);
        float[] qv = q.toFloatArray(), kv = k.toFloatArray(), vv = v.toFloatArray();
        float[] mv = mask == null ? null : mask.toFloatArray();
        int[] len = lengths == null ? null : lengths.toIntArray();
        double[] out = new double[b * h * tq * d];
        double[] weights = new double[b * h * tq * tk];
        for (int bi = 0; bi < b; bi++) {
            for (int hi = 0; hi < h; hi++) {
                int g = hi / (h / hkv);
                for (int i = 0; i < tq; i++) {
                    double[] s = new double[tk];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < tk; j++) {
                        boolean hidden = (len != null && j >= len[bi])
                                || (causal && j > i + tk - tq);
                        double dot = 0;
                        for (int p = 0; p < d; p++) {
                            dot += (double) qv[((bi * h + hi) * tq + i) * d + p]
                                    * kv[((bi * hkv + g) * tk + j) * d + p];
                        }
                        double m = mv == null ? 0 : mv[((bi * h + hi) * tq + i) * tk + j];
                        s[j] = hidden ? Double.NEGATIVE_INFINITY : scale * dot + m;
                        max = Math.max(max, s[j]);
                    }
                    if (max == Double.NEGATIVE_INFINITY) {
                        continue; // every key masked: zeros
                    }
                    double sum = 0;
                    for (int j = 0; j < tk; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = 0; j < tk; j++) {
                        double p = s[j] / sum;
                        weights[((bi * h + hi) * tq + i) * tk + j] = p;
                        for (int c = 0; c < d; c++) {
                            out[((bi * h + hi) * tq + i) * d + c] +=
                                    p * vv[((bi * hkv + g) * tk + j) * d + c];
                        }
                    }
                }
            }
        }
        return new double[][] {out, weights};
    }

    // ---- rope and embedding ------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void ropeInBothStyles(DType dtype) {
        int b = 2, h = 3, t = 5, d = 64;
        int[] pos = new int[t];
        for (int i = 0; i < t; i++) {
            pos[i] = 1000 + 17 * i; // positions far from 0, as in a long generation
        }
        Tensor positions = Tensor.fromInts(scope, pos, t);
        for (RopeStyle style : RopeStyle.values()) {
            Tensor x = random(dtype, b, h, t, d);
            float[] xv = x.toFloatArray();
            double[] expected = new double[xv.length];
            for (int row = 0; row < b * h * t; row++) {
                int ti = row % t;
                for (int i = 0; i < d / 2; i++) {
                    int j0 = style == RopeStyle.INTERLEAVED ? 2 * i : i;
                    int j1 = style == RopeStyle.INTERLEAVED ? 2 * i + 1 : i + d / 2;
                    double angle = pos[ti] * Math.pow(10000, -2.0 * i / d);
                    double x0 = xv[row * d + j0], x1 = xv[row * d + j1];
                    expected[row * d + j0] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
                    expected[row * d + j1] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
                }
            }
            backend.rope(x, positions, 10000f, style, x); // in place
            assertClose(dtype, expected, x, "rope " + style);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void embeddingGathersRows(DType dtype) {
        int v = 50, c = 24, n = 9;
        Tensor table = random(dtype, v, c);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = random.nextInt(v);
        }
        Tensor dst = Tensor.allocate(scope, dtype, n, c);
        backend.embedding(table, Tensor.fromInts(scope, ids, n), dst);
        float[] t = table.toFloatArray();
        double[] expected = new double[n * c];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < c; j++) {
                expected[i * c + j] = t[ids[i] * c + j];
            }
        }
        assertClose(DType.F32, expected, dst, "embedding (exact)");
    }

    // ---- helpers -----------------------------------------------------------------------------

    private Tensor random(DType dtype, long... shape) {
        return random(dtype, 0f, shape);
    }

    private Tensor random(DType dtype, float offset, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        float[] data = new float[(int) n];
        for (int i = 0; i < data.length; i++) {
            data[i] = offset + (float) random.nextGaussian();
        }
        return Tensor.fromFloats(scope, dtype, data, shape);
    }

    private static double tolerance(DType dtype) {
        return switch (dtype) {
            case F32 -> 1e-5;
            case BF16 -> 1e-2;
            default -> 3e-3;
        };
    }

    /** Relative L2 error of actual against expected within the dtype's tolerance. */
    private void assertClose(DType dtype, double[] expected, Tensor actual, String what) {
        float[] got = actual.toFloatArray();
        assertEquals(expected.length, got.length, what + ": element count");
        double err = 0, norm = 0;
        for (int i = 0; i < got.length; i++) {
            assertTrue(Float.isFinite(got[i]), "seed " + seed + ", " + what + " " + dtype
                    + ": element " + i + " is " + got[i]);
            err += (got[i] - expected[i]) * (got[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        double relative = Math.sqrt(err) / Math.max(Math.sqrt(norm), 1e-30);
        assertTrue(relative <= tolerance(dtype), "seed " + seed + ", " + what + " " + dtype
                + ": relative L2 error " + relative + " > " + tolerance(dtype));
    }

    private static double[] elementwise(int n, Function<Integer, Double> f) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = f.apply(i);
        }
        return out;
    }

    private static double[] add(float[] a, float[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (double) a[i] + b[i];
        }
        return out;
    }

    private static double[] toDouble(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    static double activate(Activation act, double x) {
        return switch (act) {
            case NONE -> x;
            case GELU_ERF -> 0.5 * x * erfc(-x / Math.sqrt(2));
            // 1 + tanh(u) = 2 sigmoid(2u), which does not cancel for u << 0
            case GELU_TANH -> x / (1 + Math.exp(-2 * Math.sqrt(2 / Math.PI)
                    * (x + 0.044715 * x * x * x)));
            case SILU -> x / (1 + Math.exp(-x));
        };
    }

    /**
     * erfc = 1 - erf, without cancellation: 1 - (Taylor series of erf) for 0 <= x < 3, the
     * continued fraction of erfc beyond, 2 - erfc(-x) below 0; relative error ~1e-13.
     */
    static double erfc(double x) {
        if (x < 0) {
            return 2 - erfc(-x);
        }
        if (x < 3) {
            double term = x, sum = x;
            for (int n = 1; n < 200; n++) {
                term *= -x * x / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17) {
                    break;
                }
            }
            return 1 - 2 / Math.sqrt(Math.PI) * sum;
        }
        // erfc(x) = exp(-x^2) / sqrt(pi) / (x + 1/2 / (x + 1 / (x + 3/2 / (x + ...))))
        double f = x;
        for (int n = 60; n >= 1; n--) {
            f = x + (n / 2.0) / f;
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }
}
