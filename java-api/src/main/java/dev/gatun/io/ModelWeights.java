package dev.gatun.io;

import dev.gatun.Tensor;
import java.util.Set;

/**
 * The named weights of one model, with the config that describes them.
 *
 * <p>Names follow Hugging Face transformers (for example
 * {@code model.layers.0.self_attn.q_proj.weight}); linear weights are [out, in] like
 * PyTorch's {@code nn.Linear}. Tensors belong to the scope the weights were loaded with.
 */
public interface ModelWeights {

    /** The architecture and sizes of the model. */
    HfConfig config();

    /** Every weight name, in a stable order. */
    Set<String> names();

    /**
     * The weight called {@code name}.
     *
     * @throws ModelFormatException if there is no such weight
     */
    Tensor get(String name);

    /** Whether there is a weight called {@code name}. */
    default boolean contains(String name) {
        return names().contains(name);
    }
}
