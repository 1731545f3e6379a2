package dev.gatun.cli;

import dev.gatun.Backend;
import dev.gatun.Device;
import dev.gatun.Ops;
import dev.gatun.Scope;
import dev.gatun.io.HfConfig;
import dev.gatun.io.HfLlamaWeights;
import dev.gatun.io.Llama2cCheckpoint;
import dev.gatun.io.LlamaWeights;
import dev.gatun.models.llama.LlamaConfig;
import dev.gatun.models.llama.LlamaModel;
import dev.gatun.models.llama.Sampler;
import dev.gatun.nn.Tensors;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code gatun generate}: samples text from a Llama-architecture model (a llama2.c checkpoint
 * or a Hugging Face folder), as llama2.c's {@code run} does.
 *
 * <pre>{@code
 * $ ./gatun generate --checkpoint stories260K.bin --temperature 0 --steps 20 --tokens
 * 403 407 261 ...                 (the 20 generated ids after BOS)
 * $ ./gatun generate --checkpoint stories15M.bin --tokenizer tokenizer.bin \
 *       --prompt "Once upon a time" --steps 100 --seed 7
 * Once upon a time, there was ...
 * }</pre>
 *
 * <p>The prompt is BOS followed by the encoded {@code --prompt}. Generation stops after
 * {@code --steps} new tokens or at the end-of-sequence token: BOS (1) for llama2.c
 * checkpoints, which is how their training data delimits stories and where {@code run.c}
 * stops, the first {@code eos_token_id} for Hugging Face folders.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text (or token ids) from a Llama-architecture model. "
                + "Prints the prompt and the generated text, or with --tokens (or "
                + "without a tokenizer) the token ids after BOS, space-separated on "
                + "one line.")
final class GenerateCommand implements Callable<Integer> {
    private static final int DEFAULT_STEPS = 256;

    @Spec
    CommandSpec spec;

    @Mixin
    BackendOption backend;

