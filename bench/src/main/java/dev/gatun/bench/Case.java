package dev.gatun.bench;

import java.util.Map;

/**
 * One measurement to run: a JMH benchmark method with fixed parameters, and how its time per
 * call converts into the reported number.
 *
 * @param bench     the reported name, e.g. "matmul-f32-1024"
 * @param backend   the reported backend: native, java, scalar, onnxruntime, onednn-direct
 * @param method    the JMH method, "Class.method" (e.g. "MatmulBenchmark.ops")
 * @param params    the JMH parameters, e.g. {shape=1024, backend=native}
 * @param metric    how time per call becomes the reported value
 * @param work      flops, bytes or sentences per call, as the metric needs
 * @param allocation also report Java heap bytes allocated per work unit (JMH's gc profiler)
 */
record Case(String bench, String backend, String method, Map<String, String> params,
            Metric metric, double work, boolean allocation) {

    /** How a time per call converts into the number reported. */
    enum Metric {
        /** work = flops per call. */
        GFLOPS("GFLOP/s", true),
        /** work = bytes per call. */
        GBPS("GB/s", true),
        /** work = sentences per call. */
        SENTENCES_PER_S("sentences/s", true),
        /** work = sentences per call; reports milliseconds per sentence. */
        MS_PER_SENTENCE("ms/sentence", false),
        /** reports the time per call. */
        NS_PER_OP("ns/op", false);

        final String unit;
        /** Whether a bigger number is better. */
        final boolean rate;

        Metric(String unit, boolean rate) {
            this.unit = unit;
            this.rate = rate;
        }

        /** The reported value of a call that took {@code ns} nanoseconds. */
        double value(double ns, double work) {
            return switch (this) {
                case GFLOPS, GBPS -> work / ns;
                case SENTENCES_PER_S -> work / (ns * 1e-9);
                case MS_PER_SENTENCE -> ns / 1e6 / work;
                case NS_PER_OP -> ns;
            };
        }
    }
}
