package dev.gatun.io;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatun.Activation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The fields of a Hugging Face {@code config.json} that Gatun's BERT and Llama models need,
 * validated on construction.
 *
 * <pre>{@code
 * HfConfig config = HfConfig.read(Path.of("model/config.json"));
 * int D = config.headDim();           // hidden_size / num_attention_heads
 * config.write(Path.of("copy/config.json"));
 * }</pre>
 *
 * <p>Shape letters: C = {@code hiddenSize}, L = {@code numHiddenLayers}, H =
 * {@code numAttentionHeads}, Hkv = {@code numKeyValueHeads}, D = C / H, F =
 * {@code intermediateSize}, V = {@code vocabSize}.
 *
 * <p>Optional fields left null take the defaults of the transformers config classes, filled
 * in on construction so that every field the model family uses is non-null afterwards:
 * <ul>
 *   <li>bert: max_position_embeddings 512, type_vocab_size 2, layer_norm_eps 1e-12,
 *       hidden_act "gelu" (the erf form);</li>
 *   <li>llama: max_position_embeddings 2048, num_key_value_heads = num_attention_heads,
 *       rms_norm_eps 1e-6, rope_theta 10000, tie_word_embeddings false, hidden_act "silu",
 *       bos_token_id 1, eos_token_id [2].</li>
 * </ul>
 * Fields of the other family stay as given (usually null) and are not written.
 *
 * <p>Limitations: model types other than bert and llama are rejected, and so are Llama
 * configs with {@code rope_scaling} or a {@code head_dim} other than C / H, which Gatun's
 * Llama does not implement.
 *
 * @param modelType             "bert" or "llama"
 * @param hiddenSize            C, the model width
 * @param numHiddenLayers       L
 * @param numAttentionHeads     H
 * @param intermediateSize      F, the feed-forward width
 * @param maxPositionEmbeddings longest sequence the position table or RoPE was trained for
 * @param vocabSize             V
 * @param typeVocabSize         bert: number of token types (segments)
 * @param layerNormEps          bert: LayerNorm epsilon
 * @param hiddenAct             "gelu", "gelu_new", "gelu_pytorch_tanh", "silu", "swish"
 * @param numKeyValueHeads      llama: Hkv
 * @param rmsNormEps            llama: RMSNorm epsilon
 * @param ropeTheta             llama: RoPE base
 * @param tieWordEmbeddings     llama: whether lm_head shares the token embedding
 * @param bosTokenId            llama: begin-of-sequence token
 * @param eosTokenId            llama: end-of-sequence token(s)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HfConfig(
        @JsonProperty(value = "model_type", required = true) String modelType,
        @JsonProperty(value = "hidden_size", required = true) int hiddenSize,
        @JsonProperty(value = "num_hidden_layers", required = true) int numHiddenLayers,
        @JsonProperty(value = "num_attention_heads", required = true) int numAttentionHeads,
        @JsonProperty(value = "intermediate_size", required = true) int intermediateSize,
        @JsonProperty("max_position_embeddings") Integer maxPositionEmbeddings,
        @JsonProperty(value = "vocab_size", required = true) int vocabSize,
        @JsonProperty("type_vocab_size") Integer typeVocabSize,
        @JsonProperty("layer_norm_eps") Double layerNormEps,
        @JsonProperty("hidden_act") String hiddenAct,
        @JsonProperty("num_key_value_heads") Integer numKeyValueHeads,
        @JsonProperty("rms_norm_eps") Double rmsNormEps,
        @JsonProperty("rope_theta") Double ropeTheta,
        @JsonProperty("tie_word_embeddings") Boolean tieWordEmbeddings,
        @JsonProperty("bos_token_id") Integer bosTokenId,
        @JsonProperty("eos_token_id")
        @JsonFormat(with = {JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY,
                JsonFormat.Feature.WRITE_SINGLE_ELEM_ARRAYS_UNWRAPPED})
        List<Integer> eosTokenId) {

    /** The {@code model_type} of BERT-family encoders (BERT, MiniLM). */
    public static final String BERT = "bert";
    /** The {@code model_type} of Llama-family decoders. */
    public static final String LLAMA = "llama";

    /** Strict about types: a null or fractional size is an error, not 0 or a truncation. */
    private static final ObjectReader READER = Json.MAPPER.readerFor(HfConfig.class)
            .with(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .without(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    /**
     * Fills the family's defaults and checks every rule.
     *
     * @throws IllegalArgumentException naming the field and its value if a size is not
     *     positive, C is not a multiple of H, H not a multiple of Hkv, an epsilon or theta is
     *     not positive, or the model type or activation is unknown
     */
    public HfConfig {
        if (!BERT.equals(modelType) && !LLAMA.equals(modelType)) {
            throw new IllegalArgumentException("model_type must be \"bert\" or \"llama\", got "
                    + (modelType == null ? "none" : "\"" + modelType + "\""));
        }
        boolean llama = LLAMA.equals(modelType);
        if (llama) {
            maxPositionEmbeddings = orDefault(maxPositionEmbeddings, 2048);
            numKeyValueHeads = orDefault(numKeyValueHeads, numAttentionHeads);
            rmsNormEps = orDefault(rmsNormEps, 1e-6);
            ropeTheta = orDefault(ropeTheta, 10000.0);
            tieWordEmbeddings = orDefault(tieWordEmbeddings, false);
            hiddenAct = orDefault(hiddenAct, "silu");
            bosTokenId = orDefault(bosTokenId, 1);
            eosTokenId = orDefault(eosTokenId, List.of(2));
        } else {
            maxPositionEmbeddings = orDefault(maxPositionEmbeddings, 512);
            typeVocabSize = orDefault(typeVocabSize, 2);
            layerNormEps = orDefault(layerNormEps, 1e-12);
            hiddenAct = orDefault(hiddenAct, "gelu");
        }
        eosTokenId = eosTokenId == null ? null : List.copyOf(eosTokenId);

        positive("hidden_size", hiddenSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("intermediate_size", intermediateSize);
        positive("max_position_embeddings", maxPositionEmbeddings);
        positive("vocab_size", vocabSize);
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize
                    + " must be a multiple of num_attention_heads " + numAttentionHeads);
        }
        activationOf(hiddenAct);
        if (llama) {
            positive("num_key_value_heads", numKeyValueHeads);
            if (numAttentionHeads % numKeyValueHeads != 0) {
                throw new IllegalArgumentException("num_attention_heads " + numAttentionHeads
                        + " must be a multiple of num_key_value_heads " + numKeyValueHeads);
            }
            if ((hiddenSize / numAttentionHeads) % 2 != 0) {
                throw new IllegalArgumentException("head dim hidden_size / num_attention_heads"
                        + " = " + hiddenSize / numAttentionHeads + " must be even for RoPE");
            }
            positive("rms_norm_eps", rmsNormEps);
            positive("rope_theta", ropeTheta);
        } else {
            positive("type_vocab_size", typeVocabSize);
            positive("layer_norm_eps", layerNormEps);
        }
    }

    /**
     * A BERT-family config.
     *
     * @param hiddenAct "gelu" (erf) or a tanh form, see {@link #activation()}
     */
    public static HfConfig bert(int hiddenSize, int numHiddenLayers, int numAttentionHeads,
                                int intermediateSize, int maxPositionEmbeddings, int vocabSize,
                                int typeVocabSize, double layerNormEps, String hiddenAct) {
        return new HfConfig(BERT, hiddenSize, numHiddenLayers, numAttentionHeads,
                intermediateSize, maxPositionEmbeddings, vocabSize, typeVocabSize, layerNormEps,
                hiddenAct, null, null, null, null, null, null);
    }

    /** A Llama-family config with the SiLU activation. */
    public static HfConfig llama(int hiddenSize, int numHiddenLayers, int numAttentionHeads,
                                 int numKeyValueHeads, int intermediateSize,
                                 int maxPositionEmbeddings, int vocabSize, double rmsNormEps,
                                 double ropeTheta, boolean tieWordEmbeddings, int bosTokenId,
                                 int eosTokenId) {
        return new HfConfig(LLAMA, hiddenSize, numHiddenLayers, numAttentionHeads,
                intermediateSize, maxPositionEmbeddings, vocabSize, null, null, "silu",
                numKeyValueHeads, rmsNormEps, ropeTheta, tieWordEmbeddings, bosTokenId,
                List.of(eosTokenId));
    }

    /** Whether this is a Llama-family config. */
    @JsonIgnore
    public boolean isLlama() {
        return LLAMA.equals(modelType);
    }

    /** Whether this is a BERT-family config. */
    @JsonIgnore
    public boolean isBert() {
        return BERT.equals(modelType);
    }

    /** D = C / H. */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Hkv: the key/value heads (H for BERT, which has no grouped-query attention). */
    public int kvHeads() {
        return isLlama() ? numKeyValueHeads : numAttentionHeads;
    }

    /** The epsilon of the model's normalization: rms_norm_eps (llama), layer_norm_eps (bert). */
    public double normEps() {
        return isLlama() ? rmsNormEps : layerNormEps;
    }

    /** The feed-forward activation named by {@code hidden_act}. */
    public Activation activation() {
        return activationOf(hiddenAct);
    }

    // ---- reading and writing ----------------------------------------------------------------

    /**
     * Reads and validates a {@code config.json}; unknown fields are ignored.
     *
     * @throws ModelFormatException if the JSON is malformed, a required field (model_type,
     *     hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, vocab_size)
     *     is missing or of the wrong type, or a rule of the constructor fails
     * @throws UncheckedIOException if the file cannot be read
     */
    public static HfConfig read(Path file) {
        return parse(file.toString(), Json.readAll("HfConfig.read", file));
    }

    /**
     * Parses the bytes of a {@code config.json}; {@code source} names it in messages.
     *
     * @throws ModelFormatException as {@link #read(Path)}
     */
    public static HfConfig parse(String source, byte[] json) {
        JsonNode root = Json.parseObject(source, "config", json);
        JsonNode scaling = root.get("rope_scaling");
        if (scaling != null && !scaling.isNull()) {
            throw new ModelFormatException(source, "rope_scaling " + scaling
                    + " is not supported (Gatun's RoPE is unscaled)");
        }
        try {
            HfConfig config = READER.readValue(root);
            JsonNode headDim = root.get("head_dim");
            if (headDim != null && !headDim.isNull() && headDim.asInt() != config.headDim()) {
                throw new ModelFormatException(source, "head_dim " + headDim + " differs from"
                        + " hidden_size / num_attention_heads = " + config.headDim()
                        + ", which Gatun does not support");
            }
            return config;
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new ModelFormatException(source, null, "invalid config: "
                    + cause.getMessage(), e);
        } catch (IOException e) {
            String field = e instanceof JsonMappingException m && !m.getPath().isEmpty()
                    ? "field " + m.getPath().getLast().getFieldName() + ": " : "";
            throw new ModelFormatException(source, null, "invalid config: " + field
                    + Json.originalMessage(e), e);
        }
    }

    /**
     * Writes this config as indented JSON, with the transformers {@code architectures} entry,
     * atomically (a temporary file renamed over {@code file}).
     *
     * @throws UncheckedIOException if the file cannot be written
     */
    public void write(Path file) {
        AtomicWrite.write(file, toJson());
    }

    /** This config as the bytes of an indented {@code config.json}. */
    public byte[] toJson() {
        ObjectNode node = Json.MAPPER.valueToTree(this);
        node.putArray("architectures").add(isLlama() ? "LlamaForCausalLM" : "BertModel");
        try {
            return Json.MAPPER.writeValueAsBytes(node);
        } catch (JacksonException e) {
            throw new IllegalStateException("HfConfig.toJson: cannot encode " + this, e);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static Activation activationOf(String hiddenAct) {
        return switch (hiddenAct) {
            case "gelu" -> Activation.GELU_ERF;
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> Activation.GELU_TANH;
            case "silu", "swish" -> Activation.SILU;
            default -> throw new IllegalArgumentException("hidden_act \"" + hiddenAct
                    + "\" is not one of gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, silu,"
                    + " swish");
        };
    }

    private static void positive(String field, Number value) {
        if (value == null || !(value.doubleValue() > 0)) {
            throw new IllegalArgumentException(field + " must be positive, got " + value);
        }
    }

    private static <T> T orDefault(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
