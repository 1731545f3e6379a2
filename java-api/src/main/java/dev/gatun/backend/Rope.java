package dev.gatun.backend;

import dev.gatun.RopeStyle;

/**
 * Rotary position embedding for the Java backend.
 *
 * <p>Shapes: src and dst [B, H, T, D] (D even, any strides), positions I32 [T]. Pair i of a
 * head, i in [0, D/2), is rotated by the angle pos * theta^(-2i/D): pairs (2i, 2i+1) for
 * {@link RopeStyle#INTERLEAVED}, (i, i + D/2) for {@link RopeStyle#HALF_SPLIT}. Angles,
 * cosines and sines are computed in double, so large positions lose no accuracy; the
 * rotation itself is fp32. dst may alias src.
 */
final class Rope {
    private Rope() {}

    static void run(View src, View positions, float theta, RopeStyle style, View dst) {
        int b = Matmul.size("B", src.dim(0));
        int h = Matmul.size("H", src.dim(1));
        int t = Matmul.size("T", src.dim(2));
        int d = Matmul.size("D", src.dim(3));
        int half = d / 2;
        int[] pos = positions.ints();

        // cos and sin of every (step, pair), shared by all heads
        float[] cos = new float[t * half];
        float[] sin = new float[t * half];
        for (int i = 0; i < half; i++) {
            double freq = Math.pow(theta, -2.0 * i / d);
            for (int s = 0; s < t; s++) {
                double angle = pos[s] * freq;
                cos[s * half + i] = (float) Math.cos(angle);
                sin[s * half + i] = (float) Math.sin(angle);
            }
        }
        boolean interleaved = style == RopeStyle.INTERLEAVED;

        Parallel.forEach(b * h, 4L * b * h * t * d, task -> {
            int bi = task / h;
            int hi = task % h;
            float[] x = new float[d];
            for (int s = 0; s < t; s++) {
                src.read(src.at(bi, hi, s, 0), src.stride(3), d, x, 0);
                for (int i = 0; i < half; i++) {
                    int i0 = interleaved ? 2 * i : i;
                    int i1 = interleaved ? 2 * i + 1 : i + half;
                    float c = cos[s * half + i];
                    float sn = sin[s * half + i];
                    float x0 = x[i0];
                    float x1 = x[i1];
                    x[i0] = x0 * c - x1 * sn;
                    x[i1] = x0 * sn + x1 * c;
                }
                dst.write(dst.at(bi, hi, s, 0), dst.stride(3), d, x, 0);
            }
        }, src, positions, dst);
    }
}
