package dev.gatun.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gatun.Backend;
import dev.gatun.Backends;
import dev.gatun.DType;
import dev.gatun.Device;
import dev.gatun.Ops;
import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.io.HfLlamaWeights;
import dev.gatun.io.Llama2cCheckpoint;
import dev.gatun.io.LlamaHfConverter;
import dev.gatun.io.SafeTensors;
import dev.gatun.nn.KVCache;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * stories260K against the logits llama2.c's run.c produced (fp32, interleaved RoPE, greedy
 * from BOS): the 128 tokens exactly, decoding one token at a time with the cache, in one
 * prefill, and after converting to a Hugging Face folder (half-split RoPE, permuted q/k
 * rows). Skipped, saying why, when the shared folder lacks the fixtures.
 *
 * <p>Two bounds on the logits. run.c's logits are themselves fp32 results: they differ from
 * an exact (float64) evaluation of the same model by up to 7.7e-5 (measured with
 * {@link LlamaReference}), so an fp32 implementation summing in another order can be up to
 * about twice that away from them; the bound against run.c is 2e-4. Gatun's own error is
 * bounded more tightly against the float64 evaluation: 1e-4 (measured: 5.9e-5 native,
 * 5.1e-5 java, for the prefill).
 */
class LlamaConformanceTest {
    static final double TOLERANCE_RUN_C = 2e-4;
    static final double TOLERANCE_EXACT = 1e-4;
    static final int STEPS = 128;
    static final int VOCAB = 512;

    static Path checkpoint;
    static String missing;
    static int[] tokens;
    static float[] logits;
    static double[] exact;

    @TempDir
    static Path hfDir;

    static List<String> backends() {
        // host-memory backends only: dev.gatun.backend.cuda runs this model on CUDA
        return Backends.list().stream().filter(Backends.Info::usable)
                .map(Backends.Info::name)
                .filter(n -> Backends.get(n).device() == Device.CPU).toList();
    }

    @BeforeAll
    static void readFixture() {
        Path dir = Path.of(System.getProperty("gatun.shared.dir", "../shared"), "fixtures",
                "llama2c");
        checkpoint = dir.resolve("stories260K.bin");
        Path expected = dir.resolve("stories260K-greedy-128.safetensors");
        if (!Files.isRegularFile(checkpoint) || !Files.isRegularFile(expected)) {
            missing = "the stories260K fixtures are not in " + dir.toAbsolutePath()
                    + " (set gatun.shared.dir to the shared folder)";
            return;
        }
        try (Scope scope = Scope.open()) {
            SafeTensors st = SafeTensors.open(expected, scope);
            Tensor t = st.get("tokens");
            Tensor l = st.get("logits");
            assertEquals(DType.I32, t.dtype());
            assertArrayEquals(new long[] {STEPS}, t.shape());
            assertArrayEquals(new long[] {STEPS, VOCAB}, l.shape());
            tokens = t.toIntArray();
            logits = l.toFloatArray();

            // the same model evaluated in float64, position by position
            Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(checkpoint, scope);
            Map<String, Tensor> weights = new HashMap<>();
            for (String name : ckpt.names()) {
                weights.put(name, ckpt.get(name));
            }
            LlamaReference ref = new LlamaReference(weights,
                    LlamaConfig.from(ckpt.config()), ckpt.ropeStyle());
            exact = new double[STEPS * VOCAB];
            for (int p = 0; p < STEPS; p++) {
                System.arraycopy(ref.step(tokens[p], p), 0, exact, p * VOCAB, VOCAB);
            }
        }
    }

