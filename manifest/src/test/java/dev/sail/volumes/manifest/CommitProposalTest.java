package dev.sail.volumes.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class CommitProposalTest {
    private static final Entry FILE = new Entry.File(0, 0644, 0, List.of());
    private static final Entry DIR = new Entry.Directory(0755, 0);

    private static Change change(String path, Entry entry) {
        return new Change(VolumePath.of(path), entry);
    }

    @Test
    void sortsChangesByPath() {
        CommitProposal proposal = new CommitProposal(0, "k", "m", List.of(
                change("a-b", FILE), change("a/b", FILE), change("a", DIR), change("b", Entry.DELETED)));
        assertThat(proposal.changes()).extracting(c -> c.path().value()).containsExactly("a", "a/b", "a-b", "b");
        assertThat(proposal.mountId()).isEqualTo("m");
    }

    @Test
    void missingMountIdIsEmpty() {
        assertThat(new CommitProposal(0, "k", null, List.of()).mountId()).isEmpty();
    }

    @Test
    void rejectsDuplicatePaths() {
        assertThatThrownBy(() -> new CommitProposal(0, "k", "m", List.of(change("a", FILE), change("a", Entry.DELETED))))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_commit"))
                .hasMessage("Invalid commit: path 'a' appears twice");
    }

    @Test
    void rejectsAChangeUnderANonDirectoryOfTheSameCommit() {
        assertThatThrownBy(() -> new CommitProposal(0, "k", "m", List.of(change("a/b/c", FILE), change("a", FILE))))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_commit"))
                .hasMessage("Invalid commit: 'a/b/c' lies under 'a', which the same commit makes a non-directory");
        assertThatThrownBy(() -> new CommitProposal(0, "k", "m", List.of(change("a", Entry.DELETED), change("a/b", DIR))))
                .hasMessage("Invalid commit: 'a/b' lies under 'a', which the same commit makes a non-directory");
        assertThatThrownBy(() -> new CommitProposal(0, "k", "m", List.of(
                change("x", DIR), change("x/l", new Entry.Symlink("t", 0)), change("x/l/z", FILE))))
                .hasMessage("Invalid commit: 'x/l/z' lies under 'x/l', which the same commit makes a non-directory");
    }

    @Test
    void acceptsChangesUnderADirectoryAndBesideAFile() {
        CommitProposal proposal = new CommitProposal(0, "k", "m", List.of(
                change("a", DIR), change("a/b", FILE), change("a-b", FILE), change("a/c", DIR), change("a/c/d", FILE)));
        assertThat(proposal.changes()).hasSize(5);
    }

    @Test
    void rejectsBadBaseAndIdempotencyKey() {
        assertThatThrownBy(() -> new CommitProposal(-1, "k", "m", List.of()))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_commit"))
                .hasMessage("Invalid commit: base sequence -1 is negative");
        for (String key : new String[] {null, "", " ", "k".repeat(129)}) {
            assertThatThrownBy(() -> new CommitProposal(0, key, "m", List.of()))
                    .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_commit"))
                    .hasMessage("Invalid commit: an idempotency key of 1-128 characters is required");
        }
        assertThat(new CommitProposal(0, "k".repeat(128), "m", List.of()).idempotencyKey()).hasSize(128);
    }
}
