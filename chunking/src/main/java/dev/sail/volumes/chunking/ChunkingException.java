package dev.sail.volumes.chunking;

/** The one unchecked exception of the chunking module: bad input to a layout or an id. */
public class ChunkingException extends RuntimeException {
    public ChunkingException(String message) {
        super(message);
    }

    public ChunkingException(String message, Throwable cause) {
        super(message, cause);
    }
}
