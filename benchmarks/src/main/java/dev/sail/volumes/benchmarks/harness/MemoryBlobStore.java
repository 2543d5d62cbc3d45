package dev.sail.volumes.benchmarks.harness;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import org.gaul.s3proxy.nio2blob.AbstractNio2BlobStore;

/**
 * S3Proxy's in-memory backend (as {@code TransientNio2BlobStore}, on Jimfs) with a capacity of our
 * choosing: the stock one stops at Jimfs's default of 4 GiB, which the full run's incremental-commit
 * (8 × 256 MiB objects, rewritten by a peer while the old versions still exist) goes past. Jimfs keeps
 * freed blocks for reuse, so the heap holds the peak, not the current, contents.
 * Thread-safe (Jimfs is).
 */
final class MemoryBlobStore extends AbstractNio2BlobStore {
    MemoryBlobStore(long capacityBytes) {
        super(Jimfs.newFileSystem(Configuration.unix().toBuilder()
                .setAttributeViews("posix", "user")
                .setWorkingDirectory("/")
                .setMaxSize(capacityBytes)
                .build()).getPath("/"));
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
