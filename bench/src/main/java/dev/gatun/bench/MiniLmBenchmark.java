package dev.gatun.bench;

import dev.gatun.Backend;
import dev.gatun.MemoryPool;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.models.bert.MiniLm;
import dev.gatun.models.bert.SentenceEmbedder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole all-MiniLM-L6-v2 sentence embedding (tokenize, 6-layer encoder, mean pooling,
 * L2 norm) of {@link Sentences}, on Gatun's backends and on ONNX Runtime with the same file
 * and the same tokenizer.
 *
 * <ul>
 *   <li>{@link #batch32}: the 32 sentences in one call, each engine batching them its way
 *       (Gatun: one ragged pass of 478 tokens; ONNX Runtime: {@code PaddedBatches}, 4
 *       batches of 523 padded tokens); throughput in sentences/s = 32 / time;
 *   <li>{@link #latency}: one sentence per call (batch 1), cycling through the 32; ms per
 *       sentence;
 *   <li>{@link #long4}: the four paragraphs of {@link Sentences#LONG} (150 to 158 tokens
 *       each) in one call; texts per second;
 *   <li>{@link #forward}: the padded {@code BertModel.forward} alone on the 32 tokenized
 *       sentences as one batch padded to 39 tokens (not what {@code embed} runs on a CPU),
 *       results in a scope opened and closed per call on one {@link MemoryPool}; with
 *       {@code -prof gc} its B/op is what the encoder allocates on the Java heap per batch.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
        "--add-modules", "jdk.incubator.vector"})
public class MiniLmBenchmark {

    /** The model on one backend, or ONNX Runtime. */
    @State(org.openjdk.jmh.annotations.Scope.Thread)
    public static class Model {
        @Param({"native", "java", "scalar", "onnxruntime"})
        public String backend;

        SentenceEmbedder gatun;
        OnnxRuntimePeer onnxRuntime;
        int next;

        @Setup(Level.Trial)
        public void setUp() {
            if (backend.equals("onnxruntime")) {
                onnxRuntime = OnnxRuntimePeer.open();
            } else {
                gatun = MiniLm.load(BenchBackends.of(backend));
            }
        }

        float[][] embed(List<String> texts) {
            return gatun != null ? gatun.embed(texts) : onnxRuntime.embed(texts);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (gatun != null) {
                gatun.close();
            }
            if (onnxRuntime != null) {
                onnxRuntime.close();
            }
        }
    }

    /** The encoder alone, on the 32 sentences tokenized and right-padded once. */
    @State(org.openjdk.jmh.annotations.Scope.Thread)
    public static class Encoder {
        @Param({"native", "java"})
        public String backend;

        SentenceEmbedder gatun;
        Backend impl;
        Scope inputs;
        Tensor ids;     // I32 [B, T]
        Tensor lengths; // I32 [B]
        MemoryPool pool; // results of each call, reused by the next (as SentenceEmbedder does)

        @Setup(Level.Trial)
        public void setUp() {
            impl = BenchBackends.of(backend);
            gatun = MiniLm.load(impl);
            int b = Sentences.BATCH.size();
            int[][] tokens = new int[b][];
            int t = 0;
            for (int i = 0; i < b; i++) {
                tokens[i] = gatun.tokenizer().encode(Sentences.BATCH.get(i)).ids();
                t = Math.max(t, tokens[i].length);
            }
            int[] flat = new int[b * t];
            int[] n = new int[b];
            for (int i = 0; i < b; i++) {
                System.arraycopy(tokens[i], 0, flat, i * t, tokens[i].length);
                n[i] = tokens[i].length;
            }
            inputs = Scope.open();
            pool = MemoryPool.create(SentenceEmbedder.POOL_BYTES);
            ids = Tensor.fromInts(inputs, flat, b, t);
            lengths = Tensor.fromInts(inputs, n, b);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            inputs.close();
            pool.close();
            gatun.close();
        }
    }

    @Benchmark
    public float[][] batch32(Model m) {
        return m.embed(Sentences.BATCH);
    }

    @Benchmark
    public float[][] long4(Model m) {
        return m.embed(Sentences.LONG);
    }

    @Benchmark
    public float[][] latency(Model m) {
        String text = Sentences.BATCH.get(m.next);
        m.next = (m.next + 1) % Sentences.BATCH.size();
        return m.embed(List.of(text));
    }

    @Benchmark
    public long forward(Encoder e) {
        try (Scope scope = Scope.open(e.pool)) {
            Tensor hidden = e.gatun.model().forward(new Ops(e.impl, scope), e.ids, e.lengths);
            return hidden.numel();
        }
    }
}
