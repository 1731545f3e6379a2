package dev.gatun.backend;

import dev.gatun.Activation;

/**
 * {@code dst = act(a w + bias) + residual} for the Java backend, blocked for the caches.
 *
 * <p>Shapes: a [batch, M, K], w [batch, K, N] (batch stride 0 when shared), residual and dst
 * [batch, M, N], bias [N]; any strides, any floating dtype, fp32 accumulation.
 *
 * <p>Two paths:
 * <ol>
 *   <li>Blocked: the output is cut into tiles of MC x NC; a tile is one task. For each
 *       slice of KC along K the task packs a [MC, KC] block of a and a [KC, NC] panel of w
 *       into row-major fp32 arrays (converting dtype, transposing when w is a transposed
 *       view) and calls {@link JavaKernels#gemm}; the panel (256 KiB) stays in L2. The
 *       epilogue adds bias, applies the activation, adds the residual and rounds once.
 *   <li>Rows of dot products, when M is small and w's columns are contiguous along K (a
 *       transposed [N, K] weight, as in decoding one token): each output is a
 *       {@link JavaKernels#dot} of a row of a with a column of w read in place, which skips
 *       the transposing pack that would cost as much as the product itself.
 * </ol>
 * Tasks run in parallel when the product is large (see {@link Parallel}).
 */
final class Matmul {
    static final int MC = 64;
    static final int NC = 256;
    static final int KC = 256;

    /** Up to this many rows, a transposed w is read by dot products. */
    static final int DOT_ROWS = 4;

    /** Columns per task on the dot-product path. */
    static final int DOT_COLUMNS = 64;

    private Matmul() {}

    static void run(JavaKernels kern, View a, View w, View bias, Activation act, View res,
                    View dst) {
        int batch = size("batch", a.dim(0));
        int m = size("M", a.dim(1));
        int k = size("K", a.dim(2));
        int n = size("N", w.dim(2));
        float[] biasRow = null;
        if (bias != null) {
            biasRow = new float[n];
            bias.read(0, bias.stride(0), n, biasRow, 0);
        }
        float[] b = biasRow;
        long work = (long) batch * m * n * k;

        if (m <= DOT_ROWS && w.stride(1) == 1 && (w.stride(2) != 1 || n == 1)) {
            int blocks = ceilDiv(n, DOT_COLUMNS);
            Parallel.forEach(batch * blocks, work, task -> dotColumns(kern, a, w, b, act, res,
                    dst, task / blocks, (task % blocks) * DOT_COLUMNS), a, w, res, dst);
            return;
        }
        int mTiles = ceilDiv(m, MC);
        int nTiles = ceilDiv(n, NC);
        int perBatch = mTiles * nTiles;
        Parallel.forEach(batch * perBatch, work, task -> {
            int tile = task % perBatch;
            tile(kern, a, w, b, act, res, dst, task / perBatch, (tile / nTiles) * MC,
                    (tile % nTiles) * NC);
        }, a, w, res, dst);
    }

    /** One output tile at rows [m0, m0 + MC) and columns [n0, n0 + NC) of batch bi. */
    private static void tile(JavaKernels kern, View a, View w, float[] bias, Activation act,
                             View res, View dst, int bi, int m0, int n0) {
        int k = (int) a.dim(2);
        int mc = Math.min(MC, (int) a.dim(1) - m0);
        int nc = Math.min(NC, (int) w.dim(2) - n0);
        float[] ap = new float[mc * Math.min(KC, k)];
        float[] bp = new float[Math.min(KC, k) * nc];
        float[] c = new float[mc * nc];
        float[] scratch = new float[8 * Math.max(Math.min(KC, k), mc)];

        for (int k0 = 0; k0 < k; k0 += KC) {
            int kc = Math.min(KC, k - k0);
            packA(a, bi, m0, mc, k0, kc, ap, scratch);
            packB(w, bi, k0, kc, n0, nc, bp, scratch);
            kern.gemm(mc, nc, kc, ap, 0, kc, bp, 0, nc, c, 0, nc);
        }
        epilogue(kern, c, nc, bias, act, res, dst, bi, m0, mc, n0);
    }

