package dev.gatun.models.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link PaddedBatches#of}: a partition of every index, within the batch limits, and
 * as cheap as the best partition found by trying every way of cutting the sorted order.
 */
class PaddedBatchesTest {

    @Test
    void partitionsWithinLimitsAndMatchesExhaustiveSearch() {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + rng.nextInt(trial < 200 ? 12 : 80);
            // short texts reach the 32-sequence cap; long ones (up to 2048 tokens) the
            // 8192-token cap, within the sizes the exhaustive search covers
            int maxLength = switch (rng.nextInt(3)) {
                case 0 -> 60;
                case 1 -> 512;
                default -> 2048;
            };
            int[] lengths = new int[n];
            for (int i = 0; i < n; i++) {
                lengths[i] = 1 + rng.nextInt(maxLength);
            }
            String what = "seed=" + seed + " lengths=" + Arrays.toString(lengths);
            List<int[]> batches = PaddedBatches.of(lengths);

            boolean[] seen = new boolean[n];
            long cost = 0;
            int previous = Integer.MAX_VALUE;
            for (int[] batch : batches) {
                int longest = lengths[batch[0]];
                assertTrue(longest <= previous, "batches go from long to short: " + what);
                previous = longest;
                assertTrue(batch.length <= PaddedBatches.MAX_BATCH, what);
                assertTrue(batch.length == 1 || (long) batch.length * longest
                        <= PaddedBatches.MAX_BATCH_TOKENS, what);
                for (int i : batch) {
                    assertTrue(!seen[i], "index " + i + " twice: " + what);
                    seen[i] = true;
                    assertTrue(lengths[i] <= longest, "the first is the longest: " + what);
                }
                cost += (long) batch.length * longest + PaddedBatches.BATCH_COST_TOKENS;
            }
            for (int i = 0; i < n; i++) {
                assertTrue(seen[i], "index " + i + " missing: " + what);
            }
            if (n <= 12) {
                assertEquals(exhaustiveCost(lengths), cost, "not the cheapest: " + what);
            }
        }
    }

    @Test
    void mixedLengthsSplitAndEqualLengthsStayTogether() {
        int[] equal = new int[32];
        Arrays.fill(equal, 20);
        assertEquals(1, PaddedBatches.of(equal).size());
        int[] mixed = new int[32];
        for (int i = 0; i < 32; i++) {
            mixed[i] = i < 16 ? 10 : 50;
        }
        assertEquals(2, PaddedBatches.of(mixed).size());
        assertTrue(PaddedBatches.of(new int[0]).isEmpty());
        assertThrows(IllegalArgumentException.class,
                () -> PaddedBatches.of(new int[] {3, 0}));
    }

    /** The least cost over every cut of the sorted lengths, by trying all 2^(n-1) cuts. */
    private static long exhaustiveCost(int[] lengths) {
        int[] sorted = Arrays.stream(lengths).boxed()
                .sorted((a, b) -> Integer.compare(b, a)).mapToInt(Integer::intValue).toArray();
        int n = sorted.length;
        long best = Long.MAX_VALUE;
        for (int cuts = 0; cuts < 1 << (n - 1); cuts++) {
            long cost = 0;
            int start = 0;
            boolean ok = true;
            for (int i = 1; i <= n; i++) {
                if (i == n || (cuts >> (i - 1) & 1) == 1) {
                    int size = i - start;
                    long padded = (long) size * sorted[start];
                    if (size > PaddedBatches.MAX_BATCH
                            || (size > 1 && padded > PaddedBatches.MAX_BATCH_TOKENS)) {
                        ok = false;
                        break;
                    }
                    cost += padded + PaddedBatches.BATCH_COST_TOKENS;
                    start = i;
                }
            }
            if (ok) {
                best = Math.min(best, cost);
            }
        }
        return best;
    }
}
