package dev.sail.volumes.manifest;

/**
 * The one unchecked exception of the manifest module. {@link #code()} is a stable, machine-readable
 * reason (for example {@code invalid_path}) that the service returns in its JSON errors.
 */
public class ManifestException extends RuntimeException {
    private final String code;

    public ManifestException(String code, String message) {
        super(message);
        this.code = code;
    }

    public ManifestException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** A stable reason code such as {@code invalid_path}, {@code invalid_name}, {@code invalid_commit}. */
    public String code() {
        return code;
    }
}
