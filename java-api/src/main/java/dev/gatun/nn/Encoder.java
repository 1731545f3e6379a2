package dev.gatun.nn;

import dev.gatun.Ops;
import dev.gatun.Tensor;

import java.util.List;

/**
 * A stack of {@link EncoderLayer}s with an optional final norm (pre-norm stacks have one).
 *
 * <pre>{@code
 * Encoder encoder = new Encoder(layers, null);
 * Tensor memory = encoder.forward(ops, x, AttentionMask.keyLengths(lengths)); // [B, T, C]
 * }</pre>
 */
public final class Encoder {
    private final List<EncoderLayer> layers;
    private final Norm finalNorm;

    /**
     * An encoder of {@code layers} in order, then {@code finalNorm} (or null for none).
     *
     * @throws IllegalArgumentException if there are no layers
     */
    public Encoder(List<EncoderLayer> layers, Norm finalNorm) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("Encoder: needs at least one layer");
        }
        this.layers = List.copyOf(layers);
        this.finalNorm = finalNorm;
    }

    /**
     * This encoder with every layer {@link EncoderLayer#packed packed}, the weights copied
     * into {@code ops.scope()}, which must live as long as the returned encoder.
     */
    public Encoder packed(Ops ops) {
        return new Encoder(layers.stream().map(l -> l.packed(ops)).toList(), finalNorm);
    }

    /** The layers, L of them. */
    public List<EncoderLayer> layers() {
        return layers;
    }

    /** The final norm, or null. */
    public Norm finalNorm() {
        return finalNorm;
    }

    /**
     * Runs every layer in turn.
     *
     * @param x    [B, T, C]
     * @param mask which keys each position sees, the same in every layer
     * @return [B, T, C], owned by {@code ops.scope()}
     */
    public Tensor forward(Ops ops, Tensor x, AttentionMask mask) {
        Tensor h = x;
        for (EncoderLayer layer : layers) {
            h = layer.forward(ops, h, mask);
        }
        return finalNorm == null ? h : finalNorm.forward(ops, h);
    }
}