    /** ap[i, p] = a[bi, m0 + i, k0 + p], row-major [mc, kc]. */
    private static void packA(View a, int bi, int m0, int mc, int k0, int kc, float[] ap,
                              float[] scratch) {
        long sm = a.stride(1);
        long sk = a.stride(2);
        if (sk != 1 && sm == 1) {
            // a is a transposed view: read columns (contiguous along M), transpose by 8
            transpose(a, a.at(bi, m0, k0), sk, kc, mc, ap, kc, scratch);
            return;
        }
        for (int i = 0; i < mc; i++) {
            a.read(a.at(bi, m0 + i, k0), sk, kc, ap, i * kc);
        }
    }

    /** bp[p, j] = w[bi, k0 + p, n0 + j], row-major [kc, nc]. */
    private static void packB(View w, int bi, int k0, int kc, int n0, int nc, float[] bp,
                              float[] scratch) {
        long sk = w.stride(1);
        long sn = w.stride(2);
        if (sn != 1 && sk == 1) {
            // w is a transposed [N, K] weight: its columns are contiguous along K
            transpose(w, w.at(bi, k0, n0), sn, nc, kc, bp, nc, scratch);
            return;
        }
        for (int p = 0; p < kc; p++) {
            w.read(w.at(bi, k0 + p, n0), sn, nc, bp, p * nc);
        }
    }

    /**
     * out[r, q] = src[q, r] for q in [0, lines), r in [0, len), where src line q starts at
     * element {@code at + q * lineStride} and is contiguous; out is row-major with row stride
     * ldo. Eight lines are read at a time so that each output row is written in runs.
     */
    private static void transpose(View src, long at, long lineStride, int lines, int len,
                                  float[] out, int ldo, float[] scratch) {
        for (int q0 = 0; q0 < lines; q0 += 8) {
            int qb = Math.min(8, lines - q0);
            for (int q = 0; q < qb; q++) {
                src.read(at + (q0 + q) * lineStride, 1, len, scratch, q * len);
            }
            for (int r = 0; r < len; r++) {
                int o = r * ldo + q0;
                for (int q = 0; q < qb; q++) {
                    out[o + q] = scratch[q * len + r];
                }
            }
        }
    }

    /** Outputs [0, M) x [n0, n0 + DOT_COLUMNS) of batch bi as dot products. */
    private static void dotColumns(JavaKernels kern, View a, View w, float[] bias,
                                   Activation act, View res, View dst, int bi, int n0) {
        int m = (int) a.dim(1);
        int k = (int) a.dim(2);
        int nc = Math.min(DOT_COLUMNS, (int) w.dim(2) - n0);
        float[] ap = new float[m * k];
        for (int i = 0; i < m; i++) {
            a.read(a.at(bi, i, 0), a.stride(2), k, ap, i * k);
        }
        float[] col = new float[k];
        float[] c = new float[m * nc];
        for (int j = 0; j < nc; j++) {
            w.read(w.at(bi, 0, n0 + j), 1, k, col, 0);
            for (int i = 0; i < m; i++) {
                c[i * nc + j] = kern.dot(ap, i * k, col, 0, k);
            }
        }
        epilogue(kern, c, nc, bias, act, res, dst, bi, 0, m, n0);
    }

    /** dst rows = act(c + bias) + residual, c [mc, nc] at rows m0, columns n0 of batch bi. */
    private static void epilogue(JavaKernels kern, float[] c, int nc, float[] bias,
                                 Activation act, View res,
                                 View dst, int bi, int m0, int mc, int n0) {
        float[] resRow = res == null ? null : new float[nc];
        for (int i = 0; i < mc; i++) {
            int off = i * nc;
            if (bias != null) {
                for (int j = 0; j < nc; j++) {
                    c[off + j] += bias[n0 + j];
                }
            }
            kern.activation(act, c, off, nc);
            if (res != null) {
                res.read(res.at(bi, m0 + i, n0), res.stride(2), nc, resRow, 0);
                for (int j = 0; j < nc; j++) {
                    c[off + j] += resRow[j];
                }
            }
            dst.write(dst.at(bi, m0 + i, n0), dst.stride(2), nc, c, off);
        }
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    static int size(String name, long value) {
        if (value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("java backend: " + name + "=" + value
                    + " exceeds the Java backend's limit of 2^31 - 1 per dimension");
        }
        return (int) value;
    }
}
