package dev.gatun.models.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gatun.Activation;
import dev.gatun.Backend;
import dev.gatun.Backends;
import dev.gatun.Device;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * BertModel on a small random BERT (awkward sizes) against a float64 reference written here,
 * which runs each sequence alone and unpadded: equal outputs prove the masking keeps padding
 * out of real tokens.
 */
class BertModelTest {
    // V, C, L, H (D = 8), F, P, types: small and awkward
    static final BertConfig CONFIG = new BertConfig(53, 24, 2, 3, 40, 19, 2, 1e-12f,
            Activation.GELU_ERF);

    static Stream<String> backends() {
        List<String> names = Backends.list().stream()
                .filter(Backends.Info::usable).map(Backends.Info::name).toList();
        assumeTrue(!names.isEmpty(), "no usable backend: " + Backends.list());
        return names.stream();
    }

    static Backend hostBackend(String name) {
        Backend b = Backends.get(name);
        assumeTrue(b.device() == Device.CPU, "backend " + name + " computes on "
                + b.device() + "; this test keeps its weights in host memory");
        return b;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void matchesFloat64ReferenceAndIgnoresPadding(String name) {
        Backend backend = hostBackend(name);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        try (Scope weightsScope = Scope.open(); Scope scope = Scope.open()) {
            Map<String, float[]> raw = randomWeights(random);
            BertModel model = BertModel.fromWeights(tensors(weightsScope, raw), CONFIG);
            Ops ops = new Ops(backend, scope);

            // B = 3, T = 17, lengths 17, 5, 11; padding filled with random IDs
            int b = 3;
            int t = 17;
            int[] lengths = {17, 5, 11};
            int[] ids = new int[b * t];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = random.nextInt(CONFIG.vocabSize());
            }
            float[] out = model.forward(ops, Tensor.fromInts(scope, ids, b, t),
                    Tensor.fromInts(scope, lengths, b)).toFloatArray();

            // other padding IDs: the real tokens must not change at all
            int[] repadded = ids.clone();
            for (int s = 0; s < b; s++) {
                for (int p = lengths[s]; p < t; p++) {
                    repadded[s * t + p] = random.nextInt(CONFIG.vocabSize());
                }
            }
            float[] again = model.forward(ops, Tensor.fromInts(scope, repadded, b, t),
                    Tensor.fromInts(scope, lengths, b)).toFloatArray();

            int c = CONFIG.hidden();
            for (int s = 0; s < b; s++) {
                int[] seq = new int[lengths[s]];
                System.arraycopy(ids, s * t, seq, 0, seq.length);
                double[][] ref = reference(raw, seq);
                double maxDiff = 0;
                for (int p = 0; p < seq.length; p++) {
                    for (int k = 0; k < c; k++) {
                        int at = (s * t + p) * c + k;
                        maxDiff = Math.max(maxDiff, Math.abs(out[at] - ref[p][k]));
                        // a leaking mask moves outputs by ~0.1; 1e-5 allows for kernels
                        // whose rounding changes between calls (JIT tiers of the Vector API)
                        assertEquals(out[at], again[at], 1e-5f, "seed " + seed + ", backend "
                                + name + ": padding changed sequence " + s + " position " + p);
                    }
                }
                assertTrue(maxDiff <= 1e-4, "seed " + seed + ", backend " + name
                        + ": sequence " + s + " max |gatun - float64| = " + maxDiff);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void aRaggedBatchMatchesFloat64ReferencePerSequence(String name) {
        Backend backend = hostBackend(name);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        try (Scope weightsScope = Scope.open(); Scope scope = Scope.open()) {
            Map<String, float[]> raw = randomWeights(random);
            BertModel model = BertModel.fromWeights(tensors(weightsScope, raw), CONFIG);
            Ops ops = new Ops(backend, scope);

            // sequences of 19 (the position limit), 1, and random lengths, end to end
            int[] lengths = {CONFIG.maxPositions(), 1, 1 + random.nextInt(CONFIG.maxPositions()),
                1 + random.nextInt(6)};
            int n = Arrays.stream(lengths).sum();
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = random.nextInt(CONFIG.vocabSize());
            }
            Tensor hidden = model.forwardRagged(ops, Tensor.fromInts(scope, ids, n), lengths);
            int c = CONFIG.hidden();
            assertEquals(List.of((long) n, (long) c), List.of(hidden.dim(0), hidden.dim(1)));
            float[] out = hidden.toFloatArray();

            int start = 0;
            for (int s = 0; s < lengths.length; s++) {
                double[][] ref = reference(raw, Arrays.copyOfRange(ids, start,
                        start + lengths[s]));
                double maxDiff = 0;
                for (int p = 0; p < lengths[s]; p++) {
                    for (int k = 0; k < c; k++) {
                        maxDiff = Math.max(maxDiff, Math.abs(out[(start + p) * c + k]
                                - ref[p][k]));
                    }
                }
                assertTrue(maxDiff <= 1e-4, "seed " + seed + ", backend " + name
                        + ": ragged " + Arrays.toString(lengths) + ", sequence " + s
                        + " max |gatun - float64| = " + maxDiff);
                start += lengths[s];
            }

            Tensor three = Tensor.fromInts(scope, new int[3], 3);
            IllegalArgumentException sum = assertThrows(IllegalArgumentException.class,
                    () -> model.forwardRagged(ops, three, new int[] {1, 1}));
            assertTrue(sum.getMessage().contains("sum to 2"), sum.getMessage());
            Tensor twenty = Tensor.fromInts(scope, new int[20], 20);
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> model.forwardRagged(ops, twenty, new int[] {20}));
            assertTrue(tooLong.getMessage().contains("lengths[0]=20"), tooLong.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void rejectsBadInputsBeforeComputing(String name) {
        Backend backend = hostBackend(name);
        Random random = new Random(1);
        try (Scope scope = Scope.open()) {
            BertModel model = BertModel.fromWeights(tensors(scope, randomWeights(random)),
                    CONFIG);
            Ops ops = new Ops(backend, scope);
            Tensor tooLong = Tensor.fromInts(scope, new int[20], 1, 20);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(ops, tooLong, Tensor.fromInts(scope, new int[] {20}, 1)));
            assertTrue(e.getMessage().contains("T=20") && e.getMessage().contains("19"),
                    e.getMessage());
            Tensor ids = Tensor.fromInts(scope, new int[6], 2, 3);
            IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(ops, ids, Tensor.fromInts(scope, new int[] {3, 0}, 2)));
            assertTrue(zero.getMessage().contains("lengths[1]=0"), zero.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void namesAMissingOrMisshapenWeight(String name) {
        Random random = new Random(2);
        try (Scope scope = Scope.open()) {
            Map<String, float[]> raw = randomWeights(random);
            raw.remove("encoder.layer.1.output.dense.bias");
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> BertModel.fromWeights(tensors(scope, raw), CONFIG));
            assertTrue(missing.getMessage().contains("encoder.layer.1.output.dense.bias"),
                    missing.getMessage());

            Map<String, Tensor> w = tensors(scope, randomWeights(random));
            w.put("encoder.layer.0.attention.self.key.weight",
                    Tensor.allocate(scope, dev.gatun.DType.F32, 24, 23));
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> BertModel.fromWeights(w, CONFIG));
            assertTrue(shape.getMessage().contains("attention.self.key.weight")
                    && shape.getMessage().contains("[24, 23]"), shape.getMessage());
        }
    }

    // ---- the model, with random weights --------------------------------------------------

    static Map<String, float[]> randomWeights(Random random) {
        int v = CONFIG.vocabSize();
        int c = CONFIG.hidden();
        int f = CONFIG.intermediate();
        Map<String, float[]> w = new HashMap<>();
        int p = CONFIG.maxPositions();
        put(w, "embeddings.word_embeddings.weight", normal(random, v * c, 1), v, c);
        put(w, "embeddings.position_embeddings.weight", normal(random, p * c, 0.5), p, c);
        put(w, "embeddings.token_type_embeddings.weight", normal(random, 2 * c, 0.5), 2, c);
        putNorm(w, random, "embeddings.LayerNorm", c);
        for (int i = 0; i < CONFIG.layers(); i++) {
            String l = "encoder.layer." + i + ".";
            for (String proj : List.of("query", "key", "value")) {
                putLinear(w, random, l + "attention.self." + proj, c, c);
            }
            putLinear(w, random, l + "attention.output.dense", c, c);
            putNorm(w, random, l + "attention.output.LayerNorm", c);
            putLinear(w, random, l + "intermediate.dense", f, c);
            putLinear(w, random, l + "output.dense", c, f);
            putNorm(w, random, l + "output.LayerNorm", c);
        }
        return w;
    }

    static void putLinear(Map<String, float[]> w, Random r, String name, int out, int in) {
        put(w, name + ".weight", normal(r, out * in, 1 / Math.sqrt(in)), out, in);
        put(w, name + ".bias", normal(r, out, 0.1), out);
    }

    /** The shape of each weight, by name: the same for every random draw. */
    static final Map<String, long[]> SHAPES = new HashMap<>();

    static void put(Map<String, float[]> w, String name, float[] data, long... shape) {
        w.put(name, data);
        SHAPES.put(name, shape);
    }

    static void putNorm(Map<String, float[]> w, Random r, String name, int c) {
        float[] gamma = normal(r, c, 0.2);
        for (int i = 0; i < c; i++) {
            gamma[i] += 1;
        }
        put(w, name + ".weight", gamma, c);
        put(w, name + ".bias", normal(r, c, 0.1), c);
    }

    static float[] normal(Random r, int n, double std) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * std);
        }
        return x;
    }

