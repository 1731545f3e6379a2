package dev.gatun.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.Locale;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code gatun} command: embeds text, converts models and generates text on a Gatun
 * backend.
 *
 * <pre>{@code
 * ./gatun embed "The cat sits on the mat." "A feline rests on a rug."
 * ./gatun embed --similarity --backend java "a" "b" "c"
 * ./gatun convert model.onnx out-dir
 * ./gatun generate --checkpoint stories260K.bin --steps 64 --tokens
 * ./gatun backends
 * }</pre>
 *
 * <p>Results go to standard output; each command also prints one summary line to standard
 * error. Exit status: 0 on success, 2 for every failure, with one line naming the problem:
 * bad input (an unknown option, a bad number, a missing or corrupt file, a backend that cannot
 * run here) or Gatun itself failing; scripts need only test for non-zero.
 * {@code --verbose} adds the stack trace and info logging.
 */
@Command(name = "gatun", mixinStandardHelpOptions = true, version = "gatun 0.1.0",
        description = "Transformer inference on native kernels called through FFM.",
        subcommands = {EmbedCommand.class, ConvertCommand.class, GenerateCommand.class,
                BackendsCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit status when the command did its work. */
    public static final int OK = 0;
    /**
     * Exit status when Gatun failed on valid input (a bug, a native failure, unwritable
     * output): the same as {@link #BAD_INPUT}, since every failure of the CLI exits 2; the
     * two names keep the cause readable where it is decided.
     */
    public static final int FAILED = 2;
    /** Exit status for bad input: options, numbers, files, an unusable backend. */
    public static final int BAD_INPUT = 2;

    /** Held so that the level set on it is not lost to garbage collection. */
    private static final Logger DJL_LOGGER = Logger.getLogger("ai.djl");

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Print stack traces and info-level logs.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(),
                "missing command: one of embed, convert, generate, backends, help");
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs the command line {@code args}, writing results to {@code out} and the summary and
     * errors to {@code err}, and returns the exit status (nothing calls System.exit).
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        boolean verbose = Arrays.asList(args).contains("--verbose");
        configureLogging(err, verbose);
        PrintWriter outWriter = new PrintWriter(out, true, StandardCharsets.UTF_8);
        PrintWriter errWriter = new PrintWriter(err, true, StandardCharsets.UTF_8);
        CommandLine cmd = new CommandLine(new Main());
        cmd.setOut(outWriter);
        cmd.setErr(errWriter);
        // "@name" would otherwise be replaced by the contents of file name: a text to embed
        // or a prompt starting with '@' is meant literally
        cmd.setExpandAtFiles(false);
        cmd.setParameterExceptionHandler((e, ignored) -> {
            String name = e.getCommandLine().getCommandSpec().qualifiedName();
            errWriter.println(name + ": " + oneLine(e.getMessage()) + " (see '" + name
                    + " --help')");
            if (verbose) {
                e.printStackTrace(errWriter);
            }
            return BAD_INPUT;
        });
        cmd.setExecutionExceptionHandler((e, failed, parsed) -> report(
                failed.getCommandSpec().qualifiedName(), e, verbose || verboseIn(parsed),
                errWriter));
        int status;
        try {
            status = cmd.execute(args);
        } catch (Throwable e) {
            // picocli hands only Exceptions to the handler: an Error (out of memory, a
            // library that cannot link) would reach the JVM's own stack trace printer
            status = report("gatun", e, verbose, errWriter);
        }
        outWriter.flush();
        // PrintStream swallows write errors (a full disk, a closed pipe); without this
        // check a command whose results were lost would still report success
        if (out.checkError()) {
            errWriter.println("gatun: cannot write output: writing standard output failed"
                    + " (a full disk or a closed pipe?)");
            if (status == OK) {
                status = FAILED;
            }
        }
        errWriter.flush();
        return status;
    }

    /**
     * Prints the one line for a command that failed with {@code e}, and the stack trace when
     * {@code verbose}; returns the exit status: {@link #BAD_INPUT} for bad input (see
     * {@link #isBadInput}), {@link #FAILED} for anything else (a bug or a native failure).
     */
    static int report(String name, Throwable e, boolean verbose, PrintWriter err) {
        boolean bad = isBadInput(e);
        FileSystemException fileError = fileError(e);
        String message = fileError != null ? describe(fileError)
                : bad ? oneLine(e.getMessage())
                : "failed: " + e.getClass().getName() + ": " + oneLine(e.getMessage())
                        + (verbose ? "" : " (--verbose for details)");
        err.println(name + ": " + message);
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return bad ? BAD_INPUT : FAILED;
    }

    /**
     * Whether {@code e} comes from the input rather than from Gatun: a bad argument, a
     * missing, unreadable or corrupt file, or a backend that cannot run here.
     */
    static boolean isBadInput(Throwable e) {
        return e instanceof IllegalArgumentException
                || e instanceof IllegalStateException
                || e instanceof IOException
                || e instanceof UncheckedIOException
                || e.getClass().getSimpleName().equals("ModelFormatException");
    }

    /** The first FileSystemException among {@code e} and its causes, or null. */
    private static FileSystemException fileError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof FileSystemException f) {
                return f;
            }
        }
        return null;
    }

    /**
     * One line naming the file and why it failed: FileSystemException's message is often the
     * path alone, so the reason comes from its type when it carries none.
     */
    static String describe(FileSystemException e) {
        String file = e.getFile() != null ? e.getFile() : "(unnamed file)";
        String line = file + ": " + reason(e);
        return e.getOtherFile() == null ? line : line + " (" + e.getOtherFile() + ")";
    }

    /** Why {@code e} happened, in words: from its type, else its reason, else its type name. */
    static String reason(FileSystemException e) {
        if (e instanceof NoSuchFileException) {
            return e.getReason() != null ? "no such file (" + e.getReason() + ")"
                    : "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof DirectoryNotEmptyException) {
            return "already exists and is not empty";
        }
        if (e instanceof FileAlreadyExistsException) {
            return e.getReason() != null ? e.getReason() : "already exists and is not empty";
        }
        return e.getReason() != null ? oneLine(e.getReason()) : e.getClass().getSimpleName();
    }

    /** The message on one line; the exception's class name when it has none. */
    static String oneLine(String message) {
        if (message == null || message.isBlank()) {
            return "(no message)";
        }
        return message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    private static boolean verboseIn(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Sends java.util.logging (Gatun's System.Logger and, through SLF4J, DJL) to {@code err}
     * as one line per record: warnings only, or everything from INFO up when verbose.
     */
    private static void configureLogging(PrintStream err, boolean verbose) {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Formatter oneLinePerRecord = new Formatter() {
            @Override
            public String format(LogRecord r) {
                String line = "gatun: " + r.getLevel().getName().toLowerCase(Locale.ROOT)
                        + ": " + oneLine(formatMessage(r)) + System.lineSeparator();
                if (r.getThrown() != null && verbose) {
                    StringWriter trace = new StringWriter();
                    r.getThrown().printStackTrace(new PrintWriter(trace));
                    line += trace;
                }
                return line;
            }
        };
        Handler handler = new StreamHandler(err, oneLinePerRecord) {
            @Override
            public synchronized void publish(LogRecord r) {
                super.publish(r);
                flush();
            }

            @Override
            public synchronized void close() {
                flush(); // the stream is the caller's: never close it
            }
        };
        Level level = verbose ? Level.INFO : Level.WARNING;
        handler.setLevel(level);
        root.setLevel(level);
        root.addHandler(handler);
        // DJL warns about its CUDA probe ("Failed to detect GPU count") on machines with a
        // CUDA runtime but no driver; Gatun uses only its tokenizer, so DJL speaks up for
        // errors only, unless --verbose
        DJL_LOGGER.setLevel(verbose ? Level.INFO : Level.SEVERE);
    }
}
