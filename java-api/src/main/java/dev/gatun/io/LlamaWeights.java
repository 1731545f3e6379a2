package dev.gatun.io;

import dev.gatun.RopeStyle;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights of a Llama-family decoder under Hugging Face names, and the RoPE convention
 * their q/k projection rows were laid out for.
 *
 * <p>Names and shapes, for each layer i in [0, L) (see {@link #expectedShapes}):
 * <pre>
 * model.embed_tokens.weight                         [V, C]
 * model.layers.i.input_layernorm.weight             [C]
 * model.layers.i.self_attn.q_proj.weight            [H*D, C]
 * model.layers.i.self_attn.k_proj.weight            [Hkv*D, C]
 * model.layers.i.self_attn.v_proj.weight            [Hkv*D, C]
 * model.layers.i.self_attn.o_proj.weight            [C, H*D]
 * model.layers.i.post_attention_layernorm.weight    [C]
 * model.layers.i.mlp.gate_proj.weight               [F, C]
 * model.layers.i.mlp.up_proj.weight                 [F, C]
 * model.layers.i.mlp.down_proj.weight               [C, F]
 * model.norm.weight                                 [C]
 * lm_head.weight                                    [V, C]  (the embedding when tied)
 * </pre>
 */
public interface LlamaWeights extends ModelWeights {

    /**
     * How the rows of each head of q_proj and k_proj pair up under RoPE:
     * {@link RopeStyle#INTERLEAVED} for llama2.c checkpoints, {@link RopeStyle#HALF_SPLIT}
     * for Hugging Face ones.
     */
    RopeStyle ropeStyle();

    /** Every weight name of {@code config} with its shape, in the order listed above. */
    static Map<String, long[]> expectedShapes(HfConfig config) {
        long c = config.hiddenSize();
        long qRows = (long) config.numAttentionHeads() * config.headDim();
        long kvRows = (long) config.kvHeads() * config.headDim();
        long f = config.intermediateSize();
        long v = config.vocabSize();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {v, c});
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            shapes.put(p + "input_layernorm.weight", new long[] {c});
            shapes.put(p + "self_attn.q_proj.weight", new long[] {qRows, c});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {kvRows, c});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {kvRows, c});
            shapes.put(p + "self_attn.o_proj.weight", new long[] {c, qRows});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {c});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {f, c});
            shapes.put(p + "mlp.up_proj.weight", new long[] {f, c});
            shapes.put(p + "mlp.down_proj.weight", new long[] {c, f});
        }
        shapes.put("model.norm.weight", new long[] {c});
        shapes.put("lm_head.weight", new long[] {v, c});
        return shapes;
    }
}
