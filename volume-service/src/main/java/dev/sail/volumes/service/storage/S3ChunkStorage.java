package dev.sail.volumes.service.storage;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.service.ServiceException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
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
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.PresignedGetObjectRequest;
import software.amazon.awssdk.services.s3.presigner.model.PresignedPutObjectRequest;

/**
 * {@link ChunkStorage} on any S3 API (AWS, MinIO, S3Proxy) through the AWS SDK v2. AWS exceptions are
 * translated here and go no further. Thread-safe; {@link #close()} closes the client and the presigner.
 */
public final class S3ChunkStorage implements ChunkStorage {
    private final S3Settings settings;
    private final S3Client client;
    private final S3Presigner presigner;

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
        var presignerBuilder = S3Presigner.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .serviceConfiguration(s3);
        settings.endpoint().ifPresent(endpoint -> {
            clientBuilder.endpointOverride(endpoint);
            presignerBuilder.endpointOverride(endpoint);
        });
        this.client = clientBuilder.build();
        this.presigner = presignerBuilder.build();
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
            PresignedPutObjectRequest request = presigner.presignPutObject(p -> p
                    .signatureDuration(settings.presignExpiry())
                    .putObjectRequest(put -> {
                        put.bucket(settings.bucket()).key(ChunkStorage.key(orgId, id));
                        if (settings.checksums()) {
                            put.checksumSHA256(id.base64());
                        }
                    }));
            return new Presigned(request.url().toURI(), headers(request.signedHeaders()));
        } catch (SdkException | java.net.URISyntaxException e) {
            throw unavailable("presign the upload of chunk " + id.abbreviated(), e);
        }
    }

    @Override
    public Presigned presignGet(String orgId, ChunkId id) {
        try {
            PresignedGetObjectRequest request = presigner.presignGetObject(p -> p
                    .signatureDuration(settings.presignExpiry())
                    .getObjectRequest(get -> get.bucket(settings.bucket()).key(ChunkStorage.key(orgId, id))));
            return new Presigned(request.url().toURI(), headers(request.signedHeaders()));
        } catch (SdkException | java.net.URISyntaxException e) {
            throw unavailable("presign the download of chunk " + id.abbreviated(), e);
        }
    }

    @Override
    public Duration presignExpiry() {
        return settings.presignExpiry();
    }

    @Override
    public OptionalLong sizeOf(String orgId, ChunkId id) {
        try {
            HeadObjectResponse head = client.headObject(h -> h.bucket(settings.bucket()).key(ChunkStorage.key(orgId, id)));
            return OptionalLong.of(head.contentLength());
        } catch (NoSuchKeyException e) {
            return OptionalLong.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return OptionalLong.empty();
            }
            throw unavailable("check chunk " + id.abbreviated(), e);
        } catch (SdkException e) {
            throw unavailable("check chunk " + id.abbreviated(), e);
        }
    }

    @Override
    public void forEachChunk(Consumer<StoredChunk> action) {
        try {
            ListObjectsV2Request request = ListObjectsV2Request.builder().bucket(settings.bucket()).prefix("orgs/").build();
            for (S3Object object : client.listObjectsV2Paginator(request).contents()) {
                // orgs/<orgId>/chunks/<hex[0:2]>/<hex>
                String[] parts = object.key().split("/");
                if (parts.length == 5 && parts[2].equals("chunks") && ChunkId.isValidHex(parts[4])) {
                    action.accept(new StoredChunk(parts[1], ChunkId.ofHex(parts[4]), object.size(), object.lastModified()));
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
    public void close() {
        presigner.close();
        client.close();
    }

    /** The headers a presigned request must carry; the client computes Host itself. */
    private static Map<String, String> headers(Map<String, List<String>> signed) {
        Map<String, String> headers = new HashMap<>();
        signed.forEach((name, values) -> {
            if (!name.equalsIgnoreCase("host")) {
                headers.put(name, String.join(",", values));
            }
        });
        return headers;
    }

    private ServiceException unavailable(String what, Exception e) {
        // The SDK's message names the bucket and key but never a signature.
        return new ServiceException(503, "storage_unavailable", "Cannot " + what + " in S3 bucket '" + settings.bucket()
                + "': " + e.getMessage(), e);
    }
}
