package dev.sail.volumes.service.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

class SigV4PresignerTest {
    private static final Clock MAY_24_2013 = Clock.fixed(Instant.parse("2013-05-24T00:00:00Z"), ZoneOffset.UTC);
    private static final AwsBasicCredentials EXAMPLE_KEY =
            AwsBasicCredentials.create("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");

    @Test
    void signsAwsDocumentedPresignedGetExample() {
        // "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)", S3 API reference.
        SigV4Presigner presigner = new SigV4Presigner(URI.create("https://examplebucket.s3.amazonaws.com/"), "us-east-1",
                StaticCredentialsProvider.create(EXAMPLE_KEY), MAY_24_2013);

        URI url = presigner.presign("GET", "test.txt", Duration.ofHours(24), Map.of());

        assertThat(url.toString()).isEqualTo("https://examplebucket.s3.amazonaws.com/test.txt"
                + "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    }

    @Test
    void signsExtraHeadersAndSessionTokenIntoTheQuery() {
        SigV4Presigner presigner = new SigV4Presigner(URI.create("http://127.0.0.1:9000/bucket/"), "eu-west-1",
                StaticCredentialsProvider.create(AwsSessionCredentials.create("AKID", "secret", "token/with+chars")), MAY_24_2013);

        String url = presigner.presign("PUT", "orgs/o1/chunks/ab/abcd", Duration.ofMinutes(15),
                Map.of("x-amz-checksum-sha256", "q80=")).toString();

        assertThat(url).startsWith("http://127.0.0.1:9000/bucket/orgs/o1/chunks/ab/abcd?X-Amz-Algorithm=AWS4-HMAC-SHA256&")
                .contains("&X-Amz-Expires=900&")
                .contains("&X-Amz-Security-Token=token%2Fwith%2Bchars&")
                .contains("&X-Amz-SignedHeaders=host%3Bx-amz-checksum-sha256&")
                .containsPattern("&X-Amz-Signature=[0-9a-f]{64}$");
    }

    @Test
    void percentEncodesAllButUnreservedCharacters() {
        assertThat(SigV4Presigner.encode("a/b c~d+é", false)).isEqualTo("a/b%20c~d%2B%C3%A9");
        assertThat(SigV4Presigner.encode("a/b", true)).isEqualTo("a%2Fb");
    }
}
