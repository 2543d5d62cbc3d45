package dev.sail.volumes.fuse.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkCacheTest {
    @TempDir
    Path temp;

    final Map<ChunkId, byte[]> storage = new HashMap<>();
    final AtomicInteger fetches = new AtomicInteger();

    ChunkId put(int size, int fill) {
        byte[] bytes = new byte[size];
        java.util.Arrays.fill(bytes, (byte) fill);
        ChunkId id = ChunkHasher.hash(bytes);
        storage.put(id, bytes);
        return id;
    }

    ChunkCache cache(long maxBytes) throws IOException {
        return new ChunkCache(temp.resolve("cache"), maxBytes, 2, id -> {
            fetches.incrementAndGet();
            byte[] bytes = storage.get(id);
            if (bytes == null) {
                throw new IOException("NoSuchKey: chunk " + id.abbreviated());
            }
            return ByteBuffer.wrap(bytes);
        });
    }

    static byte[] read(ChunkCache cache, ChunkId id, long offset, int length) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate(length);
        cache.read(id, offset, dst, length);
        return dst.array();
    }

    @Test
    void fetchesOnceAndEvictsTheLeastRecentlyUsedPastItsLimit() throws IOException {
        ChunkId a = put(1000, 1);
        ChunkId b = put(1000, 2);
        ChunkId c = put(1000, 3);
        try (ChunkCache cache = cache(2500)) {
            assertThat(read(cache, a, 10, 3)).containsExactly(1, 1, 1);
            read(cache, b, 0, 1);
            read(cache, a, 0, 1);
            read(cache, c, 0, 1);

            assertThat(fetches.get()).as("a was still cached when read again").isEqualTo(3);
            assertThat(cache.usedBytes()).isEqualTo(2000);
            try (Stream<Path> files = Files.list(temp.resolve("cache"))) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(a.toString(), c.toString());
            }
            read(cache, b, 0, 1);
            assertThat(fetches.get()).as("b was evicted, so it is fetched again").isEqualTo(4);
        }
    }

    @Test
    void aRestartKeepsTheCacheWarm() throws IOException {
        ChunkId a = put(1000, 1);
        try (ChunkCache cache = cache(10_000)) {
            read(cache, a, 0, 10);
        }
        try (ChunkCache cache = cache(10_000)) {
            assertThat(read(cache, a, 0, 2)).containsExactly(1, 1);
            assertThat(cache.usedBytes()).isEqualTo(1000);
        }
        assertThat(fetches.get()).isEqualTo(1);
    }

    @Test
    void concurrentReadersShareOneFetch() throws Exception {
        ChunkId a = put(100_000, 7);
        CountDownLatch release = new CountDownLatch(1);
        try (ChunkCache cache = new ChunkCache(temp.resolve("slow"), 1 << 20, 2, id -> {
            fetches.incrementAndGet();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IOException("interrupted", e);
            }
            return ByteBuffer.wrap(storage.get(id));
        })) {
            Thread first = Thread.ofVirtual().start(() -> ensure(cache, a));
            Thread second = Thread.ofVirtual().start(() -> ensure(cache, a));
            await().atMost(Duration.ofSeconds(5)).until(() -> fetches.get() == 1);
            release.countDown();
            first.join();
            second.join();
            assertThat(fetches.get()).isEqualTo(1);
        }
    }

    @Test
    void prefetchFetchesInTheBackgroundAndAFailedFetchIsReported() throws IOException {
        ChunkId a = put(1000, 1);
        ChunkId missing = ChunkHasher.hash(new byte[] {9});
        try (ChunkCache cache = cache(10_000)) {
            cache.prefetch(a);
            await().atMost(Duration.ofSeconds(5)).until(() -> cache.usedBytes() == 1000);
            assertThatThrownBy(() -> cache.ensure(missing)).isInstanceOf(IOException.class)
                    .hasMessageContaining("NoSuchKey: chunk " + missing.abbreviated());
        }
    }

    @Test
    void freeEvictsTheOldestUntilEnoughIsFreed() throws IOException {
        ChunkId a = put(1000, 1);
        ChunkId b = put(1000, 2);
        ChunkId c = put(1000, 3);
        try (ChunkCache cache = cache(10_000)) {
            read(cache, a, 0, 1);
            read(cache, b, 0, 1);
            read(cache, c, 0, 1);

            assertThat(cache.free(1500)).isEqualTo(2000);
            assertThat(cache.usedBytes()).isEqualTo(1000);
            assertThat(Files.exists(cache.pathOf(c))).isTrue();
            assertThat(Files.exists(cache.pathOf(a))).isFalse();
        }
    }

    private static void ensure(ChunkCache cache, ChunkId id) {
        try {
            cache.ensure(id);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
