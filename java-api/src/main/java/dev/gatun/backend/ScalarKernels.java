package dev.gatun.backend;

import dev.gatun.Activation;

/** {@link JavaKernels} as plain loops, for JVMs without {@code jdk.incubator.vector}. */
final class ScalarKernels implements JavaKernels {
    static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {}

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void gemm(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff,
                     int ldb, float[] c, int cOff, int ldc) {
        // row i of C gathers the rows of B weighted by row i of A: unit-stride inner loops
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            int ai = aOff + i * lda;
            for (int p = 0; p < k; p++) {
                axpy(a[ai + p], b, bOff + p * ldb, c, ci, n);
            }
        }
    }

    @Override
    public float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        // four partial sums: shorter dependency chains, and smaller rounding error than one
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            s0 = Math.fma(x[xOff + i], y[yOff + i], s0);
            s1 = Math.fma(x[xOff + i + 1], y[yOff + i + 1], s1);
            s2 = Math.fma(x[xOff + i + 2], y[yOff + i + 2], s2);
            s3 = Math.fma(x[xOff + i + 3], y[yOff + i + 3], s3);
        }
        for (; i < n; i++) {
            s0 = Math.fma(x[xOff + i], y[yOff + i], s0);
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    @Override
    public float sum(float[] x, int off, int n) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            s0 += x[off + i];
            s1 += x[off + i + 1];
            s2 += x[off + i + 2];
            s3 += x[off + i + 3];
        }
        for (; i < n; i++) {
            s0 += x[off + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public float max(float[] x, int off, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    @Override
    public float expSum(float[] x, int off, int n, float shift) {
        float s = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - shift);
            x[off + i] = e;
            s += e;
        }
        return s;
    }

    @Override
    public void scale(float[] x, int off, int n, float factor) {
        for (int i = 0; i < n; i++) {
            x[off + i] *= factor;
        }
    }

    @Override
    public void activation(Activation act, float[] x, int off, int n) {
        Activations.apply(act, x, off, n);
    }
}
