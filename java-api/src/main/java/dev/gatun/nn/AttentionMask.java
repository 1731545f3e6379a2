package dev.gatun.nn;

import dev.gatun.DType;
import dev.gatun.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * Which keys each query may attend to: a causal rule, an additive mask, key-padding lengths,
 * or any combination (they all apply); or, for a ragged batch, each query's own sequence.
 *
 * <pre>{@code
 * AttentionMask.NONE                          // every query sees every key
 * AttentionMask.CAUSAL                        // query i sees keys j <= i + Tk - Tq
 * AttentionMask.keyLengths(lengths)           // I32 [B]: keys at or past lengths[b] hidden
 * AttentionMask.CAUSAL.withAdditive(bias)     // plus F32 bias broadcastable to [B, H, Tq, Tk]
 * AttentionMask.ragged(new int[] {5, 9, 3})   // x [1, 17, C]: three sequences end to end
 * }</pre>
 *
 * <p>The causal rule is aligned bottom-right, so a single new query over a cache of Tk keys
 * sees all of them.
 *
 * <p>A ragged batch: x is [1, N, C] holding sequences end to end, N the sum of the lengths;
 * a position attends only to the positions of its own sequence (and, with the causal rule,
 * only to the earlier ones), and rotary positions restart at 0 with each sequence. It is
 * the padding-free way to run texts of different lengths in one pass: every projection
 * multiplies N rows instead of B·max(T). A ragged batch excludes an additive mask and key
 * lengths.
 *
 * @param causal     whether query i sees only keys j <= i + Tk - Tq
 * @param additive   F32 added to the scores, broadcastable to [B, H, Tq, Tk] (use -inf to
 *                   hide a key), or null
 * @param keyLengths I32 [B]: the number of valid keys in each sequence, or null
 * @param ragged     the sequence lengths of a ragged batch (see above), or null; copied
 */
public record AttentionMask(boolean causal, Tensor additive, Tensor keyLengths, int[] ragged) {
    /** No masking. */
    public static final AttentionMask NONE = new AttentionMask(false, null, null);
    /** The causal rule alone. */
    public static final AttentionMask CAUSAL = new AttentionMask(true, null, null);

    /**
     * Checks the dtypes and lengths.
     *
     * @throws IllegalArgumentException if additive is not F32, keyLengths is not I32 [B], a
     *     ragged length is below 1, or ragged comes with additive or keyLengths
     */
    public AttentionMask {
        if (additive != null && additive.dtype() != DType.F32) {
            throw new IllegalArgumentException("AttentionMask: additive mask must be F32, got "
                    + additive.describe());
        }
        if (keyLengths != null && (keyLengths.dtype() != DType.I32 || keyLengths.rank() != 1)) {
            throw new IllegalArgumentException("AttentionMask: keyLengths must be I32 [B], got "
                    + keyLengths.describe());
        }
        if (ragged != null) {
            ragged = ragged.clone();
            for (int i = 0; i < ragged.length; i++) {
                if (ragged[i] < 1) {
                    throw new IllegalArgumentException("AttentionMask: ragged lengths must be"
                            + " >= 1, got ragged[" + i + "]=" + ragged[i]);
                }
            }
            if (additive != null || keyLengths != null) {
                throw new IllegalArgumentException("AttentionMask: a ragged batch takes "
                        + "neither an additive mask nor key lengths");
            }
        }
    }

    /** A mask of ordinary (not ragged) batches. */
    public AttentionMask(boolean causal, Tensor additive, Tensor keyLengths) {
        this(causal, additive, keyLengths, null);
    }

    /** Key-padding lengths alone; {@code lengths} I32 [B]. */
    public static AttentionMask keyLengths(Tensor lengths) {
        return new AttentionMask(false, null, lengths);
    }

    /**
     * A ragged batch of sequences of these lengths (see the class notes), not causal.
     *
     * @throws IllegalArgumentException if a length is below 1
     * @throws NullPointerException if lengths is null
     */
    public static AttentionMask ragged(int[] lengths) {
        return new AttentionMask(false, null, null,
                Objects.requireNonNull(lengths, "lengths"));
    }

    /** The ragged batch's lengths (a copy), or null. */
    @Override
    public int[] ragged() {
        return ragged == null ? null : ragged.clone();
    }

    /** This mask with {@code mask} (F32, broadcastable to [B, H, Tq, Tk]) added to scores. */
    public AttentionMask withAdditive(Tensor mask) {
        return new AttentionMask(causal, mask, keyLengths, ragged);
    }

    /** This mask with key-padding lengths I32 [B]. */
    public AttentionMask withKeyLengths(Tensor lengths) {
        return new AttentionMask(causal, additive, lengths, ragged);
    }

    /** This mask with the causal rule on or off. */
    public AttentionMask withCausal(boolean on) {
        return new AttentionMask(on, additive, keyLengths, ragged);
    }

    /** Equal masks: the same rule, the same tensors (by identity) and equal ragged lengths. */
    @Override
    public boolean equals(Object o) {
        return o instanceof AttentionMask m && causal == m.causal && additive == m.additive
                && keyLengths == m.keyLengths && Arrays.equals(ragged, m.ragged);
    }

    @Override
    public int hashCode() {
        return Objects.hash(causal, System.identityHashCode(additive),
                System.identityHashCode(keyLengths), Arrays.hashCode(ragged));
    }

    @Override
    public String toString() {
        return "AttentionMask[causal=" + causal + ", additive=" + additive + ", keyLengths="
                + keyLengths + ", ragged=" + Arrays.toString(ragged) + "]";
    }
}
