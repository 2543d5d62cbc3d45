package dev.sail.volumes.benchmarks.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Writes a run's results: {@code results.json} (the machine-readable rows), {@code results.md} (a
 * table with the machine and the command) and {@code results.png} (a bar chart of every subject
 * relative to each row's baseline, higher is better). Each file is written to a temporary name and
 * renamed into place, so a reader never sees half a file. Stateless.
 */
final class ResultsWriter {
    private ResultsWriter() {
    }

    static void write(Path out, List<Result> results, List<String> peers, String header) throws IOException {
        Files.createDirectories(out);
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        publish(out.resolve("results.json"), mapper.writeValueAsString(Map.of("results", results)) + "\n");
        publish(out.resolve("results.md"), markdown(results, peers, header));
        chart(out.resolve("results.png"), results, peers);
    }

    private static void publish(Path target, String text) throws IOException {
        Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(temporary, text);
        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static String markdown(List<Result> results, List<String> peers, String header) {
        StringBuilder md = new StringBuilder(header).append("\n\n");
        md.append("| workload | unit | ours | baseline | ratio |");
        peers.forEach(p -> md.append(' ').append(p).append(" |"));
        md.append(" notes |\n|---|---|---:|---:|---:|");
        peers.forEach(p -> md.append("---:|"));
        md.append("---|\n");
        for (Result r : results) {
            md.append("| ").append(r.name()).append(" | ").append(r.unit()).append(" | ").append(number(r.ours()))
                    .append(" | ").append(number(r.baseline())).append(" | ").append(number(r.ratio())).append(" |");
            peers.forEach(p -> md.append(' ').append(number(r.peers().get(p))).append(" |"));
            md.append(' ').append(r.notes().replace("|", "\\|")).append(" |\n");
        }
        return md.toString();
    }

    /** Three significant digits, no exponent; an absent figure is "—". */
    static String number(Double value) {
        if (value == null) {
            return "—";
        }
        double v = Math.abs(value);
        String pattern = v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : v >= 1 ? "%.2f" : "%.3f";
        return String.format(Locale.ROOT, pattern, value);
    }

    private static void chart(Path target, List<Result> results, List<String> peers) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(1800).height(800)
                .title("Sail Volumes vs baseline and peers (relative to each row's baseline; higher is better; log scale)")
                .xAxisTitle("workload").yAxisTitle("relative performance").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setXAxisLabelRotation(60);
        chart.getStyler().setAvailableSpaceFill(0.9);
        List<String> names = results.stream().map(Result::name).toList();
        addSeries(chart, "ours", names, results.stream().map(r -> r.normalized(r.ours())).toList());
        addSeries(chart, "baseline", names, results.stream().map(r -> r.normalized(r.baseline())).toList());
        for (String peer : peers) {
            addSeries(chart, peer, names, results.stream().map(r -> r.normalized(r.peers().get(peer))).toList());
        }
        // Bars start at the axis minimum; XChart refuses a log axis without one (bars would start at 0).
        double smallest = results.stream().flatMap(r -> java.util.stream.Stream.concat(
                        java.util.stream.Stream.of(r.normalized(r.ours()), r.normalized(r.baseline())),
                        peers.stream().map(p -> r.normalized(r.peers().get(p)))))
                .filter(java.util.Objects::nonNull).mapToDouble(Double::doubleValue).min().orElse(1);
        chart.getStyler().setYAxisMin(Math.min(0.1, Math.pow(10, Math.floor(Math.log10(smallest)))));
        Path temporary = target.resolveSibling("results-tmp.png");
        BitmapEncoder.saveBitmap(chart, temporary.toString(), BitmapEncoder.BitmapFormat.PNG);
        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** XChart draws no bar for a null; a series that is all null is left out (it would break the log axis). */
    private static void addSeries(CategoryChart chart, String name, List<String> categories, List<Double> values) {
        if (values.stream().allMatch(java.util.Objects::isNull)) {
            return;
        }
        chart.addSeries(name, new ArrayList<>(categories), new ArrayList<Number>(values));
    }
}
