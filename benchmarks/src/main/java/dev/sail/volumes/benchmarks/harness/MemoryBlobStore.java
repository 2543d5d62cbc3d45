package dev.sail.volumes.benchmarks.harness;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gaul.s3proxy.nio2blob.AbstractNio2BlobStore;

/**
 * S3Proxy's in-memory backend (as {@code TransientNio2BlobStore}, on Jimfs) with a capacity of our
 * choosing: the stock one stops at Jimfs's default of 4 GiB, which the full run's incremental-commit
 * (8 × 256 MiB objects, rewritten by a peer while the old versions still exist) goes past. Jimfs keeps
 * freed blocks for reuse, so the heap holds the peak, not the current, contents.
 *
 * <p>The blocks of a reserve are allocated up front and freed into that cache, and the heap is
 * collected once after it, before anything is measured. Without it, whichever side of a comparison
 * wrote first paid for the heap's growth: in one run, every 8 KiB block of our commit's 1 GiB was new
 * and the server's JVM spent up to two thirds of the commit in young-collection pauses copying them,
 * while the raw baseline after it wrote into blocks the dropped volume had freed, with no pauses.
 * Thread-safe (Jimfs is).
 */
final class MemoryBlobStore extends AbstractNio2BlobStore {
    private static final int RESERVE_WRITE = 1 << 20;

    MemoryBlobStore(long capacityBytes, long reservedBytes) {
        super(reserve(Jimfs.newFileSystem(Configuration.unix().toBuilder()
                .setAttributeViews("posix", "user")
                .setWorkingDirectory("/")
                .setMaxSize(capacityBytes)
                .build()).getPath("/"), reservedBytes));
    }

    /** Writes and deletes {@code bytes} in {@code root}'s file system, so that its block cache holds them; answers {@code root}. */
    private static Path reserve(Path root, long bytes) {
        Path file = root.resolve("reserve");
        byte[] block = new byte[RESERVE_WRITE];
        try {
            try (OutputStream out = Files.newOutputStream(file)) {
                for (long written = 0; written < bytes; written += block.length) {
                    out.write(block, 0, (int) Math.min(block.length, bytes - written));
                }
            }
            Files.delete(file);
        } catch (IOException e) {
            throw new HarnessException("Cannot reserve " + Scale.bytes(bytes) + " in the in-memory S3 store: " + e.getMessage(), e);
        }
        // The blocks are old now, not young objects a measured request's collection would copy.
        System.gc();
        return root;
    }

    @Override
    public boolean supportsVersioning() {
        return true;
    }

    @Override
    public boolean supportsServerSideEncryption() {
        return true;
    }

    @Override
    public boolean supportsBucketEncryption() {
        return true;
    }
}
