package dev.gatun.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.io.Llama2cCheckpoint;
import dev.gatun.io.SafeTensors;
import dev.gatun.models.bert.MiniLm;
import dev.gatun.models.bert.SentenceEmbedder;
import dev.gatun.models.llama.LlamaModel;
import dev.gatun.models.llama.Sampler;
import dev.gatun.nn.KVCache;
import dev.gatun.nn.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The two models end to end on CUDA, against the CPU backend: all-MiniLM-L6-v2 sentence
 * embeddings (weights copied to the device by {@link MiniLm#load}), and the llama2.c
 * stories260K checkpoint decoded step by step with a cache on the device, against the logits
 * run.c produced (../shared fixtures) and the CPU backend. The weights are F32, so the
 * matrix products run as TF32: the tolerances allow about 1e-3 relative error per product.
 *
 * <p>Skipped, with the reason, where there is no GPU (or the model files are absent);
 * {@code -Dgatun.test.cudaTarget=native} runs them on the native backend instead.
 */
class CudaModelsTest {
    private static final List<String> TEXTS = List.of(
            "The cat sits on the mat.",
            "A feline rests on a rug.",
            "Graphics processors multiply matrices quickly.",
            "Gatun runs Transformer models on native kernels called through the Foreign"
                    + " Function and Memory API, with no JNI: oneDNN on x86 processors, CUDA"
                    + " on NVIDIA GPUs, and a pure-Java backend computing the same ops so"
                    + " that the native results can be compared with Java's. ".repeat(3));

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.gatun.backend.cuda.GpuRun#targets")
    void miniLmEmbedsAsOnTheCpu(String target) {
        assumeTrue(MiniLm.isAvailable(), "all-MiniLM-L6-v2 is not on the class path");
        try (GpuRun r = GpuRun.open(target);
             SentenceEmbedder cpu = MiniLm.load(r.cpu);
             SentenceEmbedder gpu = MiniLm.load(r.backend)) {
            float[][] want = cpu.embed(TEXTS);
            float[][] got = gpu.embed(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) {
                double dot = 0;
                double worst = 0;
                for (int j = 0; j < want[i].length; j++) {
                    dot += (double) want[i][j] * got[i][j];
                    worst = Math.max(worst, Math.abs(want[i][j] - got[i][j]));
                }
                double cosine = dot; // both are unit vectors
                String what = r.what("MiniLM text " + i);
                assertTrue(cosine >= 0.9999, what + ": cosine to " + r.cpu.name() + " "
                        + cosine);
                assertTrue(worst <= 3e-3, what + ": largest difference " + worst);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.gatun.backend.cuda.GpuRun#targets")
    void llamaDecodesStories260kAsRunC(String target) {
        Path dir = Path.of(System.getProperty("gatun.shared.dir", "../shared"), "fixtures",
                "llama2c");
        Path checkpoint = dir.resolve("stories260K.bin");
        Path expected = dir.resolve("stories260K-greedy-128.safetensors");
        assumeTrue(Files.isRegularFile(checkpoint) && Files.isRegularFile(expected),
                "the stories260K fixtures are not in " + dir.toAbsolutePath());
        try (GpuRun r = GpuRun.open(target); Scope host = Scope.open();
             Scope device = Scope.open()) {
            SafeTensors reference = SafeTensors.open(expected, host);
            int[] tokens = reference.get("tokens").toIntArray();          // I32 [128]
            float[] logits = reference.get("logits").toFloatArray();      // F32 [128, 512]
            int vocab = 512;
            int steps = tokens.length;

            Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(checkpoint, host);
            LlamaModel onCpu = LlamaModel.load(ckpt);
            LlamaModel onTarget = LlamaModel.load(ckpt, new Ops(r.backend, device));

            // run.c's tokens fed one at a time, the cache on the device
            KVCache cache = onTarget.newCache(new Ops(r.backend, device), steps);
            KVCache cpuCache = onCpu.newCache(new Ops(r.cpu, host), steps);
            for (int p = 0; p < steps; p++) {
                try (Scope step = Scope.open()) {
                    Ops ops = new Ops(r.backend, step);
                    Tensor row = onTarget.forward(ops, cache, new int[] {tokens[p]}, p);
                    float[] got = Tensors.toFloats(ops, row);
                    float[] cpuGot = onCpu.forward(new Ops(r.cpu, step), cpuCache,
                            new int[] {tokens[p]}, p).toFloatArray();
                    double[] want = new double[vocab];
                    for (int v = 0; v < vocab; v++) {
                        want[v] = logits[p * vocab + v];
                    }
                    r.check("stories260K logits at position " + p, want, got, cpuGot, 1e-2);
                    if (p + 1 < steps && margin(want) > 0.1) {
                        assertEquals(tokens[p + 1], argmax(got), r.what("greedy token after"
                                + " position " + p));
                    }
                }
            }

            // and generate() on the device from BOS: tokens in the vocabulary
            int[] story = onTarget.generate(r.backend, new int[] {tokens[0]}, 32,
                    Sampler.greedy(), -1, t -> true);
            assertEquals(32, story.length, r.what("generated tokens"));
            for (int t : story) {
                assertTrue(t >= 0 && t < vocab, r.what("token " + t));
            }
        }
    }

    /** The gap between the largest and second-largest values. */
    private static double margin(double[] v) {
        double first = Double.NEGATIVE_INFINITY;
        double second = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            if (x > first) {
                second = first;
                first = x;
            } else if (x > second) {
                second = x;
            }
        }
        return first - second;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
