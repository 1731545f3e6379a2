package dev.gatun;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A [K, N] weight that one backend has reordered into the layout it multiplies fastest
 * ({@link Ops#packWeight}). The layout is the backend's own and opaque: the weight is used
 * only through {@link Ops#linear(Tensor, PackedWeight, Tensor, Activation, Tensor)} on that
 * backend, and only while the scope it was packed into is open.
 *
 * <p>Backends create these in {@link Backend#packWeight}; a backend receiving one in
 * {@link Backend#matmulPacked} checks that it issued it (the native backend: these very
 * components), so a record built by hand fails with an exception, not a crash or a wrong
 * result.
 *
 * <p>Why: oneDNN's CPU matmul reads a weight in its blocked layout about a third faster than
 * a row-major one when x has few rows (one sentence, one decoding step), where the time goes
 * into streaming the weight from memory.
 *
 * @param backend the backend that packed it and alone can use it
 * @param dtype   the weight's dtype
 * @param k       K, the rows of the [K, N] weight (x's last dimension)
 * @param n       N, its columns (the result's last dimension)
 * @param memory  the packed bytes, owned by the scope it was packed into
 */
public record PackedWeight(Backend backend, DType dtype, long k, long n, MemorySegment memory) {

    /**
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if k or n is below 1
     */
    public PackedWeight {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(memory, "memory");
        if (k < 1 || n < 1) {
            throw new IllegalArgumentException("PackedWeight: K and N must be >= 1, got [" + k
                    + ", " + n + "]");
        }
    }

    /** A short description for messages: {@code packed F32 [K, N] for native}. */
    public String describe() {
        return "packed " + dtype + " [" + k + ", " + n + "] for " + backend.name();
    }
}
