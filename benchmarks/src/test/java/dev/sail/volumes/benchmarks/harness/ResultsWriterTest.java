package dev.sail.volumes.benchmarks.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultsWriterTest {
    private static final List<String> PEERS = List.of("rclone", "s3fs");

    private static Map<String, Figure> peers(Figure rclone, Figure s3fs) {
        Map<String, Figure> peers = new LinkedHashMap<>();
        peers.put("rclone", rclone);
        peers.put("s3fs", s3fs);
        return peers;
    }

    @Test
    void ratioIsOrientedSoThatHigherIsBetter() {
        Result throughput = Result.of("t", "MiB/s", Result.Direction.HIGHER_IS_BETTER, Figure.of(90), Figure.of(100), Map.of(), "");
        Result time = Result.of("l", "ms", Result.Direction.LOWER_IS_BETTER, Figure.of(20), Figure.of(40), Map.of(), "");

        assertThat(throughput.ratio()).isEqualTo(0.9);
        assertThat(time.ratio()).isEqualTo(2.0);
        assertThat(time.normalized(80.0)).isEqualTo(0.5);
    }

    @Test
    void aMissingFigureIsNullWithItsReasonInTheNotes() {
        Result result = Result.of("w", "s", Result.Direction.LOWER_IS_BETTER, Figure.missing("the daemon has no --foo flag"),
                Figure.of(1), peers(Figure.of(2), Figure.missing("s3fs failed: mount refused")), "how");

        assertThat(result.ours()).isNull();
        assertThat(result.ratio()).isNull();
        assertThat(result.peers()).containsEntry("rclone", 2.0).containsEntry("s3fs", null);
        assertThat(result.notes()).isEqualTo("how; ours: the daemon has no --foo flag; s3fs: s3fs failed: mount refused");
    }

    @Test
    void aMissingFigureMustSayWhy() {
        assertThatThrownBy(() -> Figure.missing(" ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("A missing figure needs a note saying why");
    }

    @Test
    void aFailingMeasurementBecomesAMissingFigureNamingIt() {
        Figure figure = Figure.measure("ours cold read", () -> {
            throw new HarnessException("dd failed (exit 1): Input/output error");
        });

        assertThat(figure.present()).isFalse();
        assertThat(figure.note()).isEqualTo("ours cold read failed: dd failed (exit 1): Input/output error");
    }

    @Test
    void writesJsonMarkdownAndChartWithAbsentFigures(@TempDir Path out) throws Exception {
        List<Result> results = List.of(
                Result.of("commit-throughput", "MiB/s", Result.Direction.HIGHER_IS_BETTER, Figure.of(250), Figure.of(300),
                        peers(Figure.of(120), Figure.of(85)), "1 GiB"),
                Result.of("noop-commit", "ms", Result.Direction.LOWER_IS_BETTER, Figure.of(12), Figure.of(11), Map.of(), "flat"),
                Result.of("metadata-find", "s", Result.Direction.LOWER_IS_BETTER, Figure.missing("mount failed"), Figure.of(0.015),
                        peers(Figure.of(0.06), Figure.missing("s3fs failed")), ""),
                Result.failed("warm-read", "MiB/s", PEERS, "the workload failed: boom"));

        ResultsWriter.write(out, results, PEERS, "Header");

        JsonNode json = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        JsonNode first = json.get("results").get(0);
        assertThat(first.get("name").asText()).isEqualTo("commit-throughput");
        assertThat(first.get("ratio").asDouble()).isCloseTo(0.8333, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(first.get("peers").get("s3fs").asDouble()).isEqualTo(85.0);
        assertThat(first.has("direction")).isFalse();
        JsonNode third = json.get("results").get(2);
        assertThat(third.get("ours").isNull()).isTrue();
        assertThat(third.get("peers").get("s3fs").isNull()).isTrue();
        assertThat(json.get("results").get(3).get("notes").asText()).isEqualTo("the workload failed: boom");

        String md = Files.readString(out.resolve("results.md"));
        assertThat(md).startsWith("Header\n\n| workload | unit | ours | baseline | ratio | rclone | s3fs | notes |")
                .contains("| commit-throughput | MiB/s | 250 | 300 | 0.833 | 120 | 85.0 | 1 GiB |")
                .contains("| metadata-find | s | — | 0.015 | — | 0.060 | — |");

        assertThat(ImageIO.read(out.resolve("results.png").toFile()).getWidth()).isEqualTo(1800);
        try (var files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("results.json", "results.md", "results.png");
        }
    }
}
