package dev.sail.volumes.benchmarks.harness;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One row of results.json: our figure, the baseline's, the ratio oriented so that higher is better for
 * us, and the peers' figures on the same workload. Absent figures are {@code null}; {@code notes} says
 * why, and how each figure was taken.
 * Immutable.
 */
@JsonPropertyOrder({"name", "unit", "ours", "baseline", "ratio", "peers", "notes"})
public record Result(String name, String unit, Double ours, Double baseline, Double ratio, Map<String, Double> peers,
                     String notes, @JsonIgnore Direction direction) {
    /** Whether a bigger number is better (throughput) or worse (time). */
    public enum Direction {
        HIGHER_IS_BETTER, LOWER_IS_BETTER
    }

    public Result {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(unit, "unit");
        peers = Collections.unmodifiableMap(new LinkedHashMap<>(peers));
        notes = notes == null ? "" : notes;
        Objects.requireNonNull(direction, "direction");
    }

    /**
     * {@code value} relative to this row's reference (the baseline, or ours when there is none),
     * oriented so that higher is better; null when either is absent. For the chart.
     */
    public Double normalized(Double value) {
        Double reference = baseline != null ? baseline : ours;
        if (value == null || reference == null || value <= 0 || reference <= 0) {
            return null;
        }
        return direction == Direction.HIGHER_IS_BETTER ? value / reference : reference / value;
    }

    /**
     * Composes a row: the ratio is ours/baseline for {@link Direction#HIGHER_IS_BETTER}, baseline/ours
     * for {@link Direction#LOWER_IS_BETTER}, and absent when either figure is. Each missing figure's
     * reason joins the notes, prefixed with whose figure it is.
     */
    public static Result of(String name, String unit, Direction direction, Figure ours, Figure baseline,
                            Map<String, Figure> peers, String how) {
        List<String> notes = new ArrayList<>();
        if (how != null && !how.isBlank()) {
            notes.add(how);
        }
        addNote(notes, "ours", ours);
        addNote(notes, "baseline", baseline);
        Map<String, Double> peerValues = new LinkedHashMap<>();
        peers.forEach((peer, figure) -> {
            peerValues.put(peer, figure.value());
            addNote(notes, peer, figure);
        });
        Double ratio = null;
        if (ours.present() && baseline.present() && ours.value() > 0 && baseline.value() > 0) {
            ratio = direction == Direction.HIGHER_IS_BETTER ? ours.value() / baseline.value() : baseline.value() / ours.value();
        }
        return new Result(name, unit, ours.value(), baseline.value(), ratio, peerValues, String.join("; ", notes), direction);
    }

    private static void addNote(List<String> notes, String whose, Figure figure) {
        if (!figure.note().isBlank()) {
            notes.add(whose + ": " + figure.note());
        }
    }

    /** A row whose every figure is missing for the same reason (the workload itself could not run). */
    public static Result failed(String name, String unit, List<String> peerNames, String why) {
        Map<String, Double> peers = new LinkedHashMap<>();
        peerNames.forEach(p -> peers.put(p, null));
        return new Result(name, unit, null, null, null, peers, why, Direction.HIGHER_IS_BETTER);
    }
}
