package dev.gatun.bench;

import dev.gatun.Backend;
import dev.gatun.DType;
import dev.gatun.MemoryPool;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.bindings.gatun_h;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
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
 * What a call costs before any work: an empty native call and a tiny op (adding N = 16
 * floats), through FFM with and without {@link Linker.Option#critical}, through JNI as the
 * reference point, and through Gatun's API. Reported in ns per call.
 *
 * <ul>
 *   <li>{@code ffmEmpty*}: {@code gatun_abi_version()}, which only returns a constant;
 *       {@code jniEmpty}: a JNI function that does the same;
 *   <li>{@code ffmAdd*}: {@code gatun_binary(ADD, F32, 16, ...)} on off-heap memory;
 *       {@code ffmAddHeap}: the same on Java arrays, passed as heap segments, which needs
 *       {@code critical(true)}; {@code jniAdd}: a JNI loop on the same addresses;
 *       {@code jniAddArrays}: a JNI loop on Java arrays pinned with
 *       GetPrimitiveArrayCritical;
 *   <li>{@code backendAdd}: {@code Backend.add} into a preallocated dst (the backend's own
 *       checks and binding); {@code opsAdd}: {@code Ops.add}, the whole API (checks, result
 *       allocated in a scope recycled every 65536 calls);
 *   <li>{@code javaLoopAdd}: the same 16 adds in a Java loop, the floor.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED",
        "--add-modules", "jdk.incubator.vector"})
public class CallOverheadBenchmark {
    static final int N = 16;
    /** Results after which {@link #opsAdd} closes its scope (~40 us) and opens a new one. */
    static final int RECYCLE_COUNT = 1 << 16;

    /** Downcall handles, off-heap and heap operands. */
    @State(org.openjdk.jmh.annotations.Scope.Benchmark)
    public static class Calls {
        MethodHandle empty;
        MethodHandle emptyCritical;
        MethodHandle add;
        MethodHandle addCritical;
        MethodHandle addHeap;
        Scope scope;
        MemorySegment a;
        MemorySegment b;
        MemorySegment dst;
        float[] ha;
        float[] hb;
        float[] hdst;

        @Setup(Level.Trial)
        public void setUp() {
            Linker linker = Linker.nativeLinker();
            MemorySegment version = gatun_h.gatun_abi_version$address();
            empty = linker.downcallHandle(version, gatun_h.gatun_abi_version$descriptor());
            emptyCritical = linker.downcallHandle(version,
                    gatun_h.gatun_abi_version$descriptor(), Linker.Option.critical(false));
            MemorySegment binary = gatun_h.gatun_binary$address();
            add = linker.downcallHandle(binary, gatun_h.gatun_binary$descriptor());
            addCritical = linker.downcallHandle(binary, gatun_h.gatun_binary$descriptor(),
                    Linker.Option.critical(false));
            addHeap = linker.downcallHandle(binary, gatun_h.gatun_binary$descriptor(),
                    Linker.Option.critical(true));
            scope = Scope.open();
            ha = Data.floats(N, 1);
            hb = Data.floats(N, 2);
            hdst = new float[N];
            a = scope.allocate((long) N * Float.BYTES, 64).copyFrom(MemorySegment.ofArray(ha));
            b = scope.allocate((long) N * Float.BYTES, 64).copyFrom(MemorySegment.ofArray(hb));
            dst = scope.allocate((long) N * Float.BYTES, 64);
            JniCalls.noop(); // loads the JNI library outside the measurement
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            scope.close();
        }
    }

    /** A tiny add on one backend, through Backend and through Ops. */
    @State(org.openjdk.jmh.annotations.Scope.Thread)
    public static class Api {
        @Param({"native", "java"})
        public String backend;

        Backend impl;
        Scope inputs;
        Tensor a;
        Tensor b;
        Tensor dst;
        MemoryPool pool; // the recycled scopes' memory, reused by the next one
        Scope results;
        Ops ops;
        int resultCount;

        @Setup(Level.Trial)
        public void setUp() {
            impl = BenchBackends.of(backend);
            inputs = Scope.open();
            a = Data.tensor(inputs, 1, N);
            b = Data.tensor(inputs, 2, N);
            dst = Tensor.allocate(inputs, DType.F32, N);
            pool = MemoryPool.create(8L << 20); // one recycle round of 64-byte results
            results = Scope.open(pool);
            ops = new Ops(impl, results);
        }

        /** Counts a result of {@link #opsAdd}; swaps in a fresh scope past the threshold. */
        void recycle() {
            if (++resultCount == RECYCLE_COUNT) {
                results.close();
                results = Scope.open(pool);
                ops = new Ops(impl, results);
                resultCount = 0;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            results.close();
            pool.close();
            inputs.close();
        }
    }

    @Benchmark
    public int ffmEmpty(Calls c) throws Throwable {
        return (int) c.empty.invokeExact();
    }

    @Benchmark
    public int ffmEmptyCritical(Calls c) throws Throwable {
        return (int) c.emptyCritical.invokeExact();
    }

    @Benchmark
    public int jniEmpty() {
        return JniCalls.noop();
    }

    @Benchmark
    public int ffmAdd(Calls c) throws Throwable {
        return (int) c.add.invokeExact(gatun_h.GATUN_BINARY_ADD, gatun_h.GATUN_F32, (long) N,
                c.a, c.b, (long) N, c.dst);
    }

    @Benchmark
    public int ffmAddCritical(Calls c) throws Throwable {
        return (int) c.addCritical.invokeExact(gatun_h.GATUN_BINARY_ADD, gatun_h.GATUN_F32,
                (long) N, c.a, c.b, (long) N, c.dst);
    }

    @Benchmark
    public int ffmAddHeap(Calls c) throws Throwable {
        return (int) c.addHeap.invokeExact(gatun_h.GATUN_BINARY_ADD, gatun_h.GATUN_F32,
                (long) N, MemorySegment.ofArray(c.ha), MemorySegment.ofArray(c.hb), (long) N,
                MemorySegment.ofArray(c.hdst));
    }

    @Benchmark
    public MemorySegment jniAdd(Calls c) {
        JniCalls.add(c.a.address(), c.b.address(), c.dst.address(), N);
        return c.dst;
    }

    @Benchmark
    public float[] jniAddArrays(Calls c) {
        JniCalls.addArrays(c.ha, c.hb, c.hdst);
        return c.hdst;
    }

    @Benchmark
    public float[] javaLoopAdd(Calls c) {
        for (int i = 0; i < N; i++) {
            c.hdst[i] = c.ha[i] + c.hb[i];
        }
        return c.hdst;
    }

    @Benchmark
    public Tensor backendAdd(Api s) {
        s.impl.add(s.a, s.b, s.dst);
        return s.dst;
    }

    @Benchmark
    public Tensor opsAdd(Api s) {
        Tensor sum = s.ops.add(s.a, s.b);
        s.recycle();
        return sum;
    }
}