    @BeforeEach
    void requireFixture() {
        assumeTrue(missing == null, missing);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void llama2cDecodedOneTokenAtATime(String backend) {
        try (Scope scope = Scope.open()) {
            Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(checkpoint, scope);
            assertEquals(RopeStyle.INTERLEAVED, ckpt.ropeStyle());
            decodeStepByStep(LlamaModel.load(ckpt), Backends.get(backend), "llama2.c cached");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void llama2cInOnePrefill(String backend) {
        try (Scope scope = Scope.open()) {
            LlamaModel model = LlamaModel.load(Llama2cCheckpoint.open(checkpoint, scope));
            prefill(model, new Ops(Backends.get(backend), scope), "llama2.c prefill");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void convertedToHuggingFaceLayout(String backend) {
        try (Scope scope = Scope.open()) {
            Path folder = hfDir.resolve(backend);
            LlamaHfConverter.convert(checkpoint, folder);
            HfLlamaWeights hf = HfLlamaWeights.load(folder, scope);
            assertEquals(RopeStyle.HALF_SPLIT, hf.ropeStyle());
            LlamaModel model = LlamaModel.load(hf);
            assertEquals(RopeStyle.HALF_SPLIT, model.ropeStyle());
            Backend b = Backends.get(backend);
            decodeStepByStep(model, b, "HF cached");
            prefill(model, new Ops(b, scope), "HF prefill");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void greedyGenerationReproducesTheTokens(String backend) {
        try (Scope scope = Scope.open()) {
            LlamaModel model = LlamaModel.load(Llama2cCheckpoint.open(checkpoint, scope));
            int[] out = model.generate(Backends.get(backend), new int[] {tokens[0]}, STEPS - 1,
                    Sampler.greedy(), -1, t -> true);
            assertArrayEquals(Arrays.copyOfRange(tokens, 1, STEPS), out);
        }
    }

    /** Feeds back its own argmax from BOS, checking each token and each logit row. */
    private static void decodeStepByStep(LlamaModel model, Backend backend, String what) {
        try (Scope session = Scope.open()) {
            KVCache cache = model.newCache(new Ops(backend, session), STEPS);
            int token = tokens[0];
            for (int p = 0; p < STEPS; p++) {
                assertEquals(tokens[p], token, what + ": token at position " + p);
                try (Scope step = Scope.open()) {
                    float[] row = model.forward(new Ops(backend, step), cache, new int[] {token},
                            p).toFloatArray();
                    assertRowClose(row, 0, p, what);
                    token = argmax(row, 0);
                }
            }
        }
    }

    private static void prefill(LlamaModel model, Ops ops, String what) {
        float[] all = model.forward(ops, tokens).toFloatArray();
        assertEquals(STEPS * VOCAB, all.length);
        for (int p = 0; p < STEPS; p++) {
            assertRowClose(all, p * VOCAB, p, what);
            if (p + 1 < STEPS) {
                assertEquals(tokens[p + 1], argmax(all, p * VOCAB), what + ": argmax at " + p);
            }
        }
    }

    private static void assertRowClose(float[] actual, int from, int p, String what) {
        double worstRunC = 0;
        double worstExact = 0;
        int atRunC = 0;
        int atExact = 0;
        for (int v = 0; v < VOCAB; v++) {
            double runC = Math.abs(actual[from + v] - logits[p * VOCAB + v]);
            double ex = Math.abs(actual[from + v] - exact[p * VOCAB + v]);
            if (!(runC <= worstRunC)) {
                worstRunC = runC;
                atRunC = v;
            }
            if (!(ex <= worstExact)) {
                worstExact = ex;
                atExact = v;
            }
        }
        assertTrue(worstRunC <= TOLERANCE_RUN_C, what + ": position " + p + " logit " + atRunC
                + " differs from run.c by " + worstRunC + " (> " + TOLERANCE_RUN_C
                + "): expected " + logits[p * VOCAB + atRunC] + ", got "
                + actual[from + atRunC]);
        assertTrue(worstExact <= TOLERANCE_EXACT, what + ": position " + p + " logit "
                + atExact + " differs from the float64 evaluation by " + worstExact + " (> "
                + TOLERANCE_EXACT + "): expected " + exact[p * VOCAB + atExact] + ", got "
                + actual[from + atExact]);
    }

    private static int argmax(float[] v, int from) {
        int best = 0;
        for (int i = 1; i < VOCAB; i++) {
            if (v[from + i] > v[from + best]) {
                best = i;
            }
        }
        return best;
    }
}
