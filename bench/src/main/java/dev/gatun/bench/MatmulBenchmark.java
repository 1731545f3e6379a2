package dev.gatun.bench;

import dev.gatun.Activation;
import dev.gatun.Backend;
import dev.gatun.DType;
import dev.gatun.MemoryPool;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.util.Arrays;
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
 * Matrix product {@code c [M, N] = a [M, K] x w [K, N]}, fp32, row-major.
 *
 * <p>Work: 2·M·N·K flops, so GFLOP/s = 2·M·N·K / time. Shapes: "n" is square
 * (M = K = N = n); "MxKxN" are Transformer shapes, e.g. 128x384x1536 is MiniLM's FFN
 * up-projection of 128 tokens.
 *
 * <ul>
 *   <li>{@link #ops}: the whole Java API, {@code Ops.matmul}, result allocated in a scope
 *       that is recycled every ~64 MB of results (the close cost amortised as a user running
 *       many ops in one scope would pay it);
 *   <li>{@link #backend}: {@code Backend.matmul} into a preallocated dst (no allocation);
 *   <li>backend "onednn-direct": both methods call oneDNN's {@code dnnl_sgemm} straight
 *       through FFM on the same memory, the ceiling for native;
 *   <li>{@link #loop}: a plain Java triple loop (i-k-j order), the baseline.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
        "--add-modules", "jdk.incubator.vector"})
public class MatmulBenchmark {
    /**
     * Result bytes after which {@link #ops} closes its scope and opens a fresh one on the
     * same pool. Direct oneDNN writes one dst again and again, in cache; the API writes a
     * new result per call, and recycling every 4 MiB keeps those few results in cache too,
     * as a loop over a pooled scope would (with 64 MiB, n = 256 measured the cost of
     * writing to memory no longer cached: 186 against 213 GFLOP/s into one dst).
     */
    static final long RECYCLE_BYTES = 4L << 20;

    /** The flops of one product of the given shape. */
    public static double flops(String shape) {
        long[] mkn = Data.dims(shape, 3);
        return 2.0 * mkn[0] * mkn[1] * mkn[2];
    }

    /** Inputs and a destination on one backend. */
    @State(org.openjdk.jmh.annotations.Scope.Thread)
    public static class OnBackend {
        @Param({"64", "256", "512", "1024", "2048", "128x384x1536", "128x1536x384"})
        public String shape;

        @Param({"native", "java", "scalar", "onednn-direct"})
        public String backend;

        long m;
        long k;
        long n;
        Scope inputs;
        Tensor a;
        Tensor w;
        Tensor dst;
        Tensor a3; // [1, M, K] views of the same memory, as Backend.matmul takes them
        Tensor w3;
        Tensor dst3;
        Backend impl;
        OneDnnDirect onednn;
        MemoryPool pool; // the recycled scopes' memory, reused by the next one
        Scope results;
        Ops ops;
        long resultBytes;

        @Setup(Level.Trial)
        public void setUp() {
            long[] mkn = Data.dims(shape, 3);
            m = mkn[0];
            k = mkn[1];
            n = mkn[2];
            inputs = Scope.open();
            a = Data.tensor(inputs, 1, m, k);
            w = Data.tensor(inputs, 2, k, n);
            dst = Tensor.allocate(inputs, DType.F32, m, n);
            a3 = a.reshape(1, m, k);
            w3 = w.reshape(1, k, n);
            dst3 = dst.reshape(1, m, n);
            if (backend.equals("onednn-direct")) {
                onednn = OneDnnDirect.load();
            } else {
                impl = BenchBackends.of(backend);
                pool = MemoryPool.create(64L << 20); // holds a 2048^2 result (16 MiB)
                results = Scope.open(pool);
                ops = new Ops(impl, results);
            }
        }

        /** Counts a result of {@code ops}; swaps in a fresh scope past the threshold. */
        void recycle() {
            resultBytes += m * n * Float.BYTES;
            if (resultBytes >= RECYCLE_BYTES) {
                results.close();
                results = Scope.open(pool);
                ops = new Ops(impl, results);
                resultBytes = 0;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (results != null) {
                results.close();
                pool.close();
            }
            inputs.close();
        }
    }

    /** The shape alone, for the plain loop. */
    @State(org.openjdk.jmh.annotations.Scope.Thread)
    public static class Plain {
        @Param({"64", "256", "512", "1024"})
        public String shape;

        int m;
        int k;
        int n;
        float[] a;
        float[] w;
        float[] c;

        @Setup(Level.Trial)
        public void setUp() {
            long[] mkn = Data.dims(shape, 3);
            m = (int) mkn[0];
            k = (int) mkn[1];
            n = (int) mkn[2];
            a = Data.floats(m * k, 1);
            w = Data.floats(k * n, 2);
            c = new float[m * n];
        }
    }

    @Benchmark
    public Object ops(OnBackend s) {
        if (s.onednn != null) {
            s.onednn.sgemm(s.m, s.n, s.k, s.a.segment(), s.w.segment(), s.dst.segment());
            return s.dst;
        }
        Tensor c = s.ops.matmul(s.a, s.w);
        s.recycle();
        return c;
    }

    @Benchmark
    public Object backend(OnBackend s) {
        if (s.onednn != null) {
            s.onednn.sgemm(s.m, s.n, s.k, s.a.segment(), s.w.segment(), s.dst.segment());
            return s.dst;
        }
        s.impl.matmul(s.a3, s.w3, null, Activation.NONE, null, s.dst3);
        return s.dst;
    }

    @Benchmark
    public float[] loop(Plain s) {
        int m = s.m;
        int k = s.k;
        int n = s.n;
        float[] a = s.a;
        float[] w = s.w;
        float[] c = s.c;
        Arrays.fill(c, 0f);
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                float aip = a[i * k + p];
                for (int j = 0; j < n; j++) {
                    c[i * n + j] += aip * w[p * n + j];
                }
            }
        }
        return c;
    }
}
