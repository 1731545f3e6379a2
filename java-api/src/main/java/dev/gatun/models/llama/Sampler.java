package dev.gatun.models.llama;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses the next token from logits: greedily, or by sampling at a temperature, optionally
 * from the nucleus (top-p) only, with a seeded generator so a run can be repeated.
 *
 * <pre>{@code
 * Sampler.greedy()                    // argmax, the first index on ties
 * Sampler.temperature(0.8f, 42)       // softmax(logits / 0.8), seed 42
 * Sampler.topP(0.8f, 0.9f, 42)        // the same over the smallest set holding 90% mass
 * }</pre>
 *
 * <p>A sampler keeps its generator's state: not thread-safe; one per generation.
 */
public final class Sampler {
    private final float temperature;
    private final float topP;
    private final SplittableRandom random;

    private Sampler(float temperature, float topP, SplittableRandom random) {
        this.temperature = temperature;
        this.topP = topP;
        this.random = random;
    }

    /** Always the most likely token. */
    public static Sampler greedy() {
        return new Sampler(0f, 1f, null);
    }

    /**
     * Samples from {@code softmax(logits / temperature)}; temperature 0 is greedy.
     *
     * @throws IllegalArgumentException if temperature is negative or not finite
     */
    public static Sampler temperature(float temperature, long seed) {
        return topP(temperature, 1f, seed);
    }

    /**
     * Samples from the smallest set of most likely tokens whose probabilities sum to at
     * least {@code topP} (renormalised), at {@code temperature}.
     *
     * @throws IllegalArgumentException if temperature is negative or not finite, or topP is
     *     not in (0, 1]
     */
    public static Sampler topP(float temperature, float topP, long seed) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("Sampler: temperature must be >= 0 and finite, "
                    + "got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("Sampler: topP must be in (0, 1], got " + topP);
        }
        return new Sampler(temperature, topP, new SplittableRandom(seed));
    }

    /** Whether this sampler always takes the argmax. */
    public boolean isGreedy() {
        return temperature == 0f;
    }

    /**
     * The chosen index among {@code logits[from .. from + n)}, in [0, n).
     *
     * @throws IllegalArgumentException if n is not positive or the range leaves the array
     */
    public int sample(float[] logits, int from, int n) {
        if (n <= 0 || from < 0 || from + n > logits.length) {
            throw new IllegalArgumentException("Sampler: range [" + from + ", " + (from + n)
                    + ") must be non-empty inside " + logits.length + " logits");
        }
        if (temperature == 0f) {
            return argmax(logits, from, n);
        }

        // p = softmax(logits / temperature), in double
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits[from + i]);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp((logits[from + i] - max) / temperature);
            sum += p[i];
        }

        // the nucleus: most likely first, until the mass reaches topP
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        int kept = n;
        if (topP < 1f) {
            Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
            double mass = 0;
            for (int i = 0; i < n; i++) {
                mass += p[order[i]] / sum;
                if (mass >= topP) {
                    kept = i + 1;
                    break;
                }
            }
        }

        // draw u in [0, mass of the kept tokens) and walk the cumulative sum
        double keptMass = 0;
        for (int i = 0; i < kept; i++) {
            keptMass += p[order[i]];
        }
        double u = random.nextDouble() * keptMass;
        double acc = 0;
        for (int i = 0; i < kept; i++) {
            acc += p[order[i]];
            if (u < acc) {
                return order[i];
            }
        }
        return order[kept - 1];
    }

    /** The chosen index among all of {@code logits}. */
    public int sample(float[] logits) {
        return sample(logits, 0, logits.length);
    }

    /** The index of the largest of {@code n} values from {@code from}; the first on ties. */
    static int argmax(float[] values, int from, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (values[from + i] > values[from + best]) {
                best = i;
            }
        }
        return best;
    }
}
