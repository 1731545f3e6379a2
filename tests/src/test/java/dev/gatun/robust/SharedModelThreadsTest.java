package dev.gatun.robust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gatun.Backend;
import dev.gatun.Backends;
import dev.gatun.Device;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.io.Llama2cCheckpoint;
import dev.gatun.models.bert.BertModel;
import dev.gatun.models.bert.MiniLm;
import dev.gatun.models.bert.SentenceEmbedder;
import dev.gatun.models.llama.LlamaModel;
import dev.gatun.models.llama.Sampler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One loaded model shared read-only by {@value #THREADS} threads, each computing in scopes of
 * its own, gives bit for bit what one thread computing alone gives: MiniLM embeddings (and
 * its encoder's hidden states) and stories260K's logits and generated tokens. Bitwise, not
 * within a tolerance: each backend splits its work the same way whatever thread calls it, so
 * any difference would be one thread's data leaking into another's.
 */
class SharedModelThreadsTest {
    static final int THREADS = 8;
    static final String STORIES = "fixtures/llama2c/stories260K.bin";

    static Stream<String> hostBackends() {
        List<String> names = Backends.list().stream().filter(Backends.Info::usable)
                .map(Backends.Info::name)
                .filter(n -> Backends.get(n).device() == Device.CPU).toList();
        assumeTrue(!names.isEmpty(), "no usable host backend: " + Backends.list());
        return names.stream();
    }

    /** Runs {@code work(t)} on {@value #THREADS} threads released together; their results. */
    static <T> List<T> onThreads(ThreadWork<T> work) throws Exception {
        CyclicBarrier start = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                Callable<T> task = () -> {
                    start.await();
                    return work.run(thread);
                };
                futures.add(pool.submit(task));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The work of one thread, given its index. */
    interface ThreadWork<T> {
        T run(int thread) throws Exception;
    }

    /** Texts of 1 to 60 words from a small vocabulary, some accented. */
    static List<String> texts(Random rng, int n) {
        String[] words = {"the", "river", "quietly", "golden", "library", "café", "naïve",
                "seventeen", "window", "bright", "under", "mountain", "and", "of", "東京", "!"};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            for (int w = 1 + rng.nextInt(60); w > 0; w--) {
                sb.append(words[rng.nextInt(words.length)]).append(' ');
            }
            out.add(sb.toString().strip());
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("hostBackends")
    void threadsSharingOneEmbedderGetTheSequentialEmbeddingsBitForBit(String name)
            throws Exception {
        assumeTrue(MiniLm.isAvailable(), MiniLm.ARTIFACT + " is not on the test class path");
        Backend backend = Backends.get(name);
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        List<String> texts = texts(rng, 8);
        try (SentenceEmbedder minilm = MiniLm.load(backend, 128)) {
            // one thread alone: each text by itself, then all of them as one batched call
            float[][] alone = new float[texts.size()][];
            for (int i = 0; i < texts.size(); i++) {
                alone[i] = minilm.embed(texts.get(i));
            }
            float[][] batched = minilm.embed(texts);
            float[] hidden = hiddenStates(minilm, texts.subList(0, 2));

            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            onThreads(thread -> {
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < texts.size(); i++) {
                    order.add(i);
                }
                Collections.shuffle(order, new Random(seed + thread));
                for (int i : order) {
                    if (!Arrays.equals(alone[i], minilm.embed(texts.get(i)))) {
                        failures.add("thread " + thread + ": text " + i + " alone");
                    }
                }
                float[][] got = minilm.embed(texts);
                for (int i = 0; i < texts.size(); i++) {
                    if (!Arrays.equals(batched[i], got[i])) {
                        failures.add("thread " + thread + ": text " + i + " batched");
                    }
                }
                if (!Arrays.equals(hidden, hiddenStates(minilm, texts.subList(0, 2)))) {
                    failures.add("thread " + thread + ": hidden states in its own scope");
                }
                return null;
            });
            assertEquals(List.of(), failures, "seed " + seed + ", backend " + name
                    + ": results that differ from one thread's");
        }
    }

    /** The encoder's output [B, T, C] for {@code texts}, in a scope of the calling thread. */
    static float[] hiddenStates(SentenceEmbedder embedder, List<String> texts) {
        BertModel model = embedder.model();
        int b = texts.size();
        int[][] ids = new int[b][];
        int t = 0;
        for (int i = 0; i < b; i++) {
            ids[i] = embedder.tokenizer().encode(texts.get(i)).ids();
            t = Math.max(t, ids[i].length);
        }
        int[] flat = new int[b * t];
        int[] lengths = new int[b];
        for (int i = 0; i < b; i++) {
            System.arraycopy(ids[i], 0, flat, i * t, ids[i].length);
            lengths[i] = ids[i].length;
        }
        try (Scope scope = Scope.open()) {
            Ops ops = new Ops(embedder.backend(), scope);
            return model.forward(ops, Tensor.fromInts(scope, flat, b, t),
                    Tensor.fromInts(scope, lengths, b)).toFloatArray();
        }
    }

    /** One prompt's results: greedy tokens, sampled tokens and the prompt's logits. */
    record Generated(int[] greedy, int[] sampled, float[] logits) {
        void assertSame(Generated other, String what) {
            assertArrayEquals(greedy, other.greedy, what + ": greedy tokens");
            assertArrayEquals(sampled, other.sampled, what + ": sampled tokens");
            assertTrue(Arrays.equals(logits, other.logits), what + ": logits differ");
        }
    }

    static Generated generate(LlamaModel model, Backend backend, int[] prompt, long seed) {
        int[] greedy = model.generate(backend, prompt, 24, Sampler.greedy(), -1, t -> true);
        int[] sampled = model.generate(backend, prompt, 24, Sampler.temperature(0.9f, seed),
                -1, t -> true);
        float[] logits;
        try (Scope scope = Scope.open()) {
            logits = model.forward(new Ops(backend, scope), prompt).toFloatArray();
        }
        return new Generated(greedy, sampled, logits);
    }

    @ParameterizedTest
    @MethodSource("hostBackends")
    void threadsSharingOneLlamaGetTheSequentialTokensAndLogits(String name) throws Exception {
        Path shared = Path.of(System.getProperty("gatun.shared.dir", "../shared"));
        Path file = shared.resolve(STORIES);
        assumeTrue(Files.isRegularFile(file), "fixture " + file + " is absent");
        Backend backend = Backends.get(name);
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        int[][] prompts = new int[THREADS][];
        for (int p = 0; p < THREADS; p++) {
            prompts[p] = new int[1 + rng.nextInt(8)];
            prompts[p][0] = 1; // BOS
            for (int i = 1; i < prompts[p].length; i++) {
                prompts[p][i] = 3 + rng.nextInt(500);
            }
        }
        try (Scope weights = Scope.open()) {
            LlamaModel model = LlamaModel.load(Llama2cCheckpoint.open(file, weights));
            Generated[] alone = new Generated[THREADS];
            for (int p = 0; p < THREADS; p++) {
                alone[p] = generate(model, backend, prompts[p], seed + p);
            }
            // thread t runs prompts t and t + 3: each prompt on two threads at once
            List<Generated[]> perThread = onThreads(thread -> {
                Generated[] got = new Generated[THREADS];
                for (int p : new int[] {thread, (thread + 3) % THREADS}) {
                    got[p] = generate(model, backend, prompts[p], seed + p);
                }
                return got;
            });
            for (int thread = 0; thread < THREADS; thread++) {
                for (int p : new int[] {thread, (thread + 3) % THREADS}) {
                    alone[p].assertSame(perThread.get(thread)[p], "seed " + seed
                            + ", backend " + name + ", thread " + thread + ", prompt "
                            + Arrays.toString(prompts[p]));
                }
            }
        }
    }
}
