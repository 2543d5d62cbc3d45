package dev.sail.volumes.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class EntryTest {
    private static final ChunkId ID = ChunkHasher.hash(new byte[] {1});
    private static final long MIB = 1L << 20;

    @Test
    void fileCopiesItsChunkList() {
        List<ChunkId> chunks = new ArrayList<>(List.of(ID));
        Entry.File file = new Entry.File(1, 0644, 5, chunks);
        chunks.add(ID);
        assertThat(file.chunks()).containsExactly(ID);
        assertThat(file.exists()).isTrue();
    }

    @Test
    void fileRejectsBadSizeModeAndChunks() {
        assertThatThrownBy(() -> new Entry.File(-1, 0644, 0, List.of()))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_entry"))
                .hasMessage("Invalid file entry: size -1 is out of range");
        assertThatThrownBy(() -> new Entry.File(ChunkLayout.MAX_FILE_SIZE + 1, 0644, 0, List.of()))
                .hasMessage("Invalid file entry: size 1125899906842625 is out of range");
        assertThatThrownBy(() -> new Entry.File(0, 0100644, 0, List.of()))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_entry"))
                .hasMessage("Invalid mode 100644: only permission bits (07777) are stored");
        assertThatThrownBy(() -> new Entry.File(0, 0644, 0, null))
                .hasMessage("Invalid file entry: the chunk list is required");
        assertThatThrownBy(() -> new Entry.File(0, 0644, 0, Arrays.asList(ID, null)))
                .hasMessage("Invalid file entry: the chunk list holds a null id");
        assertThat(new Entry.File(0, 07777, 0, List.of()).mode()).isEqualTo(07777);
    }

    @Test
    void checkLayoutCountsChunks() {
        ChunkLayout layout = ChunkLayout.STANDARD;
        assertThat(new Entry.File(0, 0644, 0, List.of()).checkLayout(layout).size()).isZero();
        Entry.File twoChunks = new Entry.File(8 * MIB + 1, 0644, 0, List.of(ID, ID));
        assertThat(twoChunks.checkLayout(layout)).isSameAs(twoChunks);
        assertThatThrownBy(() -> new Entry.File(8 * MIB, 0644, 0, List.of(ID, ID)).checkLayout(layout))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_entry"))
                .hasMessage("Invalid file entry: a file of 8388608 bytes has 1 chunks, the entry lists 2");
        assertThatThrownBy(() -> new Entry.File(5, 0644, 0, List.of()).checkLayout(layout))
                .hasMessage("Invalid file entry: a file of 5 bytes has 1 chunks, the entry lists 0");
        List<ChunkId> ids = Collections.nCopies(129, ID);
        assertThat(new Entry.File((1L << 30) + 1, 0644, 0, ids).checkLayout(layout).chunks()).hasSize(129);
    }

    @Test
    void directoryChecksMode() {
        assertThat(new Entry.Directory(0755, 1).exists()).isTrue();
        assertThatThrownBy(() -> new Entry.Directory(040755, 0))
                .hasMessage("Invalid mode 40755: only permission bits (07777) are stored");
        assertThatThrownBy(() -> new Entry.Directory(-1, 0))
                .hasMessage("Invalid mode 37777777777: only permission bits (07777) are stored");
    }

    @Test
    void symlinkRules() {
        assertThat(new Entry.Symlink("../a", 0).target()).isEqualTo("../a");
        assertThat(new Entry.Symlink("/abs/dangling", 0).exists()).isTrue();
        for (String bad : new String[] {null, "", "a\0b"}) {
            assertThatThrownBy(() -> new Entry.Symlink(bad, 0))
                    .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_entry"))
                    .hasMessage("Invalid symlink: its target must be non-empty and without NUL");
        }
        assertThat(new Entry.Symlink("x".repeat(4096), 0).target()).hasSize(4096);
        assertThatThrownBy(() -> new Entry.Symlink("x".repeat(4097), 0))
                .hasMessage("Invalid symlink: its target is 4097 bytes of UTF-8, over the limit of 4096");
        // The limit is in bytes: 1366 three-byte characters are 4098 bytes.
        assertThatThrownBy(() -> new Entry.Symlink("語".repeat(1366), 0))
                .hasMessage("Invalid symlink: its target is 4098 bytes of UTF-8, over the limit of 4096");
        assertThatThrownBy(() -> new Entry.Symlink("a\uD800", 0))
                .hasMessage("Invalid symlink: its target is not valid Unicode (an unpaired surrogate has no UTF-8 form)");
    }

    @Test
    void deletedIsTheOnlyEntryThatDoesNotExist() {
        assertThat(Entry.DELETED.exists()).isFalse();
        assertThat(new Entry.Deleted()).isEqualTo(Entry.DELETED);
    }

    @Test
    void changeAndVersionedRules() {
        assertThatThrownBy(() -> new Change(VolumePath.ROOT, Entry.DELETED))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_change"))
                .hasMessage("The volume root is always a directory: it cannot be deleted");
        assertThatThrownBy(() -> new Change(VolumePath.ROOT, new Entry.File(0, 0644, 0, List.of())))
                .hasMessage("The volume root is always a directory: it cannot be replaced");
        assertThat(new Change(VolumePath.ROOT, new Entry.Directory(0755, 0)).path().isRoot()).isTrue();
        assertThatThrownBy(() -> new Versioned(VolumePath.of("a"), Entry.DELETED, -1))
                .isInstanceOfSatisfying(ManifestException.class, e -> assertThat(e.code()).isEqualTo("invalid_entry"))
                .hasMessage("A commit sequence is non-negative, got -1");
    }
}
