package dev.sail.volumes.client.control;

import java.util.List;
import java.util.Objects;

/**
 * What a reload did: the commit the mount now shows, and the uncommitted paths it discarded, whose
 * bytes are kept in the stash {@code stash} (empty when nothing was discarded).
 */
public record ReloadReport(String commit, long seq, List<String> discarded, String stash) {
    public ReloadReport {
        Objects.requireNonNull(commit, "commit");
        discarded = List.copyOf(discarded);
        stash = stash == null ? "" : stash;
    }
}
