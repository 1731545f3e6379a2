package dev.gatun;

import java.util.Arrays;

/**
 * The Tensor API's ops: each checks its arguments, allocates its result in this object's
 * scope on the backend's device, and runs on the backend.
 *
 * <pre>{@code
 * try (Scope scope = Scope.open()) {
 *     Ops ops = new Ops(Backends.defaultBackend(), scope);
 *     Tensor x = Tensor.fromFloats(scope, data, 4, 384);
 *     Tensor y = ops.linear(x, w, bias, Activation.GELU_ERF);   // [4, 1536]
 * }
 * }</pre>
 *
 * <p>Every op validates before any native call: a null, a closed tensor, a wrong dtype, device,
 * shape or unsupported stride gives {@link IllegalArgumentException} or
 * {@link IllegalStateException} whose message names the op, the rule and the actual values.
 * A native failure gives {@link GatunException}. Results are owned by {@link #scope()}.
 *
 * <p>Rules shared by every op:
 * <ul>
 *   <li>Every tensor lives on the backend's {@linkplain Backend#device() device}; floating
 *       inputs of one op share one dtype (F32, F16 or BF16), and the result has that dtype.
 *       Additive masks and the gamma/beta of the norms are F32; ids, positions and key
 *       lengths are I32.
 *   <li>Results are new tensors, contiguous except {@link #attention}'s (a [B, H, Tq, D]
 *       view of [B, Tq, H, D] memory); no op writes to its inputs.
 *   <li>A result with no elements is returned without calling the backend.
 *   <li>Inputs may be strided views (slices, transposes, broadcasts). Where a backend cannot
 *       read a layout, the op makes a contiguous copy in {@link #scope()} on the backend's
 *       device ({@link Backend#copy}), which costs one pass over that input; each op says
 *       which inputs it may copy. The one input never copied is an embedding table, whose
 *       rows must be contiguous.
 * </ul>
 *
 * <p>On a backend whose device is not the host (CUDA), tensors move with {@link #toDevice}
 * and {@link #toHost}; no op reads device memory from Java. Checks that need the values of
 * a device tensor (embedding ids, key lengths) are left to the backend, which reports a bad
 * value as a {@link GatunException} with status 1 (INVALID_ARGUMENT) or, for key lengths,
 * masks by them as given (each op says which).
 *
 * <p>An {@code Ops} is as thread-safe as its scope: several threads may share one, but usually
 * each thread has its own scope and its own {@code Ops}.
 */
public final class Ops {
    private static final String BHTD = "[B, H, Tq, D]";
    private static final String BHKV = "[B, Hkv, Tk, D]";

    private final Backend backend;
    private final Scope scope;

    public Ops(Backend backend, Scope scope) {
        if (backend == null || scope == null) {
            throw new IllegalArgumentException("Ops: backend and scope must not be null, got "
                    + backend + ", " + scope);
        }
        this.backend = backend;
        this.scope = scope;
    }

    public Backend backend() {
        return backend;
    }

    public Scope scope() {
        return scope;
    }

    /**
     * The result of {@link #attentionWithWeights}: output [B, H, Tq, D], weights
     * [B, H, Tq, Tk].
     */
    public record AttentionResult(Tensor output, Tensor weights) {}

    // ---- matrix products ------------------------------------------------------------------

    /**
     * Matrix product: a [..., M, K] x b [K, N] or [..., K, N] (leading dims equal) gives
     * [..., M, N] in a's dtype.
     *
     * <p>Row-major and transposed operands are read in place, as are padded rows (a slice of
     * a wider matrix); an operand whose leading dimensions do not merge into one batch
     * stride, or whose inner strides are both other than 1, is copied. K = 0 gives zeros.
     *
     * @throws IllegalArgumentException if a has rank < 2, b is neither [K, N] nor batched
     *     like a, the K dimensions differ, or a dtype or device rule is broken
     * @throws IllegalStateException if a tensor or this scope is closed
     */
    public Tensor matmul(Tensor a, Tensor b) {
        String op = "matmul";
        Checks.tensor(op, "a", a);
        Checks.tensor(op, "b", b);
        Checks.floating(op, "a", a);
        Checks.sameDType(op, "a", a, "b", b);
        Checks.device(op, "a", a, backend);
        Checks.device(op, "b", b, backend);
        Checks.minRank(op, "a", a, 2, "[..., M, K]");
        if (b.rank() != 2 && b.rank() != a.rank()) {
            throw new IllegalArgumentException(op + ": b must be [K, N] or have a's rank "
                    + "[..., K, N]: a=" + Checks.shape(a) + ", b=" + Checks.shape(b));
        }
        long k = a.dim(-1);
        if (b.dim(-2) != k) {
            throw new IllegalArgumentException(op + ": a [..., M, K] and b [..., K, N] must "
                    + "agree on K: a=" + Checks.shape(a) + ", b=" + Checks.shape(b));
        }
        for (int i = 0; i < b.rank() - 2; i++) {
            if (a.dim(i) != b.dim(i)) {
                throw new IllegalArgumentException(op + ": a [..., M, K] and b [..., K, N] "
                        + "must have the same leading dims: a=" + Checks.shape(a) + ", b="
                        + Checks.shape(b));
            }
        }
        Checks.scopeOpen(op, scope);

        long[] outShape = a.shape();
        outShape[outShape.length - 1] = b.dim(-1);
        if (k == 0) {
            return emptyProduct(outShape, a.dtype(), null, Activation.NONE, null);
        }
        if (b.rank() == 2) {
            // one shared matrix: a's leading dims fold into M when its rows allow it
            Tensor a3 = fold(op, "a", a, true);
            return product(op, a3, shared(op, "b", b), null, Activation.NONE, null,
                    outShape);
        }
        Tensor a3 = Checks.batched(op, "a", a, backend, scope);
        Tensor w3 = Checks.batched(op, "b", b, backend, scope);
        return product(op, a3, w3, null, Activation.NONE, null, outShape);
    }

