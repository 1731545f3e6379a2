package dev.gatun.bench;

/**
 * One number of a benchmark run, as {@code gatun bench --json} prints it.
 *
 * @param bench   what was measured, e.g. "matmul-f32-1024", "minilm-batch32"
 * @param backend native, java, scalar, onnxruntime or onednn-direct
 * @param value   the rate or time in {@code unit}
 * @param unit    e.g. "GFLOP/s", "GB/s", "sentences/s", "ms/sentence", "ns/op", "B/sentence"
 * @param error   JMH's 99.9% confidence half-width, in {@code unit}; NaN when unknown
 */
public record Measurement(String bench, String backend, double value, String unit,
                          double error) {}
