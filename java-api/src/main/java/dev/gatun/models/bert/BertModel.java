package dev.gatun.models.bert;

import dev.gatun.DType;
import dev.gatun.Device;
import dev.gatun.Ops;
import dev.gatun.Tensor;
import dev.gatun.io.BertWeights;
import dev.gatun.nn.AttentionMask;
import dev.gatun.nn.Embedding;
import dev.gatun.nn.Encoder;
import dev.gatun.nn.EncoderLayer;
import dev.gatun.nn.FeedForward;
import dev.gatun.nn.LayerNorm;
import dev.gatun.nn.Linear;
import dev.gatun.nn.MultiHeadAttention;
import dev.gatun.nn.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A BERT-style encoder: token, position and token-type embeddings, then L post-norm
 * Transformer layers; it maps padded token IDs to one hidden vector per token.
 *
 * <pre>{@code
 * BertModel bert = BertModel.fromWeights(weights, config);   // HF BERT names
 * try (Scope scope = Scope.open()) {
 *     Ops ops = new Ops(backend, scope);
 *     Tensor ids = Tensor.fromInts(scope, idArray, B, T);     // I32 [B, T], right-padded
 *     Tensor lengths = Tensor.fromInts(scope, lengthArray, B); // I32 [B]
 *     Tensor hidden = bert.forward(ops, ids, lengths);         // F32 [B, T, C]
 * }
 * }</pre>
 *
 * <p>The forward pass, in the shapes of the glossary (B batch, T tokens, C width, H heads,
 * F feed-forward width):
 * <pre>
 *   x = LN(word[ids] + position[0..T) + tokenType[0])            [B, T, C]
 *   for each of the L layers:
 *     h = LN(x + Attn(x))      Attn: H heads of D = C / H, keys past lengths[b] hidden
 *     x = LN(h + FFN(h))       FFN: GELU(h W1^T + b1) W2^T + b2, W1 [F, C], W2 [C, F]
 * </pre>
 * Every sequence has one segment (token type 0). Padding never influences a real token: the
 * attention hides keys at or past {@code lengths[b]}, and every other step works per token.
 * The hidden vectors at padded positions are computed but meaningless.
 *
 * <p>Weights use the Hugging Face {@code BertModel} names ({@code embeddings.*},
 * {@code encoder.layer.{i}.*}), optionally prefixed with {@code bert.}, in PyTorch's
 * [out, in] layout; they are used in place, never copied, so they must stay alive as long as
 * this model is used, on the device of the backend that runs it ({@link #fromWeights(
 * BertWeights, Ops)} moves loaded weights there). The model holds no mutable state: one
 * instance may serve any number of threads, each with its own {@link Ops}.
 */
public final class BertModel {
    private final BertConfig config;
    private final Embedding words;
    private final Tensor positionTable;
    private final Tensor tokenType0;
    private final LayerNorm embeddingNorm;
    private final Encoder encoder;

    private BertModel(BertConfig config, Embedding words, Tensor positionTable,
                      Tensor tokenType0, LayerNorm embeddingNorm, Encoder encoder) {
        this.config = config;
        this.words = words;
        this.positionTable = positionTable;
        this.tokenType0 = tokenType0;
        this.embeddingNorm = embeddingNorm;
        this.encoder = encoder;
    }

