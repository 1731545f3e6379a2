package dev.gatun.nn;

import dev.gatun.Activation;
import dev.gatun.Ops;
import dev.gatun.RopeStyle;
import dev.gatun.Tensor;

/**
 * Multi-head scaled dot-product attention with H query heads sharing Hkv key/value heads
 * (grouped-query attention; Hkv = H is classic multi-head, Hkv = 1 multi-query).
 *
 * <pre>{@code
 * MultiHeadAttention attn = new MultiHeadAttention(wq, wk, wv, wo, H, Hkv, null);
 * Tensor y = attn.forward(ops, x, AttentionMask.CAUSAL);                    // self
 * Tensor z = attn.forward(ops, x, AttentionMask.CAUSAL, cache.layer(l), x); // + cache, + x
 * MultiHeadAttention.KeyValues mem = cross.keyValues(ops, encoderOutput);   // once
 * Tensor c = cross.crossForward(ops, x, mem, AttentionMask.keyLengths(srcLengths), null);
 * }</pre>
 *
 * <p>The projections are {@link Linear} layers: q [H·D, C], k and v [Hkv·D, Cm], o
 * [Cout, H·D] (Cm is C for self-attention). Their outputs [B, T, H·D] are viewed as
 * [B, H, T, D] by permuting strides, and the attention's output comes back laid out as
 * [B, T, H, D], so merging the heads before the output projection copies nothing. Scores
 * are scaled by 1 / sqrt(D). {@link #packed} joins q, k and v into one product.
 *
 * <p>Rotary embedding, when configured, rotates q and k of self-attention at their absolute
 * positions: 0..T-1 without a cache, the cache's length onwards with one, and from 0 in each
 * sequence of a ragged batch ({@link AttentionMask#ragged}). Cross-attention never rotates.
 */
public final class MultiHeadAttention {
    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final Linear output;
    private final int heads;
    private final int kvHeads;
    private final long headDim;
    private final Rope rope;
    private final Linear projection; // query | key | value packed into one, or null

    /**
     * Rotary position embedding settings.
     *
     * @param style which dimensions rotate together
     * @param theta frequency base (10000 for Llama 2)
     */
    public record Rope(RopeStyle style, float theta) {
        /** @throws IllegalArgumentException if style is null or theta not positive */
        public Rope {
            if (style == null || !(theta > 0)) {
                throw new IllegalArgumentException("Rope: need a style and theta > 0, got "
                        + style + ", " + theta);
            }
        }
    }

    /**
     * Projected keys and values of a sequence, as [B, Hkv, Tk, D] views: computed once from
     * an encoder's output and reused by every decoding step.
     */
    public record KeyValues(Tensor keys, Tensor values) {}

    /**
     * The result of a call that asked for the attention weights.
     *
     * @param output  [B, Tq, Cout]
     * @param weights F32 [B, H, Tq, Tk], the probabilities each query gave each key
     */
    public record Output(Tensor output, Tensor weights) {}

    /**
     * An attention layer from its four projections.
     *
     * @param query   weight [H·D, C]
     * @param key     weight [Hkv·D, Cm]
     * @param value   weight [Hkv·D, Cm]
     * @param output  weight [Cout, H·D]
     * @param heads   H
     * @param kvHeads Hkv, a divisor of H
     * @param rope    rotary embedding for self-attention, or null for none
     * @throws IllegalArgumentException if the widths do not fit these shapes
     */
    public MultiHeadAttention(Linear query, Linear key, Linear value, Linear output,
                              int heads, int kvHeads, Rope rope) {
        this(query, key, value, output, heads, kvHeads, rope, null);
    }

