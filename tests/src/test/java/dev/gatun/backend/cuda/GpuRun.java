package dev.gatun.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gatun.Backend;
import dev.gatun.Backends;
import dev.gatun.DType;
import dev.gatun.MemoryStats;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

/**
 * One GPU test's world: the backend under test, the CPU backend it is compared with, a
 * scope, and fresh random numbers whose seed heads every message. Closing it checks that
 * the scope gave back all the device memory it took.
 *
 * <p>The backend under test is "cuda" or "cuda-reference" (the reference kernels); with
 * {@code -Dgatun.test.cudaTarget=native} (or another CPU backend's name) it is that backend
 * instead, which runs these checks where there is no GPU, to check the checks themselves.
 */
final class GpuRun implements AutoCloseable {
    /** Sequence lengths every op is tried at: awkward sizes around tile edges. */
    static final long[] LENGTHS = {1, 97, 257, 1025};
    /** Head dims of the attention tests: tensor-core sizes and two that are not. */
    static final long[] HEAD_DIMS = {8, 32, 64, 80, 128};
    static final DType[] FLOATS = {DType.F32, DType.F16, DType.BF16};

    final String label;
    final Backend backend;
    final Backend cpu;
    final Scope scope;
    final Ops ops;
    final Ops cpuOps;
    final long seed;
    final Random rng;
    private final long deviceBytes;

    private GpuRun(String target) {
        this.label = target;
        this.backend = backend(target);
        this.cpu = Backends.list().stream().anyMatch(i -> i.name().equals("native")
                && i.usable()) ? Backends.get("native") : Backends.get("java");
        this.deviceBytes = MemoryStats.liveDeviceBytes();
        this.scope = Scope.open();
        this.ops = new Ops(backend, scope);
        this.cpuOps = new Ops(cpu, scope);
        this.seed = System.nanoTime();
        this.rng = new Random(seed);
    }

    /** The targets of a parameterized test: cuda and cuda-reference, or the one forced. */
    static Stream<String> targets() {
        String forced = System.getProperty("gatun.test.cudaTarget");
        if (forced != null && !forced.isBlank()) {
            return Stream.of(forced.trim());
        }
        return Stream.of("cuda", "cuda-reference");
    }

    /** Opens a run on {@code target}, skipping the test (visibly) where it cannot run. */
    static GpuRun open(String target) {
        if (target.startsWith("cuda")) {
            assumeTrue(Cuda.isAvailable(), () -> "no GPU to test " + target + " on: "
                    + Cuda.availability().reason());
        }
        return new GpuRun(target);
    }

    private static Backend backend(String target) {
        return switch (target) {
            case "cuda-reference" -> Reference.BACKEND;
            default -> Backends.get(target);
        };
    }

    /** The reference-kernel backend, made once. */
    private static final class Reference {
        static final Backend BACKEND = CudaBackend.reference();
    }

    // ---- data -------------------------------------------------------------------------------

    /** A host tensor of uniform values in [lo, hi), rounded to dtype. */
    Tensor uniform(DType dtype, float lo, float hi, long... shape) {
        float[] v = new float[Math.toIntExact(numel(shape))];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + (hi - lo) * rng.nextFloat();
        }
        return Tensor.fromFloats(scope, dtype, v, shape);
    }

    /** A host tensor of uniform values in [-1, 1). */
    Tensor host(DType dtype, long... shape) {
        return uniform(dtype, -1, 1, shape);
    }

    /** A copy of a host tensor on the backend's device (the tensor itself on a CPU one). */
    Tensor up(Tensor host) {
        return ops.toDevice(host);
    }

    /** A tensor on the backend's device filled with NaN, for outputs. */
    Tensor poisoned(DType dtype, long... shape) {
        float[] v = new float[Math.toIntExact(numel(shape))];
        Arrays.fill(v, Float.NaN);
        return ops.toDevice(Tensor.fromFloats(scope, dtype, v, shape));
    }

    /** A host tensor filled with NaN, for the CPU backend's outputs. */
    Tensor poisonedHost(DType dtype, long... shape) {
        float[] v = new float[Math.toIntExact(numel(shape))];
        Arrays.fill(v, Float.NaN);
        return Tensor.fromFloats(scope, dtype, v, shape);
    }

    /** The values of a tensor on the backend's device, row-major. */
    float[] down(Tensor t) {
        return ops.toHost(t).toFloatArray();
    }

    /** A view of t's memory with another shape and strides, on t's device. */
    static Tensor view(Tensor t, long[] shape, long[] strides) {
        return Tensor.wrap(t.segment(), t.dtype(), shape, strides, t.device());
    }

    static double[] doubles(Tensor host) {
        float[] f = host.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    // ---- checks -------------------------------------------------------------------------------

    /** "cuda, seed 123: what", the head of every message. */
    String what(String what) {
        return label + ", seed " + seed + ": " + what;
    }

    /**
     * Asserts that {@code got} (the backend under test) has no NaN where the reference has a
     * number (every element was written over the poison) and is within {@code tol} relative
     * norm error of the float64 reference and of the CPU backend's result.
     */
    void check(String what, double[] ref, float[] got, float[] cpuGot, double tol) {
        String head = what(what);
        assertEquals(ref.length, got.length, head + ": element count");
        for (int i = 0; i < got.length; i++) {
            if (Float.isNaN(got[i]) && !Double.isNaN(ref[i])) {
                throw new AssertionError(head + ": element " + i + " is NaN (not written?),"
                        + " expected " + ref[i]);
            }
        }
        double toRef = relativeError(ref, got);
        assertTrue(toRef <= tol, () -> head + ": relative error to float64 " + toRef + " > "
                + tol);
        double[] cpuRef = new double[cpuGot.length];
        for (int i = 0; i < cpuGot.length; i++) {
            cpuRef[i] = cpuGot[i];
        }
        double toCpu = relativeError(cpuRef, got);
        assertTrue(toCpu <= tol, () -> head + ": relative error to " + cpu.name() + " "
                + toCpu + " > " + tol + " (" + cpu.name() + " to float64: "
                + relativeError(ref, cpuGot) + ")");
    }

    /** ||got - ref|| / ||ref|| (||got - ref|| when ref is zero). */
    static double relativeError(double[] ref, float[] got) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < ref.length; i++) {
            double e = got[i] - ref[i];
            num += e * e;
            den += ref[i] * ref[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /** Relative norm error allowed in {@code dtype}; products of F32 run as TF32 on CUDA. */
    static double tolerance(DType dtype, boolean product) {
        return switch (dtype) {
            case F32 -> product ? 3e-3 : 1e-5;
            case F16 -> 3e-3;
            case BF16 -> 1e-2;
            case I32 -> 0;
        };
    }

    @Override
    public void close() {
        scope.close();
        assertEquals(deviceBytes, MemoryStats.liveDeviceBytes(),
                what("device bytes after the scope closed"));
    }
}
