package dev.sail.volumes.benchmarks.harness;

import java.util.Objects;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One measured number, or the reason there is none. A figure is never invented: when the thing to
 * measure is missing or fails, the figure is {@linkplain #missing missing} and says why.
 * Immutable.
 */
public record Figure(Double value, String note) {
    private static final Logger LOG = LoggerFactory.getLogger(Figure.class);

    public Figure {
        if (value == null && (note == null || note.isBlank())) {
            throw new IllegalArgumentException("A missing figure needs a note saying why");
        }
        if (value != null && (value.isNaN() || value.isInfinite())) {
            throw new IllegalArgumentException("A figure must be finite, got " + value);
        }
        note = note == null ? "" : note;
    }

    public static Figure of(double value) {
        return new Figure(value, "");
    }

    public static Figure of(double value, String note) {
        return new Figure(value, note);
    }

    public static Figure missing(String why) {
        return new Figure(null, Objects.requireNonNull(why, "why"));
    }

    public boolean present() {
        return value != null;
    }

    /**
     * Runs {@code measurement}; a failure becomes a missing figure whose note names {@code what} and the
     * reason, so that one broken subject never stops the others.
     */
    public static Figure measure(String what, Callable<Figure> measurement) {
        try {
            return measurement.call();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("Interrupted while measuring " + what, e);
        } catch (Exception | LinkageError e) {
            return failed(what, e);
        }
    }

    /** The missing figure of {@code what}, which failed with {@code e} (logged with its stack trace). */
    public static Figure failed(String what, Throwable e) {
        LOG.warn("{} failed: {}", what, e.toString(), e);
        return missing(what + " failed: " + oneLine(e));
    }

    static String oneLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        message = message.replaceAll("\\s+", " ").strip();
        return message.length() > 300 ? message.substring(0, 300) + "…" : message;
    }
}
