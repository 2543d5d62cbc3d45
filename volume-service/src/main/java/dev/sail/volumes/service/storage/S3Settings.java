package dev.sail.volumes.service.storage;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How to reach an S3-compatible store.
 *
 * @param endpoint   the endpoint, or empty for AWS's regional endpoint
 * @param region     the signing region
 * @param bucket     the bucket holding every chunk object
 * @param pathStyle  {@code endpoint/bucket/key} addressing (MinIO, S3Proxy) instead of virtual hosts
 * @param accessKey  static credentials, or empty to use the standard AWS credential chain
 * @param presignExpiry how long presigned URLs stay valid
 * @param checksums  bind {@code x-amz-checksum-sha256} into presigned PUTs (the backend then rejects wrong bytes)
 */
public record S3Settings(Optional<URI> endpoint, String region, String bucket, boolean pathStyle,
                         Optional<StaticKey> accessKey, Duration presignExpiry, boolean checksums) {
    /** An access key id and its secret. {@link #toString()} leaves the secret out. */
    public record StaticKey(String id, String secret) {
        public StaticKey {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(secret, "secret");
        }

        @Override
        public String toString() {
            return "StaticKey[" + id + ", secret hidden]";
        }
    }

    public S3Settings {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(region, "region");
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("An S3 bucket name is required");
        }
        Objects.requireNonNull(accessKey, "accessKey");
        if (presignExpiry.isNegative() || presignExpiry.isZero() || presignExpiry.compareTo(Duration.ofDays(7)) > 0) {
            throw new IllegalArgumentException("Presign expiry must be between 1 s and 7 days, got " + presignExpiry);
        }
    }
}
