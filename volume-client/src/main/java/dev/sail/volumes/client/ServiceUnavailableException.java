package dev.sail.volumes.client;

/** The service could not be reached (connection refused, timed out, or answered 5xx after retries). */
public class ServiceUnavailableException extends VolumeServiceException {
    public ServiceUnavailableException(String message, Throwable cause) {
        super(0, "unavailable", message, cause);
    }
}
