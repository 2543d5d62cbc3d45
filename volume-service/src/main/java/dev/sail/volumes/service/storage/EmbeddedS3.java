package dev.sail.volumes.service.storage;

import dev.sail.volumes.service.ServiceException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

/**
 * An S3 server inside the service's JVM (S3Proxy), keeping objects as files under a directory, with
 * SigV4 authentication enforced. It makes {@code serve} work with no other configuration.
 * Thread-safe; {@link #close()} stops it and is safe to call twice.
 */
public final class EmbeddedS3 implements AutoCloseable {
    private final S3Proxy proxy;
    private final BlobStore blobStore;
    private final URI endpoint;
    private boolean closed;

    private EmbeddedS3(S3Proxy proxy, BlobStore blobStore, URI endpoint) {
        this.proxy = proxy;
        this.blobStore = blobStore;
        this.endpoint = endpoint;
    }

    /**
     * Starts a server on {@code host:port} (port 0: any free port) storing under {@code directory}.
     *
     * @param endpointHost the host name presigned URLs use to reach it (guests must resolve it)
     */
    public static EmbeddedS3 start(Path directory, String host, int port, String endpointHost, S3Settings.StaticKey key) {
        try {
            Files.createDirectories(directory);
            BlobStore blobStore = new FilesystemNio2BlobStore(directory.toString());
            S3Proxy proxy = S3Proxy.builder()
                    .blobStore(blobStore)
                    .awsAuthentication(AuthenticationType.AWS_V4, key.id(), key.secret())
                    .endpoint(URI.create("http://" + host + ":" + port))
                    .build();
            proxy.start();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (!"STARTED".equals(proxy.getState())) {
                if (Instant.now().isAfter(deadline) || "FAILED".equals(proxy.getState())) {
                    throw new IllegalStateException("state " + proxy.getState());
                }
                Thread.onSpinWait();
            }
            return new EmbeddedS3(proxy, blobStore, URI.create("http://" + endpointHost + ":" + proxy.getPort()));
        } catch (Exception e) {
            throw new ServiceException(503, "storage_unavailable", "Cannot start the embedded S3 server on " + host + ":" + port
                    + " storing in " + directory + ": " + e.getMessage(), e);
        }
    }

    public URI endpoint() {
        return endpoint;
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
            throw new ServiceException(500, "internal", "Cannot stop the embedded S3 server: " + e.getMessage(), e);
        } finally {
            blobStore.close();
        }
    }
}