    static Map<String, Tensor> tensors(Scope scope, Map<String, float[]> raw) {
        Map<String, Tensor> out = new HashMap<>();
        raw.forEach((name, data) -> out.put(name,
                Tensor.fromFloats(scope, data, SHAPES.get(name))));
        return out;
    }

    // ---- float64 reference: one unpadded sequence ------------------------------------------

    static double[][] reference(Map<String, float[]> w, int[] ids) {
        int t = ids.length;
        int c = CONFIG.hidden();
        int f = CONFIG.intermediate();
        int h = CONFIG.heads();
        int d = CONFIG.headDim();
        double eps = CONFIG.layerNormEps();

        double[][] x = new double[t][c];
        float[] word = w.get("embeddings.word_embeddings.weight");
        float[] pos = w.get("embeddings.position_embeddings.weight");
        float[] type = w.get("embeddings.token_type_embeddings.weight");
        for (int p = 0; p < t; p++) {
            for (int k = 0; k < c; k++) {
                x[p][k] = (double) word[ids[p] * c + k] + pos[p * c + k] + type[k];
            }
        }
        x = layerNorm(x, w, "embeddings.LayerNorm", eps);

        for (int l = 0; l < CONFIG.layers(); l++) {
            String pre = "encoder.layer." + l + ".";
            double[][] q = linear(x, w, pre + "attention.self.query", c, c);
            double[][] k = linear(x, w, pre + "attention.self.key", c, c);
            double[][] v = linear(x, w, pre + "attention.self.value", c, c);
            double[][] ctx = new double[t][c];
            for (int head = 0; head < h; head++) {
                for (int i = 0; i < t; i++) {
                    double[] s = new double[t];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < t; j++) {
                        for (int e = 0; e < d; e++) {
                            s[j] += q[i][head * d + e] * k[j][head * d + e];
                        }
                        s[j] /= Math.sqrt(d);
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < t; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = 0; j < t; j++) {
                        for (int e = 0; e < d; e++) {
                            ctx[i][head * d + e] += s[j] / sum * v[j][head * d + e];
                        }
                    }
                }
            }
            double[][] a = linear(ctx, w, pre + "attention.output.dense", c, c);
            double[][] hidden = layerNorm(add(x, a), w, pre + "attention.output.LayerNorm",
                    eps);
            double[][] inner = linear(hidden, w, pre + "intermediate.dense", f, c);
            for (double[] row : inner) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = 0.5 * row[i] * (1 + erf(row[i] / Math.sqrt(2)));
                }
            }
            double[][] o = linear(inner, w, pre + "output.dense", c, f);
            x = layerNorm(add(hidden, o), w, pre + "output.LayerNorm", eps);
        }
        return x;
    }

    static double[][] linear(double[][] x, Map<String, float[]> w, String name, int out,
                             int in) {
        float[] weight = w.get(name + ".weight");
        float[] bias = w.get(name + ".bias");
        double[][] y = new double[x.length][out];
        for (int r = 0; r < x.length; r++) {
            for (int o = 0; o < out; o++) {
                double s = bias[o];
                for (int i = 0; i < in; i++) {
                    s += x[r][i] * weight[o * in + i];
                }
                y[r][o] = s;
            }
        }
        return y;
    }

    static double[][] layerNorm(double[][] x, Map<String, float[]> w, String name,
                                double eps) {
        float[] gamma = w.get(name + ".weight");
        float[] beta = w.get(name + ".bias");
        double[][] y = new double[x.length][];
        for (int r = 0; r < x.length; r++) {
            int c = x[r].length;
            double mean = 0;
            for (double v : x[r]) {
                mean += v;
            }
            mean /= c;
            double var = 0;
            for (double v : x[r]) {
                var += (v - mean) * (v - mean);
            }
            var /= c;
            y[r] = new double[c];
            for (int k = 0; k < c; k++) {
                y[r][k] = (x[r][k] - mean) / Math.sqrt(var + eps) * gamma[k] + beta[k];
            }
        }
        return y;
    }

    static double[][] add(double[][] a, double[][] b) {
        double[][] y = new double[a.length][];
        for (int r = 0; r < a.length; r++) {
            y[r] = new double[a[r].length];
            for (int k = 0; k < a[r].length; k++) {
                y[r][k] = a[r][k] + b[r][k];
            }
        }
        return y;
    }

    /** erf to about 1e-15 (Abramowitz-Stegun 7.1.26 is too coarse for a reference). */
    static double erf(double x) {
        // series for small |x|, continued fraction (via erfc) for large |x|
        double ax = Math.abs(x);
        double r;
        if (ax < 2.5) {
            double sum = ax;
            double term = ax;
            for (int n = 1; n < 200; n++) {
                term *= -ax * ax / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
            double f = ax;
            for (int n = 60; n >= 1; n--) {
                f = ax + (n / 2.0) / f;
            }
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }
}
