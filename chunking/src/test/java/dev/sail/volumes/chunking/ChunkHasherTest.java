package dev.sail.volumes.chunking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkHasherTest {
    private static final ChunkLayout SMALL = new ChunkLayout(4096, 65536, 16384);

    @TempDir
    Path dir;

    @Test
    void bufferHashLeavesThePositionAndHashesTheRemainder() {
        byte[] bytes = randomBytes(1000, 1);
        ByteBuffer buffer = ByteBuffer.wrap(bytes).position(100);
        assertThat(ChunkHasher.hash(buffer)).isEqualTo(ChunkHasher.hash(Arrays.copyOfRange(bytes, 100, 1000)));
        assertThat(buffer.position()).isEqualTo(100);
    }

    @Test
    void fileRangeEqualsBufferHashAcrossReadBufferBoundaries() throws IOException {
        // Larger than the read buffer, so a range spans several reads.
        byte[] bytes = randomBytes(ChunkHasher.READ_BUFFER * 2 + 123, 2);
        Path file = write("big", bytes);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            channel.position(7);
            int offset = 5;
            int length = bytes.length - 10;
            assertThat(ChunkHasher.hash(channel, offset, length))
                    .isEqualTo(ChunkHasher.hash(Arrays.copyOfRange(bytes, offset, offset + length)));
            assertThat(channel.position()).as("positional reads leave the channel's position").isEqualTo(7);
        }
    }

    @Test
    void hashFileMatchesTheLayoutRanges() throws IOException {
        byte[] bytes = randomBytes(65536 + 16384 + 10, 3);
        List<ChunkId> ids = ChunkHasher.hashFile(write("f", bytes), SMALL);
        List<ChunkRange> ranges = SMALL.ranges(bytes.length);
        assertThat(ids).hasSize(ranges.size()).hasSize(18);
        for (int i = 0; i < ranges.size(); i++) {
            ChunkRange r = ranges.get(i);
            assertThat(ids.get(i)).isEqualTo(ChunkHasher.hash(Arrays.copyOfRange(bytes, (int) r.offset(), (int) r.end())));
        }
    }

    @Test
    void emptyFileHasNoChunks() throws IOException {
        Path file = write("empty", new byte[0]);
        assertThat(ChunkHasher.hashFile(file, SMALL)).isEmpty();
        assertThat(ChunkHasher.hashFileParallel(file, SMALL, 2)).isEmpty();
    }

    @Test
    void rangePastEndOfFileThrows() throws IOException {
        Path file = write("short", randomBytes(100, 4));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            assertThatThrownBy(() -> ChunkHasher.hash(channel, 50, 100))
                    .isInstanceOf(IOException.class)
                    .hasMessage("File ended at 100 while hashing bytes 50..150");
            assertThatThrownBy(() -> ChunkHasher.hash(channel, 200, 1))
                    .isInstanceOf(IOException.class)
                    .hasMessage("File ended at 200 while hashing bytes 200..201");
        }
    }

    @Test
    void invalidRangeIsRejected() throws IOException {
        Path file = write("f", randomBytes(10, 5));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            assertThatThrownBy(() -> ChunkHasher.hash(channel, -1, 5))
                    .isInstanceOf(ChunkingException.class)
                    .hasMessage("Invalid byte range to hash: offset -1, length 5");
            assertThatThrownBy(() -> ChunkHasher.hash(channel, 0, -5))
                    .isInstanceOf(ChunkingException.class)
                    .hasMessage("Invalid byte range to hash: offset 0, length -5");
        }
    }

    @Test
    void parallelismMustBePositive() throws IOException {
        Path file = write("f", randomBytes(10, 6));
        assertThatThrownBy(() -> ChunkHasher.hashFileParallel(file, SMALL, 0))
                .isInstanceOf(ChunkingException.class)
                .hasMessage("Hashing parallelism must be at least 1, got 0");
    }

    @Test
    void hashAllReportsTheFirstFailureInOrderAfterEveryTaskFinished() {
        AtomicInteger finished = new AtomicInteger();
        List<ChunkHasher.ChunkSource> sources = List.of(
                () -> {
                    finished.incrementAndGet();
                    return ChunkHasher.hash(new byte[] {1});
                },
                () -> {
                    finished.incrementAndGet();
                    throw new IOException("chunk 1 unreadable");
                },
                () -> {
                    finished.incrementAndGet();
                    throw new IOException("chunk 2 unreadable");
                },
                () -> {
                    finished.incrementAndGet();
                    return ChunkHasher.hash(new byte[] {3});
                });
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            assertThatThrownBy(() -> ChunkHasher.hashAll(sources, pool))
                    .isInstanceOf(IOException.class)
                    .hasMessage("chunk 1 unreadable");
            assertThat(finished).hasValue(4);
        }
    }

    @Test
    void hashAllRethrowsUncheckedFailuresAsTheyAre() {
        List<ChunkHasher.ChunkSource> sources = List.of(() -> {
            throw new ChunkingException("bad chunk");
        });
        try (ExecutorService pool = Executors.newSingleThreadExecutor()) {
            assertThatThrownBy(() -> ChunkHasher.hashAll(sources, pool))
                    .isInstanceOf(ChunkingException.class)
                    .hasMessage("bad chunk");
        }
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] bytes = new byte[n];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