    /**
     * {@code act(x w + bias)}: x [..., K], w [K, N] (a transposed view of a [N, K] weight is
     * fine), bias [N] or null; gives [..., N].
     *
     * @throws IllegalArgumentException if w is not [K, N] with x's K, bias is not [N], or a
     *     dtype or device rule is broken
     * @throws IllegalStateException if a tensor or this scope is closed
     * @see #linear(Tensor, Tensor, Tensor, Activation, Tensor)
     */
    public Tensor linear(Tensor x, Tensor w, Tensor bias, Activation act) {
        return linear(x, w, bias, act, null);
    }

    /**
     * {@code act(x w + bias) + residual}, residual [..., N].
     *
     * <p>x and residual are read in place when their leading dims merge into one row stride
     * and one of their inner strides is 1, otherwise copied; w is read in place when one of
     * its strides is 1, otherwise copied; bias is copied when not contiguous. K = 0 gives
     * act(bias) + residual.
     *
     * @throws IllegalArgumentException if w is not [K, N] with x's K, bias is not [N],
     *     residual is not [..., N] with x's leading dims, or a dtype or device rule is broken
     * @throws IllegalStateException if a tensor or this scope is closed
     */
    public Tensor linear(Tensor x, Tensor w, Tensor bias, Activation act, Tensor residual) {
        String op = "linear";
        Checks.tensor(op, "x", x);
        Checks.tensor(op, "w", w);
        Checks.optional(op, "bias", bias);
        Checks.optional(op, "residual", residual);
        Checks.notNull(op, "act", act);
        Checks.floating(op, "x", x);
        Checks.sameDType(op, "x", x, "w", w);
        Checks.device(op, "x", x, backend);
        Checks.device(op, "w", w, backend);
        Checks.minRank(op, "x", x, 1, "[..., K]");
        Checks.rank(op, "w", w, 2, "[K, N]");
        long k = x.dim(-1);
        long n = w.dim(1);
        if (w.dim(0) != k) {
            throw new IllegalArgumentException(op + ": x [..., K] and w [K, N] must agree on "
                    + "K: x=" + Checks.shape(x) + ", w=" + Checks.shape(w));
        }
        long[] outShape = x.shape();
        outShape[outShape.length - 1] = n;
        checkBiasAndResidual(op, x, bias, residual, outShape);
        Checks.scopeOpen(op, scope);

        if (k == 0) {
            return emptyProduct(outShape, x.dtype(), bias, act, residual);
        }
        Tensor a3 = fold(op, "x", x.rank() == 1 ? x.unsqueeze(0) : x, false);
        Tensor r3 = null;
        if (residual != null) {
            r3 = fold(op, "residual", residual.rank() == 1 ? residual.unsqueeze(0) : residual,
                    false);
        }
        return product(op, a3, shared(op, "w", w), bias, act, r3, outShape);
    }

    /** bias [N] and residual [..., N] (outShape), each optional, against x's dtype and device. */
    private void checkBiasAndResidual(String op, Tensor x, Tensor bias, Tensor residual,
                                      long[] outShape) {
        long n = outShape[outShape.length - 1];
        if (bias != null) {
            Checks.sameDType(op, "x", x, "bias", bias);
            Checks.device(op, "bias", bias, backend);
            Checks.vector(op, "bias", bias, n, "[N] with N=" + n);
        }
        if (residual != null) {
            Checks.sameDType(op, "x", x, "residual", residual);
            Checks.device(op, "residual", residual, backend);
            if (!Arrays.equals(residual.shape(), outShape)) {
                throw new IllegalArgumentException(op + ": residual must have the result's "
                        + "shape [..., N] = " + Arrays.toString(outShape) + ", got "
                        + Checks.shape(residual));
            }
        }
    }

    /**
     * w [K, N] in the layout this backend multiplies fastest ({@link Backend#packWeight}),
     * owned by {@link #scope()}; null when the backend has none for w (then use w itself).
     *
     * @throws IllegalArgumentException if w is not a floating [K, N] tensor on the backend's
     *     device with K, N >= 1
     * @throws IllegalStateException if w or this scope is closed
     */
    public PackedWeight packWeight(Tensor w) {
        String op = "packWeight";
        Checks.tensor(op, "w", w);
        Checks.floating(op, "w", w);
        Checks.device(op, "w", w, backend);
        Checks.rank(op, "w", w, 2, "[K, N]");
        if (w.dim(0) < 1 || w.dim(1) < 1) {
            throw new IllegalArgumentException(op + ": w [K, N] must have K, N >= 1, got "
                    + Checks.shape(w));
        }
        Checks.scopeOpen(op, scope);
        Tensor rows = w.stride(0) == 1 || w.stride(1) == 1 ? w
                : Checks.contiguous(op, "w", w, backend, scope);
        return backend.packWeight(scope, rows);
    }

