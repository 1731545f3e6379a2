package dev.gatun.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link SentenceEmbedder#passes}: every index once, in input order, each pass within
 * {@link SentenceEmbedder#MAX_PASS_TOKENS} unless it is one sequence, and no pass that could
 * have taken the next sequence.
 */
class SentencePassesTest {
    private static final int MAX = SentenceEmbedder.MAX_PASS_TOKENS;

    @Test
    void cutsInOrderWithinTheTokenLimit() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        for (int round = 0; round < 200; round++) {
            int[] lengths = new int[random.nextInt(300)];
            for (int i = 0; i < lengths.length; i++) {
                // mostly sentences, now and then one past the limit
                lengths[i] = random.nextInt(50) == 0 ? MAX + 1 + random.nextInt(100)
                        : 1 + random.nextInt(512);
            }
            String what = "seed " + seed + ", lengths " + Arrays.toString(lengths);
            List<int[]> passes = SentenceEmbedder.passes(lengths);
            int next = 0;
            for (int p = 0; p < passes.size(); p++) {
                int[] pass = passes.get(p);
                long tokens = 0;
                for (int i : pass) {
                    assertEquals(next++, i, "indices in input order: " + what);
                    tokens += lengths[i];
                }
                assertTrue(pass.length == 1 || tokens <= MAX, "pass " + p + " holds " + tokens
                        + " tokens: " + what);
                if (p + 1 < passes.size()) {
                    assertTrue(tokens + lengths[next] > MAX, "pass " + p + " could have taken "
                            + "index " + next + ": " + what);
                }
            }
            assertEquals(lengths.length, next, "every index: " + what);
        }
    }

    @Test
    void edges() {
        assertTrue(SentenceEmbedder.passes(new int[0]).isEmpty());
        List<int[]> exact = SentenceEmbedder.passes(new int[] {MAX - 1, 1, 1});
        assertEquals(2, exact.size());
        assertArrayEquals(new int[] {0, 1}, exact.get(0));
        assertArrayEquals(new int[] {2}, exact.get(1));
        List<int[]> alone = SentenceEmbedder.passes(new int[] {3, MAX + 1, 3});
        assertEquals(3, alone.size());
        assertArrayEquals(new int[] {1}, alone.get(1));
        assertThrows(IllegalArgumentException.class,
                () -> SentenceEmbedder.passes(new int[] {3, 0}));
    }
}
