package dev.gatun.models.llama;

import dev.gatun.Backend;
import dev.gatun.DType;
import dev.gatun.Ops;
import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import dev.gatun.io.LlamaWeights;
import dev.gatun.nn.AttentionMask;
import dev.gatun.nn.Embedding;
import dev.gatun.nn.FeedForward;
import dev.gatun.nn.KVCache;
import dev.gatun.nn.Linear;
import dev.gatun.nn.MultiHeadAttention;
import dev.gatun.nn.RMSNorm;
import dev.gatun.nn.Tensors;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * A Llama-architecture decoder: token embedding, L pre-norm blocks of RMSNorm, rotary
 * grouped-query self-attention and a SwiGLU feed-forward, a final RMSNorm and a classifier.
 *
 * <pre>{@code
 * LlamaModel model = LlamaModel.fromWeights(weights, config, RopeStyle.INTERLEAVED);
 * try (Scope scope = Scope.open()) {
 *     Ops ops = new Ops(backend, scope);
 *     KVCache cache = model.newCache(ops, 256);
 *     Tensor logits = model.forward(ops, cache, prompt, 0);     // [T, V], prefill
 *     Tensor next = model.forward(ops, cache, new int[] {t}, T); // [1, V], one step
 * }
 * int[] story = model.generate(backend, new int[] {1}, 100, Sampler.greedy(), -1, t -> true);
 * }</pre>
 *
 * <p>Weights come as a map with Hugging Face's names (C model width, F feed-forward width,
 * H·D = C, Hkv·D key/value width):
 * <pre>
 * model.embed_tokens.weight                        [V, C]
 * model.layers.{i}.input_layernorm.weight          F32 [C]
 * model.layers.{i}.self_attn.q_proj.weight         [H·D, C]
 * model.layers.{i}.self_attn.k_proj.weight         [Hkv·D, C]
 * model.layers.{i}.self_attn.v_proj.weight         [Hkv·D, C]
 * model.layers.{i}.self_attn.o_proj.weight         [C, H·D]
 * model.layers.{i}.post_attention_layernorm.weight F32 [C]
 * model.layers.{i}.mlp.gate_proj.weight            [F, C]
 * model.layers.{i}.mlp.up_proj.weight              [F, C]
 * model.layers.{i}.mlp.down_proj.weight            [C, F]
 * model.norm.weight                                F32 [C]
 * lm_head.weight                                   [V, C]; absent means tied to the
 *                                                  embedding (the classifier reuses it)
 * </pre>
 * The {@link RopeStyle} says how q and k rows are ordered: llama2.c checkpoints rotate
 * interleaved pairs; Hugging Face checkpoints permute q and k rows for half-split pairs.
 * The tensors are used in place, never copied, and must be on the device of the backend that
 * runs the model ({@link #load(LlamaWeights, Ops)} moves loaded weights there); the norms'
 * weights must be F32 and the others share one floating dtype, which is the dtype of the
 * activations and of the cache.
 */
public final class LlamaModel {
    private final LlamaConfig config;
    private final RopeStyle ropeStyle;
    private final Embedding embedTokens;
    private final List<Block> blocks;
    private final RMSNorm norm;
    private final Linear lmHead;

    /** One decoder block: {@code h = x + attn(norm1(x))}, {@code y = h + mlp(norm2(h))}. */
    private record Block(RMSNorm inputNorm, MultiHeadAttention attention,
                         RMSNorm postAttentionNorm, FeedForward mlp) {}

    private LlamaModel(LlamaConfig config, RopeStyle ropeStyle, Embedding embedTokens,
                       List<Block> blocks, RMSNorm norm, Linear lmHead) {
        this.config = config;
        this.ropeStyle = ropeStyle;
        this.embedTokens = embedTokens;
        this.blocks = blocks;
        this.norm = norm;
        this.lmHead = lmHead;
    }

    /**
     * Builds a model over loaded weights: a llama2.c checkpoint
     * ({@link dev.gatun.io.Llama2cCheckpoint}, interleaved RoPE) or a Hugging Face folder
     * ({@link dev.gatun.io.HfLlamaWeights}, half-split RoPE), with their config.
     *
     * <pre>{@code
     * LlamaModel model = LlamaModel.load(Llama2cCheckpoint.open(path, scope));
     * }</pre>
     *
     * @throws IllegalArgumentException if the config is not a Llama config or a weight's
     *     shape does not match it
     */
    public static LlamaModel load(LlamaWeights weights) {
        Map<String, Tensor> byName = new HashMap<>();
        for (String name : weights.names()) {
            byName.put(name, weights.get(name));
        }
        return fromWeights(byName, LlamaConfig.from(weights.config()), weights.ropeStyle());
    }

    /**
     * As {@link #load(LlamaWeights)}, for checkpoints stored in F16 or BF16: norm weights
     * that are not F32 are widened to F32 copies owned by {@code scope} (the norms take F32
     * scales); every other weight is used in place, so activations and the cache take the
     * checkpoint's dtype.
     *
     * @throws IllegalArgumentException as {@link #load(LlamaWeights)}
     * @throws IllegalStateException if {@code scope} is closed
     */
    public static LlamaModel load(LlamaWeights weights, Scope scope) {
        return fromWeights(widened(weights, scope), LlamaConfig.from(weights.config()),
                weights.ropeStyle());
    }

    /**
     * As {@link #load(LlamaWeights, Scope)}, with the weights on the device of {@code ops}'
     * backend: for a device backend (CUDA) each weight is copied once into
     * {@code ops.scope()}, which must then live as long as the model; for a CPU backend this
     * is {@code load(weights, ops.scope())}, the weights used in place.
     *
     * <pre>{@code
     * try (Scope host = Scope.open(); Scope gpu = Scope.open()) {
     *     LlamaModel model = LlamaModel.load(Llama2cCheckpoint.open(path, host),
     *             new Ops(cuda, gpu));
     *     int[] story = model.generate(cuda, new int[] {1}, 100, Sampler.greedy(), 1,
     *             t -> true);
     * }
     * }</pre>
     *
     * @throws IllegalArgumentException as {@link #load(LlamaWeights)}
     * @throws IllegalStateException if {@code ops.scope()} is closed
     */
    public static LlamaModel load(LlamaWeights weights, Ops ops) {
        LlamaConfig config = LlamaConfig.from(weights.config());
        return fromWeights(Tensors.toDevice(ops, widened(weights, ops.scope())), config,
                weights.ropeStyle());
    }

    /** The weights by name, norm weights that are not F32 widened to F32 copies in scope. */
    private static Map<String, Tensor> widened(LlamaWeights weights, Scope scope) {
        Map<String, Tensor> byName = new HashMap<>();
        for (String name : weights.names()) {
            Tensor t = weights.get(name);
            boolean norm = name.endsWith("layernorm.weight") || name.equals("model.norm.weight");
            if (norm && t.dtype() != DType.F32) {
                Tensor wide = Tensor.allocate(scope, DType.F32, t.shape());
                wide.copyFrom(t);
                t = wide;
            }
            byName.put(name, t);
        }
        return byName;
    }

    /**
     * Builds a model over {@code weights} (named as in the class documentation).
     *
     * @throws IllegalArgumentException if a weight is missing or its shape or dtype does not
     *     match the config, naming the weight
     */
    public static LlamaModel fromWeights(Map<String, Tensor> weights, LlamaConfig config,
                                         RopeStyle ropeStyle) {
        if (ropeStyle == null) {
            throw new IllegalArgumentException("LlamaModel: ropeStyle is required");
        }
        long c = config.dim();
        long f = config.hidden();
        long d = config.headDim();
        long qWidth = config.heads() * d;
        long kvWidth = config.kvHeads() * d;
        Tensor embed = weight(weights, "model.embed_tokens.weight", config.vocab(), c);
        MultiHeadAttention.Rope rope = new MultiHeadAttention.Rope(ropeStyle,
                config.ropeTheta());

        List<Block> blocks = new ArrayList<>(config.layers());
        for (int i = 0; i < config.layers(); i++) {
            String p = "model.layers." + i + ".";
            RMSNorm inputNorm = new RMSNorm(weight(weights, p + "input_layernorm.weight", c),
                    config.rmsEps());
            MultiHeadAttention attention = new MultiHeadAttention(
                    linear(weights, p + "self_attn.q_proj.weight", qWidth, c),
                    linear(weights, p + "self_attn.k_proj.weight", kvWidth, c),
                    linear(weights, p + "self_attn.v_proj.weight", kvWidth, c),
                    linear(weights, p + "self_attn.o_proj.weight", c, qWidth),
                    config.heads(), config.kvHeads(), rope);
            RMSNorm postNorm = new RMSNorm(
                    weight(weights, p + "post_attention_layernorm.weight", c), config.rmsEps());
            FeedForward mlp = FeedForward.swiGlu(
                    linear(weights, p + "mlp.gate_proj.weight", f, c),
                    linear(weights, p + "mlp.up_proj.weight", f, c),
                    linear(weights, p + "mlp.down_proj.weight", c, f));
            blocks.add(new Block(inputNorm, attention, postNorm, mlp));
        }
        RMSNorm norm = new RMSNorm(weight(weights, "model.norm.weight", c), config.rmsEps());
        Linear lmHead = weights.containsKey("lm_head.weight")
                ? linear(weights, "lm_head.weight", config.vocab(), c)
                : new Linear(embed);
        return new LlamaModel(config, ropeStyle, new Embedding(embed), List.copyOf(blocks),
                norm, lmHead);
    }

    /** The sizes this model was built with. */
    public LlamaConfig config() {
        return config;
    }

    /** How this model's q/k rows pair up under RoPE. */
    public RopeStyle ropeStyle() {
        return ropeStyle;
    }

    /**
     * A cache for one sequence of up to {@code maxLength} positions: L layers of
     * [1, Hkv, maxLength, D] in the weights' dtype, owned by {@code ops.scope()}.
     *
     * @throws IllegalArgumentException unless 1 <= maxLength <= config().maxPositions()
     */
    public KVCache newCache(Ops ops, int maxLength) {
        if (maxLength < 1 || maxLength > config.maxPositions()) {
            throw new IllegalArgumentException("LlamaModel.newCache: maxLength must be in [1, "
                    + config.maxPositions() + "], got " + maxLength);
        }
        return KVCache.allocate(ops, config.layers(), 1, config.kvHeads(), maxLength,
                config.headDim(), embedTokens.table().dtype());
    }

    /**
     * The logits of every position of {@code tokens} at positions 0..T-1, without a cache.
     *
     * @param tokens T ids, each in [0, V); 1 <= T <= maxPositions
     * @return logits [T, V] on the backend's device, owned by {@code ops.scope()}
     * @throws IllegalArgumentException if T or an id is out of range
     */
    public Tensor forward(Ops ops, int[] tokens) {
        checkTokens(tokens, 0);
        return run(ops, tokens, null, false);
    }

    /**
     * The logits of {@code tokens} at positions startPos..startPos+T-1, attending over the
     * cache's first startPos positions and appending the new ones: a prefill of many tokens
     * or a single decoding step. A startPos below the cache's length rewinds the cache first.
     *
     * @param cache    from {@link #newCache}
     * @param tokens   T ids, each in [0, V)
     * @param startPos the position of tokens[0], at most the cache's length
     * @return logits [T, V] on the backend's device, owned by {@code ops.scope()}
     * @throws IllegalArgumentException if startPos exceeds the cache's length, the positions
     *     exceed the cache's maxLength or the context, or an id is out of range; the cache
     *     is then unchanged
     */
    public Tensor forward(Ops ops, KVCache cache, int[] tokens, int startPos) {
        checkTokens(tokens, startPos);
        if (cache.layerCount() != config.layers()) {
            throw new IllegalArgumentException("LlamaModel.forward: cache has "
                    + cache.layerCount() + " layers, the model " + config.layers());
        }
        if (startPos < 0 || startPos > cache.length()) {
            throw new IllegalArgumentException("LlamaModel.forward: startPos must be in [0, "
                    + cache.length() + "] (the positions cached), got " + startPos);
        }
        if (startPos + tokens.length > cache.maxLength()) {
            throw new IllegalArgumentException("LlamaModel.forward: positions " + startPos
                    + ".." + (startPos + tokens.length - 1) + " exceed the cache's "
                    + cache.maxLength() + " positions");
        }
        cache.truncate(startPos);
        return run(ops, tokens, cache, false);
    }

    /**
     * Generates up to {@code maxNewTokens} tokens after {@code prompt}: one prefill of the
     * prompt, then one cached step per token.
     *
     * <p>Generation stops after {@code maxNewTokens} tokens, before emitting
     * {@code stopToken} (which is neither returned nor passed to the callback; -1 for none),
     * or after {@code onToken} returns false for a token (that token is returned). The cache
     * and each step's intermediates live in scopes this method opens and closes.
     *
     * @param prompt       at least one id, each in [0, V)
     * @param maxNewTokens the most tokens to generate, >= 0
     * @param sampler      how to choose each token
     * @param stopToken    an id that ends generation, or -1
     * @param onToken      called with each token as it is chosen; false stops
     * @return the generated ids, prompt excluded
     * @throws IllegalArgumentException if the prompt is empty, an id is out of range, or
     *     prompt.length + maxNewTokens exceeds the context (maxPositions)
     */
    public int[] generate(Backend backend, int[] prompt, int maxNewTokens, Sampler sampler,
                          int stopToken, IntPredicate onToken) {
        if (prompt.length == 0 || maxNewTokens < 0) {
            throw new IllegalArgumentException("LlamaModel.generate: need a non-empty prompt "
                    + "and maxNewTokens >= 0, got " + prompt.length + " prompt tokens and "
                    + maxNewTokens);
        }
        long total = (long) prompt.length + maxNewTokens;
        if (total > config.maxPositions()) {
            throw new IllegalArgumentException("LlamaModel.generate: prompt (" + prompt.length
                    + ") + maxNewTokens (" + maxNewTokens + ") = " + total
                    + " exceeds the context of " + config.maxPositions() + " positions");
        }
        checkTokens(prompt, 0);
        int[] out = new int[maxNewTokens];
        int n = 0;
        try (Scope session = Scope.open()) {
            KVCache cache = newCache(new Ops(backend, session), (int) total);
            int[] input = prompt;
            while (n < maxNewTokens) {
                int next;
                try (Scope step = Scope.open()) {
                    // only the last position's logits are needed: [1, V]
                    Ops ops = new Ops(backend, step);
                    Tensor logits = run(ops, input, cache, true);
                    next = sampler.sample(Tensors.toFloats(ops, logits));
                }
                if (next == stopToken) {
                    break;
                }
                out[n++] = next;
                if (!onToken.test(next)) {
                    break;
                }
                input = new int[] {next};
            }
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * The forward pass over positions cache.length() onwards (0 without a cache): logits
     * [T, V], or [1, V] for the last position alone when {@code lastOnly}.
     */
    private Tensor run(Ops ops, int[] tokens, KVCache cache, boolean lastOnly) {
        long t = tokens.length;

        // x = embed(tokens): [1, T, C]
        Tensor x = embedTokens.forward(ops, Tensors.ints(ops, tokens, 1, t));

        for (int l = 0; l < blocks.size(); l++) {
            Block block = blocks.get(l);
            KVCache.Layer layerCache = cache == null ? null : cache.layer(l);

            // h = x + attn(rmsnorm(x)), causal, RoPE at the absolute positions
            Tensor h = block.attention().forward(ops, block.inputNorm().forward(ops, x),
                    AttentionMask.CAUSAL, layerCache, x);

            // x = h + down(silu(gate(rmsnorm(h))) * up(rmsnorm(h)))
            x = block.mlp().forward(ops, block.postAttentionNorm().forward(ops, h), h);
        }

        // logits = lm_head(rmsnorm(x)): [1, T, V] -> [T, V]
        if (lastOnly) {
            x = x.slice(1, t - 1, t);
        }
        Tensor logits = lmHead.forward(ops, norm.forward(ops, x));
        return logits.reshape(-1, config.vocab());
    }

    private void checkTokens(int[] tokens, int startPos) {
        if (tokens.length == 0 || (long) startPos + tokens.length > config.maxPositions()) {
            throw new IllegalArgumentException("LlamaModel.forward: need 1 or more tokens at "
                    + "positions inside the context of " + config.maxPositions() + ", got "
                    + tokens.length + " tokens from position " + startPos);
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= config.vocab()) {
                throw new IllegalArgumentException("LlamaModel: token " + tokens[i] + " at index "
                        + i + " is outside the vocabulary [0, " + config.vocab() + ")");
            }
        }
    }

    private static Linear linear(Map<String, Tensor> weights, String name, long n, long k) {
        return new Linear(weight(weights, name, n, k));
    }

    private static Tensor weight(Map<String, Tensor> weights, String name, long... shape) {
        Tensor t = weights.get(name);
        if (t == null) {
            throw new IllegalArgumentException("LlamaModel: missing weight '" + name
                    + "', expected shape " + Arrays.toString(shape));
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException("LlamaModel: weight '" + name + "' must be "
                    + Arrays.toString(shape) + ", got " + t.describe());
        }
        return t;
    }
}
