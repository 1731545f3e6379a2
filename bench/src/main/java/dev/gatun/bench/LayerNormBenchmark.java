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
 * Layer norm over the last dimension, {@code dst = (x - mean) / sqrt(var + eps) * gamma +
 * beta}, x and dst [rows, C] fp32.
 *
 * <p>Work is memory traffic: rows·C floats read, rows·C written, plus gamma and beta, so
 * GB/s = 4·(2·rows·C + 2·C) / time. Shapes "rowsxC": 128x384 is MiniLM's batch of 128
 * tokens, 4096x384 a batch of 32 sentences of 128 tokens, 256x4096 a Llama-7B-wide row.
 *
 * <p>{@link #backend} runs {@code Backend.layerNorm} into a preallocated dst;
 * {@link #loop} is the plain Java two-pass loop, the baseline.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
        "--add-modules", "jdk.incubator.vector"})
public class LayerNormBenchmark {
    static final float EPS = 1e-12f;

    /** The bytes one layer norm of the given shape reads and writes. */
    public static double bytes(String shape) {
        long[] rc = Data.dims(shape, 2);
        return Float.BYTES * (2.0 * rc[0] * rc[1] + 2.0 * rc[1]);
    }

    /** Inputs and a destination on one backend. */
    @State(org.openjdk.jmh.annotations.Scope.Thread)
    public static class OnBackend {
        @Param({"128x384", "4096x384", "256x4096"})
        public String shape;

        @Param({"native", "java", "scalar"})
        public String backend;

        Scope scope;
        Tensor x;
        Tensor gamma;
        Tensor beta;
        Tensor dst;
        Backend impl;

        @Setup(Level.Trial)
        public void setUp() {
            long[] rc = Data.dims(shape, 2);
            scope = Scope.open();
            x = Data.tensor(scope, 1, rc[0], rc[1]);
            gamma = Data.tensor(scope, 2, rc[1]);
            beta = Data.tensor(scope, 3, rc[1]);
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
        @Param({"128x384", "4096x384", "256x4096"})
        public String shape;

        int rows;
        int c;
        float[] x;
        float[] gamma;
        float[] beta;
        float[] dst;

        @Setup(Level.Trial)
        public void setUp() {
            long[] rc = Data.dims(shape, 2);
            rows = (int) rc[0];
            c = (int) rc[1];
            x = Data.floats(rows * c, 1);
            gamma = Data.floats(c, 2);
            beta = Data.floats(c, 3);
            dst = new float[rows * c];
        }
    }

    @Benchmark
    public Tensor backend(OnBackend s) {
        s.impl.layerNorm(s.x, null, s.gamma, s.beta, EPS, s.dst, null);
        return s.dst;
    }

    @Benchmark
    public float[] loop(Plain s) {
        int c = s.c;
        float[] x = s.x;
        float[] dst = s.dst;
        for (int r = 0; r < s.rows; r++) {
            int row = r * c;

            // mean, then the variance of centred values
            float sum = 0;
            for (int i = 0; i < c; i++) {
                sum += x[row + i];
            }
            float mean = sum / c;
            float squares = 0;
            for (int i = 0; i < c; i++) {
                float d = x[row + i] - mean;
                squares += d * d;
            }
            float inv = (float) (1 / Math.sqrt(squares / c + EPS));

            // normalise, scale, shift
            for (int i = 0; i < c; i++) {
                dst[row + i] = (x[row + i] - mean) * inv * s.gamma[i] + s.beta[i];
            }
        }
        return dst;
    }
}
