package dev.sail.volumes.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sail.volumes.client.control.MountStatus;
import dev.sail.volumes.testkit.S3ServerFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * Semantic 7: mounting or reloading needs neither the bytes nor the full listing; directories are listed
 * on first use; bytes are fetched per chunk on first read, verified against their hash, and kept in a
 * bounded LRU cache that never evicts dirty data.
 */
class LazinessIT extends AcceptanceBase {
    /** A volume of 20 MiB in files of one chunk each, read through a 12 MiB cache. */
    private static final int PARTS = 4;
    private static final int PART = 5 * MIB;

    @Test
    void semantic7_mountingNeedsNeitherBytesNorTheListingAndBytesComePerChunkOnFirstRead() throws Exception {
        String volume = uniqueVolume("lazy");
        Sailbox writer = mounted("writer", volume);
        for (int d = 0; d < 5; d++) {
            for (int f = 0; f < 10; f++) {
                write(writer.path("dir" + d + "/f" + f + ".txt"), ("content " + d + f).getBytes());
            }
        }
        byte[] big = bytes(17 * MIB, 7);
        write(writer.path("dir0/big.bin"), big);
        writer.volume().commit();
        S3ServerFixture.Counters s3Before = s3().counters();
        ServiceMetrics before = metrics();

        Sailbox reader = mounted("reader", volume);

        assertThat(s3().counters().getRequests() - s3Before.getRequests()).as("chunks fetched by mounting").isZero();
        ServiceMetrics mounting = metrics().since(before);
        assertThat(mounting.requests("route=\"/v1/volumes/{name}/list\""))
                .as("listings fetched by mounting (at most the root)").isLessThanOrEqualTo(1);

        try (Stream<java.nio.file.Path> children = Files.list(reader.path("dir3"))) {
            assertThat(children.count()).isEqualTo(10);
        }
        ServiceMetrics listed = metrics().since(before);
        assertThat(listed.requests("route=\"/v1/volumes/{name}/list\""))
                .as("listings after looking into one directory: the root and dir3, not the other four").isLessThanOrEqualTo(2);
        assertThat(s3().counters().getRequests() - s3Before.getRequests()).as("chunks fetched by listing").isZero();

        assertThat(Files.readString(reader.path("dir3/f4.txt"))).isEqualTo("content 34");
        S3ServerFixture.Counters afterSmall = s3().counters();
        assertThat(afterSmall.bytesGot() - s3Before.bytesGot()).as("bytes fetched to read one small file (S3 counted %s then %s)",
                s3Before, afterSmall).isEqualTo("content 34".length());
        assertThat(afterSmall.getRequests() - s3Before.getRequests()).as("chunks fetched to read one small file").isEqualTo(1);

        assertThat(Files.readAllBytes(reader.path("dir0/big.bin"))).isEqualTo(big);
        S3ServerFixture.Counters afterBig = s3().counters();
        assertThat(afterBig.getRequests() - afterSmall.getRequests()).as("chunks of a 17 MiB file (8+8+1 MiB)").isEqualTo(3);
        assertThat(afterBig.bytesGot() - afterSmall.bytesGot()).isEqualTo(big.length);

        assertThat(Files.readAllBytes(reader.path("dir0/big.bin"))).isEqualTo(big);
        assertThat(s3().counters().getRequests()).as("a second read comes from the cache").isEqualTo(afterBig.getRequests());
    }

    @Test
    void semantic7_aVolumeLargerThanTheCacheReadsRightAndTheCacheStaysBoundedWithoutEvictingDirtyData() throws Exception {
        String volume = uniqueVolume("bounded");
        Sailbox writer = mounted("writer", volume);
        for (int i = 0; i < PARTS; i++) {
            write(writer.path("part" + i + ".bin"), bytes(PART, 70 + i));
        }
        writer.volume().commit();
        Sailbox reader = sailbox("reader");
        reader.mount(volume, "--cache-size", "12M");

        byte[] dirty = bytes(16 * MIB, 77);
        write(reader.path("dirty.bin"), dirty);
        for (int i = 0; i < PARTS; i++) {
            assertThat(Files.readAllBytes(reader.path("part" + i + ".bin"))).as("part %d", i).isEqualTo(bytes(PART, 70 + i));
        }
        MountStatus status = reader.volume().status();
        assertThat(status.cacheLimit()).isEqualTo(12L * MIB);
        assertThat(status.cacheBytes()).as("the cache stays within its bound").isLessThanOrEqualTo(status.cacheLimit());

        // Remount on the same state dir (the kernel's page cache goes, the chunk cache stays): what the cache
        // evicted is fetched again, at least 20 - 12 MiB.
        reader.unmount();
        reader.mountForeground(volume, "--cache-size", "12M");
        S3ServerFixture.Counters before = s3().counters();
        for (int i = 0; i < PARTS; i++) {
            assertThat(Files.readAllBytes(reader.path("part" + i + ".bin"))).as("again, part %d", i).isEqualTo(bytes(PART, 70 + i));
        }
        assertThat(s3().counters().bytesGot() - before.bytesGot()).as("bytes fetched again after eviction")
                .isGreaterThanOrEqualTo(8L * MIB);
        status = reader.volume().status();
        assertThat(status.cacheBytes()).isLessThanOrEqualTo(status.cacheLimit());

        assertThat(Files.readAllBytes(reader.path("dirty.bin"))).as("dirty data is never evicted").isEqualTo(dirty);
        assertThat(status.dirtyBytes()).isGreaterThanOrEqualTo(dirty.length);
        reader.volume().commit();
        writer.volume().reload();
        assertThat(Files.readAllBytes(writer.path("dirty.bin"))).isEqualTo(dirty);
    }

    @Test
    void semantic7_chunkBytesAreVerifiedAgainstTheirHash() throws Exception {
        String volume = uniqueVolume("verified");
        Sailbox writer = mounted("writer", volume);
        write(writer.path("precious.txt"), "the real bytes".getBytes());
        writer.volume().commit();
        corruptEveryObject("the real bytes".length());

        Sailbox reader = mounted("reader", volume);
        assertThatThrownBy(() -> Files.readAllBytes(reader.path("precious.txt")))
                .as("bytes that do not match their name are refused, not served")
                .isInstanceOf(IOException.class).hasMessageContaining("Input/output error");
    }

    /** Replaces, straight in S3 and behind the service's back, every object of {@code size} bytes with other bytes. */
    private static void corruptEveryObject(long size) {
        S3ServerFixture s3 = s3();
        try (S3Client client = S3Client.builder().endpointOverride(s3.endpoint()).region(Region.of(s3.region()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(), s3.secretKey())))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build()).build()) {
            client.listObjectsV2Paginator(r -> r.bucket(s3.bucket())).contents().stream()
                    .filter(o -> o.size() == size)
                    .forEach(o -> client.putObject(r -> r.bucket(s3.bucket()).key(o.key()),
                            RequestBody.fromBytes("the fake bytes".getBytes())));
        }
    }
}
