package dev.gatun.io;

import static dev.gatun.io.IoTestSupport.assertFormatError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatun.Activation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfConfigTest {
    @TempDir
    Path dir;

    /** The config.json of sentence-transformers/all-MiniLM-L6-v2, as published. */
    private static final String MINILM = """
            {
              "_name_or_path": "nreimers/MiniLM-L6-H384-uncased",
              "architectures": ["BertModel"],
              "attention_probs_dropout_prob": 0.1,
              "gradient_checkpointing": false,
              "hidden_act": "gelu",
              "hidden_dropout_prob": 0.1,
              "hidden_size": 384,
              "initializer_range": 0.02,
              "intermediate_size": 1536,
              "layer_norm_eps": 1e-12,
              "max_position_embeddings": 512,
              "model_type": "bert",
              "num_attention_heads": 12,
              "num_hidden_layers": 6,
              "pad_token_id": 0,
              "position_embedding_type": "absolute",
              "transformers_version": "4.8.2",
              "type_vocab_size": 2,
              "use_cache": true,
              "vocab_size": 30522
            }
            """;

    /** A TinyLlama-style config, with a list of eos ids as Llama 3 writes them. */
    private static final String LLAMA = """
            {
              "architectures": ["LlamaForCausalLM"],
              "bos_token_id": 1,
              "eos_token_id": [2, 32000],
              "hidden_act": "silu",
              "hidden_size": 2048,
              "intermediate_size": 5632,
              "max_position_embeddings": 2048,
              "model_type": "llama",
              "num_attention_heads": 32,
              "num_hidden_layers": 22,
              "num_key_value_heads": 4,
              "rms_norm_eps": 1e-05,
              "rope_scaling": null,
              "rope_theta": 10000.0,
              "tie_word_embeddings": false,
              "torch_dtype": "bfloat16",
              "vocab_size": 32000
            }
            """;

    @Test
    void readsAPublishedBertConfig() {
        HfConfig c = parse(MINILM);
        assertTrue(c.isBert());
        assertEquals(384, c.hiddenSize());
        assertEquals(6, c.numHiddenLayers());
        assertEquals(12, c.numAttentionHeads());
        assertEquals(32, c.headDim());
        assertEquals(12, c.kvHeads());
        assertEquals(1536, c.intermediateSize());
        assertEquals(512, c.maxPositionEmbeddings());
        assertEquals(30522, c.vocabSize());
        assertEquals(2, c.typeVocabSize());
        assertEquals(1e-12, c.normEps());
        assertEquals(Activation.GELU_ERF, c.activation());
        assertNull(c.ropeTheta(), "llama fields stay unset for bert");
    }

    @Test
    void readsALlamaConfigWithAListOfEosIds() {
        HfConfig c = parse(LLAMA);
        assertTrue(c.isLlama());
        assertEquals(4, c.kvHeads());
        assertEquals(64, c.headDim());
        assertEquals(1e-5, c.normEps());
        assertEquals(10000.0, c.ropeTheta());
        assertFalse(c.tieWordEmbeddings());
        assertEquals(List.of(2, 32000), c.eosTokenId());
        assertEquals(Activation.SILU, c.activation());
    }

    @Test
    void fillsTheTransformersDefaultsOfEachFamily() {
        HfConfig llama = parse("{\"model_type\":\"llama\",\"hidden_size\":64,"
                + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"intermediate_size\":96,"
                + "\"vocab_size\":100}");
        assertEquals(4, llama.numKeyValueHeads());
        assertEquals(1e-6, llama.rmsNormEps());
        assertEquals(10000.0, llama.ropeTheta());
        assertEquals(2048, llama.maxPositionEmbeddings());
        assertEquals(false, llama.tieWordEmbeddings());
        assertEquals(List.of(2), llama.eosTokenId());
        HfConfig bert = parse("{\"model_type\":\"bert\",\"hidden_size\":64,"
                + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"intermediate_size\":96,"
                + "\"vocab_size\":100}");
        assertEquals(512, bert.maxPositionEmbeddings());
        assertEquals(2, bert.typeVocabSize());
        assertEquals(1e-12, bert.layerNormEps());
        assertEquals("gelu", bert.hiddenAct());
    }

    @Test
    void writeThenReadIsTheSameConfig() throws IOException {
        long seed = System.nanoTime();
        Random rng = new Random(seed);
        int heads = 1 + rng.nextInt(8);
        int kv = divisorOf(heads, rng);
        HfConfig llama = HfConfig.llama(heads * 2 * (1 + rng.nextInt(16)), 1 + rng.nextInt(40),
                heads, kv, 1 + rng.nextInt(5000), 1 + rng.nextInt(9000), 1 + rng.nextInt(99999),
                1e-5, 500000.0, rng.nextBoolean(), 1, 2);
        HfConfig bert = HfConfig.bert(384, 6, 12, 1536, 512, 30522, 2, 1e-12, "gelu_new");
        for (HfConfig c : List.of(llama, bert)) {
            Path file = dir.resolve(c.modelType() + ".json");
            c.write(file);
            assertEquals(c, HfConfig.read(file), "seed=" + seed);
            JsonNode json = new ObjectMapper().readTree(file.toFile());
            assertEquals(c.hiddenSize(), json.get("hidden_size").asInt(), "seed=" + seed);
            assertTrue(json.has("architectures"), "seed=" + seed);
        }
        JsonNode json = new ObjectMapper().readTree(dir.resolve("llama.json").toFile());
        assertTrue(json.get("eos_token_id").isInt(), "a single eos id is written unwrapped");
        assertFalse(json.has("type_vocab_size"), "bert fields are not written for llama");
    }

    @Test
    void rejectsAMissingRequiredField() throws IOException {
        Path file = Files.writeString(dir.resolve("config.json"), MINILM.replace(
                "\"hidden_size\": 384,", ""));
        assertFormatError(() -> HfConfig.read(file), "config.json", "hidden_size");
        assertFormatError(() -> parse("{\"hidden_size\": 8}"), "model_type");
    }

    @Test
    void rejectsSizesThatAreNotPositive() {
        assertFormatError(() -> parse(MINILM.replace("\"num_hidden_layers\": 6",
                "\"num_hidden_layers\": 0")), "num_hidden_layers must be positive, got 0");
        assertFormatError(() -> parse(MINILM.replace("\"vocab_size\": 30522",
                "\"vocab_size\": -5")), "vocab_size must be positive, got -5");
        assertFormatError(() -> parse(LLAMA.replace("\"rms_norm_eps\": 1e-05",
                "\"rms_norm_eps\": 0")), "rms_norm_eps must be positive");
        assertFormatError(() -> parse(MINILM.replace("\"hidden_size\": 384",
                "\"hidden_size\": null")), "hidden_size");
    }

    @Test
    void rejectsInconsistentHeads() {
        assertFormatError(() -> parse(MINILM.replace("\"num_attention_heads\": 12",
                "\"num_attention_heads\": 7")), "hidden_size 384",
                "multiple of num_attention_heads 7");
        assertFormatError(() -> parse(LLAMA.replace("\"num_key_value_heads\": 4",
                "\"num_key_value_heads\": 5")), "multiple of num_key_value_heads 5");
        assertFormatError(() -> parse(LLAMA.replace("}", ",\"head_dim\": 128}")),
                "head_dim 128");
    }

    @Test
    void rejectsWhatGatunDoesNotImplement() {
        assertFormatError(() -> parse(MINILM.replace("\"bert\"", "\"gpt2\"")),
                "model_type must be \"bert\" or \"llama\", got \"gpt2\"");
        assertFormatError(() -> parse(MINILM.replace("\"gelu\"", "\"relu\"")),
                "hidden_act \"relu\"");
        assertFormatError(() -> parse(LLAMA.replace("\"rope_scaling\": null",
                "\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}")), "rope_scaling");
    }

    @Test
    void rejectsWrongTypesAndBadJson() {
        assertFormatError(() -> parse(MINILM.replace("\"hidden_size\": 384",
                "\"hidden_size\": 384.5")), "hidden_size");
        assertFormatError(() -> parse(MINILM.replace("\"hidden_size\": 384",
                "\"hidden_size\": \"big\"")), "hidden_size");
        assertFormatError(() -> parse("{\"model_type\": "), "not valid JSON");
        assertFormatError(() -> parse("[]"), "must be a JSON object");
    }

    @Test
    void theConstructorChecksTheSameRules() {
        assertThrows(IllegalArgumentException.class,
                () -> HfConfig.llama(64, 2, 4, 3, 96, 128, 100, 1e-5, 1e4, true, 1, 2));
        assertThrows(IllegalArgumentException.class,
                () -> HfConfig.llama(60, 2, 4, 2, 96, 128, 100, 1e-5, 1e4, true, 1, 2));
        assertThrows(IllegalArgumentException.class,
                () -> HfConfig.bert(64, 2, 4, 96, 128, 100, 2, Double.NaN, "gelu"));
    }

    private static HfConfig parse(String json) {
        return HfConfig.parse("test-config.json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static int divisorOf(int n, Random rng) {
        int d;
        do {
            d = 1 + rng.nextInt(n);
        } while (n % d != 0);
        return d;
    }
}
