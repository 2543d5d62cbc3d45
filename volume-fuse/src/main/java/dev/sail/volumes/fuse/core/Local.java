package dev.sail.volumes.fuse.core;

import java.util.Objects;

/**
 * A path's local state in the overlay: what this mount changed since its base. Paths absent from
 * the overlay show the remote state at the base.
 *
 * <p>Invariant: nothing in the overlay lies beneath a {@link Whiteout}, {@link FileRef} or
 * {@link Link}: making a path a non-directory drops its overlay subtree.
 */
sealed interface Local {
    /** The path is deleted locally: it hides the remote entry (and, for a directory, its subtree). */
    record Whiteout() implements Local {
    }

    /**
     * A directory made or changed locally.
     *
     * @param opaque           its children come from the overlay only (a directory made here: the
     *                         remote has nothing to show inside it)
     * @param shadowsRemoteDir the base holds a directory at this path that this one replaces: a
     *                         commit deletes the base's children that the overlay does not name
     */
    record Dir(int mode, long mtimeNanos, boolean opaque, boolean shadowsRemoteDir) implements Local {
    }

    /** A symbolic link made locally. */
    record Link(String target, long mtimeNanos) implements Local {
        public Link {
            Objects.requireNonNull(target, "target");
        }
    }

    /** A file changed or made locally; its state lives in the (mutable) node. */
    record FileRef(FileNode node) implements Local {
        public FileRef {
            Objects.requireNonNull(node, "node");
        }
    }

    Whiteout WHITEOUT = new Whiteout();
}
