package dev.gatun.nn;

import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.Tensor;

import java.util.Arrays;
import java.util.List;

/**
 * The encoder-decoder Transformer of Vaswani et al.: token embeddings plus a position table,
 * an {@link Encoder}, a {@link Decoder} and a generator projecting to the vocabulary.
 *
 * <pre>{@code
 * Transformer model = new Transformer(srcEmbedding, tgtEmbedding, positions,
 *                                     encoder, decoder, generator);
 * Tensor logits = model.forward(ops, source, sourceLengths, target);   // [B, Tt, V]
 * int[][] out = model.greedyDecode(ops, source, sourceLengths, BOS, EOS, 50);
 * }</pre>
 *
 * <p>Embeddings are used as given: the paper's sqrt(C) scale of the embeddings belongs in
 * the tables (multiply them once when loading).
 */
public final class Transformer {
    private final Embedding sourceEmbedding;
    private final Embedding targetEmbedding;
    private final Tensor positions;
    private final Encoder encoder;
    private final Decoder decoder;
    private final Linear generator;

    /**
     * A model from its parts.
     *
     * @param sourceEmbedding table [Vs, C]
     * @param targetEmbedding table [Vt, C] (may be the same object)
     * @param positions       [Tmax, C] added to the embeddings at each position (learned or
     *                        {@link #sinusoidalPositions}), or null for none
     * @param encoder         the encoder stack
     * @param decoder         the decoder stack
     * @param generator       weight [Vt, C], the output projection to target logits
     * @throws IllegalArgumentException if the widths differ
     */
    public Transformer(Embedding sourceEmbedding, Embedding targetEmbedding, Tensor positions,
                       Encoder encoder, Decoder decoder, Linear generator) {
        long c = sourceEmbedding.width();
        if (targetEmbedding.width() != c || generator.inFeatures() != c
                || (positions != null && (positions.rank() != 2 || positions.dim(1) != c))) {
            throw new IllegalArgumentException("Transformer: embeddings, positions [Tmax, C] "
                    + "and generator must share C = " + c + ", got target embedding "
                    + targetEmbedding.width() + ", generator " + generator.describe()
                    + (positions == null ? "" : ", positions " + positions.describe()));
        }
        this.sourceEmbedding = sourceEmbedding;
        this.targetEmbedding = targetEmbedding;
        this.positions = positions;
        this.encoder = encoder;
        this.decoder = decoder;
        this.generator = generator;
    }

    /**
     * The fixed sinusoidal position table of Vaswani et al.: row p holds
     * {@code sin(p / 10000^(2i/C))} at 2i and {@code cos(...)} at 2i + 1. Host memory owned
     * by {@code scope}.
     *
     * @return [maxLength, width] in {@code dtype}
     */
    public static Tensor sinusoidalPositions(Scope scope, DType dtype, int maxLength,
                                             int width) {
        float[] table = new float[Math.multiplyExact(maxLength, width)];
        for (int p = 0; p < maxLength; p++) {
            for (int i = 0; i < width; i += 2) {
                double angle = p / Math.pow(10000.0, (double) i / width);
                table[p * width + i] = (float) Math.sin(angle);
                if (i + 1 < width) {
                    table[p * width + i + 1] = (float) Math.cos(angle);
                }
            }
        }
        return Tensor.fromFloats(scope, dtype, table, maxLength, width);
    }

    /** The encoder stack. */
    public Encoder encoder() {
        return encoder;
    }

    /** The decoder stack. */
    public Decoder decoder() {
        return decoder;
    }

    /** The output projection, weight [Vt, C]. */
    public Linear generator() {
        return generator;
    }

    /**
     * Encodes a batch of source sequences.
     *
     * @param source        I32 [B, Ts]
     * @param sourceLengths I32 [B] valid tokens per sequence (right padding), or null
     * @return the memory [B, Ts, C], owned by {@code ops.scope()}
     * @throws IllegalArgumentException if Ts exceeds the position table
     */
    public Tensor encode(Ops ops, Tensor source, Tensor sourceLengths) {
        Tensor x = embed(ops, sourceEmbedding, source, 0);
        return encoder.forward(ops, x, padding(sourceLengths));
    }

    /**
     * Decodes whole target sequences against a memory, without a cache (teacher forcing, or
     * recomputing a prefix).
     *
     * @param target        I32 [B, Tt]
     * @param memory        [B, Ts, C] from {@link #encode}
     * @param sourceLengths I32 [B], or null
     * @return logits [B, Tt, Vt], owned by {@code ops.scope()}
     */
    public Tensor decode(Ops ops, Tensor target, Tensor memory, Tensor sourceLengths) {
        Tensor x = embed(ops, targetEmbedding, target, 0);
        Tensor h = decoder.forward(ops, x, decoder.memoryKeyValues(ops, memory),
                padding(sourceLengths), null);
        return generator.forward(ops, h);
    }

