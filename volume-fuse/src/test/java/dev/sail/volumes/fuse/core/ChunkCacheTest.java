package dev.sail.volumes.fuse.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

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

    /** Files of the cache that are read from outside it, as the dirty overlay would say. */
    final Set<Path> readElsewhere = new HashSet<>();

    ChunkCache cache(long maxBytes) throws IOException {
        return new ChunkCache("v", temp.resolve("cache"), maxBytes, 2, id -> {
            fetches.incrementAndGet();
            byte[] bytes = storage.get(id);
            if (bytes == null) {
                throw new IOException("NoSuchKey: chunk " + id.abbreviated());
            }
            return ByteBuffer.wrap(bytes);
        }, readElsewhere::contains);
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
        try (ChunkCache cache = new ChunkCache("v", temp.resolve("slow"), 1 << 20, 2, id -> {
            fetches.incrementAndGet();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IOException("interrupted", e);
            }
            return ByteBuffer.wrap(storage.get(id));
        }, file -> false)) {
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

    @Test
    void aTruncatedFileFoundAtStartupIsDetectedDeletedAndFetchedAgain() throws IOException {
        damagedFileFoundAtStartupIsFetchedAgain(file -> {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.truncate(300);
            }
        }, "300 bytes");
    }

    @Test
    void aBitFlippedFileFoundAtStartupIsDetectedByItsHashAndFetchedAgain() throws IOException {
        damagedFileFoundAtStartupIsFetchedAgain(file -> {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.wrap(new byte[] {(byte) (5 ^ 0x10)}), 123);
            }
        }, "1000 bytes");
    }

    private interface Damage {
        void apply(Path file) throws IOException;
    }

    private void damagedFileFoundAtStartupIsFetchedAgain(Damage damage, String sizeInLog) throws IOException {
        ChunkId a = put(1000, 5);
        try (ChunkCache cache = cache(10_000)) {
            read(cache, a, 0, 1);
            damage.apply(cache.pathOf(a));
        }
        ListAppender<ILoggingEvent> log = capture();
        try (ChunkCache cache = cache(10_000)) {
            assertThat(cache.usedBytes()).as("the damaged file is indexed at startup, unhashed").isPositive();

            assertThat(read(cache, a, 0, 1000)).as("bytes after the damage").containsOnly(5);
            assertThat(read(cache, a, 123, 1)).containsExactly(5);
            assertThat(fetches.get()).as("fetched once more, once").isEqualTo(2);
            assertThat(cache.usedBytes()).isEqualTo(1000);
            assertThat(Files.readAllBytes(cache.pathOf(a))).as("the file on disk was replaced").containsOnly(5);
            List<String> warnings = log.list.stream().filter(e -> e.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage).toList();
            assertThat(warnings).singleElement().asString()
                    .contains("Volume v", "cached chunk " + a.abbreviated() + " is damaged", sizeInLog, "fetching it again");
        } finally {
            release(log);
        }
    }

    @Test
    void anIntactFileFoundAtStartupIsVerifiedOnceAndNotFetched() throws IOException {
        ChunkId a = put(1000, 1);
        try (ChunkCache cache = cache(10_000)) {
            read(cache, a, 0, 1);
        }
        try (ChunkCache cache = cache(10_000)) {
            assertThat(read(cache, a, 0, 4)).containsExactly(1, 1, 1, 1);
            assertThat(Files.readAllBytes(cache.ensure(a))).containsOnly(1);
        }
        assertThat(fetches.get()).isEqualTo(1);
    }

    @Test
    void aChunkTheDiskCannotTakeIsServedFromMemoryAndLoggedOnce() throws IOException {
        ChunkId a = put(1000, 1);
        ChunkId b = put(2000, 2);
        ListAppender<ILoggingEvent> log = capture();
        try (ChunkCache cache = cache(10_000)) {
            // A cache dir that is gone makes every write fail, as a full disk does.
            Files.delete(temp.resolve("cache"));

            assertThat(read(cache, a, 10, 3)).containsExactly(1, 1, 1);
            assertThat(read(cache, a, 20, 2)).as("read again from the chunk kept in memory").containsExactly(1, 1);
            assertThat(read(cache, b, 1990, 10)).containsOnly(2);
            assertThat(fetches.get()).as("a fetched once, b once").isEqualTo(2);
            assertThat(cache.usedBytes()).isZero();
            assertThatThrownBy(() -> cache.ensure(a)).as("a caller that needs the file still learns why there is none")
                    .isInstanceOf(IOException.class).hasMessageContaining(temp.resolve("cache").toString());
            assertThat(log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage))
                    .singleElement().asString().contains("Volume v: cannot write chunk " + a.abbreviated() + " to the cache");

            Files.createDirectories(temp.resolve("cache"));
            assertThat(read(cache, b, 0, 1)).containsExactly(2);
            assertThat(cache.usedBytes()).as("cached again once the disk takes writes").isEqualTo(2000);
        } finally {
            release(log);
        }
    }

    @Test
    void aFileStillReadFromOutsideTheCacheIsNotEvicted() throws IOException {
        ChunkId a = put(1000, 1);
        ChunkId b = put(1000, 2);
        ChunkId c = put(1000, 3);
        try (ChunkCache cache = cache(2500)) {
            read(cache, a, 0, 1);
            readElsewhere.add(cache.pathOf(a));
            read(cache, b, 0, 1);
            read(cache, c, 0, 1);

            assertThat(cache.pathOf(a)).as("the oldest, but still read elsewhere").exists();
            assertThat(cache.pathOf(b)).as("evicted in its place").doesNotExist();
            assertThat(cache.free(10_000)).as("free skips it too").isEqualTo(1000);
            assertThat(cache.pathOf(a)).exists();
        }
    }

    @Test
    void theChunkJustFetchedStaysWhenEverythingOlderIsStillReadElsewhere() throws IOException {
        ChunkId a = put(1000, 1);
        ChunkId b = put(1000, 2);
        try (ChunkCache cache = cache(1500)) {
            read(cache, a, 0, 1);
            readElsewhere.add(cache.pathOf(a));

            assertThat(read(cache, b, 0, 1)).containsExactly(2);
            assertThat(cache.pathOf(b)).as("the newest entry, over the limit rather than dropped under its reader").exists();
            assertThat(cache.pathOf(a)).exists();
            assertThat(cache.usedBytes()).isEqualTo(2000);
        }
    }

    @Test
    void aHandedOverChunkLeavesTheCacheWithItsBytesAndIsFetchedAgainWhenRead() throws IOException {
        ChunkId a = put(1000, 7);
        try (ChunkCache cache = cache(10_000)) {
            read(cache, a, 0, 1);
            Path target = temp.resolve("taken");

            assertThat(cache.handOver(a, target)).isTrue();

            assertThat(Files.readAllBytes(target)).isEqualTo(storage.get(a));
            assertThat(cache.usedBytes()).isZero();
            assertThat(cache.pathOf(a)).doesNotExist();
            assertThat(read(cache, a, 998, 2)).containsExactly(7, 7);
            assertThat(fetches.get()).as("fetched again after the hand-over").isEqualTo(2);
        }
    }

    @Test
    void aChunkIsNotHandedOverWhenUncachedUnverifiedOrClaimed() throws IOException {
        ChunkId a = put(1000, 1);
        ChunkId b = put(1000, 2);
        Path target = temp.resolve("taken");
        try (ChunkCache cache = cache(10_000)) {
            assertThat(cache.handOver(a, target)).as("not cached").isFalse();
            read(cache, a, 0, 1);
            read(cache, b, 0, 1);
            readElsewhere.add(cache.pathOf(a));
            assertThat(cache.handOver(a, target)).as("read from outside the cache").isFalse();
            readElsewhere.clear();
            assertThat(cache.pathOf(a)).exists();
        }
        try (ChunkCache cache = cache(10_000)) {
            assertThat(cache.handOver(b, target)).as("found at startup, not hashed yet").isFalse();
            assertThat(cache.usedBytes()).isEqualTo(2000);
        }
        assertThat(target).doesNotExist();
    }

    private static ListAppender<ILoggingEvent> capture() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(ChunkCache.class)).addAppender(appender);
        return appender;
    }

    private static void release(ListAppender<ILoggingEvent> appender) {
        ((Logger) LoggerFactory.getLogger(ChunkCache.class)).detachAppender(appender);
    }

    private static void ensure(ChunkCache cache, ChunkId id) {
        try {
            cache.ensure(id);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
