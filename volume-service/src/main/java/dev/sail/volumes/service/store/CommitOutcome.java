package dev.sail.volumes.service.store;

import dev.sail.volumes.manifest.VolumePath;
import java.util.List;
import java.util.Objects;

/** What a commit did: its id and sequence, the paths it overwrote, and how many path writes it applied. */
public record CommitOutcome(String commit, long seq, List<VolumePath> overwritten, int applied) {
    public CommitOutcome {
        Objects.requireNonNull(commit, "commit");
        overwritten = List.copyOf(overwritten);
    }
}
