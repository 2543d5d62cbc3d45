package dev.sail.volumes.manifest;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import java.util.List;
import java.util.Objects;

/**
 * What a path holds at some commit: a file, a directory, a symlink, or the marker that it was
 * deleted. Entries are values; the commit that wrote one is kept beside it ({@link Versioned}).
 */
public sealed interface Entry permits Entry.File, Entry.Directory, Entry.Symlink, Entry.Deleted {
    /** Permission bits a mode may carry (no file-type bits). */
    int MODE_MASK = 07777;

    /** True for every entry but the delete marker. */
    default boolean exists() {
        return !(this instanceof Deleted);
    }

    /**
     * A regular file: its size, permission bits, modification time (nanoseconds since the epoch)
     * and the ids of its chunks, one per {@link ChunkLayout} range of {@code size}.
     */
    record File(long size, int mode, long mtimeNanos, List<ChunkId> chunks) implements Entry {
        public File {
            if (size < 0 || size > ChunkLayout.MAX_FILE_SIZE) {
                throw new ManifestException("invalid_entry", "Invalid file entry: size " + size + " is out of range");
            }
            checkMode(mode);
            if (chunks == null) {
                throw new ManifestException("invalid_entry", "Invalid file entry: the chunk list is required");
            }
            if (chunks.stream().anyMatch(Objects::isNull)) {
                throw new ManifestException("invalid_entry", "Invalid file entry: the chunk list holds a null id");
            }
            chunks = List.copyOf(chunks);
        }

        /** Throws unless {@link #chunks()} has exactly one id per chunk of {@link #size()} under {@code layout}. */
        public File checkLayout(ChunkLayout layout) {
            int expected = layout.count(size);
            if (chunks.size() != expected) {
                throw new ManifestException("invalid_entry", "Invalid file entry: a file of " + size + " bytes has "
                        + expected + " chunks, the entry lists " + chunks.size());
            }
            return this;
        }
    }

    /** A directory: its permission bits and modification time. Its children are entries of their own. */
    record Directory(int mode, long mtimeNanos) implements Entry {
        public Directory {
            checkMode(mode);
        }
    }

    /**
     * A symbolic link to {@code target}, stored as written (it may be relative, absolute or dangling).
     * The target is non-empty, has no NUL, is valid Unicode and at most {@value #MAX_TARGET_BYTES}
     * bytes of UTF-8.
     */
    record Symlink(String target, long mtimeNanos) implements Entry {
        public static final int MAX_TARGET_BYTES = VolumePath.MAX_PATH_BYTES;

        public Symlink {
            if (target == null || target.isEmpty() || target.indexOf('\0') >= 0) {
                throw new ManifestException("invalid_entry", "Invalid symlink: its target must be non-empty and without NUL");
            }
            int bytes = Utf8.length(target);
            if (bytes < 0) {
                throw new ManifestException("invalid_entry", "Invalid symlink: its target is not valid Unicode "
                        + "(an unpaired surrogate has no UTF-8 form)");
            }
            if (bytes > MAX_TARGET_BYTES) {
                throw new ManifestException("invalid_entry", "Invalid symlink: its target is " + bytes
                        + " bytes of UTF-8, over the limit of " + MAX_TARGET_BYTES);
            }
        }
    }

    /** The delete marker: the path (and, for a directory, its whole subtree) no longer exists. */
    record Deleted() implements Entry {
    }

    /** The one delete marker. */
    Deleted DELETED = new Deleted();

    private static void checkMode(int mode) {
        if ((mode & ~MODE_MASK) != 0) {
            throw new ManifestException("invalid_entry", "Invalid mode " + Integer.toOctalString(mode)
                    + ": only permission bits (07777) are stored");
        }
    }
}
