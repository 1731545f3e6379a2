package dev.gatun.nn;

import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A stack of {@link DecoderLayer}s with an optional final norm.
 *
 * <pre>{@code
 * List<MultiHeadAttention.KeyValues> mem = decoder.memoryKeyValues(ops, encoderOutput);
 * KVCache cache = decoder.newCache(ops, B, Tmax, DType.F32);
 * Tensor h = decoder.forward(stepOps, x, mem, AttentionMask.NONE, cache);   // [B, T, C]
 * }</pre>
 */
public final class Decoder {
    private final List<DecoderLayer> layers;
    private final Norm finalNorm;

    /**
     * A decoder of {@code layers} in order, then {@code finalNorm} (or null for none).
     *
     * @throws IllegalArgumentException if there are no layers, or their self-attentions
     *     differ in Hkv or D (one cache serves them all)
     */
    public Decoder(List<DecoderLayer> layers, Norm finalNorm) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("Decoder: needs at least one layer");
        }
        MultiHeadAttention first = layers.get(0).selfAttention();
        for (DecoderLayer layer : layers) {
            MultiHeadAttention a = layer.selfAttention();
            if (a.kvHeads() != first.kvHeads() || a.headDim() != first.headDim()) {
                throw new IllegalArgumentException("Decoder: every layer's self-attention must "
                        + "have the same Hkv and D, got Hkv=" + a.kvHeads() + ", D="
                        + a.headDim() + " after Hkv=" + first.kvHeads() + ", D="
                        + first.headDim());
            }
        }
        this.layers = List.copyOf(layers);
        this.finalNorm = finalNorm;
    }

    /** The layers, L of them. */
    public List<DecoderLayer> layers() {
        return layers;
    }

    /** The final norm, or null. */
    public Norm finalNorm() {
        return finalNorm;
    }

    /**
     * A self-attention cache for this decoder: L layers of [B, Hkv, Tmax, D], owned by
     * {@code ops.scope()}.
     */
    public KVCache newCache(Ops ops, long batch, long maxLength, DType dtype) {
        MultiHeadAttention a = layers.get(0).selfAttention();
        return KVCache.allocate(ops, layers.size(), batch, a.kvHeads(), maxLength,
                a.headDim(), dtype);
    }

    /**
     * Every layer's cross-attention keys and values of the encoder's output, computed once.
     *
     * @param memory [B, Ts, Cm]
     * @return one [B, Hkv, Ts, D] pair per layer, owned by {@code ops.scope()}
     */
    public List<MultiHeadAttention.KeyValues> memoryKeyValues(Ops ops, Tensor memory) {
        List<MultiHeadAttention.KeyValues> out = new ArrayList<>(layers.size());
        for (DecoderLayer layer : layers) {
            out.add(layer.memoryKeyValues(ops, memory));
        }
        return out;
    }

    /**
     * Runs every layer in turn.
     *
     * @param x          [B, T, C], the target positions after the cache's length
     * @param memory     one cross-attention key/value pair per layer
     * @param memoryMask which source positions each query sees
     * @param cache      a cache from {@link #newCache}, or null to attend over x alone
     * @return [B, T, C], owned by {@code ops.scope()}
     * @throws IllegalArgumentException if memory or the cache does not have L layers
     * @throws IllegalStateException if the cache would grow past its Tmax
     */
    public Tensor forward(Ops ops, Tensor x, List<MultiHeadAttention.KeyValues> memory,
                          AttentionMask memoryMask, KVCache cache) {
        if (memory.size() != layers.size()
                || (cache != null && cache.layerCount() != layers.size())) {
            throw new IllegalArgumentException("Decoder: memory and cache need one entry per "
                    + "layer (" + layers.size() + "), got " + memory.size() + " and "
                    + (cache == null ? "no cache" : cache.layerCount()));
        }
        Tensor h = x;
        for (int l = 0; l < layers.size(); l++) {
            KVCache.Layer c = cache == null ? null : cache.layer(l);
            h = layers.get(l).forward(ops, h, memory.get(l), memoryMask, c);
        }
        return finalNorm == null ? h : finalNorm.forward(ops, h);
    }
}
