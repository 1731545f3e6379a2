package dev.gatun;

import java.util.Arrays;

/**
 * The argument checks of {@link Ops}, in one place so that every message has one form: the
 * op, the rule, then the values seen ("attention: k and v must have the same shape
 * [B, Hkv, Tk, D]: k=[2, 8, 128, 64], v=[2, 8, 96, 64]").
 *
 * <p>Also the layout helpers that turn a caller's tensor into the 2-D or 3-D view a
 * {@link Backend} method expects, copying it (on its device) when no such view exists.
 */
final class Checks {
    private Checks() {}

    // ---- presence and type ----------------------------------------------------------------

    /** {@code t} is not null and its memory is alive. */
    static void tensor(String op, String name, Tensor t) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + name + " must not be null");
        }
        t.checkAlive(op + ": " + name);
    }

    /** {@code t} is null, or a tensor whose memory is alive. */
    static void optional(String op, String name, Tensor t) {
        if (t != null) {
            t.checkAlive(op + ": " + name);
        }
    }

    static void notNull(String op, String name, Object value) {
        if (value == null) {
            throw new IllegalArgumentException(op + ": " + name + " must not be null");
        }
    }

    static void floating(String op, String name, Tensor t) {
        if (!t.dtype().isFloating()) {
            throw new IllegalArgumentException(op + ": " + name
                    + " must be floating (F32, F16 or BF16), got " + t.describe());
        }
    }

    static void dtype(String op, String name, Tensor t, DType expected) {
        if (t.dtype() != expected) {
            throw new IllegalArgumentException(op + ": " + name + " must be " + expected
                    + ", got " + t.describe());
        }
    }

    static void sameDType(String op, String aName, Tensor a, String bName, Tensor b) {
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException(op + ": " + aName + " and " + bName
                    + " must have the same dtype: " + aName + "=" + a.describe() + ", "
                    + bName + "=" + b.describe());
        }
    }

    static void device(String op, String name, Tensor t, Backend backend) {
        if (t.device() != backend.device()) {
            throw new IllegalArgumentException(op + ": " + name + " is on " + t.device()
                    + " but backend '" + backend.name() + "' computes on " + backend.device()
                    + ": " + name + "=" + t.describe());
        }
    }

    static void scopeOpen(String op, Scope scope) {
        if (!scope.isOpen()) {
            throw new IllegalStateException(op + ": the scope of this Ops is closed");
        }
    }

    // ---- shapes and scalars ---------------------------------------------------------------

    /** {@code t} has rank {@code rank}; {@code dims} names the dimensions, "[B, H, Tq, D]". */
    static void rank(String op, String name, Tensor t, int rank, String dims) {
        if (t.rank() != rank) {
            throw new IllegalArgumentException(op + ": " + name + " must have rank " + rank
                    + " " + dims + ", got " + t.describe());
        }
    }

    static void minRank(String op, String name, Tensor t, int rank, String dims) {
        if (t.rank() < rank) {
            throw new IllegalArgumentException(op + ": " + name + " must have rank >= " + rank
                    + " " + dims + ", got " + t.describe());
        }
    }

    static void sameShape(String op, String aName, Tensor a, String bName, Tensor b,
                          String dims) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException(op + ": " + aName + " and " + bName
                    + " must have the same shape " + dims + ": " + aName + "=" + shape(a)
                    + ", " + bName + "=" + shape(b));
        }
    }

    /** {@code t} is [n], naming the expected size as {@code dims} ("[C] with C=384"). */
    static void vector(String op, String name, Tensor t, long n, String dims) {
        if (t.rank() != 1 || t.dim(0) != n) {
            throw new IllegalArgumentException(op + ": " + name + " must be " + dims
                    + ", got " + t.describe());
        }
    }

    /**
     * {@code mask} can broadcast to {@code target}: aligned at the last dimension, each of its
     * dimensions equals the target's or is 1.
     */
    static void broadcastable(String op, String name, Tensor mask, long[] target,
                              String dims) {
        boolean ok = mask.rank() <= target.length;
        for (int i = 1; ok && i <= mask.rank(); i++) {
            long have = mask.dim(-i);
            ok = have == 1 || have == target[target.length - i];
        }
        if (!ok) {
            throw new IllegalArgumentException(op + ": " + name + " " + shape(mask)
                    + " cannot broadcast to " + dims + " = " + Arrays.toString(target));
        }
    }

    static void finite(String op, String name, float value) {
        if (!Float.isFinite(value)) {
            throw new IllegalArgumentException(op + ": " + name + " must be finite, got "
                    + value);
        }
    }

    static String shape(Tensor t) {
        return Arrays.toString(t.shape());
    }

    /** The product of dimensions [from, to) of {@code shape}. */
    static long product(long[] shape, int from, int to) {
        long n = 1;
        for (int i = from; i < to; i++) {
            n = Math.multiplyExact(n, shape[i]);
        }
        return n;
    }

    // ---- layouts --------------------------------------------------------------------------

    /** A view of {@code t}'s memory with another shape and strides (no copy). */
    static Tensor view(Tensor t, long[] shape, long[] strides) {
        return Tensor.wrap(t.segment(), t.dtype(), shape, strides, t.device());
    }

    /**
     * The single stride with which dimensions [from, to) of {@code t} step through memory as
     * if they were one dimension, {@code ifOne} when they hold one element, or -1 when they
     * cannot be merged (a transposed or sliced layout).
     */
    static long mergedStride(Tensor t, int from, int to, long ifOne) {
        long stride = -1;
        long span = 0;
        for (int i = to - 1; i >= from; i--) {
            long n = t.dim(i);
            if (n == 1) {
                continue;
            }
            if (stride >= 0 && t.stride(i) != span) {
                return -1;
            }
            if (stride < 0) {
                stride = t.stride(i);
            }
            span = t.stride(i) * n;
        }
        return stride < 0 ? ifOne : stride;
    }

    /**
     * {@code t} itself if contiguous, else a contiguous copy owned by {@code scope}: made by
     * {@link Tensor#contiguous} in host memory, by the backend's {@link Backend#copy} on a
     * device ({@code t} is on the backend's device: the caller checked).
     */
    static Tensor contiguous(String op, String name, Tensor t, Backend backend, Scope scope) {
        if (t.isContiguous()) {
            return t;
        }
        if (t.device() == Device.CPU) {
            return t.contiguous(scope);
        }
        Tensor copy = backend.allocateUninitialized(scope, t.dtype(), t.shape());
        backend.copy(t, copy);
        return copy;
    }

    /**
     * {@code t} [..., C] as the 2-D view [rows, C] with last stride 1 and one row stride, or
     * such a view of a contiguous copy when the leading dimensions do not merge.
     */
    static Tensor rows(String op, String name, Tensor t, Backend backend, Scope scope) {
        long[] shape = t.shape();
        int r = shape.length;
        long c = r == 0 ? 1 : shape[r - 1];
        long rows = product(shape, 0, Math.max(r - 1, 0));
        if (r > 0 && (t.stride(-1) == 1 || c == 1)) {
            long rowStride = mergedStride(t, 0, r - 1, c);
            if (rowStride >= 0) {
                return view(t, new long[] {rows, c}, new long[] {rowStride, 1});
            }
        }
        Tensor copy = contiguous(op, name, t, backend, scope);
        return view(copy, new long[] {rows, c}, new long[] {c, 1});
    }

    /**
     * {@code t} with its leading dimensions (all but the last two) merged into one batch
     * dimension, and one of its two inner strides equal to 1, as the 3-D view
     * [batch, M, K] that {@link Backend#matmul} reads; a contiguous copy when no such view
     * exists.
     */
    static Tensor batched(String op, String name, Tensor t, Backend backend, Scope scope) {
        long[] shape = t.shape();
        int r = shape.length;
        long batch = product(shape, 0, r - 2);
        long m = shape[r - 2];
        long k = shape[r - 1];
        long batchStride = mergedStride(t, 0, r - 2, m * k);
        long[] inner = unitInner(m, k, t.stride(-2), t.stride(-1));
        if (batchStride >= 0 && inner != null) {
            return view(t, new long[] {batch, m, k},
                    new long[] {batchStride, inner[0], inner[1]});
        }
        Tensor copy = contiguous(op, name, t, backend, scope);
        return view(copy, new long[] {batch, m, k}, new long[] {m * k, k, 1});
    }

    /**
     * Strides for a matrix [m, k] with one of them 1 (row- or column-major, possibly with a
     * padded leading dimension), rewriting the stride of a size-1 dimension where that helps;
     * null when the layout is neither (broadcast or overlapping).
     */
    static long[] unitInner(long m, long k, long sm, long sk) {
        if (m == 1) {
            sm = sk == 1 ? k : 1;
        }
        if (k == 1) {
            sk = sm == 1 && m > 1 ? m : 1;
        }
        if (sk == 1 && (m == 1 || sm >= k)) {
            return new long[] {sm, sk};
        }
        if (sm == 1 && (k == 1 || sk >= m)) {
            return new long[] {sm, sk};
        }
        return null;
    }
}
