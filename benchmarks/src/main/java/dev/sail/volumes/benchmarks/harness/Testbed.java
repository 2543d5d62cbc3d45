package dev.sail.volumes.benchmarks.harness;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.chunking.ChunkRange;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.ChunkTransfer;
import dev.sail.volumes.client.HttpChunkTransfer;
import dev.sail.volumes.client.HttpVolumeService;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.UploadPlan;
import dev.sail.volumes.client.VolumeInfo;
import dev.sail.volumes.client.control.ControlClient;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.service.ServiceConfig;
import dev.sail.volumes.service.VolumeServer;
import dev.sail.volumes.service.storage.S3Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the workloads share: the S3 server, the volume service (in this JVM, on the same S3),
 * its client and transfer engine, the peers, the test data and a work directory. It mounts our
 * volumes through the real daemon, started the way a user starts it: the checkout's launcher,
 * {@code bin/sail-volume mount --foreground} (with the JVM cache and flags the launcher gives it), and
 * the peers' buckets. Not thread-safe: workloads run one after another. {@link #close()} stops the
 * service and the S3 server and deletes the work directory; every mount is closed by the workload
 * that made it.
 */
final class Testbed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Testbed.class);
    static final String CHUNK_BUCKET = "sail-chunks";

    private final Scale scale;
    private final Path work;
    private final MeteredS3Server s3;
    private final VolumeServer server;
    private final HttpVolumeService service;
    private final HttpChunkTransfer transfer;
    private final List<Peer> peers;
    private final Map<String, String> peerProblems;
    private final Path launcher;
    private final TestData data = new TestData(System.nanoTime());
    private final AtomicInteger sequence = new AtomicInteger();
    private boolean closed;

    private Testbed(Scale scale, Path work, MeteredS3Server s3, VolumeServer server, List<Peer> peers,
                    Map<String, String> peerProblems, Path launcher) {
        this.scale = scale;
        this.work = work;
        this.s3 = s3;
        this.server = server;
        this.service = new HttpVolumeService(server.baseUrl(), server.defaultOrgKey(), Duration.ofMinutes(10));
        this.transfer = new HttpChunkTransfer();
        this.peers = peers;
        this.peerProblems = peerProblems;
        this.launcher = launcher;
    }

    /**
     * Starts S3 and the service, and installs the peers that are missing (a peer that cannot be installed
     * is only noted). Without {@code peers}, every peer is reported as skipped, for quick profiling runs.
     */
    static Testbed start(Scale scale, Path work, boolean peers, Path root) {
        MeteredS3Server s3 = MeteredS3Server.start(scale.s3CapacityBytes(), scale.s3ReservedBytes());
        VolumeServer server = null;
        try {
            s3.createBucket(CHUNK_BUCKET);
            Path data = work.resolve("service");
            Files.createDirectories(data);
            S3Settings settings = new S3Settings(Optional.of(s3.endpoint()), MeteredS3Server.REGION, CHUNK_BUCKET, true,
                    Optional.of(new S3Settings.StaticKey(s3.accessKey(), s3.secretKey())), Duration.ofHours(1), true);
            // GC only when a workload asks (after dropping its volumes), with no grace: nothing else writes here.
            server = VolumeServer.start(ServiceConfig.defaults(data).withGc(Duration.ZERO, Duration.ZERO).withPort(0).withS3(settings));
            List<Peer> all = List.of(new RclonePeer(s3), new S3fsPeer(s3));
            Map<String, String> problems = new HashMap<>();
            if (peers) {
                problems.putAll(Peer.install(all));
            } else {
                all.forEach(peer -> problems.put(peer.name(), peer.name() + " skipped (--no-peers)"));
            }
            return new Testbed(scale, work, s3, server, all, problems, root.resolve("bin/sail-volume").toAbsolutePath().normalize());
        } catch (IOException e) {
            s3.close();
            throw new UncheckedIOException("Cannot create the service's data directory in " + work, e);
        } catch (RuntimeException e) {
            if (server != null) {
                server.close();
            }
            s3.close();
            throw e;
        }
    }

    Scale scale() {
        return scale;
    }

    /**
     * Puts and gets 128 MiB of chunks through presigned URLs and drops them, so that the first subject
     * measured does not pay for warming the S3 server's and the HTTP clients' code paths (JIT).
     */
    void warmUp() throws IOException {
        String volume = newVolumeName("warm-up");
        try {
            createVolume(volume);
            List<ChunkId> ids = putFile(volume, "warm-up", -2, 128L << 20);
            for (PresignedUrl url : service.downloadUrls(VolumeName.of(volume), ids)) {
                transfer.download(url);
            }
        } finally {
            dropVolume(volume);
        }
    }

    MeteredS3Server s3() {
        return s3;
    }

    HttpVolumeService service() {
        return service;
    }

    HttpChunkTransfer transfer() {
        return transfer;
    }

    TestData data() {
        return data;
    }

    /** Every peer, usable or not. */
    List<Peer> peers() {
        return peers;
    }

    List<String> peerNames() {
        return peers.stream().map(Peer::name).toList();
    }

    /** Why the peer cannot be measured at all, or empty when it can. */
    Optional<String> peerProblem(Peer peer) {
        return Optional.ofNullable(peerProblems.get(peer.name()));
    }

    /** A fresh directory under the work directory, for one subject of one workload. */
    Path scratch(String what) {
        try {
            return Files.createDirectories(work.resolve(sequence.incrementAndGet() + "-" + what.replaceAll("[^A-Za-z0-9.-]", "_")));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a scratch directory in " + work, e);
        }
    }

    /** A new, empty bucket with a name derived from {@code what}. */
    String newBucket(String what) {
        String bucket = ("b" + sequence.incrementAndGet() + "-" + what).toLowerCase(java.util.Locale.ROOT)
                .replaceAll("[^a-z0-9-]", "-");
        bucket = bucket.length() > 60 ? bucket.substring(0, 60) : bucket;
        s3.createBucket(bucket);
        return bucket;
    }

    /** A new volume name (the service creates it on first mount or through {@link #createVolume}). */
    String newVolumeName(String what) {
        return ("v" + sequence.incrementAndGet() + "-" + what).replaceAll("[^A-Za-z0-9._-]", "-");
    }

    VolumeInfo createVolume(String name) {
        return service.createVolumeIfMissing(VolumeName.of(name));
    }

    /** Deletes the volume and lets GC reclaim its chunks from S3 (they were only this workload's). */
    void dropVolume(String name) {
        try {
            service.deleteVolume(VolumeName.of(name));
            server.collector().collect();
        } catch (RuntimeException e) {
            LOG.warn("Cannot drop volume {}: {}", name, e.toString());
        }
    }

    /** Mounts our volume {@code volume} (created if missing) with {@code binding}, through the real daemon. */
    OursMount mountOurs(String volume, String binding) {
        Path scratch = scratch("ours-" + binding);
        Path mountpoint = scratch.resolve("mnt");
        Path runDir = scratch.resolve("run");
        List<String> command = List.of(launcher.toString(), "mount", "--volume=" + volume, "--create",
                "--state-dir=" + scratch.resolve("state"), "--binding=" + binding, "--cache-size=16G", "--foreground",
                mountpoint.toString());
        // Extra daemon flags for profiling runs (for example a JFR recording) go after the launcher's own.
        String extra = System.getenv().getOrDefault("SAIL_BENCH_DAEMON_JAVA_OPTS", "").strip();
        Map<String, String> env = Map.of(
                "SAIL_VOLUME_URL", server.baseUrl().toString(),
                "SAIL_API_KEY", server.defaultOrgKey(),
                "SAIL_VOLUME_RUN_DIR", runDir.toString(),
                "SAIL_VOLUME_LOG_LEVEL", System.getenv().getOrDefault("SAIL_BENCH_DAEMON_LOG_LEVEL", "WARN"),
                "SAIL_VOLUME_JAVA_OPTS", ("-Xmx2g " + extra).strip(),
                // benchmarks/run built the checkout: a launcher that found it stale would measure a build.
                "SAIL_VOLUME_NO_BUILD", "1");
        ControlClient control = ControlClient.forMount(mountpoint, runDir);
        FuseProcess process = FuseProcess.start("ours-" + binding, command, env, mountpoint, scratch, control::isReachable);
        return new OursMount(process, runDir);
    }

    /** Mounts {@code bucket} with {@code peer}. */
    FuseProcess mountPeer(Peer peer, String bucket) {
        return peer.mount(bucket, scratch(peer.name()));
    }

    /**
     * Adds {@code count} files of 4 KiB (one shared chunk) to the volume through the service API, in
     * commits of 10,000 paths (measured: a commit of 50,000 costs the service far more than five of
     * 10,000), laid out as {@code dNNNN/fNNNNN} with 1,000 files per directory.
     */
    void populateTree(String volume, int count) throws IOException {
        VolumeName name = VolumeName.of(volume);
        byte[] content = data.small(-1, 4096);
        ChunkId id = uploadChunks(name, List.of(ByteBuffer.wrap(content))).getFirst();
        long now = System.currentTimeMillis() * 1_000_000L;
        Entry.File file = new Entry.File(content.length, 0644, now, List.of(id));
        int batch = 10_000;
        for (int from = 0; from < count; from += batch) {
            List<Change> changes = new ArrayList<>();
            for (int i = from; i < Math.min(count, from + batch); i++) {
                changes.add(new Change(VolumePath.of(treePath(i)), file));
            }
            long start = System.nanoTime();
            commit(name, changes);
            LOG.debug("Committed {} files to {} in {} ms", changes.size(), volume, (System.nanoTime() - start) / 1_000_000);
        }
    }

    static String treePath(int i) {
        return String.format("d%04d/f%05d", i / 1000, i % 1000);
    }

    /** Writes the same tree as {@link #populateTree} into a local directory. */
    void writeLocalTree(Path root, int count) throws IOException {
        byte[] content = data.small(-1, 4096);
        for (int i = 0; i < count; i++) {
            Path file = root.resolve(treePath(i));
            if (i % 1000 == 0) {
                Files.createDirectories(file.getParent());
            }
            Files.write(file, content);
        }
    }

    /** Puts the same tree into a peer's bucket directly (with directory marker objects, which s3fs needs). */
    void writeBucketTree(String bucket, int count) {
        byte[] content = data.small(-1, 4096);
        for (int i = 0; i < count; i++) {
            if (i % 1000 == 0) {
                s3.putObject(bucket, String.format("d%04d/", i / 1000), new byte[0]);
            }
            s3.putObject(bucket, treePath(i), content);
        }
    }

    /** Commits one file of {@code size} bytes of stream {@code stream} at {@code path} through the API. */
    List<ChunkId> putFile(String volume, String path, long stream, long size) throws IOException {
        VolumeName name = VolumeName.of(volume);
        ChunkLayout layout = ChunkLayout.STANDARD;
        List<ChunkId> ids = new ArrayList<>();
        List<ChunkRange> ranges = layout.ranges(size);
        int batch = 16;
        for (int from = 0; from < ranges.size(); from += batch) {
            List<ByteBuffer> chunks = new ArrayList<>();
            for (ChunkRange range : ranges.subList(from, Math.min(ranges.size(), from + batch))) {
                if (range.offset() % TestData.BLOCK != 0 || range.length() > TestData.BLOCK) {
                    throw new HarnessException("The harness makes files of 8 MiB chunks only (below 1 GiB), got " + range);
                }
                chunks.add(data.chunk(stream, range.offset() / TestData.BLOCK, (int) range.length()));
            }
            ids.addAll(uploadChunks(name, chunks));
        }
        commit(name, List.of(new Change(VolumePath.of(path), new Entry.File(size, 0644, System.currentTimeMillis() * 1_000_000L, ids))));
        return ids;
    }

    /** Uploads the chunks the service lacks; answers every chunk's id. */
    List<ChunkId> uploadChunks(VolumeName volume, List<ByteBuffer> chunks) throws IOException {
        List<ChunkId> ids = new ArrayList<>();
        List<ChunkSpec> specs = new ArrayList<>();
        Map<ChunkId, ByteBuffer> byId = new HashMap<>();
        for (ByteBuffer chunk : chunks) {
            ChunkId id = ChunkHasher.hash(chunk.duplicate());
            ids.add(id);
            specs.add(new ChunkSpec(id, chunk.remaining()));
            byId.put(id, chunk);
        }
        UploadPlan plan = service.planUploads(volume, specs);
        List<ChunkTransfer.Upload> uploads = new ArrayList<>();
        for (PresignedUrl url : plan.uploads()) {
            ByteBuffer bytes = byId.get(url.id());
            uploads.add(new ChunkTransfer.Upload(url, bytes.remaining(), bytes::duplicate));
        }
        transfer.uploadAll(uploads, (id, n) -> { });
        return ids;
    }

    void commit(VolumeName volume, List<Change> changes) {
        long base = service.findVolume(volume).map(VolumeInfo::headSeq).orElse(0L);
        service.commit(volume, new CommitProposal(base, UUID.randomUUID().toString(), "benchmarks", changes));
    }

    /**
     * Waits until {@code done} holds (S3 shows what a peer was asked to upload), checking every 50 ms,
     * for at most {@code timeout}; answers when it held ({@link System#nanoTime()}).
     */
    static long awaitCondition(String what, java.util.function.BooleanSupplier done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new HarnessException("Timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            try {
                // Polling: the conditions waited for live outside this JVM (S3 objects, mounts, processes).
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HarnessException("Interrupted while waiting for " + what, e);
            }
        }
        return System.nanoTime();
    }

    /** True once every key exists in the bucket with its expected size. */
    boolean objectsPresent(String bucket, Map<String, Long> expectedSizes) {
        for (Map.Entry<String, Long> expected : expectedSizes.entrySet()) {
            Optional<Long> size = s3.head(bucket, expected.getKey()).map(h -> h.contentLength());
            if (size.isEmpty() || !size.get().equals(expected.getValue())) {
                return false;
            }
        }
        return true;
    }

    /**
     * For a JVM that is exiting (Ctrl-C, kill): deletes the work directory at once, without waiting for
     * the service or in-flight requests to finish (closing the HTTP client would wait for them). The
     * S3 server's objects live in this JVM's heap and go with it.
     */
    void abandon() {
        Shell.deleteTree(work);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            transfer.close();
            service.close();
        } finally {
            try {
                server.close();
            } finally {
                try {
                    s3.close();
                } finally {
                    Shell.deleteTree(work);
                }
            }
        }
    }
}
