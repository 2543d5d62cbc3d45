package dev.sail.volumes.benchmarks.service;

/** A service benchmark could not run, or the service answered something other than what it measures. */
public final class ServiceBenchmarkException extends RuntimeException {
    public ServiceBenchmarkException(String message) {
        super(message);
    }

    public ServiceBenchmarkException(String message, Throwable cause) {
        super(message, cause);
    }
}
