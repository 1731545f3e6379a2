package dev.gatun.models.bert;

import dev.gatun.Activation;
import dev.gatun.io.HfConfig;

/**
 * The sizes of a BERT-style encoder, as in a Hugging Face {@code config.json} of
 * {@code model_type} "bert".
 *
 * <pre>{@code
 * // all-MiniLM-L6-v2
 * BertConfig c = new BertConfig(30522, 384, 6, 12, 1536, 512, 2, 1e-12f,
 *         Activation.GELU_ERF);
 * }</pre>
 *
 * @param vocabSize     V, rows of the word embedding ({@code vocab_size})
 * @param hidden        C = H·D ({@code hidden_size})
 * @param layers        L ({@code num_hidden_layers})
 * @param heads         H ({@code num_attention_heads}), a divisor of C
 * @param intermediate  F, the feed-forward width ({@code intermediate_size})
 * @param maxPositions  rows of the position embedding: the longest sequence, special tokens
 *                      included ({@code max_position_embeddings})
 * @param typeVocabSize rows of the token-type embedding ({@code type_vocab_size}); only row
 *                      0 is used (one sentence per sequence)
 * @param layerNormEps  epsilon of every layer norm ({@code layer_norm_eps})
 * @param activation    the feed-forward activation ({@code hidden_act}: "gelu" is
 *                      {@link Activation#GELU_ERF})
 */
public record BertConfig(int vocabSize, int hidden, int layers, int heads, int intermediate,
                         int maxPositions, int typeVocabSize, float layerNormEps,
                         Activation activation) {

    /**
     * Checks the sizes.
     *
     * @throws IllegalArgumentException if a size is not positive, H does not divide C, eps
     *     is not positive, or the activation is missing
     */
    public BertConfig {
        if (vocabSize <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || intermediate <= 0
                || maxPositions <= 0 || typeVocabSize <= 0) {
            throw new IllegalArgumentException("BertConfig: every size must be positive, got "
                    + sizes(vocabSize, hidden, layers, heads, intermediate, maxPositions,
                            typeVocabSize));
        }
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("BertConfig: hidden_size C=" + hidden
                    + " must be a multiple of num_attention_heads H=" + heads);
        }
        if (!(layerNormEps > 0) || Float.isInfinite(layerNormEps)) {
            throw new IllegalArgumentException("BertConfig: layer_norm_eps must be positive,"
                    + " got " + layerNormEps);
        }
        if (activation == null || activation == Activation.NONE) {
            throw new IllegalArgumentException("BertConfig: hidden_act must be a GELU, got "
                    + activation);
        }
    }

    /**
     * The BERT sizes of a Hugging Face config.
     *
     * @throws IllegalArgumentException if it is not a "bert" config, or a rule above fails
     */
    public static BertConfig of(HfConfig hf) {
        if (!hf.isBert()) {
            throw new IllegalArgumentException("BertConfig: model_type must be \"bert\", got \""
                    + hf.modelType() + "\"");
        }
        return new BertConfig(hf.vocabSize(), hf.hiddenSize(), hf.numHiddenLayers(),
                hf.numAttentionHeads(), hf.intermediateSize(), hf.maxPositionEmbeddings(),
                hf.typeVocabSize(), (float) hf.normEps(), hf.activation());
    }

    /** D = C / H. */
    public int headDim() {
        return hidden / heads;
    }

    /**
     * The activation a Hugging Face {@code hidden_act} names.
     *
     * @throws IllegalArgumentException for one Gatun does not compute
     */
    public static Activation activation(String hiddenAct) {
        return switch (hiddenAct) {
            case "gelu" -> Activation.GELU_ERF;
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> Activation.GELU_TANH;
            case "silu", "swish" -> Activation.SILU;
            default -> throw new IllegalArgumentException("BertConfig: hidden_act '"
                    + hiddenAct + "' is not supported (gelu, gelu_new, gelu_pytorch_tanh,"
                    + " gelu_fast, silu)");
        };
    }

    private static String sizes(int v, int c, int l, int h, int f, int p, int t) {
        return "vocab_size=" + v + ", hidden_size=" + c + ", num_hidden_layers=" + l
                + ", num_attention_heads=" + h + ", intermediate_size=" + f
                + ", max_position_embeddings=" + p + ", type_vocab_size=" + t;
    }
}