    @Option(names = "--checkpoint", required = true, paramLabel = "PATH",
            description = "A llama2.c checkpoint (.bin) or a Hugging Face Llama folder.")
    Path checkpoint;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "llama2.c tokenizer.bin, to encode --prompt and decode the output.")
    Path tokenizerFile;

    @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = "",
            description = "The text to continue. Without --tokenizer: token ids "
                    + "separated by spaces. BOS is always prepended. Default: empty "
                    + "(BOS alone).")
    String prompt;

    @Option(names = "--steps", paramLabel = "N",
            description = "New tokens to generate, at most the context minus the prompt. "
                    + "Default: " + DEFAULT_STEPS + ", or what the context leaves.")
    Integer steps;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "1.0",
            description = "Sampling temperature; 0 is greedy. Default: ${DEFAULT-VALUE}.")
    float temperature;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.9",
            description = "Nucleus sampling threshold in (0, 1]; 1 samples the whole"
                    + " distribution. Default: ${DEFAULT-VALUE}.")
    float topP;

    @Option(names = "--seed", paramLabel = "S",
            description = "Random seed (default: from the clock; the summary prints it).")
    Long seed;

    @Option(names = "--tokens", description = "Print token ids instead of text.")
    boolean printTokens;

    @Override
    public Integer call() throws IOException {
        checkOptions();
        long seedValue = seed != null ? seed : System.nanoTime();
        long loadStart = System.nanoTime();
        try (Scope weightsScope = Scope.open()) {
            Loaded loaded = load(checkpoint, weightsScope);
            LlamaModel model = loaded.model();
            LlamaConfig config = model.config();
            Llama2cTokenizer tokenizer = tokenizerFile == null ? null
                    : Llama2cTokenizer.read(tokenizerFile, config.vocab());
            int[] promptIds = promptIds(tokenizer, config.vocab());
            int room = config.maxPositions() - promptIds.length;
            int n = steps != null ? steps : Math.max(0, Math.min(DEFAULT_STEPS, room));
            if (room < 0) {
                throw new IllegalArgumentException("the prompt (" + promptIds.length
                        + " tokens with BOS) exceeds the model's context of "
                        + config.maxPositions() + " positions");
            }
            if (n > room) {
                throw new IllegalArgumentException("--steps " + n + " with a prompt of "
                        + tokens(promptIds.length) + " exceeds the model's context of "
                        + config.maxPositions() + " positions; use at most " + room);
            }
            Backend b = backend.resolve(); // after the files: their errors come first
            if (b.device() != Device.CPU) {
                // the same model over copies of its weights on the backend's device
                model = LlamaModel.load(loaded.weights(), new Ops(b, weightsScope));
            }
            Sampler sampler = temperature == 0 ? Sampler.greedy()
                    : topP >= 1 ? Sampler.temperature(temperature, seedValue)
                    : Sampler.topP(temperature, topP, seedValue);

            if (!firstLogitsFinite(model, b, promptIds[0])) {
                spec.commandLine().getErr().println("gatun generate: the model "
                        + checkpoint.getFileName() + " produced non-finite logits (NaN or"
                        + " infinity) for BOS; are its weights valid?");
                return Main.FAILED;
            }

            long runStart = System.nanoTime();
            int[] generated = model.generate(b, promptIds, n, sampler, loaded.stopToken(),
                    t -> true);
            long end = System.nanoTime();

            // everything after BOS: the prompt's tokens, then the generated ones
            int[] all = new int[promptIds.length - 1 + generated.length];
            System.arraycopy(promptIds, 1, all, 0, promptIds.length - 1);
            System.arraycopy(generated, 0, all, promptIds.length - 1, generated.length);
            PrintWriter out = spec.commandLine().getOut();
            if (printTokens || tokenizer == null) {
                out.println(Arrays.stream(all).mapToObj(Integer::toString)
                        .collect(Collectors.joining(" ")));
            } else {
                int[] withBos = new int[all.length + 1];
                withBos[0] = Llama2cTokenizer.BOS;
                System.arraycopy(all, 0, withBos, 1, all.length);
                out.println(tokenizer.decode(withBos));
            }
            out.flush();

            double ms = (end - runStart) / 1e6;
            spec.commandLine().getErr().printf(
                    "gatun generate: model %s (%s), backend %s, %d prompt + %d generated"
                            + " tokens, %.1f ms (%.1f tokens/s; load %.0f ms), seed %s%n",
                    checkpoint.getFileName(), loaded.format(), b.name(), promptIds.length,
                    generated.length, ms, generated.length / (ms / 1e3),
                    (runStart - loadStart) / 1e6,
                    temperature == 0 ? "- (greedy)" : Long.toString(seedValue));
        }
        return Main.OK;
    }

    /**
     * Whether the logits after {@code token} alone are all finite: one extra position
     * computed here, rather than a check on every step in the library's decoding loop.
     * Catches NaN or infinite weights in the layers, norms and head (not in another
     * token's embedding row).
     */
    private static boolean firstLogitsFinite(LlamaModel model, Backend b, int token) {
        try (Scope probe = Scope.open()) {
            Ops ops = new Ops(b, probe);
            for (float v : Tensors.toFloats(ops, model.forward(ops, new int[] {token}))) {
                if (!Float.isFinite(v)) {
                    return false;
                }
            }
            return true;
        }
    }

    private static String tokens(int n) {
        return n + (n == 1 ? " token" : " tokens");
    }

    private void checkOptions() {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("--temperature must be >= 0, got "
                    + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("--top-p must be in (0, 1], got " + topP);
        }
        if (steps != null && steps < 0) {
            throw new IllegalArgumentException("--steps must be >= 0, got " + steps);
        }
    }

    /** BOS, then the prompt: encoded text with a tokenizer, else ids separated by spaces. */
    private int[] promptIds(Llama2cTokenizer tokenizer, int vocab) {
        if (tokenizer != null) {
            return tokenizer.encode(prompt, true);
        }
        String[] parts = prompt.isBlank() ? new String[0] : prompt.strip().split("\\s+");
        int[] ids = new int[parts.length + 1];
        ids[0] = Llama2cTokenizer.BOS;
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i + 1] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--prompt without --tokenizer must be token"
                        + " ids separated by spaces; '" + parts[i] + "' is not a number");
            }
            if (ids[i + 1] < 0 || ids[i + 1] >= vocab) {
                throw new IllegalArgumentException("--prompt: token " + ids[i + 1]
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        return ids;
    }

    /** A model over host weights, those weights, their file format, and the stop token. */
    private record Loaded(LlamaModel model, LlamaWeights weights, String format,
                          int stopToken) {}

    private static Loaded load(Path path, Scope scope) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "no checkpoint");
        }
        LlamaWeights weights;
        String format;
        int stop;
        if (Files.isDirectory(path)) {
            if (!Files.exists(path.resolve("config.json"))) {
                throw new IllegalArgumentException(path + " is a folder but not a Hugging Face"
                        + " model folder (no config.json); --checkpoint takes a llama2.c .bin"
                        + " file or such a folder");
            }
            weights = HfLlamaWeights.load(path, scope);
            format = "Hugging Face";
            HfConfig c = weights.config();
            stop = c.eosTokenId() == null || c.eosTokenId().isEmpty() ? -1
                    : c.eosTokenId().get(0);
        } else {
            weights = Llama2cCheckpoint.open(path, scope);
            format = "llama2.c";
            stop = Llama2cTokenizer.BOS;
        }
        HfConfig c = weights.config();
        if (!c.isLlama()) {
            throw new IllegalArgumentException(path + " holds a '" + c.modelType()
                    + "' model; generate needs a llama one");
        }
        return new Loaded(LlamaModel.load(weights), weights, format, stop);
    }
}
