package dev.sail.volumes.client;

/** The service refused a request: {@link #code()} is its stable error code, the message its one-line reason. */
public class VolumeServiceException extends RuntimeException {
    private final int status;
    private final String code;

    public VolumeServiceException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public VolumeServiceException(int status, String code, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code;
    }

    /** The HTTP status, or 0 when the request never reached the service. */
    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
