package dev.gatun.cli;

import dev.gatun.io.OnnxToHfConverter;
import dev.gatun.models.bert.SentenceEmbedders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code gatun convert}: writes a BERT ONNX export as a Hugging Face folder
 * ({@code config.json}, {@code model.safetensors}, and {@code tokenizer.json} when one lies
 * beside the ONNX file) that {@code gatun embed --model DIR} and transformers read.
 *
 * <pre>{@code
 * $ ./gatun convert all-minilm-l6-v2.onnx minilm-hf
 * $ ./gatun convert minilm minilm-hf        (the model on the class path)
 * }</pre>
 *
 * <p>All or nothing: the folder is written under a temporary name beside DIR and renamed to
 * DIR only once complete; on failure, Ctrl-C or SIGTERM the temporary folder is deleted and
 * DIR is untouched (SIGKILL leaves it, as {@code .DIR.partial-PID}). The folder's
 * permissions follow the umask, as mkdir's do.
 * DIR must not exist, or be an empty folder.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a BERT ONNX export (or 'minilm', the model on the class "
                + "path) to a Hugging Face folder: config.json, model.safetensors, "
                + "tokenizer.json.")
final class ConvertCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE.onnx|minilm", description = "The ONNX model.")
    String source;

    @Parameters(index = "1", paramLabel = "DIR",
            description = "The folder to create (absent or empty).")
    Path target;

    @Override
    public Integer call() throws IOException {
        long start = System.nanoTime();
        checkTarget(target);
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path work;
        try {
            work = createPartial(parent);
        } catch (FileSystemException e) {
            throw aboutTarget(e, parent);
        }
        // Ctrl-C or SIGTERM mid-conversion must not leave the partial folder behind
        Thread cleanupOnExit = new Thread(() -> {
            try {
                deleteTree(work);
            } catch (IOException | RuntimeException ignored) {
                // the JVM is exiting; nothing is left to report to
            }
        }, "gatun-convert-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupOnExit);
        boolean done = false;
        try {
            if (SentenceEmbedders.MINILM.equalsIgnoreCase(source)) {
                OnnxToHfConverter.convertMiniLm(work);
            } else {
                Path onnx = Path.of(source);
                if (!Files.isRegularFile(onnx)) {
                    throw new NoSuchFileException(source, null, "no ONNX file");
                }
                OnnxToHfConverter.convert(onnx, tokenizerBeside(onnx), work);
            }

            // the one step that makes DIR appear, complete
            Files.deleteIfExists(target); // an empty folder, checked above
            Files.move(work, target, StandardCopyOption.ATOMIC_MOVE);
            done = true;
            long bytes;
            try (Stream<Path> files = Files.list(target)) {
                bytes = files.mapToLong(ConvertCommand::size).sum();
            }
            spec.commandLine().getErr().printf(
                    "gatun convert: model %s -> %s (%s%.1f MB), %.0f ms%n", source, target,
                    Files.exists(target.resolve("tokenizer.json")) ? ""
                            : "no tokenizer.json beside the ONNX file; ",
                    bytes / 1e6, (System.nanoTime() - start) / 1e6);
            return Main.OK;
        } catch (IOException | RuntimeException | Error e) {
            if (!done) {
                try {
                    deleteTree(work);
                } catch (IOException | RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            if (e instanceof FileSystemException f) {
                throw aboutTarget(f, parent);
            }
            throw e;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to: it deletes the partial folder
            }
        }
    }

    /**
     * Creates the partial folder {@code .DIR.partial-N} beside DIR with the default
     * permissions (the umask decides, like mkdir; createTempDirectory would make it 700).
     */
    private Path createPartial(Path parent) throws IOException {
        String prefix = partialPrefix() + ProcessHandle.current().pid();
        for (int i = 0; ; i++) {
            try {
                return Files.createDirectory(parent.resolve(prefix + (i == 0 ? "" : "-" + i)));
            } catch (FileAlreadyExistsException taken) {
                if (i == 100) {
                    throw taken;
                }
            }
        }
    }

    private String partialPrefix() {
        return "." + target.getFileName() + ".partial-";
    }

    /**
     * The error {@code e} named after DIR, the folder the user gave, rather than the partial
     * folder (an internal name) it happened in.
     */
    private FileSystemException aboutTarget(FileSystemException e, Path parent) {
        if (e.getFile() == null
                || !e.getFile().startsWith(parent.resolve(partialPrefix()).toString())) {
            return e;
        }
        FileSystemException named = new FileSystemException(target.toString(), null,
                "cannot write: " + Main.reason(e));
        named.initCause(e);
        return named;
    }

    /** DIR must be absent or an empty folder. */
    private static void checkTarget(Path target) throws IOException {
        if (!Files.exists(target)) {
            return;
        }
        if (!Files.isDirectory(target)) {
            throw new FileAlreadyExistsException(target.toString(), null,
                    "exists and is not a folder");
        }
        try (Stream<Path> entries = Files.list(target)) {
            if (entries.findAny().isPresent()) {
                throw new DirectoryNotEmptyException(target.toString());
            }
        }
    }

    private static Path tokenizerBeside(Path onnx) {
        try {
            return SentenceEmbedders.tokenizerBeside(onnx);
        } catch (IllegalArgumentException none) {
            return null;
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
