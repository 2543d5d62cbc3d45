package dev.sail.volumes.client;

import dev.sail.volumes.manifest.VolumePath;
import java.util.List;
import java.util.Objects;

/**
 * A published commit: its id and sequence, the paths it overwrote that another commit had changed
 * since the committer's base, how many path writes it applied, and whether this answer is the replay
 * of an earlier identical request.
 */
public record CommitResult(String commit, long seq, List<VolumePath> overwritten, int applied, boolean replayed) {
    public CommitResult {
        Objects.requireNonNull(commit, "commit");
        overwritten = List.copyOf(overwritten);
    }
}
