package dev.sail.volumes.manifest;

import java.util.List;

/**
 * What a commit did to the head.
 *
 * @param writes      every path the commit sets, at its new sequence, sorted by path: its own
 *                    changes plus the parent directories it created and the delete markers of the
 *                    subtrees it removed. Changes that changed nothing (deleting what is already
 *                    gone) are left out.
 * @param overwritten the paths it overwrote or deleted that another commit had changed after the
 *                    committer's base, sorted; their previous versions stay in history
 */
public record MergeResult(List<Change> writes, List<VolumePath> overwritten) {
    public MergeResult {
        writes = List.copyOf(writes);
        overwritten = List.copyOf(overwritten);
    }
}