    /**
     * {@code act(x w + bias) + residual} with a weight from {@link #packWeight} on this
     * backend: x [..., K], bias [N] or null, residual [..., N] or null; gives [..., N]. x and
     * residual are read in place when their leading dims merge into one row stride with
     * inner stride 1, otherwise copied.
     *
     * @throws IllegalArgumentException if w was packed by another backend, K or the dtype
     *     differ from x's, bias is not [N], residual is not [..., N] with x's leading dims,
     *     or a device rule is broken
     * @throws IllegalStateException if a tensor, w's scope or this scope is closed
     */
    public Tensor linear(Tensor x, PackedWeight w, Tensor bias, Activation act,
                         Tensor residual) {
        String op = "linear";
        Checks.tensor(op, "x", x);
        Checks.optional(op, "bias", bias);
        Checks.optional(op, "residual", residual);
        Checks.notNull(op, "w", w);
        Checks.notNull(op, "act", act);
        if (w.backend() != backend) {
            throw new IllegalArgumentException(op + ": w is " + w.describe() + "; this Ops "
                    + "runs on " + backend.name());
        }
        if (x.dtype() != w.dtype()) {
            throw new IllegalArgumentException(op + ": x and w must share a dtype, got x "
                    + x.dtype() + ", w " + w.describe());
        }
        Checks.device(op, "x", x, backend);
        Checks.minRank(op, "x", x, 1, "[..., K]");
        if (x.dim(-1) != w.k()) {
            throw new IllegalArgumentException(op + ": x [..., K] and w must agree on K: x="
                    + Checks.shape(x) + ", w " + w.describe());
        }
        long n = w.n();
        long[] outShape = x.shape();
        outShape[outShape.length - 1] = n;
        checkBiasAndResidual(op, x, bias, residual, outShape);
        Checks.scopeOpen(op, scope);

        Tensor out = backend.allocateUninitialized(scope, x.dtype(), outShape);
        if (out.numel() == 0) {
            return out;
        }
        Tensor a = Checks.rows(op, "x", x, backend, scope);
        Tensor r = residual == null ? null : Checks.rows(op, "residual", residual, backend,
                scope);
        Tensor biasC = bias == null ? null : Checks.contiguous(op, "bias", bias, backend, scope);
        backend.matmulPacked(a, w, biasC, act, r, Checks.view(out, new long[] {a.dim(0), n},
                new long[] {n, 1}));
        return out;
    }

    /**
     * t [..., M, K] as the view [1, rows, K] when its leading dims merge with M into one row
     * stride and one inner stride is 1; otherwise, if {@code batchOk}, as [batch, M, K]
     * (see {@link Checks#batched}), else as a view of a contiguous copy.
     */
    private Tensor fold(String op, String name, Tensor t, boolean batchOk) {
        int r = t.rank();
        long k = t.dim(-1);
        long rows = Checks.product(t.shape(), 0, r - 1);
        long rowStride = Checks.mergedStride(t, 0, r - 1, k);
        long[] inner = rowStride < 0 ? null
                : Checks.unitInner(rows, k, rowStride, t.stride(-1));
        if (inner != null) {
            return Checks.view(t, new long[] {1, rows, k}, new long[] {0, inner[0], inner[1]});
        }
        if (batchOk) {
            return Checks.batched(op, name, t, backend, scope);
        }
        Tensor copy = Checks.contiguous(op, name, t, backend, scope);
        return Checks.view(copy, new long[] {1, rows, k}, new long[] {0, k, 1});
    }

    /** A [K, N] matrix as the view [1, K, N], batch stride 0; copied if no stride is 1. */
    private Tensor shared(String op, String name, Tensor w) {
        Tensor w3 = Checks.batched(op, name, w.unsqueeze(0), backend, scope);
        return Checks.view(w3, w3.shape(), new long[] {0, w3.stride(1), w3.stride(2)});
    }

    /**
     * Runs {@link Backend#matmul} on validated 3-D views: a3 [batch, M, K], w3 [batch, K, N]
     * (batch stride 0 when shared), r3 [batch, M, N] or null; the result has outShape.
     */
    private Tensor product(String op, Tensor a3, Tensor w3, Tensor bias, Activation act,
                           Tensor r3, long[] outShape) {
        Tensor out = backend.allocateUninitialized(scope, a3.dtype(), outShape);
        if (out.numel() == 0) {
            return out;
        }
        long batch = a3.dim(0);
        long m = a3.dim(1);
        long n = w3.dim(2);
        Tensor biasC = bias == null ? null : Checks.contiguous(op, "bias", bias, backend, scope);
        Tensor d3 = Checks.view(out, new long[] {batch, m, n}, new long[] {m * n, n, 1});
        backend.matmul(a3, w3, biasC, act, r3, d3);
        return out;
    }

    /** act(0 + bias) + residual with outShape, the value of a product over K = 0. */
    private Tensor emptyProduct(long[] outShape, DType dtype, Tensor bias, Activation act,
                                Tensor residual) {
        Tensor t = backend.allocate(scope, dtype, outShape);
        if (t.numel() == 0) {
            return t;
        }
        if (bias != null) {
            t = add(t, bias);
        }
        if (act != Activation.NONE) {
            t = activation(act, t);
        }
        return residual == null ? t : add(t, residual);
    }

    // ---- elementwise ----------------------------------------------------------------------

    /**
     * {@code a + b}; b's shape must be a suffix of a's (it repeats over a's leading dims).
     *
     * <p>Non-contiguous a or b are copied.
     *
     * @throws IllegalArgumentException if b's shape is not a suffix of a's, or a dtype or
     *     device rule is broken
     * @throws IllegalStateException if a tensor or this scope is closed
     */
    public Tensor add(Tensor a, Tensor b) {
        return binary("add", a, b);
    }

