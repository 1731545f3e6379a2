package dev.gatun.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Formats measurements as the one readable table {@code gatun bench} prints. */
final class Report {
    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final List<String> TIME_UNITS = List.of("ms/sentence", "ns/op");

    private Report() {}

    /**
     * One row per bench, one column per backend, then two speed-ups: native over java, and
     * native over its peer (ONNX Runtime or oneDNN called directly); above 1 native is faster.
     */
    static String table(List<Measurement> results, BenchMain.Machine before,
                        BenchMain.Machine after, String set, double seconds,
                        Map<String, String> skipped, List<String> failed) {
        Map<String, Map<String, Measurement>> rows = new LinkedHashMap<>();
        for (Measurement m : results) {
            rows.computeIfAbsent(m.bench(), k -> new LinkedHashMap<>()).put(m.backend(), m);
        }
        List<String[]> lines = new ArrayList<>();
        List<String> header = new ArrayList<>(List.of("bench", "unit"));
        header.addAll(BenchMain.BACKENDS);
        header.add("native/java");
        header.add("native/peer");
        lines.add(header.toArray(String[]::new));
        for (Map.Entry<String, Map<String, Measurement>> row : rows.entrySet()) {
            Map<String, Measurement> byBackend = row.getValue();
            String unit = byBackend.values().iterator().next().unit();
            List<String> cells = new ArrayList<>(List.of(row.getKey(), unit));
            for (String backend : BenchMain.BACKENDS) {
                Measurement m = byBackend.get(backend);
                cells.add(m == null ? "-" : format(m.value()));
            }
            Measurement peer = byBackend.containsKey("onnxruntime") ? byBackend.get("onnxruntime")
                    : byBackend.get("onednn-direct");
            boolean speed = !unit.startsWith("B/");
            cells.add(speed ? speedup(byBackend.get("native"), byBackend.get("java")) : "");
            cells.add(speed ? speedup(byBackend.get("native"), peer) : "");
            lines.add(cells.toArray(String[]::new));
        }

        StringBuilder sb = new StringBuilder();
        sb.append("Gatun benchmarks (").append(set).append("): ").append(before.line())
                .append('\n');
        sb.append(String.format(Locale.ROOT, "%d measurements in %.0f s; load average %.2f"
                + " after%n", results.size(), seconds, after.load()));
        double worst = Math.max(before.load(), after.load());
        if (worst > BenchMain.BUSY_LOAD) {
            sb.append(String.format(Locale.ROOT, "WARNING: load average up to %.2f (> %.1f):"
                    + " other work shared the CPU; these numbers are low and noisy%n", worst,
                    BenchMain.BUSY_LOAD));
        }
        sb.append('\n');
        int[] width = new int[header.size()];
        for (String[] line : lines) {
            for (int i = 0; i < line.length; i++) {
                width[i] = Math.max(width[i], line[i].length());
            }
        }
        for (int l = 0; l < lines.size(); l++) {
            String[] line = lines.get(l);
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < line.length; i++) {
                String cell = line[i];
                String pad = " ".repeat(width[i] - cell.length());
                text.append(i < 2 ? cell + pad : pad + cell).append(i + 1 < line.length ? "  "
                        : "");
            }
            sb.append(text.toString().stripTrailing()).append('\n');
            if (l == 0) {
                sb.append("-".repeat(text.length())).append('\n');
            }
        }
        sb.append('\n').append("native/java, native/peer: how many times faster native is"
                + " (peer: onnxruntime, else onednn-direct); scalar = the Java backend on plain"
                + " loops;\n*-plain-loop rows: a textbook Java loop in the benchmark,"
                + " the baseline; *-heap-alloc rows: Java heap bytes allocated (JMH gc"
                + " profiler).\n");
        for (Map.Entry<String, String> s : skipped.entrySet()) {
            sb.append("skipped, ").append(s.getKey()).append(" unavailable: ")
                    .append(s.getValue()).append('\n');
        }
        for (String f : failed) {
            sb.append("FAILED: ").append(f).append('\n');
        }
        return sb.toString();
    }

    /** How many times faster {@code a} is than {@code b}, or "-" when either is missing. */
    static String speedup(Measurement a, Measurement b) {
        if (a == null || b == null || a.value() <= 0 || b.value() <= 0) {
            return "-";
        }
        double ratio = TIME_UNITS.contains(a.unit()) ? b.value() / a.value()
                : a.value() / b.value();
        return format(ratio) + "x";
    }

    /** Three significant digits, without exponent for everyday magnitudes. */
    static String format(double v) {
        if (!Double.isFinite(v)) {
            return String.valueOf(v);
        }
        double a = Math.abs(v);
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return a == 0 ? "0" : new BigDecimal(v).round(new MathContext(3)).toPlainString();
    }

    /** Four significant digits, for JSON. */
    static double round(double v) {
        return Double.isFinite(v) && v != 0
                ? new BigDecimal(v).round(new MathContext(4)).doubleValue() : v;
    }
}
