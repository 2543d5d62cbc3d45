package dev.sail.volumes.fuse.core;

import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumePath;
import java.util.ArrayList;
import java.util.List;

/**
 * One file's contents and attributes as this mount sees them: shared by every handle open on it,
 * and by the overlay once it is changed. Open handles keep their node across reloads, so a file
 * already open keeps reading the version it opened.
 *
 * <p>Thread-safe: every field is guarded by the node's monitor; {@link FileContents} does the work.
 */
final class FileNode {
    /** Where the node lives now; null once it was unlinked or its overlay was discarded by a reload. */
    VolumePath path;
    int mode;
    long mtimeNanos;
    long size;
    /** One reference per chunk of {@link #size} under the volume's layout. */
    final ArrayList<ChunkRef> chunks;
    /** Bumped by every change, so a commit can tell whether a file changed while it was uploading. */
    long stamp;
    /** The {@link #stamp} the local state last recorded, so that a flush or a close with nothing new writes nothing. */
    long persistedStamp = -1;
    int openCount;
    /**
     * Set when a reload discarded the node (its changes went to a stash, or the published version it
     * showed is no longer the base): it still reads, but refuses changes with ESTALE rather than take
     * bytes nobody could ever see.
     */
    boolean detached;

    FileNode(VolumePath path, int mode, long mtimeNanos, long size, List<ChunkRef> chunks) {
        this.path = path;
        this.mode = mode;
        this.mtimeNanos = mtimeNanos;
        this.size = size;
        this.chunks = new ArrayList<>(chunks);
    }

    /** A node over a published file: every chunk clean. */
    static FileNode ofRemote(VolumePath path, Entry.File file) {
        List<ChunkRef> refs = new ArrayList<>(file.chunks().size());
        file.chunks().forEach(id -> refs.add(new ChunkRef.Clean(id)));
        return new FileNode(path, file.mode(), file.mtimeNanos(), file.size(), refs);
    }

    /** An immutable copy of the node's state. */
    synchronized Snapshot snapshot() {
        return new Snapshot(path, mode, mtimeNanos, size, List.copyOf(chunks), stamp);
    }

    synchronized VolumePath path() {
        return path;
    }

    synchronized void moveTo(VolumePath newPath) {
        path = newPath;
    }

    /** Cuts the node off the namespace for good: a reload discarded it. */
    synchronized void detach() {
        path = null;
        detached = true;
    }

    /** Throws ESTALE when a reload discarded the node. Caller holds the monitor. */
    void requireAttached() {
        if (detached) {
            throw new FsError(Errno.ESTALE, "The file was opened before a reload, which discarded that version"
                    + " (its uncommitted changes are in a stash: sail-volume stash list); open it again to change it");
        }
    }

    synchronized Attributes attributes() {
        return new Attributes(Attributes.Kind.FILE, mode, size, mtimeNanos);
    }

    /** A consistent view of a node at one moment. */
    record Snapshot(VolumePath path, int mode, long mtimeNanos, long size, List<ChunkRef> chunks, long stamp) {
    }
}
