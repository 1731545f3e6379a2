package dev.gatun.backend;

import dev.gatun.DType;
import dev.gatun.Tensor;
import java.util.Arrays;

/**
 * What {@link NativeBackend} checks before each native call: that every tensor has the shape,
 * dtype and layout the call will read it with. The C functions receive pointers and sizes,
 * not buffers, so they cannot see that a tensor is smaller than the sizes taken from another
 * one; a call that broke these rules would read or write outside a tensor's memory.
 * {@link dev.gatun.Ops} never makes such a call; these checks make a direct call to the
 * backend (its methods are public) an {@link IllegalArgumentException} naming the op, the
 * rule and the values, instead of a crash.
 */
final class NativeChecks {
    private NativeChecks() {}

    static IllegalArgumentException fail(String op, String rule, Tensor... seen) {
        StringBuilder values = new StringBuilder();
        for (Tensor t : seen) {
            values.append(values.isEmpty() ? "" : ", ").append(t == null ? "null" : t);
        }
        return new IllegalArgumentException("native " + op + ": " + rule + "; got " + values);
    }

    static void present(String op, String name, Tensor t) {
        if (t == null) {
            throw new IllegalArgumentException("native " + op + ": " + name
                    + " must not be null");
        }
    }

    /** {@code t} has {@code dtype}, or is null when optional. */
    static void dtype(String op, String name, Tensor t, DType dtype) {
        if (t != null && t.dtype() != dtype) {
            throw fail(op, name + " must be " + dtype, t);
        }
    }

    static void floating(String op, String name, Tensor t) {
        if (!t.dtype().isFloating()) {
            throw fail(op, name + " must be floating", t);
        }
    }

    static void contiguous(String op, String name, Tensor t) {
        if (t != null && !t.isContiguous()) {
            throw fail(op, name + " must be contiguous", t);
        }
    }

    static void shape(String op, String name, Tensor t, long... shape) {
        if (t != null && !Arrays.equals(t.shape(), shape)) {
            throw fail(op, name + " must be " + Arrays.toString(shape), t);
        }
    }

    static void numel(String op, String name, Tensor t, long n) {
        if (t != null && t.numel() != n) {
            throw fail(op, name + " must hold " + n + " elements", t);
        }
    }

    /** Every dimension's stride along the last dimension is 1 (or it has one element). */
    static void unitLast(String op, String name, Tensor t) {
        if (t != null && t.rank() > 0 && t.dim(-1) > 1 && t.stride(-1) != 1) {
            throw fail(op, name + " must have last stride 1", t);
        }
    }

    /**
     * A matmul operand of rank 2 or 3 that is [rows, cols] per batch, and either has the
     * call's batch or repeats one matrix (batch stride 0).
     */
    static void matrix(String op, String name, Tensor t, long batch, long rows, long cols) {
        if (t == null) {
            return;
        }
        if (t.rank() != 2 && t.rank() != 3) {
            throw fail(op, name + " must have rank 2 or 3", t);
        }
        if (t.dim(-2) != rows || t.dim(-1) != cols) {
            throw fail(op, name + " must be [" + rows + ", " + cols + "] per batch", t);
        }
        if (t.rank() == 3 && t.dim(0) != batch && t.stride(0) != 0) {
            throw fail(op, name + " must have batch " + batch + " or batch stride 0", t);
        }
    }

    /** A [rows, C] operand of the row ops (norms, softmax): rank 1 or 2, last stride 1. */
    static void rows(String op, String name, Tensor t, long rows, long c) {
        if (t == null) {
            return;
        }
        if (t.rank() != 1 && t.rank() != 2) {
            throw fail(op, name + " must be a 2-D view [rows, C]", t);
        }
        long r = t.rank() == 2 ? t.dim(0) : 1;
        if (r != rows || t.dim(-1) != c) {
            throw fail(op, name + " must be [" + rows + ", " + c + "]", t);
        }
        unitLast(op, name, t);
    }

    static void rank(String op, String name, Tensor t, int rank) {
        if (t != null && t.rank() != rank) {
            throw fail(op, name + " must have rank " + rank, t);
        }
    }
}
