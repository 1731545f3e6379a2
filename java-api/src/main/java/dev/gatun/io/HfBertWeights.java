package dev.gatun.io;

import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * Loads a Hugging Face BERT folder ({@code config.json} and {@code model.safetensors}, or
 * shards listed by {@code model.safetensors.index.json}) as zero-copy views, for example one
 * written by {@link OnnxToHfConverter}.
 *
 * <p>Every name of {@link BertWeights#expectedShapes} must be present, plainly or with the
 * {@code bert.} prefix of transformers' task models, with that shape and a floating dtype;
 * the names handed out never carry the prefix. Other tensors (a pooler, a task head) are
 * ignored.
 */
public final class HfBertWeights implements BertWeights {
    private final HfConfig config;
    private final Map<String, Tensor> weights;

    private HfBertWeights(HfConfig config, Map<String, Tensor> weights) {
        this.config = config;
        this.weights = Collections.unmodifiableMap(weights);
    }

    /**
     * Reads {@code dir}; the mapped files belong to {@code scope}.
     *
     * @throws ModelFormatException  if the config is invalid or not a bert config, a weight is
     *     missing, or a shape or dtype differs from what the config implies
     * @throws java.io.UncheckedIOException if a file cannot be read
     * @throws IllegalStateException if {@code scope} is closed
     */
    public static HfBertWeights load(Path dir, Scope scope) {
        HfFolder folder = HfFolder.open(dir, HfConfig.BERT, "HfBertWeights", scope);
        Map<String, long[]> shapes = BertWeights.expectedShapes(folder.config);
        return new HfBertWeights(folder.config, folder.expect(shapes, "bert."));
    }

    @Override
    public HfConfig config() {
        return config;
    }

    @Override
    public Set<String> names() {
        return weights.keySet();
    }

    @Override
    public Tensor get(String name) {
        Tensor t = weights.get(name);
        if (t == null) {
            throw new ModelFormatException("Hugging Face BERT weights", name, "no such weight"
                    + SafeTensors.sample(weights.keySet()));
        }
        return t;
    }
}
