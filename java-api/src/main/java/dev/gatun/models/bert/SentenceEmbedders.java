package dev.gatun.models.bert;

import dev.gatun.Backend;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.io.BertWeights;
import dev.gatun.io.HfBertWeights;
import dev.gatun.io.HfConfig;
import dev.gatun.io.ModelFormatException;
import dev.gatun.io.OnnxBertImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Opens a BERT sentence embedder from the class path, a Hugging Face folder or an ONNX file.
 *
 * <pre>{@code
 * SentenceEmbedder a = SentenceEmbedders.open("minilm", backend, 256);          // class path
 * SentenceEmbedder b = SentenceEmbedders.open("models/minilm-hf", backend, 256); // HF folder
 * SentenceEmbedder c = SentenceEmbedders.open("export/model.onnx", backend, 128);
 * }</pre>
 *
 * <p>Every embedder returned owns its weights and tokenizer: close it. Every model is
 * treated as a sentence-transformers mean-pooling model (MiniLM, most BERT sentence
 * encoders); the folder's {@code modules.json} and pooling config are not read.
 */
public final class SentenceEmbedders {
    /** The name that selects all-MiniLM-L6-v2 from the class path in {@link #open}. */
    public static final String MINILM = "minilm";

    private SentenceEmbedders() {}

    /**
     * Opens {@code model}: {@value #MINILM} (see {@link MiniLm}), a folder (see
     * {@link #fromFolder}) or a file ending in {@code .onnx} (see {@link #fromOnnx}, with the
     * tokenizer found beside it).
     *
     * @throws IllegalArgumentException if the model is none of these, a file is missing, or
     *     maxTokens is outside [2, the model's position limit]
     * @throws ModelFormatException if a file is malformed, or the tokenizer has more ids than
     *     the model's word embedding
     */
    public static SentenceEmbedder open(String model, Backend backend, int maxTokens) {
        if (MINILM.equalsIgnoreCase(model)) {
            return MiniLm.load(backend, maxTokens);
        }
        Path path = Path.of(model);
        if (Files.isDirectory(path)) {
            return fromFolder(path, backend, maxTokens);
        }
        if (model.endsWith(".onnx")) {
            if (!Files.isRegularFile(path)) {
                throw new IllegalArgumentException("no ONNX file at " + path);
            }
            return fromOnnx(path, tokenizerBeside(path), backend, maxTokens);
        }
        throw new IllegalArgumentException("model '" + model + "' is not '" + MINILM
                + "', a folder, or a .onnx file" + (Files.exists(path) ? "" : " (no such path)"));
    }

    /**
     * Opens a Hugging Face folder: {@code config.json} (model_type bert),
     * {@code model.safetensors} (or its shards) and {@code tokenizer.json}, as written by
     * {@code gatun convert} or {@code save_pretrained}.
     *
     * @throws IllegalArgumentException if a file is missing or maxTokens is outside [2,
     *     max_position_embeddings] (checked before the weights are read)
     * @throws ModelFormatException if config.json or the weights are malformed, or
     *     tokenizer.json has more ids than the model's word embedding
     */
    public static SentenceEmbedder fromFolder(Path dir, Backend backend, int maxTokens) {
        Path config = dir.resolve("config.json");
        Path tokenizerFile = dir.resolve("tokenizer.json");
        for (Path p : List.of(config, tokenizerFile)) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("model folder " + dir + " has no "
                        + p.getFileName());
            }
        }
        SentenceEmbedder.checkMaxTokens(maxTokens, BertConfig.of(HfConfig.read(config)));
        Scope weights = Scope.open();
        BertTokenizer tokenizer = null;
        try {
            BertModel model = BertModel.fromWeights(HfBertWeights.load(dir, weights),
                    new Ops(backend, weights));
            tokenizer = BertTokenizer.fromFile(tokenizerFile, maxTokens);
            return new SentenceEmbedder(tokenizer, model, backend, dir.toString(), weights);
        } catch (RuntimeException | Error e) {
            MiniLm.closeQuietly(tokenizer, weights, e);
            throw e;
        }
    }

    /**
     * Opens a BERT exported to ONNX (weights read by {@link OnnxBertImporter}, the graph
     * discarded) with its {@code tokenizer.json}.
     *
     * @throws IllegalArgumentException if a file is missing or maxTokens is outside [2, the
     *     model's position limit]
     * @throws ModelFormatException if the ONNX file is malformed, or the tokenizer has more
     *     ids than the model's word embedding
     */
    public static SentenceEmbedder fromOnnx(Path onnx, Path tokenizerJson, Backend backend,
                                            int maxTokens) {
        if (!Files.isRegularFile(onnx)) {
            throw new IllegalArgumentException("no ONNX file at " + onnx);
        }
        if (maxTokens < 2) {
            throw new IllegalArgumentException("maxTokens must be >= 2, got " + maxTokens);
        }
        Scope weights = Scope.open();
        BertTokenizer tokenizer = null;
        try {
            BertWeights w = OnnxBertImporter.load(onnx, weights);
            BertModel model = BertModel.fromWeights(w, new Ops(backend, weights));
            SentenceEmbedder.checkMaxTokens(maxTokens, model.config());
            tokenizer = BertTokenizer.fromFile(tokenizerJson, maxTokens);
            return new SentenceEmbedder(tokenizer, model, backend, onnx.toString(), weights);
        } catch (RuntimeException | Error e) {
            MiniLm.closeQuietly(tokenizer, weights, e);
            throw e;
        }
    }

    /**
     * The tokenizer of an ONNX export: {@code NAME-tokenizer.json} (the MiniLM jar's naming)
     * or {@code tokenizer.json} in the same folder.
     *
     * @throws IllegalArgumentException if neither exists
     */
    public static Path tokenizerBeside(Path onnx) {
        Path dir = onnx.toAbsolutePath().getParent();
        String stem = onnx.getFileName().toString().replaceFirst("\\.onnx$", "");
        List<Path> candidates = List.of(dir.resolve(stem + "-tokenizer.json"),
                dir.resolve("tokenizer.json"));
        for (Path p : candidates) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalArgumentException("no tokenizer beside " + onnx + ": looked for "
                + candidates);
    }
}
