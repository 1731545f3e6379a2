package dev.gatun.models.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

class SamplerTest {
    @Test
    void greedyTakesTheFirstLargest() {
        assertEquals(2, Sampler.greedy().sample(new float[] {0f, 1f, 3f, 3f, -1f}));
        assertEquals(0, Sampler.temperature(0f, 7).sample(new float[] {9f, 6f, 6f}, 1, 2),
                "an index inside the range [1, 3), first on ties");
    }

    @Test
    void temperatureSamplingFollowsTheSoftmax() {
        long seed = new SplittableRandom().nextLong();
        float[] logits = {1.0f, 2.0f, 0.5f, -1.0f};
        float temperature = 0.7f;
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] / temperature);
            sum += p[i];
        }
        Sampler sampler = Sampler.temperature(temperature, seed);
        int n = 40_000;
        int[] counts = new int[logits.length];
        for (int i = 0; i < n; i++) {
            counts[sampler.sample(logits)]++;
        }
        for (int i = 0; i < logits.length; i++) {
            double expected = p[i] / sum;
            double sigma = Math.sqrt(expected * (1 - expected) / n);
            double got = counts[i] / (double) n;
            assertTrue(Math.abs(got - expected) < 6 * sigma, "token " + i + ": frequency "
                    + got + ", probability " + expected + " (seed " + seed + ")");
        }
    }

    @Test
    void topPKeepsOnlyTheNucleus() {
        long seed = new SplittableRandom().nextLong();
        // probabilities about 0.64, 0.24, 0.09, 0.03: top-p 0.8 keeps the first two
        float[] logits = {3f, 2f, 1f, -0.1f};
        Sampler sampler = Sampler.topP(1f, 0.8f, seed);
        int[] counts = new int[4];
        for (int i = 0; i < 20_000; i++) {
            counts[sampler.sample(logits)]++;
        }
        assertEquals(0, counts[2] + counts[3], "tokens outside the nucleus (seed " + seed + ")");
        double ratio = counts[0] / (double) counts[1];
        assertTrue(Math.abs(ratio - Math.E) < 0.25, "renormalised ratio " + ratio
                + " should be e (seed " + seed + ")");
    }

    @Test
    void sameSeedSameDraws() {
        long seed = new SplittableRandom().nextLong();
        float[] logits = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
        Sampler a = Sampler.topP(1.5f, 0.95f, seed);
        Sampler b = Sampler.topP(1.5f, 0.95f, seed);
        for (int i = 0; i < 100; i++) {
            assertEquals(a.sample(logits), b.sample(logits), "draw " + i + " (seed " + seed
                    + ")");
        }
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> Sampler.temperature(-1f, 1));
        assertThrows(IllegalArgumentException.class, () -> Sampler.topP(1f, 0f, 1));
        assertThrows(IllegalArgumentException.class, () -> Sampler.topP(1f, 1.5f, 1));
        assertThrows(IllegalArgumentException.class,
                () -> Sampler.greedy().sample(new float[3], 2, 2));
    }
}