    /** {@code a * b}, broadcast as {@link #add}. */
    public Tensor mul(Tensor a, Tensor b) {
        return binary("mul", a, b);
    }

    private Tensor binary(String op, Tensor a, Tensor b) {
        Checks.tensor(op, "a", a);
        Checks.tensor(op, "b", b);
        Checks.floating(op, "a", a);
        Checks.sameDType(op, "a", a, "b", b);
        Checks.device(op, "a", a, backend);
        Checks.device(op, "b", b, backend);
        boolean suffix = b.rank() <= a.rank();
        for (int i = 1; suffix && i <= b.rank(); i++) {
            suffix = a.dim(-i) == b.dim(-i);
        }
        if (!suffix) {
            throw new IllegalArgumentException(op + ": b's shape must be a suffix of a's (it "
                    + "repeats over a's leading dims): a=" + Checks.shape(a) + ", b="
                    + Checks.shape(b));
        }
        Checks.scopeOpen(op, scope);

        Tensor out = backend.allocateUninitialized(scope, a.dtype(), a.shape());
        if (out.numel() == 0) {
            return out;
        }
        Tensor ac = Checks.contiguous(op, "a", a, backend, scope);
        Tensor bc = Checks.contiguous(op, "b", b, backend, scope);
        if (op.equals("add")) {
            backend.add(ac, bc, out);
        } else {
            backend.mul(ac, bc, out);
        }
        return out;
    }

    /**
     * {@code act(x)}, same shape and dtype. A non-contiguous x is copied.
     *
     * @throws IllegalArgumentException if act is null or x is not floating or on another
     *     device
     * @throws IllegalStateException if x or this scope is closed
     */
    public Tensor activation(Activation act, Tensor x) {
        String op = "activation";
        Checks.notNull(op, "act", act);
        Checks.tensor(op, "x", x);
        Checks.floating(op, "x", x);
        Checks.device(op, "x", x, backend);
        Checks.scopeOpen(op, scope);

        Tensor out = backend.allocateUninitialized(scope, x.dtype(), x.shape());
        if (out.numel() == 0) {
            return out;
        }
        backend.activation(act, Checks.contiguous(op, "x", x, backend, scope), out);
        return out;
    }

    /** Exact (erf) GELU. */
    public Tensor gelu(Tensor x) {
        return activation(Activation.GELU_ERF, x);
    }

    /** Tanh-approximated GELU. */
    public Tensor geluTanh(Tensor x) {
        return activation(Activation.GELU_TANH, x);
    }

    /** SiLU. */
    public Tensor silu(Tensor x) {
        return activation(Activation.SILU, x);
    }

    // ---- normalisation --------------------------------------------------------------------

