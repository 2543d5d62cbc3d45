package dev.sail.volumes.service.store;

import dev.sail.volumes.manifest.VolumePath;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A published commit, as history shows it.
 *
 * @param commit      the commit id
 * @param changes     how many path writes the commit applied
 * @param overwritten paths it overwrote that another commit had changed since the committer's base
 */
public record CommitRecord(String commit, long seq, Instant time, String mountId, int changes, List<VolumePath> overwritten) {
    public CommitRecord {
        Objects.requireNonNull(commit, "commit");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(mountId, "mountId");
        overwritten = List.copyOf(overwritten);
    }
}
