package dev.sail.volumes.fuse.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.Versioned;
import dev.sail.volumes.manifest.VolumePath;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which chunks a directory listing hints for URL batching. */
class RemoteTreeTest {
    private static ChunkId chunk(String name) {
        return ChunkHasher.hash(ByteBuffer.wrap(name.getBytes(StandardCharsets.UTF_8)));
    }

    private static Versioned file(String name, int chunks) {
        List<ChunkId> ids = new ArrayList<>();
        for (int i = 0; i < chunks; i++) {
            ids.add(chunk(name + "#" + i));
        }
        return new Versioned(VolumePath.of(name), new Entry.File(chunks * 8L, 0644, 0, ids), 1);
    }

    @Test
    void hintsEveryFilesChunksByPositionFirstChunksFirst() {
        List<Versioned> listing = List.of(file("a", 3), new Versioned(VolumePath.of("d"), new Entry.Directory(0755, 0), 1),
                file("b", 1), file("empty", 0), file("c", 2));

        assertThat(RemoteTree.likelyRead(listing)).containsExactly(
                chunk("a#0"), chunk("b#0"), chunk("c#0"), chunk("a#1"), chunk("c#1"), chunk("a#2"));
    }

    @Test
    void hintsAtMostOneRequestsWorthKeepingEveryFilesFirstChunk() {
        List<Versioned> listing = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            listing.add(file("f" + i, 32));
        }

        List<ChunkId> hinted = RemoteTree.likelyRead(listing);

        assertThat(hinted).hasSize(RemoteTree.HINTED_CHUNKS);
        assertThat(hinted.subList(0, 100)).as("every file's first chunk comes first")
                .containsExactlyElementsOf(listing.stream().map(f -> ((Entry.File) f.entry()).chunks().get(0)).toList());
        assertThat(hinted.get(100)).isEqualTo(chunk("f0#1"));
    }
}
