package dev.sail.volumes.fuse.core;

/**
 * What {@code getattr} reports for a path: its kind, permission bits, size and modification time.
 * Owner and link count are the binding's business (the daemon's user; 2 for directories, 1 otherwise).
 */
public record Attributes(Kind kind, int mode, long size, long mtimeNanos) {
    public enum Kind { FILE, DIRECTORY, SYMLINK }

    public Attributes {
        if (size < 0) {
            throw new IllegalArgumentException("A size is non-negative, got " + size);
        }
    }

    /** The {@code st_mode} value: the file-type bits plus the permission bits. */
    public int stMode() {
        int type = switch (kind) {
            case FILE -> 0100000;
            case DIRECTORY -> 0040000;
            case SYMLINK -> 0120000;
        };
        return type | (mode & 07777);
    }
}
