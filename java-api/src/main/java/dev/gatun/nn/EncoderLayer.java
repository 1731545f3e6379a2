package dev.gatun.nn;

import dev.gatun.Ops;
import dev.gatun.Tensor;

/**
 * One Transformer encoder layer: self-attention then feed-forward, each wrapped in a residual
 * connection and a norm.
 *
 * <p>Post-norm (Vaswani et al., BERT): {@code h = norm1(x + attn(x))},
 * {@code y = norm2(h + ffn(h))}. Pre-norm (GPT-2, most recent models):
 * {@code h = x + attn(norm1(x))}, {@code y = h + ffn(norm2(h))}; a stack of pre-norm layers
 * usually ends with one more norm ({@link Encoder}'s final norm).
 *
 * <pre>{@code
 * EncoderLayer layer = EncoderLayer.postNorm(attention, attentionNorm, ffn, ffnNorm);
 * Tensor y = layer.forward(ops, x, AttentionMask.keyLengths(lengths));   // [B, T, C]
 * }</pre>
 */
public final class EncoderLayer {
    private final MultiHeadAttention attention;
    private final Norm attentionNorm;
    private final FeedForward feedForward;
    private final Norm feedForwardNorm;
    private final boolean preNorm;

    /**
     * A layer from its parts; the attention's input and output widths and the norms' widths
     * must all be C.
     *
     * @throws IllegalArgumentException if the widths differ
     */
    public EncoderLayer(MultiHeadAttention attention, Norm attentionNorm,
                        FeedForward feedForward, Norm feedForwardNorm, boolean preNorm) {
        long c = attention.query().inFeatures();
        if (attention.output().outFeatures() != c || attentionNorm.width() != c
                || feedForwardNorm.width() != c) {
            throw new IllegalArgumentException("EncoderLayer: attention in/out and both norms "
                    + "must have width C = " + c + ", got attention out "
                    + attention.output().outFeatures() + ", norms " + attentionNorm.width()
                    + " and " + feedForwardNorm.width());
        }
        this.attention = attention;
        this.attentionNorm = attentionNorm;
        this.feedForward = feedForward;
        this.feedForwardNorm = feedForwardNorm;
        this.preNorm = preNorm;
    }

    /**
     * This layer with the projections of its attention and feed-forward block packed
     * ({@link MultiHeadAttention#packed}, {@link FeedForward#packed}), the weights copied
     * into {@code ops.scope()}, which must live as long as the returned layer.
     */
    public EncoderLayer packed(Ops ops) {
        return new EncoderLayer(attention.packed(ops), attentionNorm, feedForward.packed(ops),
                feedForwardNorm, preNorm);
    }

    /** A post-norm layer (BERT, Vaswani et al.). */
    public static EncoderLayer postNorm(MultiHeadAttention attention, Norm attentionNorm,
                                        FeedForward feedForward, Norm feedForwardNorm) {
        return new EncoderLayer(attention, attentionNorm, feedForward, feedForwardNorm, false);
    }

    /** A pre-norm layer. */
    public static EncoderLayer preNorm(MultiHeadAttention attention, Norm attentionNorm,
                                       FeedForward feedForward, Norm feedForwardNorm) {
        return new EncoderLayer(attention, attentionNorm, feedForward, feedForwardNorm, true);
    }

    /** The self-attention. */
    public MultiHeadAttention attention() {
        return attention;
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
     * The layer's output.
     *
     * @param x    [B, T, C]
     * @param mask which keys each position sees (key lengths for padded batches)
     * @return [B, T, C], owned by {@code ops.scope()}
     * @throws IllegalArgumentException if a shape or dtype does not fit
     */
    public Tensor forward(Ops ops, Tensor x, AttentionMask mask) {
        return forward(ops, x, mask, false).output();
    }

    /**
     * The layer's output and, when {@code withWeights}, its attention probabilities F32
     * [B, H, T, T] (null otherwise).
     *
     * @param x [B, T, C]
     * @return output [B, T, C] and weights, owned by {@code ops.scope()}
     */
    public MultiHeadAttention.Output forward(Ops ops, Tensor x, AttentionMask mask,
                                             boolean withWeights) {
        if (preNorm) {
            // h = x + attn(norm1(x))
            Tensor n1 = attentionNorm.forward(ops, x);
            MultiHeadAttention.Output a = attention.attend(ops, n1, null, null, mask, x,
                    withWeights);
            Tensor h = a.output();

            // y = h + ffn(norm2(h))
            Tensor n2 = feedForwardNorm.forward(ops, h);
            Tensor y = feedForward.forward(ops, n2, h);
            return new MultiHeadAttention.Output(y, a.weights());
        }

        // h = norm1(x + attn(x))
        MultiHeadAttention.Output a = attention.attend(ops, x, null, null, mask, x,
                withWeights);
        Tensor h = attentionNorm.forward(ops, a.output());

        // y = norm2(h + ffn(h))
        Tensor y = feedForwardNorm.forward(ops, feedForward.forward(ops, h, h));
        return new MultiHeadAttention.Output(y, a.weights());
    }
}
