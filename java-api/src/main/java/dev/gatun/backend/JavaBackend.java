package dev.gatun.backend;

import dev.gatun.Activation;
import dev.gatun.Backend;
import dev.gatun.DType;
import dev.gatun.Device;
import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.lang.System.Logger.Level;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The pure-Java backend: every op of {@link Backend} computed in Java on host memory, read
 * and written through {@link java.lang.foreign.MemorySegment}, so native results can be
 * checked against it.
 *
 * <pre>{@code
 * Backend java = Backends.get("java");
 * String kernels = ((JavaBackend) java).kernelsName();   // "vector" or "scalar"
 * }</pre>
 *
 * <p>Numerics follow the native backend: F32, F16 and BF16 storage with fp32 accumulation;
 * softmax subtracts the row max; layer norm takes the variance of centred values; a fully
 * masked attention row outputs zeros; the causal mask is bottom-right aligned; GELU uses an
 * erf accurate to about 1e-7. Results differ from native only in the order of additions.
 *
 * <p>The inner loops run on {@link JavaKernels}. The no-argument constructor picks the
 * Vector API kernels of the {@code gatun-vector} module when the JVM was started with
 * {@code --add-modules jdk.incubator.vector} and that module's jar is on the class path, and
 * the scalar kernels otherwise. The choice is made once per JVM, logged through
 * {@link System.Logger} (INFO when vector, with the reason when scalar) and readable with
 * {@link #kernelsName()} and {@link #kernelsReason()}.
 *
 * <p>Large ops run on the common {@link java.util.concurrent.ForkJoinPool}; ops on tensors
 * from a confined arena run on the calling thread. Instances are stateless and thread-safe.
 * Unlike a native call, a computation here does not keep its arguments' scopes open: a scope
 * closed by another thread mid-op makes the op fail with {@link IllegalStateException}
 * (never a crash; the memory is not read after it is freed).
 *
 * <p>Limitation: each dimension must be below 2^31.
 */
public final class JavaBackend implements Backend {
    private static final System.Logger LOG = System.getLogger(JavaBackend.class.getName());
    private static final String VECTOR_MODULE = "jdk.incubator.vector";

    private final JavaKernels kernels;

    /** A backend on the best kernels this JVM can run (see the class documentation). */
    public JavaBackend() {
        this(Selection.BEST.kernels());
    }

    /** A backend on the given kernels, e.g. {@code new JavaBackend(JavaKernels.scalar())}. */
    public JavaBackend(JavaKernels kernels) {
        if (kernels == null) {
            throw new IllegalArgumentException("JavaBackend: kernels must not be null");
        }
        this.kernels = kernels;
    }

    /** The kernels this backend runs on. */
    public JavaKernels kernels() {
        return kernels;
    }

    /** The name of this backend's kernels: "vector" or "scalar". */
    public String kernelsName() {
        return kernels.name();
    }

    /** Why the no-argument constructor chose the kernels it did, in this JVM. */
    public static String kernelsReason() {
        return Selection.BEST.reason();
    }

    @Override
    public String name() {
        return "java";
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public Tensor allocateUninitialized(Scope scope, DType dtype, long... shape) {
        return Tensor.allocateUninitialized(scope, dtype, shape);
    }

    @Override
    public void matmul(Tensor a, Tensor w, Tensor bias, Activation act, Tensor residual,
                       Tensor dst) {
        guard("matmul", () -> Matmul.run(kernels, View.of(a), View.of(w), View.of(bias), act,
                View.of(residual), View.of(dst)));
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor dst) {
        binary("add", false, a, b, dst);
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor dst) {
        binary("mul", true, a, b, dst);
    }

    private static void binary(String op, boolean multiply, Tensor a, Tensor b, Tensor dst) {
        contiguous(op, a, b, dst);
        if (b.numel() == 0 || a.numel() % b.numel() != 0) {
            throw new IllegalArgumentException("java backend " + op + ": b's numel must "
                    + "divide a's: a=" + a.describe() + ", b=" + b.describe());
        }
        guard(op, () -> Elementwise.binary(multiply, View.of(a), View.of(b), View.of(dst),
                a.numel(), b.numel()));
    }

    @Override
    public void activation(Activation act, Tensor src, Tensor dst) {
        contiguous("activation", src, dst);
        guard("activation", () -> Elementwise.activation(kernels, act, View.of(src),
                View.of(dst), src.numel()));
    }

    @Override
    public void layerNorm(Tensor src, Tensor residual, Tensor gamma, Tensor beta, float eps,
                          Tensor dst, Tensor sumDst) {
        guard("layerNorm", () -> Norms.run(kernels, true, View.of(src), View.of(residual),
                View.of(gamma), View.of(beta), eps, View.of(dst), View.of(sumDst)));
    }

    @Override
    public void rmsNorm(Tensor src, Tensor residual, Tensor gamma, float eps, Tensor dst,
                        Tensor sumDst) {
        guard("rmsNorm", () -> Norms.run(kernels, false, View.of(src), View.of(residual),
                View.of(gamma), null, eps, View.of(dst), View.of(sumDst)));
    }

    @Override
    public void softmax(Tensor src, float scale, Tensor mask, Tensor dst) {
        guard("softmax", () -> Softmax.run(kernels, View.of(src), scale, View.of(mask),
                View.of(dst)));
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, float scale, boolean causal,
                          Tensor mask, Tensor keyLengths, Tensor dst, Tensor weights) {
        guard("attention", () -> Attention.run(kernels, View.of(q), View.of(k), View.of(v),
                scale, causal, View.of(mask), View.of(keyLengths), View.of(dst),
                View.of(weights)));
    }

    @Override
    public void rope(Tensor src, Tensor positions, float theta, RopeStyle style, Tensor dst) {
        guard("rope", () -> Rope.run(View.of(src), View.of(positions), theta, style,
                View.of(dst)));
    }

    @Override
    public void embedding(Tensor table, Tensor ids, Tensor dst) {
        guard("embedding", () -> Elementwise.embedding(View.of(table), View.of(ids),
                View.of(dst)));
    }

    @Override
    public void convert(Tensor src, Tensor dst) {
        contiguous("convert", src, dst);
        if (src.numel() != dst.numel()) {
            throw new IllegalArgumentException("java backend convert: src and dst must have "
                    + "the same numel: src=" + src.describe() + ", dst=" + dst.describe());
        }
        guard("convert", () -> Elementwise.convert(View.of(src), View.of(dst), src.numel()));
    }

    @Override
    public String toString() {
        return "JavaBackend(kernels=" + kernels.name() + ")";
    }

    /**
     * Runs one op's computation. Memory freed under it (another thread closed the scope of an
     * argument: nothing in Java holds a shared arena open the way a native call does) makes
     * the access fail; the {@link IllegalStateException} then names the op.
     */
    private static void guard(String op, Runnable computation) {
        try {
            computation.run();
        } catch (IllegalStateException e) {
            throw new IllegalStateException("java backend " + op + ": the memory of an"
                    + " argument was freed during the call (its scope was closed by another"
                    + " thread): " + e.getMessage(), e);
        }
    }

    private static void contiguous(String op, Tensor... tensors) {
        for (Tensor t : tensors) {
            if (!t.isContiguous()) {
                throw new IllegalArgumentException("java backend " + op + ": tensors must be "
                        + "contiguous, got " + t);
            }
        }
    }

    /** The kernels chosen for this JVM, and why; made once, on first use. */
    private record Selection(JavaKernels kernels, String reason) {
        static final Selection BEST = select();

        private static Selection select() {
            Selection s = find();
            LOG.log(s.kernels().name().equals("vector") ? Level.INFO : Level.WARNING,
                    "Java backend kernels: {0} ({1})", s.kernels().name(), s.reason());
            return s;
        }

        private static Selection find() {
            if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
                return new Selection(JavaKernels.scalar(), VECTOR_MODULE + " is not in the "
                        + "boot layer; start java with --add-modules " + VECTOR_MODULE
                        + " for the vector kernels");
            }
            try {
                for (JavaKernels k : ServiceLoader.load(JavaKernels.class,
                        JavaBackend.class.getClassLoader())) {
                    if (k.name().equals("vector")) {
                        return new Selection(k, VECTOR_MODULE + " is present: " + k);
                    }
                }
            } catch (ServiceConfigurationError | LinkageError e) {
                return new Selection(JavaKernels.scalar(), "the vector kernels failed to "
                        + "load: " + e);
            }
            return new Selection(JavaKernels.scalar(), VECTOR_MODULE + " is present but no "
                    + "vector kernels were found; put the gatun-vector jar on the class path");
        }
    }
}
