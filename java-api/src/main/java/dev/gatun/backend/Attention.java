package dev.gatun.backend;

import java.util.Arrays;

/**
 * Scaled dot-product attention for the Java backend:
 * {@code dst = softmax(scale q k^T + mask) v} per batch and query head.
 *
 * <p>Shapes: q and dst [B, H, Tq, D], k and v [B, Hkv, Tk, D], mask F32 [B, H, Tq, Tk] (a
 * broadcast view), keyLengths I32 [B], weights F32 [B, H, Tq, Tk] contiguous. Query head h
 * reads key/value head h / (H / Hkv).
 *
 * <p>One task per (b, key/value head): it packs k transposed to [D, Tk] and v to [Tk, D] in
 * fp32 once, then for each of the H / Hkv query heads sharing them and each chunk of up to
 * {@value #QC} queries:
 * <ol>
 *   <li>scores S [qc, Tk] = q k^T with {@link JavaKernels#gemm};
 *   <li>S = scale S + mask, and -inf past the causal limit (key j visible to query i when
 *       j <= i + Tk - Tq, bottom-right aligned) and past keyLengths[b];
 *   <li>softmax of each row, subtracting its max; a row with no visible key is all zeros;
 *   <li>out [qc, D] = S v with {@link JavaKernels#gemm}, so a fully masked row outputs zeros.
 * </ol>
 */
final class Attention {
    /** Queries per chunk: bounds the scores buffer to QC x Tk floats. */
    static final int QC = 64;

    private Attention() {}

    static void run(JavaKernels kern, View q, View k, View v, float scale, boolean causal,
                    View mask, View keyLengths, View dst, View weights) {
        int b = Matmul.size("B", q.dim(0));
        int h = Matmul.size("H", q.dim(1));
        int hkv = Matmul.size("Hkv", k.dim(1));
        int tq = Matmul.size("Tq", q.dim(2));
        int tk = Matmul.size("Tk", k.dim(2));
        int d = Matmul.size("D", q.dim(3));
        int[] lengths = keyLengths == null ? null : keyLengths.ints();
        long work = 2L * b * h * tq * tk * d;

        Parallel.forEach(b * hkv, work, task -> {
            int bi = task / hkv;
            int g = task % hkv;
            int visible = lengths == null ? tk : Math.max(0, Math.min(tk, lengths[bi]));
            float[] kt = new float[d * tk];
            float[] vp = new float[tk * d];
            float[] row = new float[d];
            for (int j = 0; j < tk; j++) {
                k.read(k.at(bi, g, j, 0), k.stride(3), d, row, 0);
                for (int c = 0; c < d; c++) {
                    kt[c * tk + j] = row[c];
                }
                v.read(v.at(bi, g, j, 0), v.stride(3), d, vp, j * d);
            }
            int rep = h / hkv;
            for (int r = 0; r < rep; r++) {
                head(kern, q, kt, vp, scale, causal, mask, visible, dst, weights, bi,
                        g * rep + r, tq, tk, d);
            }
        }, q, k, v, mask, keyLengths, dst, weights);
    }

    /** All queries of head hi in batch bi, against packed kt [D, Tk] and vp [Tk, D]. */
    private static void head(JavaKernels kern, View q, float[] kt, float[] vp, float scale,
                             boolean causal, View mask, int visible, View dst, View weights,
                             int bi, int hi, int tq, int tk, int d) {
        int qc = Math.min(QC, tq);
        float[] qp = new float[qc * d];
        float[] s = new float[qc * tk];
        float[] o = new float[qc * d];
        float[] maskRow = mask == null ? null : new float[tk];

        for (int i0 = 0; i0 < tq; i0 += QC) {
            int rows = Math.min(QC, tq - i0);

            // scores = q k^T
            for (int i = 0; i < rows; i++) {
                q.read(q.at(bi, hi, i0 + i, 0), q.stride(3), d, qp, i * d);
            }
            Arrays.fill(s, 0f);
            kern.gemm(rows, tk, d, qp, 0, d, kt, 0, tk, s, 0, tk);

            // probabilities: scale, mask, softmax over the visible keys of each row
            for (int i = 0; i < rows; i++) {
                int limit = visible;
                if (causal) {
                    limit = (int) Math.max(0, Math.min(limit, (long) i0 + i + tk - tq + 1));
                }
                int off = i * tk;
                if (mask != null) {
                    mask.read(mask.at(bi, hi, i0 + i, 0), mask.stride(3), tk, maskRow, 0);
                }
                for (int j = 0; j < limit; j++) {
                    s[off + j] = s[off + j] * scale + (mask == null ? 0f : maskRow[j]);
                }
                Arrays.fill(s, off + limit, off + tk, 0f);
                float max = kern.max(s, off, limit);
                if (max == Float.NEGATIVE_INFINITY) {
                    Arrays.fill(s, off, off + limit, 0f);
                } else {
                    float sum = kern.expSum(s, off, limit, max);
                    kern.scale(s, off, limit, 1f / sum);
                }
                if (weights != null) {
                    weights.write(weights.at(bi, hi, i0 + i, 0), weights.stride(3), tk, s, off);
                }
            }

            // out = p v
            Arrays.fill(o, 0f);
            kern.gemm(rows, d, tk, s, 0, tk, vp, 0, d, o, 0, d);
            for (int i = 0; i < rows; i++) {
                dst.write(dst.at(bi, hi, i0 + i, 0), dst.stride(3), d, o, i * d);
            }
        }
    }
}
