package dev.gatun.io;

import dev.gatun.RopeStyle;
import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * Loads a Hugging Face Llama folder ({@code config.json} and {@code model.safetensors}, or
 * shards listed by {@code model.safetensors.index.json}) as zero-copy views.
 *
 * <pre>{@code
 * try (Scope scope = Scope.open()) {
 *     HfLlamaWeights w = HfLlamaWeights.load(Path.of("stories260K-hf"), scope);
 *     Tensor wk = w.get("model.layers.0.self_attn.k_proj.weight"); // [Hkv*D, C]
 * }
 * }</pre>
 *
 * <p>Every name of {@link LlamaWeights#expectedShapes} must be present with that shape and a
 * floating dtype (F32, F16 or BF16, kept as stored); other tensors in the files are
 * ignored. When {@code tie_word_embeddings} is true, {@code lm_head.weight} is the embedding,
 * as in transformers. The rows of q_proj and k_proj are in Hugging Face's order, so
 * {@link #ropeStyle()} is {@link RopeStyle#HALF_SPLIT}.
 */
public final class HfLlamaWeights implements LlamaWeights {
    private final HfConfig config;
    private final Map<String, Tensor> weights;

    private HfLlamaWeights(HfConfig config, Map<String, Tensor> weights) {
        this.config = config;
        this.weights = Collections.unmodifiableMap(weights);
    }

    /**
     * Reads {@code dir}; the mapped files belong to {@code scope}.
     *
     * @throws ModelFormatException  if the config is invalid or not a llama config, a weight is
     *     missing, or a shape or dtype differs from what the config implies
     * @throws java.io.UncheckedIOException if a file cannot be read
     * @throws IllegalStateException if {@code scope} is closed
     */
    public static HfLlamaWeights load(Path dir, Scope scope) {
        HfFolder folder = HfFolder.open(dir, HfConfig.LLAMA, "HfLlamaWeights", scope);
        HfConfig config = folder.config;
        Map<String, long[]> shapes = LlamaWeights.expectedShapes(config);
        boolean tied = config.tieWordEmbeddings();
        if (tied) {
            shapes.remove("lm_head.weight");
        }
        Map<String, Tensor> weights = folder.expect(shapes, "");
        if (tied) {
            weights.put("lm_head.weight", weights.get("model.embed_tokens.weight"));
        }
        return new HfLlamaWeights(config, weights);
    }

    @Override
    public HfConfig config() {
        return config;
    }

    /** Always {@link RopeStyle#HALF_SPLIT}: Hugging Face pairs dimensions (i, i + D/2). */
    @Override
    public RopeStyle ropeStyle() {
        return RopeStyle.HALF_SPLIT;
    }

    @Override
    public Set<String> names() {
        return weights.keySet();
    }

    @Override
    public Tensor get(String name) {
        Tensor t = weights.get(name);
        if (t == null) {
            throw new ModelFormatException("Hugging Face Llama weights", name, "no such weight"
                    + SafeTensors.sample(weights.keySet()));
        }
        return t;
    }
}
