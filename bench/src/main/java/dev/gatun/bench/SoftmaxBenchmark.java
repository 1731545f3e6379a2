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
 * Softmax over the last dimension, {@code dst = exp(x - max) / sum}, x and dst
 * [rows, cols] fp32.
 *
 * <p>Work is memory traffic: GB/s = 4·2·rows·cols / time. Shapes "rowsxcols": 1536x128 is
 * the attention scores of 12 heads over 128 tokens, 12288x1024 of 12 heads over 1024 tokens,
 * 32x32000 a batch of logits over a Llama vocabulary.
 *
 * <p>{@link #backend} runs {@code Backend.softmax} into a preallocated dst;
 * {@link #loop} is the plain Java three-pass loop, the baseline.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
        "--add-modules", "jdk.incubator.vector"})
public class SoftmaxBenchmark {

    /** The bytes one softmax of the given shape reads and writes. */
    public static double bytes(String shape) {
        long[] rc = Data.dims(shape, 2);
        return Float.BYTES * 2.0 * rc[0] * rc[1];
    }

    /** Inputs and a destination on one backend. */
    @State(org.openjdk.jmh.annotations.Scope.Thread)
    public static class OnBackend {
        @Param({"1536x128", "12288x1024", "32x32000"})
        public String shape;

        @Param({"native", "java", "scalar"})
        public String backend;

        Scope scope;
        Tensor x;
        Tensor dst;
        Backend impl;

        @Setup(Level.Trial)
        public void setUp() {
            long[] rc = Data.dims(shape, 2);
            scope = Scope.open();
            x = Data.tensor(scope, 1, rc[0], rc[1]);
            dst = Tensor.allocate(scope, DType.F32, rc[0], rc[1]);
            impl = BenchBackends.of(backend);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            scope.close();
        }
    }

    /** The shape alone, for the plain loop. */
    @State(org.openjdk.jmh.annotations.Scope.Thread)
    public static class Plain {
        @Param({"1536x128", "12288x1024", "32x32000"})
        public String shape;

        int rows;
        int cols;
        float[] x;
        float[] dst;

        @Setup(Level.Trial)
        public void setUp() {
            long[] rc = Data.dims(shape, 2);
            rows = (int) rc[0];
            cols = (int) rc[1];
            x = Data.floats(rows * cols, 1);
            dst = new float[rows * cols];
        }
    }

    @Benchmark
    public Tensor backend(OnBackend s) {
        s.impl.softmax(s.x, 1f, null, s.dst);
        return s.dst;
    }

    @Benchmark
    public float[] loop(Plain s) {
        int cols = s.cols;
        float[] x = s.x;
        float[] dst = s.dst;
        for (int r = 0; r < s.rows; r++) {
            int row = r * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < cols; i++) {
                max = Math.max(max, x[row + i]);
            }
            float sum = 0;
            for (int i = 0; i < cols; i++) {
                float e = (float) Math.exp(x[row + i] - max);
                dst[row + i] = e;
                sum += e;
            }
            float inv = 1 / sum;
            for (int i = 0; i < cols; i++) {
                dst[row + i] *= inv;
            }
        }
        return dst;
    }
}