    /** Layer norm over the last dim: x [..., C], gamma/beta F32 [C] or null. */
    public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        return layerNorm(x, null, gamma, beta, eps);
    }

    /**
     * {@code layerNorm(x + residual)}, the residual add fused; residual [..., C] or null.
     *
     * <p>The mean and the variance (from centred values) are computed over each row of C in
     * fp32 or better (the native CPU backend accumulates in double). x and residual are read in place when their last stride is 1 and their leading
     * dims merge into one row stride, otherwise copied; gamma and beta are copied when not
     * contiguous.
     *
     * @throws IllegalArgumentException if residual's shape differs from x's, gamma or beta is
     *     not F32 [C], eps is negative or not finite, or a dtype or device rule is broken
     * @throws IllegalStateException if a tensor or this scope is closed
     */
    public Tensor layerNorm(Tensor x, Tensor residual, Tensor gamma, Tensor beta, float eps) {
        return norm("layerNorm", x, residual, gamma, beta, eps);
    }

    /** RMSNorm over the last dim: x [..., C], gamma F32 [C] or null. */
    public Tensor rmsNorm(Tensor x, Tensor gamma, float eps) {
        return rmsNorm(x, null, gamma, eps);
    }

    /**
     * {@code rmsNorm(x + residual)}, the residual add fused; residual [..., C] or null.
     * Layouts and copies as {@link #layerNorm(Tensor, Tensor, Tensor, Tensor, float)}.
     *
     * @throws IllegalArgumentException if residual's shape differs from x's, gamma is not F32
     *     [C], eps is negative or not finite, or a dtype or device rule is broken
     * @throws IllegalStateException if a tensor or this scope is closed
     */
    public Tensor rmsNorm(Tensor x, Tensor residual, Tensor gamma, float eps) {
        return norm("rmsNorm", x, residual, gamma, null, eps);
    }

    private Tensor norm(String op, Tensor x, Tensor residual, Tensor gamma, Tensor beta,
                        float eps) {
        Checks.tensor(op, "x", x);
        Checks.optional(op, "residual", residual);
        Checks.optional(op, "gamma", gamma);
        Checks.optional(op, "beta", beta);
        Checks.floating(op, "x", x);
        Checks.device(op, "x", x, backend);
        Checks.minRank(op, "x", x, 1, "[..., C]");
        long c = x.dim(-1);
        if (residual != null) {
            Checks.sameDType(op, "x", x, "residual", residual);
            Checks.device(op, "residual", residual, backend);
            Checks.sameShape(op, "x", x, "residual", residual, "[..., C]");
        }
        for (Tensor p : new Tensor[] {gamma, beta}) {
            if (p != null) {
                String name = p == gamma ? "gamma" : "beta";
                Checks.dtype(op, name, p, DType.F32);
                Checks.device(op, name, p, backend);
                Checks.vector(op, name, p, c, "F32 [C] with C=" + c);
            }
        }
        Checks.finite(op, "eps", eps);
        if (eps < 0) {
            throw new IllegalArgumentException(op + ": eps must be >= 0, got " + eps);
        }
        Checks.scopeOpen(op, scope);

        Tensor out = backend.allocateUninitialized(scope, x.dtype(), x.shape());
        if (out.numel() == 0) {
            return out;
        }
        Tensor src = Checks.rows(op, "x", x, backend, scope);
        Tensor res = residual == null ? null
                : Checks.rows(op, "residual", residual, backend, scope);
        Tensor g = gamma == null ? null : Checks.contiguous(op, "gamma", gamma, backend, scope);
        Tensor dst = Checks.view(out, src.shape(), new long[] {c, 1});
        if (op.equals("rmsNorm")) {
            backend.rmsNorm(src, res, g, eps, dst, null);
        } else {
            Tensor b = beta == null ? null : Checks.contiguous(op, "beta", beta, backend, scope);
            backend.layerNorm(src, res, g, b, eps, dst, null);
        }
        return out;
    }

    // ---- softmax and attention ------------------------------------------------------------

    /** Softmax over the last dim. */
    public Tensor softmax(Tensor x) {
        return softmax(x, 1f, null);
    }

    /**
     * {@code softmax(scale x + mask)} over the last dim; mask F32 broadcastable to x, or null.
     * A row that is -inf everywhere gives zeros.
     *
     * <p>x is read in place when its last stride is 1 and its leading dims merge into one
     * row stride, otherwise copied. The mask is read in place when, broadcast to x, it is one
     * row repeated or has one row stride; otherwise its broadcast is copied (x's size in F32).
     *
     * @throws IllegalArgumentException if mask is not F32 or cannot broadcast to x, scale is
     *     not finite, or a dtype or device rule is broken
     * @throws IllegalStateException if a tensor or this scope is closed
     */
    public Tensor softmax(Tensor x, float scale, Tensor mask) {
        String op = "softmax";
        Checks.tensor(op, "x", x);
        Checks.optional(op, "mask", mask);
        Checks.floating(op, "x", x);
        Checks.device(op, "x", x, backend);
        Checks.minRank(op, "x", x, 1, "[..., cols]");
        if (mask != null) {
            Checks.dtype(op, "mask", mask, DType.F32);
            Checks.device(op, "mask", mask, backend);
            Checks.broadcastable(op, "mask", mask, x.shape(), "x");
        }
        Checks.finite(op, "scale", scale);
        Checks.scopeOpen(op, scope);

        Tensor out = backend.allocateUninitialized(scope, x.dtype(), x.shape());
        if (out.numel() == 0) {
            return out;
        }
        Tensor src = Checks.rows(op, "x", x, backend, scope);
        Tensor m = mask == null ? null
                : Checks.rows(op, "mask", mask.expand(x.shape()), backend, scope);
        Tensor dst = Checks.view(out, src.shape(), new long[] {src.dim(1), 1});
        backend.softmax(src, scale, m, dst);
        return out;
    }

    /**
     * Scaled dot-product attention.
     *
     * <p>q, k and v are read in place when their last stride is 1 (any other strides, such as
     * a [B, T, H, D] tensor permuted to [B, H, T, D]), otherwise copied; the mask is read as
     * a broadcast view, never copied. Tk = 0 gives zeros.
     *
     * @param q          [B, H, Tq, D]
     * @param k          [B, Hkv, Tk, D], H a multiple of Hkv
     * @param v          [B, Hkv, Tk, D]
     * @param scale      usually 1 / sqrt(D)
     * @param causal     query i sees keys j <= i + Tk - Tq
     * @param mask       F32 additive, broadcastable to [B, H, Tq, Tk], or null
     * @param keyLengths I32 [B] valid keys per sequence, or null
     * @return [B, H, Tq, D], a view of memory laid out as [B, Tq, H, D]: merging the heads
     *     with {@code permute(0, 2, 1, 3).reshape(B, Tq, H * D)} needs no copy
     * @throws IllegalArgumentException if a shape rule above is broken, a key length is
     *     outside [0, Tk] (checked for host tensors; device key lengths mask as given), scale
     *     is not finite, or a dtype or device rule is broken
     * @throws IllegalStateException if a tensor or this scope is closed
     */
    public Tensor attention(Tensor q, Tensor k, Tensor v, float scale, boolean causal,
                            Tensor mask, Tensor keyLengths) {
        return attend("attention", q, k, v, scale, causal, mask, keyLengths, false).output();
    }

    /**
     * As {@link #attention}, also returning the probabilities [B, H, Tq, Tk] (F32).
     *
     * @throws IllegalArgumentException as {@link #attention}, and if D = 0 while the weights
     *     are not empty (the weights of a zero-width head are not computed)
     */
    public AttentionResult attentionWithWeights(Tensor q, Tensor k, Tensor v, float scale,
                                                boolean causal, Tensor mask,
                                                Tensor keyLengths) {
        return attend("attentionWithWeights", q, k, v, scale, causal, mask, keyLengths, true);
    }

    /**
     * Attention over a ragged batch: several sequences laid end to end along one axis of
     * N = sum(lengths) positions, each query seeing only the keys of its own sequence (a
     * block-diagonal mask, computed block by block so that no work goes to the masked
     * blocks). A batch of texts of different lengths runs this way without padding.
     *
     * <p>The operands are checked once, as {@link #attention} checks them; then
     * {@link Backend#raggedAttention} computes every block: the native backend in one call,
     * the others (CUDA included: one kernel launch per sequence) one attention per block.
     *
     * @param q       [1, H, N, D]
     * @param k       [1, Hkv, N, D], H a multiple of Hkv
     * @param v       [1, Hkv, N, D]
     * @param scale   usually 1 / sqrt(D)
     * @param causal  within each sequence, query i sees keys j <= i
     * @param lengths each sequence's positions, each >= 1, summing to N; read at the call
     * @return [1, H, N, D], a view of memory laid out as [1, N, H, D], as {@link #attention}
     * @throws IllegalArgumentException if a shape rule above is broken, a length is below 1,
     *     the lengths do not sum to N, scale is not finite, or a dtype or device rule is
     *     broken
     * @throws IllegalStateException if a tensor or this scope is closed
     */
    public Tensor raggedAttention(Tensor q, Tensor k, Tensor v, float scale, boolean causal,
                                  int[] lengths) {
        String op = "raggedAttention";
        checkAttention(op, q, k, v, scale, null, null, false);
        long n = q.dim(2);
        if (q.dim(0) != 1 || k.dim(2) != n) {
            throw new IllegalArgumentException(op + ": q must be [1, H, N, D] and k, v [1, Hkv,"
                    + " N, D] with the same N, got q=" + Checks.shape(q) + ", k="
                    + Checks.shape(k));
        }
        if (lengths == null) {
            throw new IllegalArgumentException(op + ": lengths must not be null");
        }
        int[] blocks = lengths.clone();
        long sum = 0;
        for (int i = 0; i < blocks.length; i++) {
            if (blocks[i] < 1) {
                throw new IllegalArgumentException(op + ": lengths[" + i + "]=" + blocks[i]
                        + " must be >= 1");
            }
            sum += blocks[i];
        }
        if (sum != n) {
            throw new IllegalArgumentException(op + ": lengths sum to " + sum + ", must sum to "
                    + "N=" + n + " (q=" + Checks.shape(q) + ")");
        }
        long h = q.dim(1);
        long d = q.dim(3);
        Tensor out = backend.allocateUninitialized(scope, q.dtype(), 1, n, h, d)
                .permute(0, 2, 1, 3);
        if (out.numel() == 0) {
            return out;
        }
        Tensor qv = lastUnit(op, "q", q);
        Tensor kv = lastUnit(op, "k", k);
        Tensor vv = lastUnit(op, "v", v);
        backend.raggedAttention(qv, kv, vv, scale, causal, blocks, out);
        return out;
    }

    private AttentionResult attend(String op, Tensor q, Tensor k, Tensor v, float scale,
                                   boolean causal, Tensor mask, Tensor keyLengths,
                                   boolean withWeights) {
        checkAttention(op, q, k, v, scale, mask, keyLengths, withWeights);
        long b = q.dim(0);
        long h = q.dim(1);
        long tq = q.dim(2);
        long d = q.dim(3);
        long tk = k.dim(2);
        long[] scoreShape = {b, h, tq, tk};

        // the output's memory is [B, Tq, H, D], so that merging the heads afterwards is a
        // reshape instead of a copy; with no keys every row is fully masked, hence zeros
        long[] merged = {b, tq, h, d};
        Tensor out = (tk == 0 ? backend.allocate(scope, q.dtype(), merged)
                : backend.allocateUninitialized(scope, q.dtype(), merged)).permute(0, 2, 1, 3);
        Tensor weights = withWeights ? backend.allocate(scope, DType.F32, scoreShape) : null;
        if (out.numel() == 0 || tk == 0) {
            // no keys: every query row is fully masked, and fully masked rows output zeros
            return new AttentionResult(out, weights);
        }
        Tensor qv = lastUnit(op, "q", q);
        Tensor kv = lastUnit(op, "k", k);
        Tensor vv = lastUnit(op, "v", v);
        Tensor m = mask == null ? null : mask.expand(scoreShape);
        Tensor lengths = keyLengths == null ? null
                : Checks.contiguous(op, "keyLengths", keyLengths, backend, scope);
        backend.attention(qv, kv, vv, scale, causal, m, lengths, out, weights);
        return new AttentionResult(out, weights);
    }

    /** The checks {@link #attention} makes of its operands (mask, keyLengths may be null). */
    private void checkAttention(String op, Tensor q, Tensor k, Tensor v, float scale,
                                Tensor mask, Tensor keyLengths, boolean withWeights) {
        Checks.tensor(op, "q", q);
        Checks.tensor(op, "k", k);
        Checks.tensor(op, "v", v);
        Checks.optional(op, "mask", mask);
        Checks.optional(op, "keyLengths", keyLengths);
        Checks.floating(op, "q", q);
        Checks.sameDType(op, "q", q, "k", k);
        Checks.sameDType(op, "q", q, "v", v);
        Checks.device(op, "q", q, backend);
        Checks.device(op, "k", k, backend);
        Checks.device(op, "v", v, backend);
        if (mask != null) {
            Checks.device(op, "mask", mask, backend);
        }
        if (keyLengths != null) {
            Checks.device(op, "keyLengths", keyLengths, backend);
        }
        Checks.rank(op, "q", q, 4, BHTD);
        Checks.rank(op, "k", k, 4, BHKV);
        Checks.rank(op, "v", v, 4, BHKV);
        Checks.sameShape(op, "k", k, "v", v, BHKV);
        long b = q.dim(0);
        long h = q.dim(1);
        long tq = q.dim(2);
        long d = q.dim(3);
        long hkv = k.dim(1);
        long tk = k.dim(2);
        if (k.dim(0) != b || k.dim(3) != d) {
            throw new IllegalArgumentException(op + ": q " + BHTD + " and k " + BHKV
                    + " must agree on B and D: q=" + Checks.shape(q) + ", k="
                    + Checks.shape(k));
        }
        if (hkv == 0 ? h != 0 : h % hkv != 0) {
            throw new IllegalArgumentException(op + ": H must be a multiple of Hkv: H=" + h
                    + " (q=" + Checks.shape(q) + "), Hkv=" + hkv + " (k=" + Checks.shape(k)
                    + ")");
        }
        long[] scoreShape = {b, h, tq, tk};
        if (mask != null) {
            Checks.dtype(op, "mask", mask, DType.F32);
            Checks.broadcastable(op, "mask", mask, scoreShape, "[B, H, Tq, Tk]");
        }
        if (keyLengths != null) {
            Checks.dtype(op, "keyLengths", keyLengths, DType.I32);
            Checks.vector(op, "keyLengths", keyLengths, b, "I32 [B] with B=" + b);
            checkKeyLengths(op, keyLengths, tk);
        }
        Checks.finite(op, "scale", scale);
        if (withWeights && d == 0 && b * h * tq * tk != 0) {
            throw new IllegalArgumentException(op + ": head dim D must be > 0 to compute the "
                    + "weights, got q=" + Checks.shape(q));
        }
        Checks.scopeOpen(op, scope);
    }

    private static void checkKeyLengths(String op, Tensor keyLengths, long tk) {
        if (keyLengths.device() != Device.CPU) {
            return; // device memory is not readable here; the backend checks it
        }
        int[] lengths = keyLengths.toIntArray();
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] < 0 || lengths[i] > tk) {
                throw new IllegalArgumentException(op + ": keyLengths[" + i + "]="
                        + lengths[i] + " is outside [0, Tk] with Tk=" + tk);
            }
        }
    }

    /** t itself when its last stride is 1 (or its last dim is 1), else a contiguous copy. */
    private Tensor lastUnit(String op, String name, Tensor t) {
        if (t.dim(-1) == 1 && t.stride(-1) != 1) {
            long[] st = t.strides();
            st[st.length - 1] = 1;
            return Checks.view(t, t.shape(), st);
        }
        return t.stride(-1) == 1 ? t : Checks.contiguous(op, name, t, backend, scope);
    }

    // ---- positions and lookups ------------------------------------------------------------

    /**
     * Rotary embedding of x [B, H, T, D] at positions I32 [T], frequency base theta.
     *
     * <p>Each pair is rotated by pos * theta^(-2i/D), i in [0, D/2); the style says which
     * dimensions pair up. x is read in place when its last stride is 1, otherwise copied;
     * positions are copied when not contiguous.
     *
     * @throws IllegalArgumentException if x is not [B, H, T, D] with D even, positions is not
     *     I32 [T], theta is not finite and positive, style is null, or a dtype or device rule
     *     is broken
     * @throws IllegalStateException if a tensor or this scope is closed
     */
    public Tensor rope(Tensor x, Tensor positions, float theta, RopeStyle style) {
        String op = "rope";
        Checks.tensor(op, "x", x);
        Checks.tensor(op, "positions", positions);
        Checks.notNull(op, "style", style);
        Checks.floating(op, "x", x);
        Checks.device(op, "x", x, backend);
        Checks.device(op, "positions", positions, backend);
        Checks.rank(op, "x", x, 4, "[B, H, T, D]");
        Checks.dtype(op, "positions", positions, DType.I32);
        long t = x.dim(2);
        Checks.vector(op, "positions", positions, t, "I32 [T] with T=" + t);
        if (x.dim(3) % 2 != 0) {
            throw new IllegalArgumentException(op + ": head dim D must be even, got D="
                    + x.dim(3) + " in x=" + Checks.shape(x));
        }
        if (!(theta > 0) || !Float.isFinite(theta)) {
            throw new IllegalArgumentException(op + ": theta must be finite and > 0, got "
                    + theta);
        }
        Checks.scopeOpen(op, scope);

        Tensor out = backend.allocateUninitialized(scope, x.dtype(), x.shape());
        if (out.numel() == 0) {
            return out;
        }
        Tensor pos = Checks.contiguous(op, "positions", positions, backend, scope);
        backend.rope(lastUnit(op, "x", x), pos, theta, style, out);
        return out;
    }

    /**
     * Gathers rows: table [V, C], ids I32 [...], each in [0, V); gives [..., C].
     *
     * <p>The table's rows must be contiguous (last stride 1; any row stride): a table is
     * never copied per call. ids are copied when not contiguous, and read to check their
     * range when in host memory; device ids are checked by the backend.
     *
     * @throws IllegalArgumentException if table is not a floating [V, C] with last stride 1,
     *     ids is not I32, a host id is outside [0, V), or a device rule is broken
     * @throws IllegalStateException if a tensor or this scope is closed
     * @throws GatunException with status 1 (INVALID_ARGUMENT) if a device id is outside
     *     [0, V)
     */
    public Tensor embedding(Tensor table, Tensor ids) {
        String op = "embedding";
        Checks.tensor(op, "table", table);
        Checks.tensor(op, "ids", ids);
        Checks.floating(op, "table", table);
        Checks.dtype(op, "ids", ids, DType.I32);
        Checks.device(op, "table", table, backend);
        Checks.device(op, "ids", ids, backend);
        Checks.rank(op, "table", table, 2, "[V, C]");
        long vocab = table.dim(0);
        long c = table.dim(1);
        if (table.stride(1) != 1 && c > 1) {
            throw new IllegalArgumentException(op + ": table rows must be contiguous (last "
                    + "stride 1), got strides " + Arrays.toString(table.strides())
                    + " for " + table.describe() + "; copy it once with contiguous(scope)");
        }
        if (ids.device() == Device.CPU) {
            int[] values = ids.toIntArray();
            for (int i = 0; i < values.length; i++) {
                if (values[i] < 0 || values[i] >= vocab) {
                    throw new IllegalArgumentException(op + ": ids must be in [0, V) with V="
                            + vocab + ": ids[" + i + "]=" + values[i] + " (flat index, ids="
                            + Checks.shape(ids) + ")");
                }
            }
        }
        Checks.scopeOpen(op, scope);

        long[] idShape = ids.shape();
        long[] outShape = Arrays.copyOf(idShape, idShape.length + 1);
        outShape[idShape.length] = c;
        Tensor out = backend.allocateUninitialized(scope, table.dtype(), outShape);
        if (out.numel() == 0) {
            return out;
        }
        long n = ids.numel();
        Tensor flatIds = Checks.contiguous(op, "ids", ids, backend, scope).reshape(n);
        Tensor rows = table.stride(1) == 1 ? table
                : Checks.view(table, table.shape(), new long[] {table.stride(0), 1});
        backend.embedding(rows, flatIds, out.reshape(n, c));
        return out;
    }

    // ---- copies ---------------------------------------------------------------------------

    /**
     * A contiguous copy of x converted to {@code dtype} (floating types), rounding to nearest
     * even. A non-contiguous x is first copied.
     *
     * @throws IllegalArgumentException if x or dtype is not floating, or x is on another
     *     device
     * @throws IllegalStateException if x or this scope is closed
     */
    public Tensor convert(Tensor x, DType dtype) {
        String op = "convert";
        Checks.tensor(op, "x", x);
        Checks.notNull(op, "dtype", dtype);
        Checks.floating(op, "x", x);
        Checks.device(op, "x", x, backend);
        if (!dtype.isFloating()) {
            throw new IllegalArgumentException(op + ": target dtype must be floating (F32, "
                    + "F16 or BF16), got " + dtype + " for x=" + x.describe());
        }
        if (dtype == x.dtype()) {
            return copy(x);
        }
        Checks.scopeOpen(op, scope);

        Tensor out = backend.allocateUninitialized(scope, dtype, x.shape());
        if (out.numel() == 0) {
            return out;
        }
        backend.convert(Checks.contiguous(op, "x", x, backend, scope), out);
        return out;
    }

    /**
     * A contiguous copy of x, any dtype and strides, on the same device: host tensors are
     * copied by {@link Tensor#copyFrom}, device tensors by the backend's
     * {@link Backend#copy}.
     *
     * @throws IllegalArgumentException if x is on another device than the backend's
     * @throws IllegalStateException if x or this scope is closed
     */
    public Tensor copy(Tensor x) {
        String op = "copy";
        Checks.tensor(op, "x", x);
        Checks.device(op, "x", x, backend);
        Checks.scopeOpen(op, scope);

        Tensor out = backend.allocateUninitialized(scope, x.dtype(), x.shape());
        if (out.numel() == 0) {
            return out;
        }
        if (x.device() == Device.CPU) {
            out.copyFrom(x);
        } else {
            backend.copy(x, out);
        }
        return out;
    }

    // ---- moving between host and device ---------------------------------------------------

    /**
     * x on the backend's device: x itself when it is there already, else a contiguous copy
     * of a host tensor (any dtype and strides) owned by {@link #scope()}.
     *
     * <pre>{@code
     * Ops gpu = new Ops(Backends.get("cuda"), scope);
     * Tensor ids = gpu.toDevice(Tensor.fromInts(scope, tokens, 1, T));   // I32 [1, T] on CUDA
     * }</pre>
     *
     * @throws IllegalArgumentException if x is neither on the backend's device nor in host
     *     memory
     * @throws IllegalStateException if x or this scope is closed
     */
    public Tensor toDevice(Tensor x) {
        String op = "toDevice";
        Checks.tensor(op, "x", x);
        if (x.device() == backend.device()) {
            return x;
        }
        if (x.device() != Device.CPU) {
            throw new IllegalArgumentException(op + ": x must be in host memory or on "
                    + backend.device() + " (backend '" + backend.name() + "'), got "
                    + x.describe());
        }
        Checks.scopeOpen(op, scope);

        Tensor out = backend.allocateUninitialized(scope, x.dtype(), x.shape());
        if (out.numel() > 0) {
            backend.copy(x, out);
        }
        return out;
    }

    /**
     * x in host memory: x itself when it is there already, else a contiguous host copy of a
     * tensor on the backend's device (any dtype and strides) owned by {@link #scope()}. The
     * copy waits for the work queued before it, so it holds every op's result.
     *
     * <pre>{@code
     * float[] logits = gpu.toHost(gpu.linear(x, w, null, Activation.NONE)).toFloatArray();
     * }</pre>
     *
     * @throws IllegalArgumentException if x is on a device other than the backend's
     * @throws IllegalStateException if x or this scope is closed
     */
    public Tensor toHost(Tensor x) {
        String op = "toHost";
        Checks.tensor(op, "x", x);
        if (x.device() == Device.CPU) {
            return x;
        }
        Checks.device(op, "x", x, backend);
        Checks.scopeOpen(op, scope);

        Tensor out = Tensor.allocateUninitialized(scope, x.dtype(), x.shape());
        if (out.numel() > 0) {
            backend.copy(x, out);
        }
        return out;
    }
}
