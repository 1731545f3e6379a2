package dev.gatun.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.gatun.Backends;
import dev.gatun.Device;
import dev.gatun.models.bert.MiniLm;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.LangChain4jInternals;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.output.Response;
import java.io.IOException;
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
 * GatunEmbeddingModel against LangChain4j's own AllMiniLmL6V2EmbeddingModel (ONNX Runtime) on
 * the same texts, short and truncated; its window averaging (above 512 tokens, which
 * LangChain4j's tokenizer never reaches) against ONNX Runtime pooled in float64.
 */
class GatunEmbeddingModelTest {
    /** The agreement the drop-in promises: cosine against LangChain4j's own model. */
    static final double MIN_COSINE = 0.99999;
    /** Element-wise bound: the kernels differ from ONNX Runtime's in the last bits. */
    static final double MAX_DIFF = 1e-4;

    static final List<String> TEXTS = List.of(
            "The cat sits on the mat.",
            "A feline rests on a rug.",
            "Stock prices fell sharply on Monday!",
            "Crème brûlée, déjà vu, naïve café.",
            "今天天气很好，我们去公园散步吧。",
            "Emoji 🙂🚀 and symbols: $5 + 10% = ???",
            "a",
            "   leading and trailing spaces   ");

    static EmbeddingModel reference;
    static long seed;
    static Random random;

    @BeforeAll
    static void loadReference() {
        reference = new AllMiniLmL6V2EmbeddingModel();
        seed = System.nanoTime();
        random = new Random(seed);
    }

    @AfterAll
    static void dropReference() {
        reference = null;
    }

    static Stream<String> cpuBackends() {
        return Backends.list().stream()
                .filter(Backends.Info::usable)
                .map(Backends.Info::name)
                .filter(n -> Backends.get(n).device() == Device.CPU);
    }

    /** Words from which long texts are drawn: several split into word pieces. */
    static final String[] WORDS = {"the", "quick", "brown", "fox", "jumps", "over",
        "unbelievably", "lazy", "dogs", "while", "photosynthesis", "continues", "quietly",
        "in", "ambidextrous", "gardens", "near", "Reykjavík", "and", "42", "apples", "."};

    /** A text of {@code words} random words (seeded: see the messages). */
    static String randomText(int words) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < words; i++) {
            sb.append(i == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        return sb.toString();
    }

    @ParameterizedTest
    @MethodSource("cpuBackends")
    void matchesLangChain4jOnShortAndTruncatedTexts(String backend) throws IOException {
        List<String> texts = new ArrayList<>(TEXTS);

        // long texts: cut to 128 tokens by both; varied so some cuts fall inside a word,
        // where LangChain4j rebuilds the window text from pieces joined with nothing
        for (int i = 0; i < 6; i++) {
            texts.add(randomText(150 + i));
        }
        // each draw cuts inside a word only sometimes: draw more until one does
        for (int extra = 0; extra < 50
                && texts.stream().skip(TEXTS.size()).noneMatch(this::cutInsideWord); extra++) {
            texts.add(randomText(150 + extra % 7));
        }
        assertTrue(texts.stream().skip(TEXTS.size()).anyMatch(this::cutInsideWord),
                "no long text exercises a cut inside a word (seed " + seed + ")");

        try (GatunEmbeddingModel gatun = GatunEmbeddingModel.builder().backend(backend)
                .build()) {
            assertEquals(128, gatun.maxTokens(), "default truncation");
            List<TextSegment> segments = texts.stream().map(TextSegment::from).toList();
            Response<List<Embedding>> got = gatun.embedAll(segments);
            Response<List<Embedding>> want = reference.embedAll(segments);
            assertEquals(want.tokenUsage().inputTokenCount(), got.tokenUsage().inputTokenCount(),
                    "token usage on " + backend + " (seed " + seed + ")");
            for (int i = 0; i < texts.size(); i++) {
                assertClose(want.content().get(i).vector(), got.content().get(i).vector(),
                        backend + ", text " + i + " '" + texts.get(i) + "' (seed " + seed + ")");
            }
        }
    }

    /** Whether LangChain4j's 128-token cut of {@code text} splits a word. */
    boolean cutInsideWord(String text) {
        try (InputStream in = resource(MiniLm.TOKENIZER_RESOURCE);
             HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(in,
                     Map.of("padding", "false"));
             HuggingFaceTokenizer whole = HuggingFaceTokenizer.newInstance(
                     resource(MiniLm.TOKENIZER_RESOURCE),
                     Map.of("padding", "false", "truncation", "false"))) {
            List<String> cut = t.tokenize(text);
            List<String> all = whole.tokenize(text);
            int next = cut.size() - 1; // the piece after the last one kept
            return all.size() > cut.size() && all.get(next).startsWith("##");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void partitionIsLangChain4js() {
        String[] pieces = {"the", "cat", "##s", "##ly", "un", "##believ", "##able", "dog", "."};
        for (int trial = 0; trial < 200; trial++) {
            List<String> tokens = new ArrayList<>();
            tokens.add("[CLS]");
            int n = random.nextInt(40);
            for (int i = 0; i < n; i++) {
                tokens.add(pieces[random.nextInt(pieces.length)]);
            }
            tokens.add("[SEP]");
            int size = 1 + random.nextInt(8);
            assertEquals(LangChain4jInternals.partition(tokens, size),
                    GatunEmbeddingModel.partition(tokens, size),
                    "windows of " + size + " over " + tokens + " (seed " + seed + ")");
        }
    }

    @Test
    void averagesWindowsAboveFiveHundredTwelveTokens() throws Exception {
        // words that are single word pieces, so the windows are exactly 510 pieces each
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "home"};
        StringBuilder sb = new StringBuilder();
        int count = 1100 + random.nextInt(300);
        for (int i = 0; i < count; i++) {
            sb.append(i == 0 ? "" : " ").append(words[random.nextInt(words.length)]);
        }
        String text = sb.toString();

        // reference: ONNX Runtime on [CLS] window [SEP], mean in float64, weighted by pieces
        double[] sum = new double[384];
        int pieces = 0;
        try (InputStream in = resource(MiniLm.TOKENIZER_RESOURCE);
             HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(in,
                     Map.of("padding", "false", "truncation", "false"));
             OnnxReference ort = new OnnxReference(resource(MiniLm.ONNX_RESOURCE))) {
            String[] all = text.split(" ");
            for (int from = 0; from < all.length; from += GatunEmbeddingModel.WINDOW_PIECES) {
                int to = Math.min(all.length, from + GatunEmbeddingModel.WINDOW_PIECES);
                String window = String.join(" ", List.of(all).subList(from, to));
                double[] mean = ort.meanPool(t.encode(window).getIds());
                for (int k = 0; k < sum.length; k++) {
                    sum[k] += mean[k] * (to - from);
                }
                pieces += to - from;
            }
        }
        float[] want = normalize(sum);

        try (GatunEmbeddingModel gatun = GatunEmbeddingModel.builder().maxTokens(Integer.MAX_VALUE)
                .build()) {
            Response<Embedding> got = gatun.embed(TextSegment.from(text));
            assertEquals(pieces, got.tokenUsage().inputTokenCount(),
                    "no truncation (seed " + seed + ")");
            assertClose(want, got.content().vector(), count + " words, "
                    + (pieces + 509) / 510 + " windows (seed " + seed + ")");
        }
    }

    static float[] normalize(double[] v) {
        double norm = 0;
        for (double x : v) {
            norm += x * x;
        }
        float[] out = new float[v.length];
        for (int k = 0; k < v.length; k++) {
            out[k] = (float) (v[k] / Math.sqrt(norm));
        }
        return out;
    }

    @Test
    void noArgConstructorIsTheDropIn() {
        try (GatunEmbeddingModel gatun = new GatunEmbeddingModel()) {
            assertEquals(384, gatun.dimension());
            assertEquals(Backends.defaultBackend().name(), gatun.backend().name());
            assertEquals("all-MiniLM-L6-v2", gatun.modelName());
            String text = "The cat sits on the mat.";
            assertClose(reference.embed(text).content().vector(),
                    gatun.embed(text).content().vector(), "embed(String)");
            assertClose(reference.embed(TextSegment.from(text)).content().vector(),
                    gatun.embed(TextSegment.from(text)).content().vector(),
                    "embed(TextSegment)");
        }
    }

    @Test
    void rejectsWhatLangChain4jRejects() {
        try (GatunEmbeddingModel gatun = new GatunEmbeddingModel()) {
            // blank texts: TextSegment itself refuses them
            for (String blank : List.of("", "   ", "\n\t")) {
                assertThrows(IllegalArgumentException.class, () -> reference.embed(blank),
                        "LangChain4j on '" + blank + "'");
                assertThrows(IllegalArgumentException.class, () -> gatun.embed(blank),
                        "Gatun on '" + blank + "'");
            }

            // not blank to Java, but no token survives the tokenizer's cleaning
            String invisible = "\u200b\u200b";
            assertThrows(IllegalArgumentException.class, () -> reference.embed(invisible));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> gatun.embedAll(List.of(TextSegment.from("fine"),
                            TextSegment.from(invisible))));
            assertTrue(e.getMessage().contains("segment 1 is empty"), e.getMessage());

            assertThrows(IllegalArgumentException.class, () -> gatun.embedAll(List.of()));
            e = assertThrows(IllegalArgumentException.class,
                    () -> GatunEmbeddingModel.builder().maxTokens(2));
            assertTrue(e.getMessage().contains("got 2"), e.getMessage());
        }
    }

    @Test
    void unusableOrUnknownBackendIsAnErrorNotAFallback() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GatunEmbeddingModel.builder().backend("no-such-backend"));
        assertTrue(e.getMessage().contains("no-such-backend"), e.getMessage());
        for (Backends.Info info : Backends.list()) {
            if (!info.usable()) {
                IllegalStateException s = assertThrows(IllegalStateException.class,
                        () -> GatunEmbeddingModel.builder().backend(info.name()));
                assertTrue(s.getMessage().contains(info.reason()), s.getMessage());
            }
        }
    }

    @Test
    void oneModelServesManyThreads() throws Exception {
        List<String> texts = new ArrayList<>(TEXTS);
        for (int i = 0; i < 8; i++) {
            texts.add(randomText(20 + 15 * i));
        }
        try (GatunEmbeddingModel gatun = new GatunEmbeddingModel();
             ExecutorService pool = Executors.newFixedThreadPool(6)) {
            // alone, one text per call: the expected vectors
            List<float[]> alone = new ArrayList<>();
            for (String t : texts) {
                alone.add(gatun.embed(t).content().vector());
            }

            // 6 threads, 24 calls with overlapping batches of texts
            List<Future<List<Embedding>>> calls = new ArrayList<>();
            List<List<Integer>> asked = new ArrayList<>();
            for (int c = 0; c < 24; c++) {
                List<Integer> pick = new ArrayList<>();
                for (int k = 0; k < 1 + c % 5; k++) {
                    pick.add(random.nextInt(texts.size()));
                }
                asked.add(pick);
                List<TextSegment> segments = pick.stream().map(texts::get)
                        .map(TextSegment::from).toList();
                calls.add(pool.submit(() -> gatun.embedAll(segments).content()));
            }
            for (int c = 0; c < calls.size(); c++) {
                List<Embedding> got = calls.get(c).get();
                for (int k = 0; k < got.size(); k++) {
                    int text = asked.get(c).get(k);
                    assertClose(alone.get(text), got.get(k).vector(), "call " + c
                            + ", text " + text + " (seed " + seed + ")", 1e-5);
                }
            }
        }
    }

    @Test
    void closedModelRefusesCalls() {
        GatunEmbeddingModel gatun = new GatunEmbeddingModel();
        gatun.close();
        gatun.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> gatun.embed("hello"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    static InputStream resource(String name) {
        InputStream in = GatunEmbeddingModelTest.class.getClassLoader()
                .getResourceAsStream(name);
        if (in == null) {
            throw new AssertionError(name + " is not on the test class path");
        }
        return in;
    }

    static void assertClose(float[] want, float[] got, String what) {
        assertClose(want, got, what, MAX_DIFF);
    }

    static void assertClose(float[] want, float[] got, String what, double maxDiff) {
        assertEquals(want.length, got.length, what + ": dimension");
        double dot = 0;
        double nw = 0;
        double ng = 0;
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            dot += (double) want[i] * got[i];
            nw += (double) want[i] * want[i];
            ng += (double) got[i] * got[i];
            worst = Math.max(worst, Math.abs(want[i] - got[i]));
        }
        double cosine = dot / Math.sqrt(nw * ng);
        assertTrue(cosine >= MIN_COSINE, what + ": cosine " + cosine + " < " + MIN_COSINE);
        assertTrue(worst <= maxDiff, what + ": max |difference| " + worst + " > " + maxDiff);
    }
}
