package dev.gatun.nn;

import dev.gatun.DType;
import dev.gatun.Tensor;

/**
 * Which keys each query may attend to: a causal rule, an additive mask, key-padding lengths,
 * or any combination (they all apply).
 *
 * <pre>{@code
 * AttentionMask.NONE                          // every query sees every key
 * AttentionMask.CAUSAL                        // query i sees keys j <= i + Tk - Tq
 * AttentionMask.keyLengths(lengths)           // I32 [B]: keys at or past lengths[b] hidden
 * AttentionMask.CAUSAL.withAdditive(bias)     // plus F32 bias broadcastable to [B, H, Tq, Tk]
 * }</pre>
 *
 * <p>The causal rule is aligned bottom-right, so a single new query over a cache of Tk keys
 * sees all of them.
 *
 * @param causal     whether query i sees only keys j <= i + Tk - Tq
 * @param additive   F32 added to the scores, broadcastable to [B, H, Tq, Tk] (use -inf to
 *                   hide a key), or null
 * @param keyLengths I32 [B]: the number of valid keys in each sequence, or null
 */
public record AttentionMask(boolean causal, Tensor additive, Tensor keyLengths) {
    /** No masking. */
    public static final AttentionMask NONE = new AttentionMask(false, null, null);
    /** The causal rule alone. */
    public static final AttentionMask CAUSAL = new AttentionMask(true, null, null);

    /**
     * Checks the dtypes.
     *
     * @throws IllegalArgumentException if additive is not F32 or keyLengths is not I32 [B]
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
    }

    /** Key-padding lengths alone; {@code lengths} I32 [B]. */
    public static AttentionMask keyLengths(Tensor lengths) {
        return new AttentionMask(false, null, lengths);
    }

    /** This mask with {@code mask} (F32, broadcastable to [B, H, Tq, Tk]) added to scores. */
    public AttentionMask withAdditive(Tensor mask) {
        return new AttentionMask(causal, mask, keyLengths);
    }

    /** This mask with key-padding lengths I32 [B]. */
    public AttentionMask withKeyLengths(Tensor lengths) {
        return new AttentionMask(causal, additive, lengths);
    }

    /** This mask with the causal rule on or off. */
    public AttentionMask withCausal(boolean on) {
        return new AttentionMask(on, additive, keyLengths);
    }
}
