package dev.gatun.io;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights of a BERT-family encoder under Hugging Face names (without the {@code bert.}
 * prefix of the task models).
 *
 * <p>Names and shapes, for each layer i in [0, L), P = max_position_embeddings and T =
 * type_vocab_size (see {@link #expectedShapes}):
 * <pre>
 * embeddings.word_embeddings.weight                    [V, C]
 * embeddings.position_embeddings.weight                [P, C]
 * embeddings.token_type_embeddings.weight              [T, C]
 * embeddings.LayerNorm.weight, .bias                   [C]
 * encoder.layer.i.attention.self.query.weight          [C, C]   (.bias [C])
 * encoder.layer.i.attention.self.key.weight            [C, C]   (.bias [C])
 * encoder.layer.i.attention.self.value.weight          [C, C]   (.bias [C])
 * encoder.layer.i.attention.output.dense.weight        [C, C]   (.bias [C])
 * encoder.layer.i.attention.output.LayerNorm.weight    [C]      (.bias [C])
 * encoder.layer.i.intermediate.dense.weight            [F, C]   (.bias [F])
 * encoder.layer.i.output.dense.weight                  [C, F]   (.bias [C])
 * encoder.layer.i.output.LayerNorm.weight              [C]      (.bias [C])
 * </pre>
 * Linear weights are [out, in] like PyTorch's {@code nn.Linear}; a loader may hand out
 * strided (transposed) views, so a consumer that needs contiguous rows checks
 * {@link dev.gatun.Tensor#isContiguous()}.
 */
public interface BertWeights extends ModelWeights {

    /** Every weight name of {@code config} with its shape, in the order listed above. */
    static Map<String, long[]> expectedShapes(HfConfig config) {
        long c = config.hiddenSize();
        long f = config.intermediateSize();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("embeddings.word_embeddings.weight", new long[] {config.vocabSize(), c});
        shapes.put("embeddings.position_embeddings.weight",
                new long[] {config.maxPositionEmbeddings(), c});
        shapes.put("embeddings.token_type_embeddings.weight",
                new long[] {config.typeVocabSize(), c});
        shapes.put("embeddings.LayerNorm.weight", new long[] {c});
        shapes.put("embeddings.LayerNorm.bias", new long[] {c});
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "encoder.layer." + i + ".";
            for (String proj : new String[] {"query", "key", "value"}) {
                shapes.put(p + "attention.self." + proj + ".weight", new long[] {c, c});
                shapes.put(p + "attention.self." + proj + ".bias", new long[] {c});
            }
            shapes.put(p + "attention.output.dense.weight", new long[] {c, c});
            shapes.put(p + "attention.output.dense.bias", new long[] {c});
            shapes.put(p + "attention.output.LayerNorm.weight", new long[] {c});
            shapes.put(p + "attention.output.LayerNorm.bias", new long[] {c});
            shapes.put(p + "intermediate.dense.weight", new long[] {f, c});
            shapes.put(p + "intermediate.dense.bias", new long[] {f});
            shapes.put(p + "output.dense.weight", new long[] {c, f});
            shapes.put(p + "output.dense.bias", new long[] {c});
            shapes.put(p + "output.LayerNorm.weight", new long[] {c});
            shapes.put(p + "output.LayerNorm.bias", new long[] {c});
        }
        return shapes;
    }
}
