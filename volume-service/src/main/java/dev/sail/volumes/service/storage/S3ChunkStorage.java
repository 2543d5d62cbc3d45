package dev.sail.volumes.service.storage;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.PackId;
import dev.sail.volumes.service.ServiceException;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Consumer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@link ChunkStorage} on any S3 API (AWS, MinIO, S3Proxy) through the AWS SDK v2. AWS exceptions are
 * translated here and go no further. URLs are presigned by {@link SigV4Presigner}; the HEADs that
 * check chunks (one per new chunk of every commit, the hot path) are presigned too and sent with the
 * JDK's {@link HttpURLConnection}, because the SDK's request pipeline (and {@code java.net.http}'s) costs
 * more CPU than the request. Connections are kept alive; the JDK keeps {@code http.maxConnections} idle
 * ones per host, 5 unless set, so this class raises that to 64 when nothing set it before.
 * Thread-safe; {@link #close()} closes the SDK's client.
 */
public final class S3ChunkStorage implements ChunkStorage {
    private static final String CHECKSUM_HEADER = "x-amz-checksum-sha256";
    private static final String BASE_PROBE_KEY = "base-probe";
    /** Validity of the URL a HEAD signs for itself: just long enough to be sent. */
    private static final Duration HEAD_URL_EXPIRY = Duration.ofMinutes(1);
    private static final int HEAD_ATTEMPTS = 3;

    static {
        if (System.getProperty("http.maxConnections") == null) {
            System.setProperty("http.maxConnections", "64");
        }
    }

    private final S3Settings settings;
    private final S3Client client;
    private final SigV4Presigner presigner;

    public S3ChunkStorage(S3Settings settings) {
        this.settings = settings;
        AwsCredentialsProvider credentials = settings.accessKey()
                .<AwsCredentialsProvider>map(k -> StaticCredentialsProvider.create(AwsBasicCredentials.create(k.id(), k.secret())))
                .orElseGet(() -> DefaultCredentialsProvider.builder().build());
        S3Configuration s3 = S3Configuration.builder().pathStyleAccessEnabled(settings.pathStyle()).build();
        var clientBuilder = S3Client.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .serviceConfiguration(s3)
                // A pooled client: HEADs run many at once, and HttpURLConnection keeps only 5 connections alive.
                .httpClient(Apache5HttpClient.builder().maxConnections(64).build());
        settings.endpoint().ifPresent(clientBuilder::endpointOverride);
        this.client = clientBuilder.build();
        this.presigner = new SigV4Presigner(objectBase(client, settings.bucket()), settings.region(), credentials, Clock.systemUTC());
    }

    /**
     * The URL every object key is appended to, as the SDK addresses the bucket (path style or virtual
     * host, endpoint override or AWS's regional endpoint): resolved once, not per presigned URL.
     */
    private static URI objectBase(S3Client client, String bucket) {
        String url = client.utilities().getUrl(u -> u.bucket(bucket).key(BASE_PROBE_KEY)).toString();
        if (!url.endsWith("/" + BASE_PROBE_KEY)) {
            throw new IllegalStateException("Cannot derive the object URLs of bucket '" + bucket + "' from " + url);
        }
        return URI.create(url.substring(0, url.length() - BASE_PROBE_KEY.length()));
    }

    /** Creates the bucket unless it exists (for the embedded server; a real deployment creates it beforehand). */
    public void createBucketIfMissing() {
        try {
            client.headBucket(b -> b.bucket(settings.bucket()));
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw unavailable("check bucket '" + settings.bucket() + "'", e);
            }
            try {
                client.createBucket(b -> b.bucket(settings.bucket()));
            } catch (SdkException created) {
                throw unavailable("create bucket '" + settings.bucket() + "'", created);
            }
        } catch (SdkException e) {
            throw unavailable("check bucket '" + settings.bucket() + "'", e);
        }
    }

    /** Fails with a clear message unless the bucket is reachable with the configured credentials. */
    public void checkBucket() {
        try {
            client.headBucket(b -> b.bucket(settings.bucket()));
        } catch (SdkException e) {
            throw unavailable("reach bucket '" + settings.bucket() + "'", e);
        }
    }

    @Override
    public Presigned presignPut(String orgId, ChunkId id, long size) {
        try {
            Map<String, String> headers = settings.checksums() ? Map.of(CHECKSUM_HEADER, id.base64()) : Map.of();
            return new Presigned(presigner.presign("PUT", ChunkStorage.key(orgId, id), settings.presignExpiry(), headers), headers);
        } catch (SdkException e) {
            throw unavailable("presign the upload of chunk " + id.abbreviated(), e);
        }
    }

    @Override
    public Presigned presignPackPut(String orgId, PackId pack, long size) {
        try {
            Map<String, String> headers = settings.checksums() ? Map.of(CHECKSUM_HEADER, pack.hash().base64()) : Map.of();
            return new Presigned(presigner.presign("PUT", ChunkStorage.key(orgId, pack), settings.presignExpiry(), headers), headers);
        } catch (SdkException e) {
            throw unavailable("presign the upload of pack " + pack.abbreviated(), e);
        }
    }

    @Override
    public Presigned presignPackSlice(String orgId, PackId pack, long offset, long size) {
        try {
            // The range is signed: the URL reads this slice and nothing else of the pack.
            Map<String, String> headers = Map.of("range", ChunkStorage.range(offset, size));
            return new Presigned(presigner.presign("GET", ChunkStorage.key(orgId, pack), settings.presignExpiry(), headers), headers);
        } catch (SdkException e) {
            throw unavailable("presign a read of pack " + pack.abbreviated(), e);
        }
    }

    @Override
    public Presigned presignGet(String orgId, ChunkId id) {
        try {
            return new Presigned(presigner.presign("GET", ChunkStorage.key(orgId, id), settings.presignExpiry(), Map.of()), Map.of());
        } catch (SdkException e) {
            throw unavailable("presign the download of chunk " + id.abbreviated(), e);
        }
    }

    @Override
    public Duration presignExpiry() {
        return settings.presignExpiry();
    }

    @Override
    public OptionalLong sizeOf(String orgId, ChunkId id) {
        return sizeOf(ChunkStorage.key(orgId, id), "check chunk " + id.abbreviated());
    }

    @Override
    public OptionalLong packSizeOf(String orgId, PackId pack) {
        return sizeOf(ChunkStorage.key(orgId, pack), "check pack " + pack.abbreviated());
    }

    /** The size of the object at {@code key} by HEAD, or empty when there is none; {@code what} names it in errors. */
    private OptionalLong sizeOf(String key, String what) {
        for (int attempt = 1; ; attempt++) {
            URI url = presigner.presign("HEAD", key, HEAD_URL_EXPIRY, Map.of());
            try {
                HttpURLConnection connection = (HttpURLConnection) url.toURL().openConnection(Proxy.NO_PROXY);
                connection.setRequestMethod("HEAD");
                connection.setConnectTimeout(10_000);
                connection.setReadTimeout(30_000);
                connection.setUseCaches(false);
                int status = connection.getResponseCode();
                long length = connection.getContentLengthLong();
                release(connection, status);
                if (status == 200) {
                    if (length < 0) {
                        throw unavailable(what, new IllegalStateException("HEAD answered 200 without Content-Length"));
                    }
                    return OptionalLong.of(length);
                }
                if (status == 404) {
                    return OptionalLong.empty();
                }
                // Like the SDK's retry policy: throttling and server errors are worth another try, the rest is not.
                if ((status != 429 && status < 500) || attempt == HEAD_ATTEMPTS) {
                    throw unavailable(what, new IllegalStateException("HEAD answered status " + status));
                }
            } catch (IOException e) {
                if (attempt == HEAD_ATTEMPTS) {
                    throw headFailure(what, e);
                }
            }
        }
    }

    /** Hands a finished HEAD's connection back to the keep-alive cache (a HEAD has no body to read). */
    private static void release(HttpURLConnection connection, int status) throws IOException {
        try (InputStream body = status < 400 ? connection.getInputStream() : connection.getErrorStream()) {
            if (body != null) {
                body.transferTo(java.io.OutputStream.nullOutputStream());
            }
        }
    }

    @Override
    public void forEachObject(Consumer<StoredChunk> chunks, Consumer<StoredPack> packs) {
        try {
            ListObjectsV2Request request = ListObjectsV2Request.builder().bucket(settings.bucket()).prefix("orgs/").build();
            for (S3Object object : client.listObjectsV2Paginator(request).contents()) {
                // orgs/<orgId>/chunks/<hex[0:2]>/<hex> or orgs/<orgId>/packs/<hex[0:2]>/<hex>
                String[] parts = object.key().split("/");
                if (parts.length != 5 || !ChunkId.isValidHex(parts[4])) {
                    continue;
                }
                switch (parts[2]) {
                    case "chunks" -> chunks.accept(new StoredChunk(parts[1], ChunkId.ofHex(parts[4]), object.size(), object.lastModified()));
                    case "packs" -> packs.accept(new StoredPack(parts[1], PackId.ofHex(parts[4]), object.size(), object.lastModified()));
                    default -> { }
                }
            }
        } catch (SdkException e) {
            throw unavailable("list chunks", e);
        }
    }

    @Override
    public void delete(String orgId, ChunkId id) {
        try {
            client.deleteObject(d -> d.bucket(settings.bucket()).key(ChunkStorage.key(orgId, id)));
        } catch (NoSuchKeyException e) {
            // Already gone: what a delete wants.
        } catch (SdkException e) {
            throw unavailable("delete chunk " + id.abbreviated(), e);
        }
    }

    @Override
    public void deletePack(String orgId, PackId pack) {
        try {
            client.deleteObject(d -> d.bucket(settings.bucket()).key(ChunkStorage.key(orgId, pack)));
        } catch (NoSuchKeyException e) {
            // Already gone: what a delete wants.
        } catch (SdkException e) {
            throw unavailable("delete pack " + pack.abbreviated(), e);
        }
    }

    @Override
    public void close() {
        client.close();
    }

    /** The request's URL is a credential: a message that might quote it is neither kept nor chained. */
    private ServiceException headFailure(String what, IOException e) {
        String message = String.valueOf(e.getMessage());
        if (message.contains("X-Amz-")) {
            return new ServiceException(503, "storage_unavailable", "Cannot " + what + " in S3 bucket '" + settings.bucket()
                    + "': " + e.getClass().getSimpleName());
        }
        return unavailable(what, e);
    }

    private ServiceException unavailable(String what, Exception e) {
        // The SDK's message names the bucket and key but never a signature.
        return new ServiceException(503, "storage_unavailable", "Cannot " + what + " in S3 bucket '" + settings.bucket()
                + "': " + e.getMessage(), e);
    }
}
