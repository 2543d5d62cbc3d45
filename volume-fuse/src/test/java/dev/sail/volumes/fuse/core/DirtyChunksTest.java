package dev.sail.volumes.fuse.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.chunking.ChunkHasher;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirtyChunksTest {
    @TempDir
    Path temp;

    static byte[] read(DirtyChunks dirty, long id, int length) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate(length);
        dirty.read(id, 0, dst, length);
        return dst.array();
    }

    @Test
    void aChunkIsReadWhereItIsWhileACommitOrReloadMovesIt() throws IOException {
        DirtyChunks dirty = new DirtyChunks(temp.resolve("dirty"));
        long id = dirty.allocate();
        dirty.write(id, 0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
        Path newHome = Files.createDirectories(temp.resolve("cache")).resolve("chunk");

        dirty.relocate(id, newHome);
        assertThat(read(dirty, id, 3)).as("relocated, not moved yet").containsExactly(1, 2, 3);
        assertThat(dirty.isRelocationTarget(newHome)).isTrue();

        Files.move(dirty.path(id), newHome, StandardCopyOption.ATOMIC_MOVE);
        assertThat(read(dirty, id, 4)).as("moved; zeros past its end").containsExactly(1, 2, 3, 0);
    }

    @Test
    void aFileStaysARelocationTargetUntilTheLastIdReadFromItIsForgotten() throws IOException {
        DirtyChunks dirty = new DirtyChunks(temp.resolve("dirty"));
        Path shared = temp.resolve("cache/same-bytes");
        Path other = temp.resolve("cache/other");
        long a = dirty.allocate();
        long b = dirty.allocate();
        dirty.relocate(a, shared);
        dirty.relocate(b, shared); // two dirty chunks with equal bytes: one cached file
        dirty.forgetRelocations(List.of(a));
        assertThat(dirty.isRelocationTarget(shared)).as("b still reads it").isTrue();

        dirty.relocate(b, other); // moved on again (a reload after the commit)
        assertThat(dirty.isRelocationTarget(shared)).isFalse();
        assertThat(dirty.isRelocationTarget(other)).isTrue();
        dirty.forgetRelocations(List.of(a, b));
        assertThat(dirty.isRelocationTarget(other)).isFalse();
        assertThat(dirty.locate(b)).isEqualTo(dirty.path(b));
    }

    @Test
    void aHashTakenAheadServesUntilTheChunkChangesAndASealedChunkIsLeftToItsCommit() throws IOException {
        DirtyChunks dirty = new DirtyChunks(temp.resolve("dirty"));
        long id = dirty.allocate();
        dirty.write(id, 0, ByteBuffer.wrap(new byte[] {1, 2, 3}));

        dirty.hashAhead(id, 3, dirty.changes(id));
        assertThat(dirty.awaitHashedAhead(id, 3)).contains(ChunkHasher.hash(new byte[] {1, 2, 3}));
        assertThat(dirty.awaitHashedAhead(id, 4)).as("another length").isEmpty();

        dirty.write(id, 0, ByteBuffer.wrap(new byte[] {9}));
        assertThat(dirty.awaitHashedAhead(id, 3)).as("changed since").isEmpty();

        dirty.seal(id);
        dirty.hashAhead(id, 3, dirty.changes(id));
        assertThat(dirty.hashedAhead(id, 3)).as("sealed before its turn: the commit hashes it").isEmpty();
    }

    @Test
    void aChunkNeverWrittenReadsAsZeros() throws IOException {
        DirtyChunks dirty = new DirtyChunks(temp.resolve("dirty"));
        assertThat(read(dirty, dirty.allocate(), 2)).containsExactly(0, 0);
    }

    @Test
    void fillTakesAFileWhenOfferedOneAndCopiesOtherwise() throws IOException {
        DirtyChunks dirty = new DirtyChunks(temp.resolve("dirty"));
        Path source = Files.write(temp.resolve("source"), new byte[] {5, 6});
        long copied = dirty.allocate();
        dirty.fill(copied, source, target -> false);
        long taken = dirty.allocate();
        dirty.fill(taken, source, target -> {
            try {
                Files.move(source, target);
                return true;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });

        assertThat(read(dirty, copied, 2)).containsExactly(5, 6);
        assertThat(read(dirty, taken, 2)).containsExactly(5, 6);
        assertThat(source).doesNotExist();
        assertThat(dirty.changes(copied)).isEqualTo(1);
        assertThat(dirty.changes(taken)).isEqualTo(1);
    }
}
