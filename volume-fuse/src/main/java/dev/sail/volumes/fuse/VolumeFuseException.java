package dev.sail.volumes.fuse;

/** The one unchecked exception of the guest daemon: a mount, a commit or a reload that cannot proceed, with the reason. */
public class VolumeFuseException extends RuntimeException {
    public VolumeFuseException(String message) {
        super(message);
    }

    public VolumeFuseException(String message, Throwable cause) {
        super(message, cause);
    }
}
