package dev.gatun.backend;

import dev.gatun.Activation;
import java.lang.foreign.MemorySegment;

/**
 * The elementwise ops and the embedding gather for the Java backend, on contiguous tensors
 * read in chunks of {@value #CHUNK} elements converted to fp32.
 */
final class Elementwise {
    static final int CHUNK = 4096;

    private Elementwise() {}

    /** dst[i] = a[i] + b[i % len(b)] (or times, when {@code multiply}). */
    static void binary(boolean multiply, View a, View b, View dst, long n, long bLen) {
        chunks(n, (start, len, x) -> {
            float[] y = new float[len];
            // b repeats: read it from start % bLen, wrapping around as often as needed
            int filled = 0;
            long at = start % bLen;
            while (filled < len) {
                int run = (int) Math.min(len - filled, bLen - at);
                b.read(at, 1, run, y, filled);
                filled += run;
                at = 0;
            }
            a.read(start, 1, len, x, 0);
            for (int i = 0; i < len; i++) {
                x[i] = multiply ? x[i] * y[i] : x[i] + y[i];
            }
            dst.write(start, 1, len, x, 0);
        }, a, b, dst);
    }

    /** dst[i] = act(src[i]). */
    static void activation(JavaKernels kern, Activation act, View src, View dst, long n) {
        chunks(n, (start, len, x) -> {
            src.read(start, 1, len, x, 0);
            kern.activation(act, x, 0, len);
            dst.write(start, 1, len, x, 0);
        }, src, dst);
    }

    /** dst[i] = src[i] in dst's dtype, rounding to nearest even. */
    static void convert(View src, View dst, long n) {
        chunks(n, (start, len, x) -> {
            src.read(start, 1, len, x, 0);
            dst.write(start, 1, len, x, 0);
        }, src, dst);
    }

    /** dst[i, :] = table[ids[i], :]; table [V, C], ids I32 [n], dst [n, C]. */
    static void embedding(View table, View ids, View dst) {
        int n = Matmul.size("n", ids.dim(0));
        int c = Matmul.size("C", table.dim(1));
        long vocab = table.dim(0);
        int[] rows = ids.ints();
        for (int i = 0; i < n; i++) {
            if (rows[i] < 0 || rows[i] >= vocab) {
                throw new IllegalArgumentException("java backend embedding: ids[" + i + "]="
                        + rows[i] + " is outside [0, V) with V=" + vocab);
            }
        }
        boolean rawCopy = table.dtype == dst.dtype && table.stride(1) == 1
                && dst.stride(1) == 1;
        long rowBytes = (long) c * table.dtype.byteSize();
        float[] x = rawCopy ? null : new float[c];
        for (int i = 0; i < n; i++) {
            long from = rows[i] * table.stride(0);
            long to = i * dst.stride(0);
            if (rawCopy) {
                MemorySegment.copy(table.seg, from * table.dtype.byteSize(), dst.seg,
                        to * dst.dtype.byteSize(), rowBytes);
            } else {
                table.read(from, table.stride(1), c, x, 0);
                dst.write(to, dst.stride(1), c, x, 0);
            }
        }
    }

    @FunctionalInterface
    private interface Chunk {
        void run(long start, int len, float[] buffer);
    }

    /** Runs {@code body} over [0, n) in chunks, in parallel when n is large. */
    private static void chunks(long n, Chunk body, View... views) {
        long count = (n + CHUNK - 1) / CHUNK;
        int tasks = Matmul.size("chunks", count);
        Parallel.forEach(tasks, 4 * n, task -> {
            long start = (long) task * CHUNK;
            int len = (int) Math.min(CHUNK, n - start);
            body.run(start, len, new float[len]);
        }, views);
    }
}