    /**
     * Encodes then decodes: the logits of every target position.
     *
     * @param source        I32 [B, Ts]
     * @param sourceLengths I32 [B], or null
     * @param target        I32 [B, Tt]
     * @return logits [B, Tt, Vt], owned by {@code ops.scope()}
     */
    public Tensor forward(Ops ops, Tensor source, Tensor sourceLengths, Tensor target) {
        return decode(ops, target, encode(ops, source, sourceLengths), sourceLengths);
    }

    /**
     * Greedy decoding: encodes the source and projects every decoder layer's cross-attention
     * keys and values once, then emits one token per step with a self-attention cache.
     *
     * <p>Each sequence starts from {@code bos}; it ends after it emits {@code eos} (included
     * in its result) or after {@code maxLength} tokens. Decoding stops when every sequence
     * has ended. The encoder output and the cache live in {@code ops.scope()}; each step's
     * intermediates live in a scope of their own, closed at the end of the step.
     *
     * @param source        I32 [B, Ts]
     * @param sourceLengths I32 [B], or null
     * @param maxLength     the most tokens to emit per sequence, at most the position
     *                      table's length
     * @return the emitted tokens of each sequence, bos excluded
     * @throws IllegalArgumentException if maxLength is not positive or exceeds the table
     */
    public int[][] greedyDecode(Ops ops, Tensor source, Tensor sourceLengths, int bos, int eos,
                                int maxLength) {
        if (maxLength <= 0 || (positions != null && maxLength > positions.dim(0))) {
            throw new IllegalArgumentException("Transformer.greedyDecode: maxLength must be in "
                    + "[1, " + (positions == null ? "inf" : positions.dim(0)) + "], got "
                    + maxLength);
        }
        int b = Math.toIntExact(source.dim(0));

        // once per source: the memory and each layer's cross-attention keys and values
        Tensor memory = encode(ops, source, sourceLengths);
        List<MultiHeadAttention.KeyValues> memoryKv = decoder.memoryKeyValues(ops, memory);
        AttentionMask memoryMask = padding(sourceLengths);
        KVCache cache = decoder.newCache(ops, b, maxLength, memory.dtype());

        int[][] out = new int[b][maxLength];
        int[] lengths = new int[b];
        boolean[] ended = new boolean[b];
        int[] current = new int[b];
        Arrays.fill(current, bos);
        int endedCount = 0;
        for (int step = 0; step < maxLength && endedCount < b; step++) {
            try (Scope stepScope = Scope.open()) {
                Ops s = new Ops(ops.backend(), stepScope);

                // logits of the next token: [B, 1, Vt]
                Tensor ids = Tensors.ints(s, current, b, 1);
                Tensor x = embed(s, targetEmbedding, ids, step);
                Tensor h = decoder.forward(s, x, memoryKv, memoryMask, cache);
                float[] logits = Tensors.toFloats(s, generator.forward(s, h));

                int v = logits.length / b;
                for (int i = 0; i < b; i++) {
                    int next = argmax(logits, i * v, v);
                    current[i] = next;
                    if (!ended[i]) {
                        out[i][lengths[i]++] = next;
                        if (next == eos) {
                            ended[i] = true;
                            endedCount++;
                        }
                    }
                }
            }
        }
        int[][] result = new int[b][];
        for (int i = 0; i < b; i++) {
            result[i] = Arrays.copyOf(out[i], lengths[i]);
        }
        return result;
    }

    /** Token embeddings plus the position rows start..start+T-1: [B, T, C]. */
    private Tensor embed(Ops ops, Embedding table, Tensor ids, long start) {
        if (ids.rank() != 2) {
            throw new IllegalArgumentException("Transformer: token ids must be I32 [B, T], got "
                    + ids.describe());
        }
        Tensor x = table.forward(ops, ids);
        if (positions == null) {
            return x;
        }
        long t = ids.dim(1);
        if (start + t > positions.dim(0)) {
            throw new IllegalArgumentException("Transformer: positions " + start + ".."
                    + (start + t - 1) + " exceed the position table of "
                    + positions.dim(0) + " rows");
        }
        return ops.add(x, positions.slice(0, start, start + t));
    }

    private static AttentionMask padding(Tensor sourceLengths) {
        return sourceLengths == null ? AttentionMask.NONE
                : AttentionMask.keyLengths(sourceLengths);
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
