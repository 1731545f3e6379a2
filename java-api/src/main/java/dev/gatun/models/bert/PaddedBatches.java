package dev.gatun.models.bert;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * Batches of right-padded sequences for an engine that needs padding: {@link
 * BertModel#forward} on [B, T] IDs, or another runtime's BERT graph (the ONNX Runtime
 * comparison in the benchmarks uses these). {@link SentenceEmbedder} itself lays sequences end
 * to end without padding ({@link BertModel#forwardRagged}) and needs none of this.
 *
 * <p>Sequences are sorted by length (longest first) and cut into consecutive batches of at
 * most {@value #MAX_BATCH} sequences and {@value #MAX_BATCH_TOKENS} padded tokens that
 * minimise the padded tokens computed plus {@value #BATCH_COST_TOKENS} per batch, the fixed
 * cost of one forward pass counted in tokens: 32 texts of 9 to 39 tokens then run as 4
 * batches of similar lengths (523 padded tokens) instead of one padded to 39 (1248).
 */
public final class PaddedBatches {
    /** The most sequences in one batch. */
    public static final int MAX_BATCH = 32;
    /** The most padded tokens (B·T) in one batch, bounding memory for long texts. */
    public static final int MAX_BATCH_TOKENS = 8192;
    /**
     * The fixed cost of one forward pass in tokens: a batch-1 MiniLM pass costs about as
     * much as 20 to 30 more tokens in a large batch (measured on a 2-core Zen 4).
     */
    public static final int BATCH_COST_TOKENS = 24;

    private PaddedBatches() {}

    /**
     * The batches for sequences of these token counts: the indices of each batch, longest
     * sequence first, batches in order of decreasing length.
     *
     * @throws IllegalArgumentException if a length is below 1
     */
    public static List<int[]> of(int[] lengths) {
        int n = lengths.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            if (lengths[i] < 1) {
                throw new IllegalArgumentException("PaddedBatches: lengths[" + i + "]="
                        + lengths[i] + " must be >= 1");
            }
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> lengths[i]).reversed());

        // cost[i]: the least cost of the first i sorted sequences; start[i]: where the last
        // batch of that solution starts. A batch [j, i) pads to its first (longest) length.
        long[] cost = new long[n + 1];
        int[] start = new int[n + 1];
        for (int i = 1; i <= n; i++) {
            cost[i] = Long.MAX_VALUE;
            for (int j = i - 1; j >= 0 && i - j <= MAX_BATCH; j--) {
                long padded = (long) (i - j) * lengths[order[j]];
                if (padded > MAX_BATCH_TOKENS && i - j > 1) {
                    break;
                }
                long c = cost[j] + padded + BATCH_COST_TOKENS;
                if (c < cost[i]) {
                    cost[i] = c;
                    start[i] = j;
                }
            }
        }
        List<int[]> out = new ArrayList<>();
        for (int i = n; i > 0; i = start[i]) {
            int[] batch = new int[i - start[i]];
            for (int k = 0; k < batch.length; k++) {
                batch[k] = order[start[i] + k];
            }
            out.add(batch);
        }
        Collections.reverse(out);
        return out;
    }
}