    /**
     * Builds the model over {@code weights}, keyed by Hugging Face BERT names.
     *
     * <p>Expected, with C, F, V, P from the config ({@code bert.} may prefix every name):
     * {@code embeddings.word_embeddings.weight} [V, C],
     * {@code embeddings.position_embeddings.weight} [P, C],
     * {@code embeddings.token_type_embeddings.weight} [types, C],
     * {@code embeddings.LayerNorm.weight|bias} [C], and for each layer i
     * {@code encoder.layer.i.attention.self.query|key|value.weight} [C, C] with bias [C],
     * {@code encoder.layer.i.attention.output.dense.weight} [C, C] and bias,
     * {@code encoder.layer.i.attention.output.LayerNorm.weight|bias} [C],
     * {@code encoder.layer.i.intermediate.dense.weight} [F, C] and bias [F],
     * {@code encoder.layer.i.output.dense.weight} [C, F] and bias [C],
     * {@code encoder.layer.i.output.LayerNorm.weight|bias} [C]. Other entries (a pooler, an
     * MLM head) are ignored. Layer norms need F32; the rest may be any floating dtype the
     * backend computes.
     *
     * @throws IllegalArgumentException naming the weight if one is missing or has the wrong
     *     shape or dtype
     */
    public static BertModel fromWeights(Map<String, Tensor> weights, BertConfig config) {
        Weights w = new Weights(weights, config);
        long c = config.hidden();
        long f = config.intermediate();

        // embeddings
        Embedding words = new Embedding(w.get("embeddings.word_embeddings.weight",
                config.vocabSize(), c));
        Tensor positions = w.get("embeddings.position_embeddings.weight",
                config.maxPositions(), c);
        Tensor types = w.get("embeddings.token_type_embeddings.weight",
                config.typeVocabSize(), c);
        LayerNorm embeddingNorm = w.layerNorm("embeddings.LayerNorm");

        // encoder layers
        List<EncoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < config.layers(); i++) {
            String p = "encoder.layer." + i + ".";
            MultiHeadAttention attention = new MultiHeadAttention(
                    w.linear(p + "attention.self.query", c, c),
                    w.linear(p + "attention.self.key", c, c),
                    w.linear(p + "attention.self.value", c, c),
                    w.linear(p + "attention.output.dense", c, c),
                    config.heads(), config.heads(), null);
            FeedForward ffn = FeedForward.mlp(
                    w.linear(p + "intermediate.dense", f, c),
                    w.linear(p + "output.dense", c, f),
                    config.activation());
            layers.add(EncoderLayer.postNorm(attention,
                    w.layerNorm(p + "attention.output.LayerNorm"),
                    ffn,
                    w.layerNorm(p + "output.LayerNorm")));
        }
        return new BertModel(config, words, positions, types.select(0, 0), embeddingNorm,
                new Encoder(layers, null));
    }

    /**
     * Builds the model over loaded weights ({@link dev.gatun.io.OnnxBertImporter},
     * {@link dev.gatun.io.HfBertWeights}) with the config they carry.
     *
     * @throws IllegalArgumentException if the config is not BERT's, or a weight is missing or
     *     misshapen (see {@link #fromWeights(Map, BertConfig)})
     */
    public static BertModel fromWeights(BertWeights weights) {
        return fromWeights(byName(weights), BertConfig.of(weights.config()));
    }

    /**
     * Builds the model over loaded weights made ready for {@code ops}' backend, in
     * {@code ops.scope()}, which must then live as long as the model: for a device backend
     * (CUDA) each weight is copied once to the device; for a CPU backend the encoder's
     * projections are {@link #packed packed} (a second copy of them, 42 MB for
     * all-MiniLM-L6-v2, for 1.3 to 1.6 times faster products at few tokens) and the rest is
     * used in place.
     *
     * @throws IllegalArgumentException if the config is not BERT's, or a weight is missing or
     *     misshapen (see {@link #fromWeights(Map, BertConfig)})
     */
    public static BertModel fromWeights(BertWeights weights, Ops ops) {
        BertConfig config = BertConfig.of(weights.config());
        BertModel model = fromWeights(Tensors.toDevice(ops, byName(weights)), config);
        return ops.backend().device() == Device.CPU ? model.packed(ops) : model;
    }

    /**
     * This model with the encoder's projections packed ({@link Encoder#packed}: query, key
     * and value joined into one product, every weight in the backend's own layout where it
     * has one, else row-major), copied into {@code ops.scope()}, which must live as long as
     * the returned model. It computes the same function.
     */
    public BertModel packed(Ops ops) {
        return new BertModel(config, words, positionTable, tokenType0, embeddingNorm,
                encoder.packed(ops));
    }

    private static Map<String, Tensor> byName(BertWeights weights) {
        Map<String, Tensor> map = new HashMap<>();
        for (String name : weights.names()) {
            map.put(name, weights.get(name));
        }
        return map;
    }

    /** The sizes this model was built with. */
    public BertConfig config() {
        return config;
    }

    /**
     * Runs the encoder on a right-padded batch.
     *
     * <p>ids and lengths may be in host memory or on the backend's device; host tensors are
     * copied to a device backend's device (and checked on the host first).
     *
     * @param ids     I32 [B, T], each in [0, V); positions at or past lengths[b] are padding
     *                (any valid ID)
     * @param lengths I32 [B], each in [1, T]: the real tokens of each sequence
     * @return F32 [B, T, C] (the weights' dtype) on the backend's device, owned by
     *     {@code ops.scope()}
     * @throws IllegalArgumentException if ids is not I32 [B, T], T exceeds the position limit
     *     P, lengths is not I32 [B] or a length is outside [1, T], or an ID is outside [0, V)
     *     (for IDs already in device memory, a {@link dev.gatun.GatunException} instead)
     */
    public Tensor forward(Ops ops, Tensor ids, Tensor lengths) {
        checkInputs(ops, ids, lengths);
        long t = ids.dim(1);
        Tensor deviceIds = ops.toDevice(ids);
        Tensor deviceLengths = ops.toDevice(lengths);

        // x = LN(word[ids] + position[0..T) + tokenType[0]): [B, T, C]
        Tensor x = words.forward(ops, deviceIds);
        x = ops.add(x, positionTable.slice(0, 0, t));
        x = ops.add(x, tokenType0);
        x = embeddingNorm.forward(ops, x, null);

        // L post-norm layers; the key lengths keep padding out of every real token
        return encoder.forward(ops, x, AttentionMask.keyLengths(deviceLengths));
    }

    /**
     * Runs the encoder on a ragged batch: the IDs of several sequences laid end to end,
     * no padding. Each token attends only to the tokens of its own sequence, and positions
     * restart at 0 with each sequence, so every sequence's hidden states are those that
     * {@link #forward} computes for it (to float rounding), while every projection
     * multiplies N = sum(lengths) rows instead of B·max(T).
     *
     * @param ids     I32 [N], each in [0, V); host or device memory, as for {@link #forward}
     * @param lengths each sequence's tokens, each in [1, P], summing to N; read at the call
     * @return F32 [N, C] (the weights' dtype) on the backend's device, owned by
     *     {@code ops.scope()}
     * @throws IllegalArgumentException if ids is not I32 [N], a length is outside [1, P],
     *     the lengths do not sum to N, or an ID is outside [0, V) (for IDs already in device
     *     memory, a {@link dev.gatun.GatunException} instead)
     * @throws NullPointerException if lengths is null
     */
    public Tensor forwardRagged(Ops ops, Tensor ids, int[] lengths) {
        int[] blocks = Objects.requireNonNull(lengths, "lengths").clone();
        if (ids.dtype() != DType.I32 || ids.rank() != 1) {
            throw new IllegalArgumentException("BertModel.forwardRagged: ids must be I32 [N], "
                    + "got " + ids.describe());
        }
        long n = ids.dim(0);
        long sum = 0;
        for (int i = 0; i < blocks.length; i++) {
            if (blocks[i] < 1 || blocks[i] > config.maxPositions()) {
                throw new IllegalArgumentException("BertModel.forwardRagged: lengths[" + i
                        + "]=" + blocks[i] + " must be in [1, P=" + config.maxPositions()
                        + "] (max_position_embeddings)");
            }
            sum += blocks[i];
        }
        if (sum != n) {
            throw new IllegalArgumentException("BertModel.forwardRagged: lengths sum to " + sum
                    + ", ids hold N=" + n);
        }
        checkHostIds("forwardRagged", ops, ids);
        Tensor deviceIds = ops.toDevice(ids);

        // x = LN(word[ids] + position[each sequence's 0..T_i) + tokenType[0]): [N, C]
        Tensor x = words.forward(ops, deviceIds);
        x = ops.add(x, ops.embedding(positionTable, Tensors.raggedPositions(ops, blocks)));
        x = ops.add(x, tokenType0);
        x = embeddingNorm.forward(ops, x, null);

        // the layers see one row of N tokens; the mask keeps each sequence to itself
        Tensor y = encoder.forward(ops, x.reshape(1, n, config.hidden()),
                AttentionMask.ragged(blocks));
        return y.reshape(n, config.hidden());
    }

    private void checkInputs(Ops ops, Tensor ids, Tensor lengths) {
        if (ids.dtype() != DType.I32 || ids.rank() != 2) {
            throw new IllegalArgumentException("BertModel.forward: ids must be I32 [B, T], got "
                    + ids.describe());
        }
        long b = ids.dim(0);
        long t = ids.dim(1);
        if (t > config.maxPositions()) {
            throw new IllegalArgumentException("BertModel.forward: T=" + t + " tokens exceed"
                    + " the position limit max_position_embeddings=" + config.maxPositions());
        }
        if (lengths.dtype() != DType.I32 || lengths.rank() != 1 || lengths.dim(0) != b) {
            throw new IllegalArgumentException("BertModel.forward: lengths must be I32 [B] = ["
                    + b + "], got " + lengths.describe());
        }
        int[] n = ops.toHost(lengths).toIntArray();
        for (int i = 0; i < n.length; i++) {
            if (n[i] < 1 || n[i] > t) {
                throw new IllegalArgumentException("BertModel.forward: lengths[" + i + "]="
                        + n[i] + " must be in [1, T=" + t + "]; lengths="
                        + Arrays.toString(n));
            }
        }
        checkHostIds("forward", ops, ids);
    }

    /** Checks host IDs, I32 [B, T] or [N], bound for a device backend. */
    private void checkHostIds(String method, Ops ops, Tensor ids) {
        if (ids.device() == Device.CPU && ops.backend().device() != Device.CPU) {
            // once on the device the ids could only be checked by the kernel: check them here
            int[] values = ids.toIntArray();
            long vocab = words.table().dim(0);
            for (int i = 0; i < values.length; i++) {
                if (values[i] < 0 || values[i] >= vocab) {
                    String where = ids.rank() == 1 ? String.valueOf(i)
                            : i / ids.dim(1) + ", " + i % ids.dim(1);
                    throw new IllegalArgumentException("BertModel." + method + ": ids must be "
                            + "in [0, V) with V=" + vocab + ": ids[" + where + "]=" + values[i]);
                }
            }
        }
    }

    /** Looks up weights by HF name, with or without the {@code bert.} prefix. */
    private static final class Weights {
        private final Map<String, Tensor> map;
        private final String prefix;
        private final float eps;
        private final long width;

        Weights(Map<String, Tensor> map, BertConfig config) {
            this.map = map;
            this.prefix = map.containsKey("embeddings.word_embeddings.weight")
                    || !map.containsKey("bert.embeddings.word_embeddings.weight") ? "" : "bert.";
            this.eps = config.layerNormEps();
            this.width = config.hidden();
        }

        Tensor get(String name, long... shape) {
            Tensor t = map.get(prefix + name);
            if (t == null) {
                List<String> some = new TreeSet<>(map.keySet()).stream().limit(4).toList();
                throw new IllegalArgumentException("BertModel: weight '" + prefix + name
                        + "' is missing (" + map.size() + " weights, e.g. " + some + ")");
            }
            if (!t.dtype().isFloating() || !Arrays.equals(t.shape(), shape)) {
                throw new IllegalArgumentException("BertModel: weight '" + prefix + name
                        + "' must be floating " + Arrays.toString(shape) + ", got "
                        + t.describe());
            }
            return t;
        }

        Linear linear(String name, long out, long in) {
            return new Linear(get(name + ".weight", out, in), get(name + ".bias", out));
        }

        LayerNorm layerNorm(String name) {
            return new LayerNorm(get(name + ".weight", width), get(name + ".bias", width), eps);
        }
    }
}
