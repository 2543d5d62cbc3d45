package dev.sail.volumes.client.control;

import java.util.List;
import java.util.Objects;

/**
 * What a commit did: the commit id (empty when there was nothing to commit), its sequence, how many
 * paths it changed, what it uploaded and reused, and the paths it overwrote that another commit had
 * changed since this mount's base.
 */
public record CommitReport(String commit, long seq, int filesChanged, long bytesUploaded, int chunksUploaded,
                           int chunksReused, List<String> overwritten) {
    public CommitReport {
        Objects.requireNonNull(commit, "commit");
        overwritten = List.copyOf(overwritten);
    }

    /** True when the mount had no change to publish (no commit was made). */
    public boolean nothingToCommit() {
        return filesChanged == 0;
    }
}
