package dev.sail.volumes.fuse.core;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.manifest.VolumeName;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports a commit's uploaded chunks to the service while the rest of its upload runs, in batches,
 * so that the service checks them in storage then rather than during the commit call. Purely an
 * optimization: a chunk not reported (or whose report failed) is checked by the commit itself, so
 * failures here are only logged.
 *
 * <p>One reporter thread sends one request at a time. Thread-safe; {@link #close()} sends what is
 * left at once (no lingering for more), waits for it, and is safe to call twice.
 */
final class UploadVerifier implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UploadVerifier.class);
    /** Most chunks in one report. */
    static final int BATCH = 1000;
    /** How long the reporter waits to fill a batch before it sends what it has. */
    private static final long LINGER_MILLIS = 20;
    /** Queued by {@link #close()} to wake the reporter: nothing more will come. */
    private static final ChunkSpec CLOSING = new ChunkSpec(ChunkId.ofDigest(new byte[32]), 1);

    private final VolumeService service;
    private final VolumeName volume;
    private final long lingerNanos;
    private final BlockingQueue<ChunkSpec> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger verified = new AtomicInteger();
    private final Thread reporter;
    private volatile boolean closing;
    private boolean closed;

    UploadVerifier(VolumeService service, VolumeName volume) {
        this(service, volume, TimeUnit.MILLISECONDS.toNanos(LINGER_MILLIS));
    }

    /** With another linger (tests). */
    UploadVerifier(VolumeService service, VolumeName volume, long lingerNanos) {
        this.service = service;
        this.volume = volume;
        this.lingerNanos = lingerNanos;
        this.reporter = Thread.ofVirtual().name("upload-verifier").start(this::report);
    }

    /** Queues a chunk whose upload finished. */
    void uploaded(ChunkSpec chunk) {
        queue.add(chunk);
    }

    /** Chunks the service confirmed so far. */
    int verified() {
        return verified.get();
    }

    private void report() {
        List<ChunkSpec> batch = new ArrayList<>();
        try {
            while (!closing || !queue.isEmpty()) {
                ChunkSpec first = queue.take();
                if (first == CLOSING) {
                    continue;
                }
                batch.add(first);
                // Chunks finishing together go in one request: wait a moment for more (not once the
                // commit closes this: then only what is queued goes), then send.
                long deadline = System.nanoTime() + lingerNanos;
                while (batch.size() < BATCH) {
                    long left = deadline - System.nanoTime();
                    ChunkSpec next = closing || left <= 0 ? queue.poll() : queue.poll(left, TimeUnit.NANOSECONDS);
                    if (next == null) {
                        break;
                    }
                    if (next != CLOSING) {
                        batch.add(next);
                    }
                }
                send(batch);
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void send(List<ChunkSpec> batch) {
        try {
            verified.addAndGet(service.verifyUploads(volume, batch).size());
        } catch (RuntimeException e) {
            // The commit checks whatever this could not: nothing is lost but the head start.
            LOG.debug("Volume '{}': early check of {} uploaded chunk(s) failed: {}", volume, batch.size(), e.toString());
        }
    }

    /** Sends what is queued and waits until the last report is answered. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closing = true;
        queue.add(CLOSING);
        try {
            reporter.join();
        } catch (InterruptedException e) {
            reporter.interrupt();
            Thread.currentThread().interrupt();
        }
    }
}
