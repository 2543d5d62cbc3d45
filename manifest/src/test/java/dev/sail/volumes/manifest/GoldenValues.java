package dev.sail.volumes.manifest;

import dev.sail.volumes.chunking.ChunkId;
import java.util.List;

/** The values pinned by the golden files of format 1 (src/test/resources/golden/format-1). */
final class GoldenValues {
    static final ChunkId CHUNK_0 = ChunkId.ofHex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    static final ChunkId CHUNK_1 = ChunkId.ofHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    static final Entry.File FILE = new Entry.File(8388613, 0644, 1763884800123456789L, List.of(CHUNK_0, CHUNK_1));
    static final Entry.Directory DIR = new Entry.Directory(0755, 1763884800000000000L);
    static final Entry.Symlink SYMLINK = new Entry.Symlink("../data/ünïcode \"quoted\"", 42);
    static final Change CHANGE = new Change(VolumePath.of("notebooks/日本/a.ipynb"), FILE);
    static final Versioned VERSION = new Versioned(VolumePath.of("notebooks/old"), Entry.DELETED, 7);
    static final CommitProposal PROPOSAL = new CommitProposal(3, "commit-2026-11-23-0001", "mount-7f3a",
            List.of(new Change(VolumePath.of("b"), Entry.DELETED),
                    new Change(VolumePath.of("a/link"), SYMLINK),
                    new Change(VolumePath.of("a"), DIR),
                    new Change(VolumePath.of("a/empty"), new Entry.File(0, 0600, 0, List.of()))));

    private GoldenValues() {
    }
}
