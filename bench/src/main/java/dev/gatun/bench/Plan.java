package dev.gatun.bench;

import dev.gatun.bench.Case.Metric;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The curated sets of measurements {@code gatun bench} runs, and how long each runs.
 *
 * <ul>
 *   <li>quick (under 90 s): matmul 1024 on every backend, MiniLM throughput (batch 32) on
 *       native, java and ONNX Runtime and latency (batch 1) on those and scalar, the
 *       empty-call costs; one JVM, short iterations;
 *   <li>full (under 10 min): every op benchmark over its sizes, MiniLM with the heap bytes
 *       it allocates, every call-overhead variant; one fresh JVM (JMH fork) per measurement;
 *   <li>smoke (a few seconds, for CI): matmul 64 and two empty calls, one short iteration.
 * </ul>
 */
final class Plan {
    /** How long JMH runs one case. */
    record Budget(int forks, int warmups, int warmupMillis, int iterations,
                  int iterationMillis) {}

    static final Budget SMOKE = new Budget(0, 0, 0, 1, 100);
    static final Budget QUICK_OPS = new Budget(0, 1, 500, 2, 500);
    static final Budget QUICK_MODEL = new Budget(0, 3, 1000, 2, 1000);
    static final Budget FULL_OPS = new Budget(1, 2, 500, 3, 500);
    /**
     * For the matmul target (native against direct oneDNN, n >= 256): with FULL_OPS' 1.5 s
     * windows the ratio at n = 256 and 512 swung from 80% to 94% between full runs on the
     * 2-core Zen 5 VM while 5 s windows over 3 forks stayed at 93%; 5 s each side, same for
     * both (and for native into a preallocated dst, the reference for the API's own cost).
     */
    static final Budget FULL_MATMUL_TARGET = new Budget(1, 3, 1000, 5, 1000);
    // five warm-up seconds: with two, batch-1 MiniLM still ran partly in C1 code
    static final Budget FULL_MODEL = new Budget(1, 5, 1000, 5, 1000);
    /** For calls of tens of seconds (MiniLM batch 32 on plain loops): one call each. */
    static final Budget FULL_SLOW = new Budget(1, 1, 1, 1, 1);

    /** A case with the budget it runs under. */
    record Entry(Case c, Budget budget) {}

    private static final String[] MATMUL_SHAPES =
            {"64", "256", "512", "1024", "2048", "128x384x1536", "128x1536x384"};
    private static final String[] LAYER_NORM_SHAPES = {"128x384", "4096x384", "256x4096"};
    private static final String[] SOFTMAX_SHAPES = {"1536x128", "12288x1024", "32x32000"};
    private static final String[] ATTENTION_T = {"16", "64", "256", "1024"};
    private static final int BATCH = Sentences.BATCH.size();

    private Plan() {}

    static List<Entry> smoke() {
        List<Entry> out = new ArrayList<>();
        for (String backend : new String[] {"native", "java", "scalar", "onednn-direct"}) {
            out.add(new Entry(matmul("64", backend, "ops"), SMOKE));
        }
        out.add(new Entry(call("call-empty-ffm", "ffmEmpty"), SMOKE));
        out.add(new Entry(call("call-empty-jni", "jniEmpty"), SMOKE));
        return out;
    }

    static List<Entry> quick() {
        List<Entry> out = new ArrayList<>();
        for (String backend : new String[] {"native", "java", "scalar", "onednn-direct"}) {
            out.add(new Entry(matmul("1024", backend, "ops"), QUICK_OPS));
        }
        for (String backend : new String[] {"native", "java", "onnxruntime"}) {
            out.add(new Entry(minilm("batch32", backend, false), QUICK_MODEL));
        }
        for (String backend : new String[] {"native", "java", "scalar", "onnxruntime"}) {
            out.add(new Entry(minilm("latency", backend, false), QUICK_MODEL));
        }
        out.add(new Entry(call("call-empty-ffm", "ffmEmpty"), QUICK_OPS));
        out.add(new Entry(call("call-empty-ffm-critical", "ffmEmptyCritical"), QUICK_OPS));
        out.add(new Entry(call("call-empty-jni", "jniEmpty"), QUICK_OPS));
        return out;
    }

