package dev.sail.volumes.manifest;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a mount asks the service to commit: the commit sequence its view is based on, an
 * idempotency key that makes a retry safe, the committing mount's id (for history), and its
 * changes, sorted by path.
 *
 * <p>Rules: no path appears twice; a path whose new state is not a directory has no other change
 * beneath it in the same commit (a commit cannot both make {@code a} a file and write {@code a/b}).
 */
public record CommitProposal(long baseSeq, String idempotencyKey, String mountId, List<Change> changes) {
    public static final int MAX_IDEMPOTENCY_KEY = 128;

    public CommitProposal {
        if (baseSeq < 0) {
            throw new ManifestException("invalid_commit", "Invalid commit: base sequence " + baseSeq + " is negative");
        }
        if (idempotencyKey == null || idempotencyKey.isBlank() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY) {
            throw new ManifestException("invalid_commit", "Invalid commit: an idempotency key of 1-"
                    + MAX_IDEMPOTENCY_KEY + " characters is required");
        }
        mountId = mountId == null ? "" : mountId;
        changes = sortedAndChecked(changes);
    }

    private static List<Change> sortedAndChecked(List<Change> changes) {
        List<Change> sorted = new ArrayList<>(changes);
        sorted.sort((a, b) -> a.path().compareTo(b.path()));
        Set<VolumePath> seen = new HashSet<>();
        VolumePath leaf = null;
        for (Change change : sorted) {
            if (!seen.add(change.path())) {
                throw new ManifestException("invalid_commit", "Invalid commit: path '" + change.path() + "' appears twice");
            }
            // Sorted by components, a non-directory's descendants follow it directly.
            if (leaf != null && leaf.isAncestorOf(change.path())) {
                throw new ManifestException("invalid_commit", "Invalid commit: '" + change.path()
                        + "' lies under '" + leaf + "', which the same commit makes a non-directory");
            }
            leaf = change.entry() instanceof Entry.Directory ? null : change.path();
        }
        return List.copyOf(sorted);
    }
}
