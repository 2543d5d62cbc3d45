package dev.sail.volumes.client;

/**
 * The service could not be reached (connection refused, timed out: status 0, code {@code unavailable}),
 * or answered 502/503/504 after retries (that status, and the service's code when it sent one, such as
 * {@code storage_unavailable} when S3 refuses it). Worth retrying later either way.
 */
public class ServiceUnavailableException extends VolumeServiceException {
    public ServiceUnavailableException(String message, Throwable cause) {
        super(0, "unavailable", message, cause);
    }

    /** The service answered {@code status} (5xx) with {@code code}. */
    public ServiceUnavailableException(int status, String code, String message) {
        super(status, code, message);
    }
}