    static List<Entry> full() {
        List<Entry> out = new ArrayList<>();

        // MiniLM first: the headline, measured while the machine is as quiet as it gets
        for (String backend : new String[] {"native", "java", "onnxruntime"}) {
            out.add(new Entry(minilm("batch32", backend, true), FULL_MODEL));
        }
        out.add(new Entry(minilm("batch32", "scalar", false), FULL_SLOW));
        for (String backend : new String[] {"native", "java", "scalar", "onnxruntime"}) {
            out.add(new Entry(minilm("latency", backend, true), FULL_MODEL));
        }
        for (String backend : new String[] {"native", "java", "onnxruntime"}) {
            out.add(new Entry(minilm("long4", backend, false), FULL_MODEL));
        }
        for (String backend : new String[] {"native", "java"}) {
            out.add(new Entry(minilm("forward", backend, true), FULL_MODEL));
        }

        // matmul: the whole API on every backend, into a preallocated dst on native
        for (String shape : MATMUL_SHAPES) {
            for (String backend : new String[] {"native", "java", "scalar", "onednn-direct"}) {
                if (backend.equals("scalar") && shape.equals("2048")) {
                    continue; // ~17 GFLOP per call: tens of seconds on plain loops
                }
                boolean target = !shape.equals("64") && !shape.contains("x")
                        && (backend.equals("native") || backend.equals("onednn-direct"));
                out.add(new Entry(matmul(shape, backend, "ops"),
                        target ? FULL_MATMUL_TARGET : FULL_OPS));
            }
            boolean square = !shape.equals("64") && !shape.contains("x");
            out.add(new Entry(matmul(shape, "native", "backend"),
                    square ? FULL_MATMUL_TARGET : FULL_OPS));
        }
        for (String shape : new String[] {"64", "256", "512"}) {
            out.add(new Entry(matmul(shape, "scalar", "loop"), FULL_OPS));
        }

        for (String shape : LAYER_NORM_SHAPES) {
            for (String backend : new String[] {"native", "java", "scalar"}) {
                out.add(new Entry(rowOp("layer-norm", "LayerNormBenchmark", shape, backend,
                        LayerNormBenchmark.bytes(shape)), FULL_OPS));
            }
            out.add(new Entry(rowLoop("layer-norm", "LayerNormBenchmark", shape,
                    LayerNormBenchmark.bytes(shape)), FULL_OPS));
        }
        for (String shape : SOFTMAX_SHAPES) {
            for (String backend : new String[] {"native", "java", "scalar"}) {
                out.add(new Entry(rowOp("softmax", "SoftmaxBenchmark", shape, backend,
                        SoftmaxBenchmark.bytes(shape)), FULL_OPS));
            }
            out.add(new Entry(rowLoop("softmax", "SoftmaxBenchmark", shape,
                    SoftmaxBenchmark.bytes(shape)), FULL_OPS));
        }
        for (String t : ATTENTION_T) {
            boolean small = Integer.parseInt(t) <= 256;
            for (String backend : new String[] {"native", "java", "scalar"}) {
                if (backend.equals("scalar") && !small) {
                    continue;
                }
                out.add(new Entry(attention(t, backend, "backend"), FULL_OPS));
            }
            if (small) {
                out.add(new Entry(attention(t, "scalar", "loop"), FULL_OPS));
            }
        }

        out.add(new Entry(call("call-empty-ffm", "ffmEmpty"), FULL_OPS));
        out.add(new Entry(call("call-empty-ffm-critical", "ffmEmptyCritical"), FULL_OPS));
        out.add(new Entry(call("call-empty-jni", "jniEmpty"), FULL_OPS));
        out.add(new Entry(call("add16-ffm", "ffmAdd"), FULL_OPS));
        out.add(new Entry(call("add16-ffm-critical", "ffmAddCritical"), FULL_OPS));
        out.add(new Entry(call("add16-ffm-heap-critical", "ffmAddHeap"), FULL_OPS));
        out.add(new Entry(call("add16-jni", "jniAdd"), FULL_OPS));
        out.add(new Entry(call("add16-jni-arrays", "jniAddArrays"), FULL_OPS));
        out.add(new Entry(new Case("add16-java-loop", "java",
                "CallOverheadBenchmark.javaLoopAdd", Map.of(), Metric.NS_PER_OP, 1, false),
                FULL_OPS));
        for (String backend : new String[] {"native", "java"}) {
            out.add(new Entry(new Case("add16-backend", backend,
                    "CallOverheadBenchmark.backendAdd", Map.of("backend", backend),
                    Metric.NS_PER_OP, 1, false), FULL_OPS));
            out.add(new Entry(new Case("add16-ops", backend, "CallOverheadBenchmark.opsAdd",
                    Map.of("backend", backend), Metric.NS_PER_OP, 1, false), FULL_OPS));
        }
        return out;
    }

