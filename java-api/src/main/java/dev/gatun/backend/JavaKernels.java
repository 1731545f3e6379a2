package dev.gatun.backend;

import dev.gatun.Activation;

/**
 * The inner loops of the pure-Java backend, on fp32 arrays: {@link JavaBackend} packs tensor
 * data (any dtype, any strides) into float arrays and hands the arithmetic to one of these.
 *
 * <p>Two implementations exist: {@link #scalar()}, plain loops that run on every JVM, and
 * {@code dev.gatun.vector.VectorKernels} in the {@code gatun-vector} module, written with the
 * incubating Vector API and found through {@link java.util.ServiceLoader} only when the JVM
 * runs with {@code --add-modules jdk.incubator.vector} (see {@link JavaBackend}). Both
 * accumulate in fp32; their results differ by the order of additions, and in the
 * activations, which the scalar kernels evaluate in double and the vector kernels in float,
 * by a few units in the last place of fp32.
 *
 * <p>Arrays are addressed as (array, offset) pairs; a matrix adds its row stride ("ld",
 * leading dimension, in elements). Implementations must be stateless and thread-safe.
 */
public interface JavaKernels {

    /** A short name for logs and {@link JavaBackend#kernelsName()}: "scalar", "vector". */
    String name();

    /**
     * {@code C += A B}: A [m, k] row stride lda, B [k, n] row stride ldb, C [m, n] row
     * stride ldc, all row-major fp32.
     */
    void gemm(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
              float[] c, int cOff, int ldc);

    /** The dot product of x[xOff, xOff + n) and y[yOff, yOff + n). */
    float dot(float[] x, int xOff, float[] y, int yOff, int n);

    /** {@code y += alpha x} over n elements. */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /** The sum of x[off, off + n). */
    float sum(float[] x, int off, int n);

    /** The largest of x[off, off + n); -infinity when n is 0. */
    float max(float[] x, int off, int n);

    /** {@code x = exp(x - shift)} over n elements, returning the sum of the results. */
    float expSum(float[] x, int off, int n, float shift);

    /** {@code x *= factor} over n elements. */
    void scale(float[] x, int off, int n, float factor);

    /**
     * {@code x = act(x)} over n elements, for the activations as {@link Activation} defines
     * them, accurate to 2e-6 relative where |act(x)| >= 1e-2 and 2e-8 absolute below.
     */
    void activation(Activation act, float[] x, int off, int n);

    /** The plain-loop kernels, available on every JVM. */
    static JavaKernels scalar() {
        return ScalarKernels.INSTANCE;
    }
}
