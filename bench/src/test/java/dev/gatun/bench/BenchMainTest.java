package dev.gatun.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The harness starts, runs JMH on tiny sizes and prints its table or JSON lines. Benchmarks
 * are not tests: nothing here asserts a speed, only that numbers come out and are well formed.
 */
class BenchMainTest {

    private record Run(int status, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = BenchMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void smokeRunPrintsOneTable() {
        Run r = run("--smoke");
        assertEquals(0, r.status(), "exit status; stderr:\n" + r.err());
        assertTrue(r.out().startsWith("Gatun benchmarks (smoke): "), r.out());
        String header = r.out().lines().filter(l -> l.startsWith("bench ")).findFirst()
                .orElseThrow(() -> new AssertionError("no header row in:\n" + r.out()));
        for (String backend : BenchMain.BACKENDS) {
            assertTrue(header.contains(backend), "header lacks " + backend + ": " + header);
        }
        String matmul = r.out().lines().filter(l -> l.startsWith("matmul-f32-64 "))
                .findFirst().orElseThrow(() -> new AssertionError("no matmul row:\n" + r.out()));
        // the scalar Java backend runs everywhere, so its cell holds a positive number
        String scalarCell = matmul.trim().split("\\s+")[4];
        assertTrue(Double.parseDouble(scalarCell) > 0, "scalar cell: " + matmul);
    }

    @Test
    void jsonLinesHaveTheFourFields() throws Exception {
        Run r = run("--smoke", "--json");
        assertEquals(0, r.status(), "exit status; stderr:\n" + r.err());
        List<String> lines = r.out().lines().filter(l -> !l.isBlank()).toList();
        assertFalse(lines.isEmpty(), "no JSON lines; stderr:\n" + r.err());
        Set<String> backends = Set.copyOf(BenchMain.BACKENDS);
        boolean sawScalar = false;
        for (String line : lines) {
            JsonNode n = Report.MAPPER.readTree(line);
            Set<String> fields = new HashSet<>();
            n.fieldNames().forEachRemaining(fields::add);
            assertEquals(Set.of("bench", "backend", "value", "unit"), fields, line);
            assertTrue(backends.contains(n.get("backend").asText()), line);
            assertTrue(n.get("value").isNumber() && n.get("value").asDouble() > 0, line);
            sawScalar |= n.get("bench").asText().equals("matmul-f32-64")
                    && n.get("backend").asText().equals("scalar");
        }
        assertTrue(sawScalar, "no matmul-f32-64 scalar line in:\n" + r.out());
    }

    @Test
    void badOptionExitsWithTwo() {
        Run r = run("--no-such-option");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("--no-such-option"), r.err());
    }

    @Test
    void metricsConvertTimeByCountedWork() {
        // 2e9 flops in 1 ms is 2e12 flop/s; 32 sentences in 0.5 s is 64/s
        assertEquals(2000.0, Case.Metric.GFLOPS.value(1e6, 2e9), 1e-9);
        assertEquals(8.0, Case.Metric.GBPS.value(1e6, 8e6), 1e-9);
        assertEquals(64.0, Case.Metric.SENTENCES_PER_S.value(5e8, 32), 1e-9);
        assertEquals(2.5, Case.Metric.MS_PER_SENTENCE.value(2.5e6, 1), 1e-12);
        assertEquals(2 * 128.0 * 384 * 1536, MatmulBenchmark.flops("128x384x1536"));
        assertEquals(2.0 * 1024 * 1024 * 1024, MatmulBenchmark.flops("1024"));
        assertEquals(4.0 * 12 * 256 * 256 * 64, AttentionBenchmark.flops("256"));
    }

    @Test
    void speedupReadsTimeUnitsTheOtherWay() {
        Measurement fastNative = new Measurement("x", "native", 2.0, "ms/sentence", 0);
        Measurement slowJava = new Measurement("x", "java", 6.0, "ms/sentence", 0);
        assertEquals("3.00x", Report.speedup(fastNative, slowJava));
        Measurement rate = new Measurement("y", "native", 90.0, "GFLOP/s", 0);
        Measurement ceiling = new Measurement("y", "onednn-direct", 100.0, "GFLOP/s", 0);
        assertEquals("0.900x", Report.speedup(rate, ceiling));
    }
}
