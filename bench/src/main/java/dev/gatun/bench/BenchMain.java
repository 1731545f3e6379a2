package dev.gatun.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatun.bindings.GatunLibrary;
import dev.gatun.models.bert.MiniLm;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gatun bench}: runs a curated set of the JMH benchmarks in this package and prints
 * one table (or, with {@code --json}, one JSON object per measurement).
 *
 * <pre>{@code
 * ./gatun bench --quick          # under 90 s: matmul 1024, MiniLM, empty calls
 * ./gatun bench --json > r.jsonl # under 10 min: everything, then
 * ./gatun bench --charts r.jsonl bench/charts   # PNG charts of those numbers
 * ./gatun bench --profile native # MiniLM's time per op, inside and outside the backend
 * }</pre>
 *
 * <p>JMH measures time per call; each {@link Case} converts it into GFLOP/s, GB/s,
 * sentences/s, ms per sentence or ns per call from the work it counts. A backend that cannot
 * run here (no native library, no Vector API module) is skipped and named with its reason
 * below the table; nothing falls back silently. Progress and warnings go to standard error.
 *
 * <p>Exit status: 0 when every runnable measurement ran, 1 when one failed, 2 for bad
 * options. The numbers mean little on a busy machine: the load average is printed beside
 * them, with a warning above 1.5.
 */
@Command(name = "gatun bench", mixinStandardHelpOptions = true,
        description = "Benchmarks Gatun's backends against each other and against peers"
                + " (ONNX Runtime, oneDNN called directly).")
public final class BenchMain implements Callable<Integer> {
    static final List<String> BACKENDS =
            List.of("native", "java", "scalar", "onnxruntime", "onednn-direct");
    static final double BUSY_LOAD = 1.5;

    @Option(names = "--quick", description = "The short set (under 90 s) instead of the full"
            + " one (under 10 min).")
    boolean quick;

    @Option(names = "--json", description = "One JSON object per measurement instead of the"
            + " table: {\"bench\", \"backend\", \"value\", \"unit\"}.")
    boolean json;

    @Option(names = "--out", paramLabel = "FILE", description = "Also writes the JSON lines"
            + " to FILE (e.g. for --charts), whatever goes to standard output.")
    Path jsonFile;

    @Option(names = "--smoke", hidden = true,
            description = "A few seconds of tiny measurements: proves the harness runs.")
    boolean smoke;

    @Option(names = "--profile", paramLabel = "BACKEND",
            description = "Prints where one MiniLM embedding spends its time, per op, on"
                    + " BACKEND (native, java, scalar), and exits.")
    String profile;

    @Option(names = "--charts", arity = "2", paramLabel = "FILE DIR",
            description = "Draws PNG charts from a --json output FILE into DIR, and exits.")
    List<Path> charts;

