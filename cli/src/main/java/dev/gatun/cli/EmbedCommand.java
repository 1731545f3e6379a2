package dev.gatun.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatun.Backend;
import dev.gatun.models.bert.SentenceEmbedder;
import dev.gatun.models.bert.SentenceEmbedders;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code gatun embed}: one JSON line per text with its sentence embedding, or with
 * {@code --similarity} its row of the cosine matrix.
 *
 * <pre>{@code
 * $ ./gatun embed "The cat sits." "A feline rests."
 * {"text":"The cat sits.","tokens":6,"embedding":[0.0123,...]}     (384 numbers)
 * {"text":"A feline rests.","tokens":7,"embedding":[...]}
 * $ ./gatun embed --similarity "The cat sits." "A feline rests."
 * {"text":"The cat sits.","tokens":6,"similarity":[1.0,0.61]}
 * {"text":"A feline rests.","tokens":7,"similarity":[0.61,1.0]}
 * }</pre>
 */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Print one JSON line per TEXT: {\"text\", \"tokens\", "
                + "\"embedding\"}. Texts longer than --max-tokens are truncated (the "
                + "summary counts them).")
final class EmbedCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    BackendOption backend;

    @Option(names = "--model", paramLabel = "minilm|DIR|FILE.onnx", defaultValue = "minilm",
            description = "minilm (all-MiniLM-L6-v2 from the class path), a Hugging "
                    + "Face folder (config.json, model.safetensors, tokenizer.json), "
                    + "or an ONNX BERT export with tokenizer.json beside it. Default: "
                    + "${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--max-tokens", paramLabel = "N",
            defaultValue = "" + SentenceEmbedder.DEFAULT_MAX_TOKENS,
            description = "Truncate each text to N tokens, [CLS] and [SEP] included; at "
                    + "most the model's position limit (512). Default: "
                    + "${DEFAULT-VALUE} (sentence-transformers' setting for "
                    + "all-MiniLM-L6-v2).")
    int maxTokens;

    @Option(names = "--similarity",
            description = "Print each text's cosine similarity to every text instead.")
    boolean similarity;

    @Parameters(paramLabel = "TEXT", arity = "1..*", description = "The texts to embed.")
    List<String> texts;

    @Override
    public Integer call() throws JsonProcessingException {
        Backend b = backend.resolve();
        long loadStart = System.nanoTime();
        try (SentenceEmbedder embedder = open(b)) {
            long runStart = System.nanoTime();
            SentenceEmbedder.Result r = embedder.embedAll(texts);
            long end = System.nanoTime();

            float[][] e = r.embeddings();
            // a broken model (NaN weights) must not pass for a result: one pass over the
            // output here, none in the library's hot path
            for (int i = 0; i < e.length; i++) {
                if (!allFinite(e[i])) {
                    spec.commandLine().getErr().println("gatun embed: text " + i + ": the"
                            + " model " + embedder.name() + " produced non-finite values"
                            + " (NaN or infinity); are its weights valid?");
                    return Main.FAILED;
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            for (int i = 0; i < texts.size(); i++) {
                ObjectNode line = JSON.createObjectNode();
                line.put("text", texts.get(i));
                line.put("tokens", r.tokens()[i]);
                ArrayNode values = line.putArray(similarity ? "similarity" : "embedding");
                if (similarity) {
                    for (float[] other : e) {
                        values.add(dot(e[i], other));
                    }
                } else {
                    for (float v : e[i]) {
                        values.add(v);
                    }
                }
                out.println(JSON.writeValueAsString(line));
            }
            out.flush();

            double ms = (end - runStart) / 1e6;
            String truncated = r.truncated() == 0 ? ""
                    : ", " + r.truncated() + " truncated to " + maxTokens + " tokens";
            spec.commandLine().getErr().printf(
                    "gatun embed: model %s, backend %s, %d text%s, %d tokens%s, %.1f ms"
                            + " (%.0f tokens/s, %.1f texts/s; load %.0f ms)%n",
                    embedder.name(), b.name(), texts.size(), texts.size() == 1 ? "" : "s",
                    r.totalTokens(), truncated, ms,
                    r.totalTokens() / (ms / 1e3), texts.size() / (ms / 1e3),
                    (runStart - loadStart) / 1e6);
        }
        return Main.OK;
    }

    /** The embedder; a bad maxTokens is reported as the option the user typed. */
    private SentenceEmbedder open(Backend b) {
        try {
            return SentenceEmbedders.open(model, b, maxTokens);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage() == null ? "" : e.getMessage();
            if (!m.matches("(?s)^(\\w+: )?maxTokens .*")) {
                throw e;
            }
            throw new IllegalArgumentException(
                    m.replaceFirst("^(\\w+: )?maxTokens", "--max-tokens"), e);
        }
    }

    private static boolean allFinite(float[] values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    /** The cosine of two unit vectors, accumulated in double. */
    private static float dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return (float) s;
    }
}
