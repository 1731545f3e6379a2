package dev.gatun.backend;

/**
 * Layer norm and RMSNorm over the last dimension for the Java backend, with the residual add
 * fused in front.
 *
 * <p>Shapes: src, residual, dst and sumDst [rows, C] (any row stride), gamma and beta F32
 * [C]. Per row, in fp32: x = src + residual; sumDst = x; then
 * <ul>
 *   <li>layer norm: x is centred on its mean, then centred again on the mean of what is
 *       left (rounding in the first mean), and the variance taken from the centred values,
 *       so a large mean does not cancel the variance away; dst = (x - mean) /
 *       sqrt(var + eps) gamma + beta;
 *   <li>RMSNorm: dst = x / sqrt(mean(x^2) + eps) gamma.
 * </ul>
 * A row is read whole before it is written, so dst may alias src or residual.
 */
final class Norms {
    private Norms() {}

    static void run(JavaKernels kern, boolean layerNorm, View src, View residual,
                    View gamma, View beta, float eps, View dst, View sumDst) {
        int rows = Matmul.size("rows", src.dim(0));
        int c = Matmul.size("C", src.dim(1));
        float[] g = vector(gamma, c);
        float[] bt = vector(beta, c);
        int block = Math.max(1, (int) Math.min(rows, Parallel.MIN_WORK / Math.max(c, 1)));
        int tasks = Matmul.ceilDiv(rows, block);

        Parallel.forEach(tasks, 4L * rows * c, task -> {
            float[] x = new float[c];
            float[] r = residual == null ? null : new float[c];
            int end = Math.min(rows, (task + 1) * block);
            for (int i = task * block; i < end; i++) {
                src.read(src.at(i, 0), src.stride(1), c, x, 0);
                if (r != null) {
                    residual.read(residual.at(i, 0), residual.stride(1), c, r, 0);
                    for (int j = 0; j < c; j++) {
                        x[j] += r[j];
                    }
                }
                if (sumDst != null) {
                    sumDst.write(sumDst.at(i, 0), sumDst.stride(1), c, x, 0);
                }
                if (layerNorm) {
                    // centre twice: the second pass removes what rounding left of the
                    // mean in the first, which matters when |mean| >> standard deviation
                    for (int pass = 0; pass < 2; pass++) {
                        float mean = kern.sum(x, 0, c) / c;
                        for (int j = 0; j < c; j++) {
                            x[j] -= mean;
                        }
                    }
                }
                float inv = (float) (1 / Math.sqrt(kern.dot(x, 0, x, 0, c) / c + eps));
                for (int j = 0; j < c; j++) {
                    float y = x[j] * inv;
                    if (g != null) {
                        y *= g[j];
                    }
                    x[j] = bt == null ? y : y + bt[j];
                }
                dst.write(dst.at(i, 0), dst.stride(1), c, x, 0);
            }
        }, src, residual, gamma, beta, dst, sumDst);
    }

    private static float[] vector(View v, int c) {
        if (v == null) {
            return null;
        }
        float[] out = new float[c];
        v.read(0, v.stride(0), c, out, 0);
        return out;
    }
}
