package dev.gatun.models.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.gatun.Backend;
import dev.gatun.Backends;
import dev.gatun.Device;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * all-MiniLM-L6-v2 on every usable host backend against ONNX Runtime running the same ONNX
 * file on the same token IDs (input_ids, attention_mask of ones, token_type_ids of zeros),
 * pooled the same way (mean over tokens, L2 normalised, in double): cosine >= 0.99999 and
 * max |difference| <= 1e-4 for every text.
 */
class MiniLmConformanceTest {
    static final double MIN_COSINE = 0.99999;
    static final double MAX_ABS_DIFF = 1e-4;

    /** Awkward texts: empty, blank, punctuation, accents, CJK, emoji, and very long. */
    static final List<String> TEXTS = List.of(
            "",
            "   \t\n  ",
            "?!... ;:-- ((]] ###",
            "Café naïve résumé à la française, Ærøskøbing, Øre, façade, jalapeño.",
            "我们今天下午去公园散步，天气很好。",
            "I love pizza 🍕🔥😀 and tacos 🌮!",
            "The cat sits on the mat.",
            "A feline rests on a rug.",
            "Stock prices fell sharply on Monday after the central bank raised rates.",
            longText(700));

    static OrtEnvironment env;
    static OrtSession session;

    static String longText(int words) {
        String[] vocabulary = {"river", "mountain", "quietly", "golden", "library", "under",
                "seventeen", "yesterday", "bright", "window", "and", "the", "of", "café"};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < words; i++) {
            sb.append(vocabulary[(i * 7 + i / 3) % vocabulary.length]).append(' ');
        }
        return sb.toString();
    }

    @BeforeAll
    static void startOnnxRuntime() throws Exception {
        assumeTrue(MiniLm.isAvailable(), MiniLm.ARTIFACT + " is not on the test class path");
        env = OrtEnvironment.getEnvironment();
        byte[] model;
        try (InputStream in = MiniLmConformanceTest.class.getClassLoader()
                .getResourceAsStream(MiniLm.ONNX_RESOURCE)) {
            model = in.readAllBytes();
        }
        session = env.createSession(model, new OrtSession.SessionOptions());
    }

    @AfterAll
    static void stopOnnxRuntime() throws OrtException {
        if (session != null) {
            session.close();
        }
    }

    static Stream<String> backends() {
        List<String> names = Backends.list().stream()
                .filter(Backends.Info::usable).map(Backends.Info::name).toList();
        assumeTrue(!names.isEmpty(), "no usable backend: " + Backends.list());
        return names.stream();
    }

    static Backend hostBackend(String name) {
        Backend b = Backends.get(name);
        assumeTrue(b.device() == Device.CPU, "backend " + name + " computes on "
                + b.device() + "; SentenceEmbedder pools in host memory");
        return b;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void matchesOnnxRuntimeOnEveryText(String name) throws OrtException {
        Backend backend = hostBackend(name);
        for (int maxTokens : new int[] {SentenceEmbedder.DEFAULT_MAX_TOKENS, 512}) {
            try (SentenceEmbedder minilm = MiniLm.load(backend, maxTokens)) {
                SentenceEmbedder.Result r = minilm.embedAll(TEXTS);
                assertEquals(1, r.truncated(), "only the long text exceeds " + maxTokens);
                assertEquals(maxTokens, r.tokens()[TEXTS.size() - 1], "the long text is cut");
                for (int i = 0; i < TEXTS.size(); i++) {
                    int[] ids = minilm.tokenizer().encode(TEXTS.get(i)).ids();
                    assertEquals(ids.length, r.tokens()[i]);
                    double[] expected = onnxRuntime(ids);
                    compare(expected, r.embeddings()[i], "backend " + name + ", maxTokens "
                            + maxTokens + ", text " + i + " (" + ids.length + " tokens)");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void aTextEmbedsTheSameAloneAndBatchedWithLongerOnes(String name) {
        Backend backend = hostBackend(name);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        try (SentenceEmbedder minilm = MiniLm.load(backend)) {
            List<String> batch = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                batch.add(longText(5 + random.nextInt(150)));
            }
            String shortText = "Short text.";
            int at = random.nextInt(batch.size() + 1);
            batch.add(at, shortText);

            float[] alone = minilm.embed(shortText);
            float[] batched = minilm.embed(batch)[at];
            float maxDiff = 0;
            for (int k = 0; k < alone.length; k++) {
                maxDiff = Math.max(maxDiff, Math.abs(alone[k] - batched[k]));
            }
            assertTrue(maxDiff <= 1e-6, "seed " + seed + ", backend " + name
                    + ": embedding changed by " + maxDiff + " when batched at " + at);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void threadsSharingOneEmbedderGetTheSequentialResults(String name) throws Exception {
        Backend backend = hostBackend(name);
        try (SentenceEmbedder minilm = MiniLm.load(backend, 64)) {
            List<String> texts = TEXTS.subList(0, TEXTS.size() - 1);
            float[][] expected = minilm.embed(texts);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<float[]>> got = new ArrayList<>();
                for (int round = 0; round < 3; round++) {
                    for (String text : texts) {
                        got.add(pool.submit(() -> minilm.embed(text)));
                    }
                }
                for (int i = 0; i < got.size(); i++) {
                    float[] e = expected[i % texts.size()];
                    float[] g = got.get(i).get();
                    for (int k = 0; k < e.length; k++) {
                        assertEquals(e[k], g[k], 1e-6f, "backend " + name + ", text "
                                + i % texts.size() + ", component " + k);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void maxTokensAboveThePositionLimitIsRejected() {
        Backend backend = Backends.defaultBackend();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MiniLm.load(backend, 513));
        assertTrue(e.getMessage().contains("512") && e.getMessage().contains("513"),
                e.getMessage());
        IllegalArgumentException viaOpen = assertThrows(IllegalArgumentException.class,
                () -> SentenceEmbedders.open("minilm", backend, 100_000));
        assertTrue(viaOpen.getMessage().contains("100000"), viaOpen.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MiniLm.load(backend, 1));
    }

    /** ORT's last_hidden_state for one unpadded sequence, mean-pooled and normalised. */
    static double[] onnxRuntime(int[] ids) throws OrtException {
        int t = ids.length;
        long[][] inputIds = new long[1][t];
        long[][] mask = new long[1][t];
        long[][] types = new long[1][t];
        for (int i = 0; i < t; i++) {
            inputIds[0][i] = ids[i];
            mask[0][i] = 1;
        }
        try (OnnxTensor a = OnnxTensor.createTensor(env, inputIds);
             OnnxTensor b = OnnxTensor.createTensor(env, mask);
             OnnxTensor c = OnnxTensor.createTensor(env, types);
             OrtSession.Result out = session.run(Map.of("input_ids", a, "attention_mask", b,
                     "token_type_ids", c))) {
            float[][][] hidden = (float[][][]) out.get("last_hidden_state").orElseThrow()
                    .getValue();
            int dim = hidden[0][0].length;
            double[] mean = new double[dim];
            for (float[] row : hidden[0]) {
                for (int k = 0; k < dim; k++) {
                    mean[k] += row[k] / (double) t;
                }
            }
            double norm = 0;
            for (double v : mean) {
                norm += v * v;
            }
            norm = Math.max(Math.sqrt(norm), 1e-12);
            for (int k = 0; k < dim; k++) {
                mean[k] /= norm;
            }
            return mean;
        }
    }

    static void compare(double[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": dimension");
        double dot = 0;
        double na = 0;
        double maxDiff = 0;
        for (int k = 0; k < expected.length; k++) {
            dot += expected[k] * actual[k];
            na += (double) actual[k] * actual[k];
            maxDiff = Math.max(maxDiff, Math.abs(expected[k] - actual[k]));
        }
        double cosine = dot / Math.sqrt(na); // expected is unit length
        assertTrue(cosine >= MIN_COSINE && maxDiff <= MAX_ABS_DIFF, what + ": cosine "
                + cosine + " (>= " + MIN_COSINE + "), max |diff| " + maxDiff + " (<= "
                + MAX_ABS_DIFF + ")");
    }
}
