package dev.sail.volumes.benchmarks.harness;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartCopyRequest;
import software.amazon.awssdk.services.s3.model.UploadPartCopyResponse;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * The S3 server every subject of the benchmarks talks to: S3Proxy in this JVM on {@code 127.0.0.1},
 * SigV4 enforced, objects in memory (so that S3's own storage does not compete with the mounts for
 * the disk; see {@link MemoryBlobStore}). It is the testkit's server plus what the peers need counted: multipart parts and
 * server-side copies (whole-object and part copies), so that "bytes written to S3" is the same
 * measure for ours and for rclone and s3fs.
 *
 * <p>Thread-safe. {@link #close()} stops the server and drops every object; safe to call twice.
 */
public final class MeteredS3Server implements AutoCloseable {
    public static final String REGION = "us-east-1";

    private final S3Proxy proxy;
    private final MeteredBlobStore store;
    private final String accessKey = "bench-" + randomHex(6);
    private final String secretKey = randomHex(20);
    private final URI endpoint;
    private boolean closed;

    /** What the server took in since the last {@link #resetCounters()}. */
    public record Counters(long uploadRequests, long bytesUploaded, long copyRequests, long bytesCopied,
                           long getRequests, long bytesServed) {
        /** Bytes written to S3: uploaded by clients plus copied inside S3. */
        public long bytesWritten() {
            return bytesUploaded + bytesCopied;
        }
    }

    private MeteredS3Server(long capacityBytes, long reservedBytes) {
        this.store = new MeteredBlobStore(new MemoryBlobStore(capacityBytes, reservedBytes));
        try {
            this.proxy = S3Proxy.builder()
                    .blobStore(store)
                    .awsAuthentication(AuthenticationType.AWS_V4, accessKey, secretKey)
                    .endpoint(URI.create("http://127.0.0.1:0"))
                    .build();
            proxy.start();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (!"STARTED".equals(proxy.getState())) {
                if (Instant.now().isAfter(deadline)) {
                    throw new HarnessException("S3Proxy did not start within 30 s (state " + proxy.getState() + ")");
                }
                Thread.onSpinWait();
            }
        } catch (HarnessException e) {
            throw e;
        } catch (Exception e) {
            throw new HarnessException("Cannot start the in-process S3 server: " + e.getMessage(), e);
        }
        this.endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    /**
     * A server holding at most {@code capacityBytes} of objects (in this JVM's heap), {@code reservedBytes}
     * of which it allocates before it starts (see {@link MemoryBlobStore}).
     */
    public static MeteredS3Server start(long capacityBytes, long reservedBytes) {
        return new MeteredS3Server(capacityBytes, reservedBytes);
    }

    /** {@code http://127.0.0.1:<port>}, path-style. */
    public URI endpoint() {
        return endpoint;
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    /** Creates an empty bucket (not counted). */
    public void createBucket(String bucket) {
        store.delegate().createContainer(bucket);
    }

    /** Deletes every object of the bucket and the bucket (not counted); a missing bucket is fine. */
    public void deleteBucket(String bucket) {
        if (store.delegate().containerExists(bucket)) {
            store.delegate().deleteContainer(bucket);
        }
    }

    /** Stores an object directly in the backend, as if uploaded earlier (not counted). */
    public void putObject(String bucket, String key, byte[] bytes) {
        store.delegate().putBlob(PutObjectRequest.builder().bucket(bucket).key(key).contentLength((long) bytes.length).build(),
                new ByteArrayInputStream(bytes));
    }

    /** Stores an object of {@code size} bytes read from {@code bytes} directly in the backend (not counted). */
    public void putObject(String bucket, String key, long size, InputStream bytes) {
        store.delegate().putBlob(PutObjectRequest.builder().bucket(bucket).key(key).contentLength(size).build(), bytes);
    }

    /** The object's metadata (size, ETag), or empty when it does not exist (not counted). */
    public Optional<HeadObjectResponse> head(String bucket, String key) {
        return Optional.ofNullable(store.delegate().blobMetadataIfPresent(bucket, key));
    }

    /** Every object of the bucket, page by page (not counted). */
    public void forEachObject(String bucket, Consumer<S3Object> action) {
        String token = null;
        do {
            ListObjectsV2Response page = store.delegate().list(ListObjectsV2Request.builder().bucket(bucket)
                    .continuationToken(token).build());
            page.contents().forEach(action);
            token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
        } while (token != null);
    }

    public Counters counters() {
        return store.snapshot();
    }

    public void resetCounters() {
        store.reset();
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
            throw new HarnessException("Cannot stop the in-process S3 server", e);
        } finally {
            store.delegate().close();
        }
    }

    private static String randomHex(int bytes) {
        byte[] random = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    /** Counts what reaches the backend: uploads (whole objects and parts), copies, reads. */
    private static final class MeteredBlobStore extends ForwardingBlobStore {
        private final AtomicLong uploadRequests = new AtomicLong();
        private final AtomicLong bytesUploaded = new AtomicLong();
        private final AtomicLong copyRequests = new AtomicLong();
        private final AtomicLong bytesCopied = new AtomicLong();
        private final AtomicLong getRequests = new AtomicLong();
        private final AtomicLong bytesServed = new AtomicLong();

        MeteredBlobStore(BlobStore delegate) {
            super(delegate);
        }

        Counters snapshot() {
            return new Counters(uploadRequests.get(), bytesUploaded.get(), copyRequests.get(), bytesCopied.get(),
                    getRequests.get(), bytesServed.get());
        }

        void reset() {
            for (AtomicLong counter : new AtomicLong[] {uploadRequests, bytesUploaded, copyRequests, bytesCopied, getRequests, bytesServed}) {
                counter.set(0);
            }
        }

        private InputStream counted(InputStream input) {
            return new FilterInputStream(input) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b >= 0) {
                        bytesUploaded.incrementAndGet();
                    }
                    return b;
                }

                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                    int n = super.read(buffer, offset, length);
                    if (n > 0) {
                        bytesUploaded.addAndGet(n);
                    }
                    return n;
                }
            };
        }

        @Override
        public PutObjectResponse putBlob(PutObjectRequest request, InputStream input) {
            uploadRequests.incrementAndGet();
            return super.putBlob(request, counted(input));
        }

        @Override
        public UploadPartResponse uploadMultipartPart(MultipartUpload upload, UploadPartRequest request, InputStream input) {
            uploadRequests.incrementAndGet();
            return super.uploadMultipartPart(upload, request, counted(input));
        }

        @Override
        public CopyObjectResponse copyBlob(CopyObjectRequest request) {
            copyRequests.incrementAndGet();
            HeadObjectResponse source = delegate().blobMetadataIfPresent(request.sourceBucket(), request.sourceKey());
            CopyObjectResponse response = super.copyBlob(request);
            if (source != null && source.contentLength() != null) {
                bytesCopied.addAndGet(source.contentLength());
            }
            return response;
        }

        @Override
        public UploadPartCopyResponse copyMultipartPart(MultipartUpload upload, UploadPartCopyRequest request) {
            copyRequests.incrementAndGet();
            UploadPartCopyResponse response = super.copyMultipartPart(upload, request);
            bytesCopied.addAndGet(copiedBytes(request));
            return response;
        }

        private long copiedBytes(UploadPartCopyRequest request) {
            String range = request.copySourceRange();
            if (range != null && range.startsWith("bytes=")) {
                String[] bounds = range.substring("bytes=".length()).split("-");
                return Long.parseLong(bounds[1].strip()) - Long.parseLong(bounds[0].strip()) + 1;
            }
            HeadObjectResponse source = delegate().blobMetadataIfPresent(request.sourceBucket(), request.sourceKey());
            return source == null || source.contentLength() == null ? 0 : source.contentLength();
        }

        @Override
        public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
            getRequests.incrementAndGet();
            ResponseInputStream<GetObjectResponse> response = super.getBlob(request);
            if (response != null && response.response().contentLength() != null) {
                bytesServed.addAndGet(response.response().contentLength());
            }
            return response;
        }
    }
}
