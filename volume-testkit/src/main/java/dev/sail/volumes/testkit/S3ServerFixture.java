package dev.sail.volumes.testkit;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * An S3 server in this JVM (S3Proxy) on {@code 127.0.0.1} and a random port, with SigV4
 * authentication enforced and one bucket created. The backend is in memory ({@link #startTransient()})
 * or files under a directory ({@link #startOnDisk(Path)}). It counts the object requests it serves
 * and the bytes they carry, so a test can assert what moved ({@link #counters()}).
 *
 * <pre>{@code
 * try (S3ServerFixture s3 = S3ServerFixture.startTransient()) {
 *     URI endpoint = s3.endpoint(); // path-style: endpoint/bucket/key
 * }
 * }</pre>
 *
 * Thread-safe; {@link #close()} stops the server and deletes what it stored, and is safe to call twice.
 */
public final class S3ServerFixture implements AutoCloseable {
    /** The region S3Proxy answers for; any region signs, this one matches what the service defaults to. */
    public static final String REGION = "us-east-1";

    private final S3Proxy proxy;
    private final CountingBlobStore blobStore;
    private final Path ownedDirectory;
    private final String accessKey;
    private final String secretKey;
    private final String bucket;
    private final URI endpoint;
    private boolean closed;

    /** What the server has served since it started or since {@link #resetCounters()}. */
    public record Counters(long putRequests, long bytesPut, long getRequests, long bytesGot,
                           long headRequests, long deleteRequests) {
        /** Every object request of any kind. */
        public long requests() {
            return putRequests + getRequests + headRequests + deleteRequests;
        }
    }

    private S3ServerFixture(BlobStore backend, Path ownedDirectory) {
        this.ownedDirectory = ownedDirectory;
        this.blobStore = new CountingBlobStore(backend);
        this.accessKey = "test-" + randomHex(8);
        this.secretKey = randomHex(20);
        this.bucket = "sail-test-" + randomHex(4);
        boolean success = false;
        try {
            this.proxy = S3Proxy.builder()
                    .blobStore(blobStore)
                    .awsAuthentication(AuthenticationType.AWS_V4, accessKey, secretKey)
                    .endpoint(URI.create("http://127.0.0.1:0"))
                    .build();
            proxy.start();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (!"STARTED".equals(proxy.getState())) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("S3Proxy did not start within 30 s (state " + proxy.getState() + ")");
                }
                Thread.onSpinWait();
            }
            this.endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
            blobStore.createContainer(bucket);
            success = true;
        } catch (Exception e) {
            throw new IllegalStateException("Cannot start the in-process S3 server: " + e.getMessage(), e);
        } finally {
            if (!success) {
                deleteTree(ownedDirectory);
            }
        }
    }

    /** A server that keeps objects in memory. */
    public static S3ServerFixture startTransient() {
        return new S3ServerFixture(new TransientNio2BlobStore(), null);
    }

    /** A server that keeps objects as files under {@code directory} (created if missing, left in place on close). */
    public static S3ServerFixture startOnDisk(Path directory) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the S3 directory " + directory, e);
        }
        return new S3ServerFixture(new FilesystemNio2BlobStore(directory.toString()), null);
    }

    /** A server that keeps objects as files under a fresh temporary directory, deleted on close. */
    public static S3ServerFixture startOnTempDisk() {
        Path directory;
        try {
            directory = Files.createTempDirectory("sail-s3-");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a temporary S3 directory", e);
        }
        return new S3ServerFixture(new FilesystemNio2BlobStore(directory.toString()), directory);
    }

    /** {@code http://127.0.0.1:<port>}; use path-style addressing ({@code endpoint/bucket/key}). */
    public URI endpoint() {
        return endpoint;
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    public String bucket() {
        return bucket;
    }

    public String region() {
        return REGION;
    }

    /** The counts so far. */
    public Counters counters() {
        return blobStore.snapshot();
    }

    /** Sets every counter back to zero. */
    public void resetCounters() {
        blobStore.reset();
    }

    /** True when an object with this key exists in the bucket (does not count as a request). */
    public boolean objectExists(String key) {
        return blobStore.delegate().blobExists(bucket, key);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("Cannot stop the in-process S3 server", e);
        } finally {
            blobStore.delegate().close();
            deleteTree(ownedDirectory);
        }
    }

    private static String randomHex(int bytes) {
        byte[] random = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete " + root, e);
        }
    }

    /** Counts object requests and the bytes they carry on their way to the real backend. */
    private static final class CountingBlobStore extends ForwardingBlobStore {
        private final AtomicLong putRequests = new AtomicLong();
        private final AtomicLong bytesPut = new AtomicLong();
        private final AtomicLong getRequests = new AtomicLong();
        private final AtomicLong bytesGot = new AtomicLong();
        private final AtomicLong headRequests = new AtomicLong();
        private final AtomicLong deleteRequests = new AtomicLong();

        CountingBlobStore(BlobStore delegate) {
            super(delegate);
        }

        Counters snapshot() {
            return new Counters(putRequests.get(), bytesPut.get(), getRequests.get(), bytesGot.get(),
                    headRequests.get(), deleteRequests.get());
        }

        void reset() {
            for (AtomicLong counter : new AtomicLong[] {putRequests, bytesPut, getRequests, bytesGot, headRequests, deleteRequests}) {
                counter.set(0);
            }
        }

        @Override
        public PutObjectResponse putBlob(PutObjectRequest request, InputStream input) {
            putRequests.incrementAndGet();
            return super.putBlob(request, new FilterInputStream(input) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b >= 0) {
                        bytesPut.incrementAndGet();
                    }
                    return b;
                }

                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                    int n = super.read(buffer, offset, length);
                    if (n > 0) {
                        bytesPut.addAndGet(n);
                    }
                    return n;
                }
            });
        }

        @Override
        public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
            getRequests.incrementAndGet();
            ResponseInputStream<GetObjectResponse> response = super.getBlob(request);
            if (response != null && response.response().contentLength() != null) {
                bytesGot.addAndGet(response.response().contentLength());
            }
            return response;
        }

        @Override
        public HeadObjectResponse blobMetadata(HeadObjectRequest request) {
            headRequests.incrementAndGet();
            return super.blobMetadata(request);
        }

        @Override
        public DeleteObjectResponse removeBlob(DeleteObjectRequest request) {
            deleteRequests.incrementAndGet();
            return super.removeBlob(request);
        }
    }
}