    private MultiHeadAttention(Linear query, Linear key, Linear value, Linear output,
                               int heads, int kvHeads, Rope rope, Linear projection) {
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("MultiHeadAttention: H must be a positive "
                    + "multiple of Hkv, got H=" + heads + ", Hkv=" + kvHeads);
        }
        if (query.outFeatures() % heads != 0) {
            throw new IllegalArgumentException("MultiHeadAttention: query width "
                    + query.outFeatures() + " must be H·D with H=" + heads);
        }
        long d = query.outFeatures() / heads;
        if (key.outFeatures() != kvHeads * d || value.outFeatures() != kvHeads * d) {
            throw new IllegalArgumentException("MultiHeadAttention: key and value widths must "
                    + "be Hkv·D = " + kvHeads + "·" + d + ", got key " + key.outFeatures()
                    + ", value " + value.outFeatures());
        }
        if (key.inFeatures() != value.inFeatures()) {
            throw new IllegalArgumentException("MultiHeadAttention: key and value must read "
                    + "the same width, got " + key.inFeatures() + " and "
                    + value.inFeatures());
        }
        if (output.inFeatures() != heads * d) {
            throw new IllegalArgumentException("MultiHeadAttention: output projection must "
                    + "read H·D = " + heads * d + ", got " + output.inFeatures());
        }
        if (rope != null && d % 2 != 0) {
            throw new IllegalArgumentException("MultiHeadAttention: rotary embedding needs an "
                    + "even head dim, got D=" + d);
        }
        this.query = query;
        this.key = key;
        this.value = value;
        this.output = output;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = d;
        this.rope = rope;
        this.projection = projection;
    }

    /**
     * This layer with its self-attention projections joined into one packed product
     * ({@link Linear#packed}: query, key and value computed by one matrix product whose
     * output is split into heads as views) and its output projection packed, the weights
     * copied into {@code ops.scope()}, which must live as long as the returned layer. The
     * result computes the same function; cross-attention ({@link #keyValues}) still uses the
     * separate key and value projections. A layer whose key and value read another width
     * than its query (cross-attention, Cm != C) packs only its output projection.
     */
    public MultiHeadAttention packed(Ops ops) {
        Linear joined = key.inFeatures() == query.inFeatures()
                ? Linear.packed(ops, query, key, value) : null;
        return new MultiHeadAttention(query, key, value, Linear.packed(ops, output), heads,
                kvHeads, rope, joined);
    }

    /** H. */
    public int heads() {
        return heads;
    }

    /** Hkv. */
    public int kvHeads() {
        return kvHeads;
    }

    /** D. */
    public long headDim() {
        return headDim;
    }

    /** The rotary settings, or null. */
    public Rope rope() {
        return rope;
    }

    /** The query projection, weight [H·D, C]. */
    public Linear query() {
        return query;
    }

    /** The key projection, weight [Hkv·D, Cm]. */
    public Linear key() {
        return key;
    }

    /** The value projection, weight [Hkv·D, Cm]. */
    public Linear value() {
        return value;
    }

    /** The output projection, weight [Cout, H·D]. */
    public Linear output() {
        return output;
    }

    /**
     * Self-attention over x.
     *
     * @param x    [B, T, C]
     * @param mask which keys each query sees
     * @return [B, T, Cout], owned by {@code ops.scope()}
     * @throws IllegalArgumentException if a shape or dtype does not fit
     */
    public Tensor forward(Ops ops, Tensor x, AttentionMask mask) {
        return attend(ops, x, null, null, mask, null, false).output();
    }

    /**
     * Self-attention over the cached positions and x, appending x's keys and values to the
     * cache first; adds {@code residual} to the result (fused into the output projection).
     *
     * @param x        [B, T, C], the positions after the cache's length
     * @param mask     which keys each query sees (CAUSAL for decoding)
     * @param cache    this layer's cache, or null for none
     * @param residual [B, T, Cout], or null
     * @return [B, T, Cout], owned by {@code ops.scope()}
     * @throws IllegalArgumentException if a shape or dtype does not fit
     * @throws IllegalStateException if the cache would grow past its Tmax
     */
    public Tensor forward(Ops ops, Tensor x, AttentionMask mask, KVCache.Layer cache,
                          Tensor residual) {
        return attend(ops, x, null, cache, mask, residual, false).output();
    }

    /**
     * Projects a sequence to keys and values for cross-attention, once for many queries.
     *
     * @param memory [B, Tk, Cm], for example an encoder's output
     * @return keys and values [B, Hkv, Tk, D] (strided views), owned by {@code ops.scope()}
     * @throws IllegalArgumentException if memory's width is not Cm
     */
    public KeyValues keyValues(Ops ops, Tensor memory) {
        checkSequence("memory", memory, key.inFeatures());
        long b = memory.dim(0);
        long tk = memory.dim(1);
        Tensor k = splitHeads(key.forward(ops, memory), b, tk, kvHeads);
        Tensor v = splitHeads(value.forward(ops, memory), b, tk, kvHeads);
        return new KeyValues(k, v);
    }

    /**
     * Cross-attention of x's queries over keys and values from {@link #keyValues}; adds
     * {@code residual} to the result.
     *
     * @param x        [B, Tq, C]
     * @param memory   keys and values [B, Hkv, Tk, D]
     * @param mask     which keys each query sees (key lengths for a padded source)
     * @param residual [B, Tq, Cout], or null
     * @return [B, Tq, Cout], owned by {@code ops.scope()}
     * @throws IllegalArgumentException if a shape or dtype does not fit
     */
    public Tensor crossForward(Ops ops, Tensor x, KeyValues memory, AttentionMask mask,
                               Tensor residual) {
        return attend(ops, x, memory, null, mask, residual, false).output();
    }

    /**
     * The general call behind the others: self-attention (memory null, optionally cached)
     * or cross-attention (memory given), optionally returning the attention weights.
     *
     * @param x           [B, Tq, C]
     * @param memory      keys and values [B, Hkv, Tk, D] for cross-attention, or null
     * @param cache       self-attention cache, or null; must be null with memory
     * @param mask        which keys each query sees; null means {@link AttentionMask#NONE}
     * @param residual    [B, Tq, Cout] added to the result, or null
     * @param withWeights whether to return the probabilities F32 [B, H, Tq, Tk]
     * @return the output [B, Tq, Cout] and, when asked, the weights; owned by
     *     {@code ops.scope()}
     * @throws IllegalArgumentException if a shape or dtype does not fit, or both memory and
     *     cache are given
     * @throws IllegalStateException if the cache would grow past its Tmax
     */
    public Output attend(Ops ops, Tensor x, KeyValues memory, KVCache.Layer cache,
                         AttentionMask mask, Tensor residual, boolean withWeights) {
        checkSequence("x", x, query.inFeatures());
        if (memory != null && cache != null) {
            throw new IllegalArgumentException("MultiHeadAttention: a cache holds "
                    + "self-attention keys; cross-attention takes its keys from memory");
        }
        AttentionMask m = mask == null ? AttentionMask.NONE : mask;
        long b = x.dim(0);
        long tq = x.dim(1);
        int[] ragged = m.ragged();
        if (ragged != null) {
            checkRagged(ragged, x, memory, cache, withWeights);
        }

        // q = x Wq^T, viewed as [B, H, Tq, D]; k, v: from memory, or projected from x
        // (rotated, then appended to the cache)
        Tensor q;
        Tensor k;
        Tensor v;
        if (memory != null) {
            checkMemory(memory, b);
            q = splitHeads(query.forward(ops, x), b, tq, heads);
            k = memory.keys();
            v = memory.values();
        } else {
            if (projection != null) {
                // one product [B, Tq, (H + 2·Hkv)·D]; q, k, v are views of its columns
                Tensor all = projection.forward(ops, x).reshape(b, tq, heads + 2L * kvHeads,
                        headDim);
                q = all.slice(2, 0, heads).permute(0, 2, 1, 3);
                k = all.slice(2, heads, heads + kvHeads).permute(0, 2, 1, 3);
                v = all.slice(2, heads + kvHeads, heads + 2L * kvHeads).permute(0, 2, 1, 3);
            } else {
                q = splitHeads(query.forward(ops, x), b, tq, heads);
                k = splitHeads(key.forward(ops, x), b, tq, kvHeads);
                v = splitHeads(value.forward(ops, x), b, tq, kvHeads);
            }
            if (rope != null) {
                long start = cache == null ? 0 : cache.length();
                Tensor positions = ragged != null ? Tensors.raggedPositions(ops, ragged)
                        : Tensors.positions(ops, start, tq);
                q = ops.rope(q, positions, rope.theta(), rope.style());
                k = ops.rope(k, positions, rope.theta(), rope.style());
            }
            if (cache != null) {
                cache.append(ops, k, v);
                k = cache.keys();
                v = cache.values();
            }
        }

        // o = softmax(q k^T / sqrt(D) + mask) v: [B, H, Tq, D]
        float scale = (float) (1.0 / Math.sqrt(headDim));
        Tensor o;
        Tensor weights = null;
        if (ragged != null) {
            o = ops.raggedAttention(q, k, v, scale, m.causal(), ragged);
        } else if (withWeights) {
            Ops.AttentionResult r = ops.attentionWithWeights(q, k, v, scale, m.causal(),
                    m.additive(), m.keyLengths());
            o = r.output();
            weights = r.weights();
        } else {
            o = ops.attention(q, k, v, scale, m.causal(), m.additive(), m.keyLengths());
        }

        // merge heads: [B, H, Tq, D] -> [B, Tq, H, D] -> [B, Tq, H·D]; Ops.attention lays
        // its output out as [B, Tq, H, D], so this is a reshape and the copy a safeguard
        Tensor perHead = o.permute(0, 2, 1, 3);
        Tensor merged = (perHead.isContiguous() ? perHead : ops.copy(perHead))
                .reshape(b, tq, heads * headDim);

        // y = merged Wo^T + residual
        Tensor y = output.forward(ops, merged, Activation.NONE, residual);
        return new Output(y, weights);
    }

    /**
     * Checks a call on a ragged batch: self-attention without a cache over x [1, N, C],
     * the lengths summing to N, no weights asked for (they would be a block-diagonal
     * [1, H, N, N] mostly of zeros).
     */
    private static void checkRagged(int[] ragged, Tensor x, KeyValues memory,
                                    KVCache.Layer cache, boolean withWeights) {
        long sum = 0;
        for (int len : ragged) {
            sum += len;
        }
        if (x.dim(0) != 1 || sum != x.dim(1)) {
            throw new IllegalArgumentException("MultiHeadAttention: a ragged batch needs x "
                    + "[1, N, C] with N the sum of the lengths " + sum + ", got "
                    + x.describe());
        }
        if (memory != null || cache != null || withWeights) {
            throw new IllegalArgumentException("MultiHeadAttention: a ragged batch is for "
                    + "self-attention without a cache or weights");
        }
    }

    /** [B, T, n·D] contiguous -> a [B, n, T, D] view. */
    private Tensor splitHeads(Tensor t, long b, long len, int n) {
        return t.reshape(b, len, n, headDim).permute(0, 2, 1, 3);
    }

    private void checkMemory(KeyValues memory, long b) {
        Tensor k = memory.keys();
        Tensor v = memory.values();
        boolean ok = k.rank() == 4 && k.dim(0) == b && k.dim(1) == kvHeads
                && k.dim(3) == headDim && java.util.Arrays.equals(k.shape(), v.shape());
        if (!ok) {
            throw new IllegalArgumentException("MultiHeadAttention: memory keys and values "
                    + "must be [B, Hkv, Tk, D] = [" + b + ", " + kvHeads + ", Tk, " + headDim
                    + "], got keys " + k.describe() + ", values " + v.describe());
        }
    }

    private static void checkSequence(String name, Tensor t, long width) {
        if (t.rank() != 3 || t.dim(2) != width) {
            throw new IllegalArgumentException("MultiHeadAttention: " + name
                    + " must be [B, T, C] with C = " + width + ", got " + t.describe());
        }
    }
}
