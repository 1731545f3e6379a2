package dev.gatun.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws PNG charts (XChart) from the lines {@code gatun bench --json} printed.
 *
 * <ul>
 *   <li>matmul.png: GFLOP/s against n for square matmuls, one line per backend;
 *   <li>minilm-throughput.png, minilm-latency.png: sentences/s (batch 32) and ms per
 *       sentence (batch 1) per backend, ONNX Runtime beside Gatun;
 *   <li>kernels.png: GB/s or GFLOP/s of layer norm, softmax and attention per backend.
 * </ul>
 */
final class Charts {
    private static final Map<String, Color> COLORS = Map.of(
            "native", new Color(0x1f77b4), "java", new Color(0xff7f0e),
            "scalar", new Color(0x7f7f7f), "onnxruntime", new Color(0x2ca02c),
            "onednn-direct", new Color(0xd62728));

    private Charts() {}

    /** Reads {@code jsonLines} and writes the PNGs into {@code dir}. */
    static void write(Path jsonLines, Path dir) throws IOException {
        List<Measurement> all = new ArrayList<>();
        for (String line : Files.readAllLines(jsonLines)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode n = Report.MAPPER.readTree(line);
            all.add(new Measurement(n.get("bench").asText(), n.get("backend").asText(),
                    n.get("value").asDouble(), n.get("unit").asText(), Double.NaN));
        }
        Files.createDirectories(dir);
        System.setProperty("java.awt.headless", "true");
        matmul(all, dir.resolve("matmul.png"));
        bars(all, List.of("minilm-batch32"), "all-MiniLM-L6-v2 throughput, batch 32",
                "sentences/s (higher is better)", dir.resolve("minilm-throughput.png"));
        bars(all, List.of("minilm-latency"), "all-MiniLM-L6-v2 latency, batch 1",
                "ms per sentence (lower is better)", dir.resolve("minilm-latency.png"));
        List<String> kernels = all.stream().map(Measurement::bench).distinct()
                .filter(b -> b.startsWith("layer-norm") || b.startsWith("softmax"))
                .filter(b -> !b.endsWith("plain-loop")).toList();
        bars(all, kernels, "layer norm and softmax, fp32", "GB/s (higher is better)",
                dir.resolve("norm-softmax.png"));
        List<String> attention = all.stream().map(Measurement::bench).distinct()
                .filter(b -> b.startsWith("attention") && !b.endsWith("plain-loop")).toList();
        bars(all, attention, "attention, B=1 H=12 D=64, fp32", "GFLOP/s (higher is better)",
                dir.resolve("attention.png"));
    }

    private static void matmul(List<Measurement> all, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(500)
                .title("square matmul [n x n] x [n x n], fp32, whole API")
                .xAxisTitle("n").yAxisTitle("GFLOP/s (higher is better)").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        for (String backend : BenchMain.BACKENDS) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (Measurement m : all) {
                if (m.backend().equals(backend) && m.bench().matches("matmul-f32-\\d+")) {
                    xs.add(Double.parseDouble(m.bench().substring("matmul-f32-".length())));
                    ys.add(m.value());
                }
            }
            if (!xs.isEmpty()) {
                var series = chart.addSeries(backend, xs, ys);
                series.setMarker(SeriesMarkers.CIRCLE);
                series.setLineColor(COLORS.get(backend));
                series.setMarkerColor(COLORS.get(backend));
            }
        }
        if (!chart.getSeriesMap().isEmpty()) {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }

    /** A grouped bar chart: one group per bench, one bar per backend that measured it. */
    private static void bars(List<Measurement> all, List<String> benches, String title,
                             String yTitle, Path file) throws IOException {
        Map<String, Map<String, Double>> byBackend = new LinkedHashMap<>();
        for (String backend : BenchMain.BACKENDS) {
            for (Measurement m : all) {
                if (m.backend().equals(backend) && benches.contains(m.bench())) {
                    byBackend.computeIfAbsent(backend, k -> new LinkedHashMap<>())
                            .put(m.bench(), m.value());
                }
            }
        }
        if (byBackend.isEmpty()) {
            return;
        }
        CategoryChart chart = new CategoryChartBuilder().width(900).height(500).title(title)
                .yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setXAxisLabelRotation(benches.size() > 3 ? 30 : 0);
        for (Map.Entry<String, Map<String, Double>> e : byBackend.entrySet()) {
            List<String> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (String bench : benches) {
                xs.add(bench);
                ys.add(e.getValue().getOrDefault(bench, 0.0));
            }
            chart.addSeries(e.getKey(), xs, ys).setFillColor(COLORS.get(e.getKey()));
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
