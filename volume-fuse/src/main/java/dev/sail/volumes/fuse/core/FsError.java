package dev.sail.volumes.fuse.core;

import dev.sail.volumes.fuse.VolumeFuseException;

/**
 * A file-system operation failed with a POSIX error: the binding answers {@code -errno()}. Thrown
 * by {@link VolumeFileSystem} for the expected failures (no such file, not empty, ...); it carries
 * no stack trace because it is routine, not a bug.
 */
public final class FsError extends VolumeFuseException {
    private final int errno;

    public FsError(int errno, String message) {
        super(message, null);
        this.errno = errno;
    }

    /** The positive errno value. */
    public int errno() {
        return errno;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
