package dev.sail.volumes.fuse.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.manifest.VolumeName;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DownloadUrlsTest {
    private final AtomicInteger calls = new AtomicInteger();
    private final List<List<ChunkId>> batches = new ArrayList<>();
    private volatile CountDownLatch release = new CountDownLatch(0);
    private final Set<ChunkId> unknown = ConcurrentHashMap.newKeySet();

    /** A service that answers download URLs only, after {@link #release}, refusing batches with an unknown chunk. */
    private VolumeService service() {
        return (VolumeService) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {VolumeService.class},
                (proxy, method, args) -> {
                    if (!method.getName().equals("downloadUrls")) {
                        throw new UnsupportedOperationException(method.getName());
                    }
                    @SuppressWarnings("unchecked")
                    Collection<ChunkId> chunks = (Collection<ChunkId>) args[1];
                    calls.incrementAndGet();
                    synchronized (batches) {
                        batches.add(List.copyOf(chunks));
                    }
                    release.await();
                    if (chunks.stream().anyMatch(unknown::contains)) {
                        throw new VolumeServiceException(404, "unknown_chunk", "Chunk is not referenced");
                    }
                    return chunks.stream().map(id -> new PresignedUrl(id, URI.create("http://127.0.0.1/" + id), Map.of())).toList();
                });
    }

    private static ChunkId chunk(int i) {
        return ChunkHasher.hash(new byte[] {(byte) i});
    }

    @Test
    void chunksOfABatchInFlightWaitForItInsteadOfAskingAgain() throws Exception {
        DownloadUrls urls = new DownloadUrls(service(), VolumeName.of("v"));
        List<ChunkId> ids = List.of(chunk(1), chunk(2), chunk(3), chunk(4));
        urls.hint(ids);
        release = new CountDownLatch(1);
        try (ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<PresignedUrl> first = readers.submit(() -> urls.urlFor(ids.get(0), id -> false));
            await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() == 1);
            List<Future<PresignedUrl>> others = new ArrayList<>();
            for (ChunkId id : ids.subList(1, 4)) {
                others.add(readers.submit(() -> urls.urlFor(id, c -> false)));
            }
            release.countDown();

            assertThat(first.get().id()).isEqualTo(ids.get(0));
            for (int i = 0; i < 3; i++) {
                assertThat(others.get(i).get().id()).isEqualTo(ids.get(i + 1));
            }
        }
        assertThat(calls.get()).as("one request for the four").isEqualTo(1);
        assertThat(batches.getFirst()).containsExactlyElementsOf(ids);
    }

    @Test
    void aBatchRefusedForAnUnknownHintLeavesTheOthersToAskOnTheirOwn() throws Exception {
        DownloadUrls urls = new DownloadUrls(service(), VolumeName.of("v"));
        ChunkId wanted = chunk(1);
        ChunkId deleted = chunk(2);
        ChunkId next = chunk(3);
        unknown.add(deleted);
        urls.hint(List.of(wanted, deleted, next));

        assertThat(urls.urlFor(wanted, c -> false).id()).isEqualTo(wanted);
        assertThat(urls.urlFor(next, c -> false).id()).as("not answered by the refused batch: asked alone").isEqualTo(next);
        assertThat(batches).containsExactly(List.of(wanted, deleted, next), List.of(wanted), List.of(next));
    }

    @Test
    void aUrlIsUsedOnceAndCachedChunksAreNotAskedFor() throws Exception {
        DownloadUrls urls = new DownloadUrls(service(), VolumeName.of("v"));
        ChunkId a = chunk(1);
        ChunkId cached = chunk(2);
        urls.hint(List.of(a, cached));

        urls.urlFor(a, c -> c.equals(cached));
        urls.urlFor(a, c -> false);

        assertThat(batches).containsExactly(List.of(a), List.of(a));
    }
}
