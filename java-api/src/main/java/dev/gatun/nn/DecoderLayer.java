package dev.gatun.nn;

import dev.gatun.Ops;
import dev.gatun.Tensor;

/**
 * One Transformer decoder layer: masked (causal) self-attention, cross-attention over the
 * encoder's output, then feed-forward, each wrapped in a residual connection and a norm.
 *
 * <p>Post-norm (Vaswani et al.): {@code h1 = norm1(x + self(x))},
 * {@code h2 = norm2(h1 + cross(h1, memory))}, {@code y = norm3(h2 + ffn(h2))}. Pre-norm:
 * {@code h1 = x + self(norm1(x))}, {@code h2 = h1 + cross(norm2(h1), memory)},
 * {@code y = h2 + ffn(norm3(h2))}.
 *
 * <pre>{@code
 * MultiHeadAttention.KeyValues mem = layer.memoryKeyValues(ops, encoderOutput); // once
 * Tensor y = layer.forward(stepOps, x, mem, AttentionMask.NONE, cache.layer(l)); // per step
 * }</pre>
 */
public final class DecoderLayer {
    private final MultiHeadAttention selfAttention;
    private final Norm selfNorm;
    private final MultiHeadAttention crossAttention;
    private final Norm crossNorm;
    private final FeedForward feedForward;
    private final Norm feedForwardNorm;
    private final boolean preNorm;

    /** What {@link #forward(Ops, Tensor, MultiHeadAttention.KeyValues, AttentionMask,
     * KVCache.Layer, boolean)} returns: the output [B, T, C] and, when asked, the
     * self-attention weights F32 [B, H, T, Tk] and cross-attention weights F32
     * [B, H, T, Ts]. */
    public record Output(Tensor output, Tensor selfWeights, Tensor crossWeights) {}

    /**
     * A layer from its parts; every width must be C.
     *
     * @throws IllegalArgumentException if the widths differ
     */
    public DecoderLayer(MultiHeadAttention selfAttention, Norm selfNorm,
                        MultiHeadAttention crossAttention, Norm crossNorm,
                        FeedForward feedForward, Norm feedForwardNorm, boolean preNorm) {
        long c = selfAttention.query().inFeatures();
        if (selfAttention.output().outFeatures() != c
                || crossAttention.query().inFeatures() != c
                || crossAttention.output().outFeatures() != c || selfNorm.width() != c
                || crossNorm.width() != c || feedForwardNorm.width() != c) {
            throw new IllegalArgumentException("DecoderLayer: both attentions' query and "
                    + "output widths and all three norms must be C = " + c);
        }
        this.selfAttention = selfAttention;
        this.selfNorm = selfNorm;
        this.crossAttention = crossAttention;
        this.crossNorm = crossNorm;
        this.feedForward = feedForward;
        this.feedForwardNorm = feedForwardNorm;
        this.preNorm = preNorm;
    }

    /** The masked self-attention. */
    public MultiHeadAttention selfAttention() {
        return selfAttention;
    }

    /** The cross-attention over the encoder output. */
    public MultiHeadAttention crossAttention() {
        return crossAttention;
    }

    /** The feed-forward block. */
    public FeedForward feedForward() {
        return feedForward;
    }

    /** Whether the norms come before each sub-layer. */
    public boolean isPreNorm() {
        return preNorm;
    }

    /**
     * Projects the encoder's output to this layer's cross-attention keys and values, once per
     * source sequence.
     *
     * @param memory [B, Ts, Cm]
     * @return keys and values [B, Hkv, Ts, D], owned by {@code ops.scope()}
     */
    public MultiHeadAttention.KeyValues memoryKeyValues(Ops ops, Tensor memory) {
        return crossAttention.keyValues(ops, memory);
    }

    /**
     * The layer's output.
     *
     * @param x          [B, T, C], the target positions after the cache's length
     * @param memory     cross-attention keys and values from {@link #memoryKeyValues}
     * @param memoryMask which source positions each query sees (key lengths for padding)
     * @param cache      this layer's self-attention cache, or null to attend over x alone
     * @return [B, T, C], owned by {@code ops.scope()}
     * @throws IllegalArgumentException if a shape or dtype does not fit
     * @throws IllegalStateException if the cache would grow past its Tmax
     */
    public Tensor forward(Ops ops, Tensor x, MultiHeadAttention.KeyValues memory,
                          AttentionMask memoryMask, KVCache.Layer cache) {
        return forward(ops, x, memory, memoryMask, cache, false).output();
    }

    /**
     * As {@link #forward(Ops, Tensor, MultiHeadAttention.KeyValues, AttentionMask,
     * KVCache.Layer)}, also returning both attention weights when {@code withWeights}.
     */
    public Output forward(Ops ops, Tensor x, MultiHeadAttention.KeyValues memory,
                          AttentionMask memoryMask, KVCache.Layer cache, boolean withWeights) {
        AttentionMask causal = AttentionMask.CAUSAL;
        if (preNorm) {
            // h1 = x + self(norm1(x))
            MultiHeadAttention.Output s = selfAttention.attend(ops, selfNorm.forward(ops, x),
                    null, cache, causal, x, withWeights);
            Tensor h1 = s.output();

            // h2 = h1 + cross(norm2(h1), memory)
            MultiHeadAttention.Output c = crossAttention.attend(ops,
                    crossNorm.forward(ops, h1), memory, null, memoryMask, h1, withWeights);
            Tensor h2 = c.output();

            // y = h2 + ffn(norm3(h2))
            Tensor y = feedForward.forward(ops, feedForwardNorm.forward(ops, h2), h2);
            return new Output(y, s.weights(), c.weights());
        }

        // h1 = norm1(x + self(x))
        MultiHeadAttention.Output s = selfAttention.attend(ops, x, null, cache, causal, x,
                withWeights);
        Tensor h1 = selfNorm.forward(ops, s.output());

        // h2 = norm2(h1 + cross(h1, memory))
        MultiHeadAttention.Output c = crossAttention.attend(ops, h1, memory, null, memoryMask,
                h1, withWeights);
        Tensor h2 = crossNorm.forward(ops, c.output());

        // y = norm3(h2 + ffn(h2))
        Tensor y = feedForwardNorm.forward(ops, feedForward.forward(ops, h2, h2));
        return new Output(y, s.weights(), c.weights());
    }
}
