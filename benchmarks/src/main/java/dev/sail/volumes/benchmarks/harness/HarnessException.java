package dev.sail.volumes.benchmarks.harness;

/** The harness cannot go on: a server, a mount or a file it needs could not be made. */
public final class HarnessException extends RuntimeException {
    public HarnessException(String message) {
        super(message);
    }

    public HarnessException(String message, Throwable cause) {
        super(message, cause);
    }
}
