package dev.sail.volumes.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

class S3ServerFixtureIT {
    @Test
    void servesSignedRequestsAndCountsBytes() throws Exception {
        try (S3ServerFixture s3 = S3ServerFixture.startTransient(); S3Client client = client(s3)) {
            byte[] body = "hello chunk".getBytes(StandardCharsets.UTF_8);
            String sha = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(body));

            client.putObject(b -> b.bucket(s3.bucket()).key("a/b").checksumSHA256(sha), RequestBody.fromBytes(body));
            byte[] read = client.getObjectAsBytes(b -> b.bucket(s3.bucket()).key("a/b")).asByteArray();

            assertThat(read).isEqualTo(body);
            assertThat(s3.objectExists("a/b")).isTrue();
            S3ServerFixture.Counters counters = s3.counters();
            assertThat(counters.putRequests()).isEqualTo(1);
            assertThat(counters.bytesPut()).isEqualTo(body.length);
            assertThat(counters.getRequests()).isEqualTo(1);
            assertThat(counters.bytesGot()).isEqualTo(body.length);
            s3.resetCounters();
            assertThat(s3.counters().requests()).isZero();
        }
    }

    @Test
    void refusesRequestsSignedWithAnotherSecret() {
        try (S3ServerFixture s3 = S3ServerFixture.startTransient();
             S3Client client = S3Client.builder()
                     .endpointOverride(s3.endpoint())
                     .region(Region.of(s3.region()))
                     .forcePathStyle(true)
                     .httpClient(UrlConnectionHttpClient.create())
                     .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(), "wrong")))
                     .build()) {
            assertThatThrownBy(() -> client.getObjectAsBytes(b -> b.bucket(s3.bucket()).key("x")))
                    .isInstanceOf(S3Exception.class)
                    .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(403));
        }
    }

    static S3Client client(S3ServerFixture s3) {
        return S3Client.builder()
                .endpointOverride(s3.endpoint())
                .region(Region.of(s3.region()))
                .forcePathStyle(true)
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(), s3.secretKey())))
                .build();
    }
}
