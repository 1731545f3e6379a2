package dev.gatun.bench;

import dev.gatun.Backend;
import dev.gatun.DType;
import dev.gatun.Scope;
import dev.gatun.Tensor;
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
 * Scaled dot-product attention, {@code dst = softmax(q k^T / sqrt(D)) v}, q, k, v and dst
 * [B, H, T, D] fp32, B = 1, H = 12, D = 64 (BERT-base's heads), no mask.
 *
 * <p>Work: the two products, 4·B·H·T²·D flops (the softmax's few flops per score are not
 * counted), so GFLOP/s = 4·B·H·T²·D / time.
 *
 * <p>{@link #backend} runs {@code Backend.attention} into a preallocated dst;
 * {@link #loop} is the plain Java loop (scores, softmax, weighted sum per query), the
 * baseline.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
        "--add-modules", "jdk.incubator.vector"})
public class AttentionBenchmark {
    static final int B = 1;
    static final int H = 12;
    static final int D = 64;

    /** The flops of one attention over T tokens. */
    public static double flops(String t) {
        double tokens = Double.parseDouble(t);
        return 4.0 * B * H * tokens * tokens * D;
    }

    /** q, k, v and a destination on one backend. */
    @State(org.openjdk.jmh.annotations.Scope.Thread)
    public static class OnBackend {
        @Param({"16", "64", "256", "1024"})
        public String t;

        @Param({"native", "java", "scalar"})
        public String backend;

        Scope scope;
        Tensor q;
        Tensor k;
        Tensor v;
        Tensor dst;
        float scale;
        Backend impl;

        @Setup(Level.Trial)
        public void setUp() {
            long tokens = Long.parseLong(t);
            scope = Scope.open();
            q = Data.tensor(scope, 1, B, H, tokens, D);
            k = Data.tensor(scope, 2, B, H, tokens, D);
            v = Data.tensor(scope, 3, B, H, tokens, D);
            dst = Tensor.allocate(scope, DType.F32, B, H, tokens, D);
            scale = (float) (1 / Math.sqrt(D));
            impl = BenchBackends.of(backend);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            scope.close();
        }
    }

    /** The sequence length alone, for the plain loop. */
    @State(org.openjdk.jmh.annotations.Scope.Thread)
    public static class Plain {
        @Param({"16", "64", "256", "1024"})
        public String t;

        int tokens;
        float[] q;
        float[] k;
        float[] v;
        float[] dst;
        float[] scores;

        @Setup(Level.Trial)
        public void setUp() {
            tokens = Integer.parseInt(t);
            int n = B * H * tokens * D;
            q = Data.floats(n, 1);
            k = Data.floats(n, 2);
            v = Data.floats(n, 3);
            dst = new float[n];
            scores = new float[tokens];
        }
    }

    @Benchmark
    public Tensor backend(OnBackend s) {
        s.impl.attention(s.q, s.k, s.v, s.scale, false, null, null, s.dst, null);
        return s.dst;
    }

    @Benchmark
    public float[] loop(Plain s) {
        int t = s.tokens;
        float scale = (float) (1 / Math.sqrt(D));
        float[] scores = s.scores;
        for (int head = 0; head < B * H; head++) {
            int base = head * t * D;
            for (int i = 0; i < t; i++) {
                // scores = q_i k^T * scale, then softmax
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < t; j++) {
                    float dot = 0;
                    for (int d = 0; d < D; d++) {
                        dot += s.q[base + i * D + d] * s.k[base + j * D + d];
                    }
                    scores[j] = dot * scale;
                    max = Math.max(max, scores[j]);
                }
                float sum = 0;
                for (int j = 0; j < t; j++) {
                    scores[j] = (float) Math.exp(scores[j] - max);
                    sum += scores[j];
                }

                // dst_i = sum_j p_j v_j
                int out = base + i * D;
                for (int d = 0; d < D; d++) {
                    s.dst[out + d] = 0;
                }
                for (int j = 0; j < t; j++) {
                    float p = scores[j] / sum;
                    for (int d = 0; d < D; d++) {
                        s.dst[out + d] += p * s.v[base + j * D + d];
                    }
                }
            }
        }
        return s.dst;
    }
}
