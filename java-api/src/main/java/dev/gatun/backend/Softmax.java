package dev.gatun.backend;

import java.util.Arrays;

/**
 * {@code dst = softmax(scale src + mask)} over the last dimension for the Java backend.
 *
 * <p>Shapes: src and dst [rows, cols] (any row stride), mask F32 [rows, cols] (row stride 0
 * repeats one row). Per row, in fp32: x = scale src + mask; subtract the row max;
 * exponentiate and sum with {@link JavaKernels#expSum}; divide by the sum. A row whose
 * entries are all -inf is written as zeros. dst may alias src.
 */
final class Softmax {
    private Softmax() {}

    static void run(JavaKernels kern, View src, float scale, View mask, View dst) {
        int rows = Matmul.size("rows", src.dim(0));
        int cols = Matmul.size("cols", src.dim(1));
        int block = Math.max(1, (int) Math.min(rows, Parallel.MIN_WORK / Math.max(cols, 1)));
        int tasks = Matmul.ceilDiv(rows, block);

        Parallel.forEach(tasks, 8L * rows * cols, task -> {
            float[] x = new float[cols];
            float[] m = mask == null ? null : new float[cols];
            int end = Math.min(rows, (task + 1) * block);
            for (int i = task * block; i < end; i++) {
                src.read(src.at(i, 0), src.stride(1), cols, x, 0);
                if (m != null) {
                    mask.read(mask.at(i, 0), mask.stride(1), cols, m, 0);
                }
                for (int j = 0; j < cols; j++) {
                    x[j] = x[j] * scale + (m == null ? 0f : m[j]);
                }
                float max = kern.max(x, 0, cols);
                if (max == Float.NEGATIVE_INFINITY) {
                    Arrays.fill(x, 0f);
                } else {
                    float sum = kern.expSum(x, 0, cols, max);
                    kern.scale(x, 0, cols, 1f / sum);
                }
                dst.write(dst.at(i, 0), dst.stride(1), cols, x, 0);
            }
        }, src, mask, dst);
    }
}