    /**
     * matmul of one shape: method "ops" (whole API, reported as matmul-f32-SHAPE), "backend"
     * (into a preallocated dst, matmul-f32-SHAPE-into-dst) or "loop" (the plain Java loop,
     * matmul-f32-SHAPE-plain-loop, reported under scalar).
     */
    static Case matmul(String shape, String backend, String method) {
        String bench = "matmul-f32-" + shape + switch (method) {
            case "backend" -> "-into-dst";
            case "loop" -> "-plain-loop";
            default -> "";
        };
        Map<String, String> params = method.equals("loop") ? Map.of("shape", shape)
                : Map.of("shape", shape, "backend", backend);
        return new Case(bench, backend, "MatmulBenchmark." + method, params, Metric.GFLOPS,
                MatmulBenchmark.flops(shape), false);
    }

    static Case minilm(String method, String backend, boolean allocation) {
        return switch (method) {
            case "batch32" -> new Case("minilm-batch32", backend, "MiniLmBenchmark.batch32",
                    Map.of("backend", backend), Metric.SENTENCES_PER_S, BATCH, allocation);
            case "latency" -> new Case("minilm-latency", backend, "MiniLmBenchmark.latency",
                    Map.of("backend", backend), Metric.MS_PER_SENTENCE, 1, allocation);
            case "long4" -> new Case("minilm-long4", backend, "MiniLmBenchmark.long4",
                    Map.of("backend", backend), Metric.SENTENCES_PER_S,
                    Sentences.LONG.size(), allocation);
            case "forward" -> new Case("minilm-forward-batch32", backend,
                    "MiniLmBenchmark.forward", Map.of("backend", backend),
                    Metric.SENTENCES_PER_S, BATCH, allocation);
            default -> throw new IllegalArgumentException("no MiniLM method " + method);
        };
    }

    private static Case rowOp(String op, String benchmark, String shape, String backend,
                              double bytes) {
        return new Case(op + "-f32-" + shape, backend, benchmark + ".backend",
                Map.of("shape", shape, "backend", backend), Metric.GBPS, bytes, false);
    }

    private static Case rowLoop(String op, String benchmark, String shape, double bytes) {
        return new Case(op + "-f32-" + shape + "-plain-loop", "scalar", benchmark + ".loop",
                Map.of("shape", shape), Metric.GBPS, bytes, false);
    }

    private static Case attention(String t, String backend, String method) {
        String bench = "attention-f32-t" + t + (method.equals("loop") ? "-plain-loop" : "");
        Map<String, String> params = method.equals("loop") ? Map.of("t", t)
                : Map.of("t", t, "backend", backend);
        return new Case(bench, backend, "AttentionBenchmark." + method, params, Metric.GFLOPS,
                AttentionBenchmark.flops(t), false);
    }

    private static Case call(String bench, String method) {
        return new Case(bench, "native", "CallOverheadBenchmark." + method, Map.of(),
                Metric.NS_PER_OP, 1, false);
    }
}