    private PrintStream out;
    private PrintStream err;

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command line {@code args}; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        BenchMain main = new BenchMain();
        main.out = out;
        main.err = err;
        CommandLine cmd = new CommandLine(main);
        cmd.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cmd.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        return cmd.execute(args);
    }

    @Override
    public Integer call() throws IOException {
        if (charts != null) {
            Charts.write(charts.get(0), charts.get(1));
            err.println("gatun bench: charts written to " + charts.get(1));
            return 0;
        }
        if (profile != null) {
            MiniLmProfile.run(profile, out);
            return 0;
        }
        String set = smoke ? "smoke" : quick ? "quick" : "full";
        List<Plan.Entry> plan = smoke ? Plan.smoke() : quick ? Plan.quick() : Plan.full();
        if (jsonFile != null) {
            Files.deleteIfExists(jsonFile);
            Files.createFile(jsonFile);
        }
        Machine machine = Machine.describe();
        err.println("gatun bench (" + set + "): " + plan.size() + " measurements on "
                + machine.line());
        if (machine.load() > BUSY_LOAD) {
            err.println("gatun bench: warning: load average " + machine.load() + " > "
                    + BUSY_LOAD + ": other work shares the CPU, numbers will be low and noisy");
        }

        List<Measurement> results = new ArrayList<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        List<String> failed = new ArrayList<>();
        long start = System.nanoTime();
        int i = 0;
        int skippedCount = 0;
        for (Plan.Entry entry : plan) {
            i++;
            Case c = entry.c();
            String label = "[" + i + "/" + plan.size() + "] " + c.bench() + " " + c.backend();
            Optional<String> why = unavailable(c);
            if (why.isPresent()) {
                skipped.putIfAbsent(requirement(c), why.get());
                skippedCount++;
                err.println(label + ": skipped (" + requirement(c) + " unavailable)");
                continue;
            }
            try {
                List<Measurement> m = measure(c, entry.budget());
                results.addAll(m);
                err.printf(Locale.ROOT, "%s: %s %s (load average %.2f)%n", label,
                        Report.format(m.get(0).value()), m.get(0).unit(),
                        Machine.describe().load());
                if (json) {
                    m.forEach(x -> out.println(jsonLine(x)));
                    out.flush();
                }
                if (jsonFile != null) {
                    List<String> lines = m.stream().map(BenchMain::jsonLine).toList();
                    Files.write(jsonFile, lines, StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
                }
            } catch (RunnerException | RuntimeException e) {
                failed.add(c.bench() + " " + c.backend() + ": " + rootMessage(e));
                err.println(label + ": FAILED: " + rootMessage(e));
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Machine after = Machine.describe();

        if (!json) {
            out.print(Report.table(results, machine, after, set, seconds, skipped, failed));
        }
        err.printf(Locale.ROOT, "gatun bench: %d measurements in %.0f s, %d skipped, %d"
                + " failed; load average %.2f before, %.2f after%n", results.size(), seconds,
                skippedCount, failed.size(), machine.load(),
                after.load());
        return failed.isEmpty() ? 0 : 1;
    }

    /** {"bench": NAME, "backend": BACKEND, "value": NUMBER, "unit": UNIT} */
    static String jsonLine(Measurement m) {
        ObjectNode node = Report.MAPPER.createObjectNode();
        node.put("bench", m.bench());
        node.put("backend", m.backend());
        node.put("value", Report.round(m.value()));
        node.put("unit", m.unit());
        return node.toString();
    }

    /** Runs one case under JMH; the first measurement is the case's own number. */
    List<Measurement> measure(Case c, Plan.Budget budget) throws RunnerException {
        String name = BenchMain.class.getPackageName() + "." + c.method();
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include("^" + Pattern.quote(name) + "$")
                .mode(Mode.AverageTime)
                .timeUnit(TimeUnit.NANOSECONDS)
                .forks(budget.forks())
                .warmupIterations(budget.warmups())
                .warmupTime(TimeValue.milliseconds(Math.max(1, budget.warmupMillis())))
                .measurementIterations(budget.iterations())
                .measurementTime(TimeValue.milliseconds(budget.iterationMillis()))
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT);
        c.params().forEach(options::param);
        if (budget.forks() > 0) {
            options.jvmArgs(forkArguments().toArray(String[]::new));
        }
        if (c.allocation()) {
            options.addProfiler(GCProfiler.class);
        }
        // JMH echoes what a forked JVM prints (its warnings) through this format: stderr, so
        // that standard output holds the table or the JSON lines only
        OutputFormat format = OutputFormatFactory.createFormatInstance(err,
                VerboseMode.SILENT);
        Collection<RunResult> runs = new Runner(options.build(), format).run();
        if (runs.size() != 1) {
            throw new IllegalStateException("JMH ran " + runs.size() + " benchmarks for "
                    + name + " " + c.params() + ", expected 1");
        }
        RunResult run = runs.iterator().next();
        Result<?> time = run.getPrimaryResult();
        double ns = time.getScore();
        List<Measurement> out = new ArrayList<>();
        out.add(new Measurement(c.bench(), c.backend(), c.metric().value(ns, c.work()),
                c.metric().unit, relativeError(time) * c.metric().value(ns, c.work())));
        if (c.allocation()) {
            Result<?> bytes = run.getSecondaryResults().get("gc.alloc.rate.norm");
            if (bytes != null) {
                out.add(new Measurement(c.bench() + "-heap-alloc", c.backend(),
                        bytes.getScore() / c.work(), "B/sentence", Double.NaN));
            }
        }
        return out;
    }

    private static double relativeError(Result<?> r) {
        double e = r.getScoreError();
        return Double.isFinite(e) && r.getScore() > 0 ? e / r.getScore() : Double.NaN;
    }

    /** What a case needs to run: a backend, the native library, or nothing. */
    static String requirement(Case c) {
        if (c.method().endsWith(".loop") || c.method().endsWith(".javaLoopAdd")) {
            return "nothing";
        }
        if (c.method().startsWith("CallOverheadBenchmark.") && !c.params().containsKey(
                "backend")) {
            return "libgatun.so";
        }
        return c.backend();
    }

    /** Why a case cannot run here, or empty. */
    static Optional<String> unavailable(Case c) {
        String need = requirement(c);
        try {
            switch (need) {
                case "nothing" -> {
                    return Optional.empty();
                }
                case "libgatun.so" -> {
                    return GatunLibrary.failure();
                }
                case "onednn-direct" -> {
                    OneDnnDirect.load();
                    return Optional.empty();
                }
                case "onnxruntime" -> {
                    Class.forName("ai.onnxruntime.OrtEnvironment");
                    return MiniLm.isAvailable() ? Optional.empty()
                            : Optional.of(MiniLm.ARTIFACT + " is not on the class path");
                }
                default -> {
                    return BenchBackends.unavailable(need);
                }
            }
        } catch (ClassNotFoundException e) {
            return Optional.of("ONNX Runtime is not on the class path");
        } catch (RuntimeException | LinkageError e) {
            return Optional.of(rootMessage(e));
        }
    }

    /**
     * The forked JVMs get this JVM's native-access, module and system-property flags, so a
     * fork sees the same backends as the harness.
     */
    private static List<String> forkArguments() {
        List<String> args = new ArrayList<>();
        List<String> input = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (int i = 0; i < input.size(); i++) {
            String a = input.get(i);
            if (a.startsWith("--enable-native-access") || a.startsWith("-D")
                    || a.startsWith("-Xmx") || a.startsWith("--add-modules=")) {
                args.add(a);
            } else if (a.equals("--add-modules") && i + 1 < input.size()) {
                args.add(a);
                args.add(input.get(++i));
            }
        }
        return args;
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return (m == null ? t.getClass().getName() : m).strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    /** The machine and its load, for the table's header and RESULTS.md. */
    record Machine(String cpu, int cores, String jdk, String date, double load) {
        static Machine describe() {
            String cpu = "unknown CPU";
            try {
                for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                    if (line.startsWith("model name")) {
                        cpu = line.substring(line.indexOf(':') + 1).strip();
                        break;
                    }
                }
            } catch (IOException e) {
                cpu = "unknown CPU (" + e.getMessage() + ")";
            }
            double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            return new Machine(cpu, Runtime.getRuntime().availableProcessors(),
                    Runtime.version().toString() + " (" + System.getProperty("java.vm.name")
                            + ")", LocalDate.now().toString(), load);
        }

        String line() {
            return String.format(Locale.ROOT, "%s, %d cores, JDK %s, %s, load average %.2f",
                    cpu, cores, jdk, date, load);
        }
    }
}
