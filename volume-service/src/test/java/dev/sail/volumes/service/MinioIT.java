package dev.sail.volumes.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.client.HttpVolumeService;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.service.storage.S3Settings;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.MinIOContainer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The service against a real MinIO as its external S3. Skipped where Docker does not run (as on the
 * build machines); the in-process S3 tests cover the same paths everywhere.
 */
class MinioIT {
    @TempDir
    Path data;

    @Test
    void commitsWithChunksInMinio() {
        Assumptions.assumeTrue(DockerClientFactory.instance().isDockerAvailable(), "Docker is not available: MinIO test skipped");
        try (MinIOContainer minio = new MinIOContainer("minio/minio:RELEASE.2024-12-18T13-15-44Z")) {
            minio.start();
            URI endpoint = URI.create(minio.getS3URL());
            try (S3Client s3 = S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
                    .httpClient(UrlConnectionHttpClient.create())
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(minio.getUserName(), minio.getPassword())))
                    .build()) {
                s3.createBucket(b -> b.bucket("volumes"));
            }
            S3Settings settings = new S3Settings(Optional.of(endpoint), "us-east-1", "volumes", true,
                    Optional.of(new S3Settings.StaticKey(minio.getUserName(), minio.getPassword())), Duration.ofMinutes(5), true);
            try (RunningService service = new RunningService(data, ServiceConfig.defaults(data).withS3(settings))) {
                HttpVolumeService client = service.client();
                VolumeName name = VolumeName.of("minio");
                client.createVolumeIfMissing(name);
                Entry.File file = service.upload(name, "bytes in minio".getBytes(StandardCharsets.UTF_8));
                assertThat(client.commit(name, new CommitProposal(0, "k", "m", List.of(new Change(VolumePath.of("f"), file)))).seq())
                        .isEqualTo(1);
                Entry.File missing = new Entry.File(3, 0644, 0, List.of(RunningService.idOf(new byte[] {1, 2, 3})));
                try {
                    client.commit(name, new CommitProposal(1, "k2", "m", List.of(new Change(VolumePath.of("g"), missing))));
                    throw new AssertionError("A commit of a chunk never uploaded must fail");
                } catch (VolumeServiceException e) {
                    assertThat(e.code()).isEqualTo("missing_chunks");
                }
            }
        }
    }
}
