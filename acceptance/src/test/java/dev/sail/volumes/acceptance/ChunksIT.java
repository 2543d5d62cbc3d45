package dev.sail.volumes.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.client.Volume;
import dev.sail.volumes.client.control.CommitReport;
import dev.sail.volumes.testkit.S3ServerFixture;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Semantic 8: fixed-size chunks named by SHA-256 (8 MiB below 1 GiB of offset, 64 MiB beyond), boundaries
 * by offset only: a rewrite inside a chunk re-uploads that chunk alone, an append after a full final chunk
 * uploads only the tail, a rename or copy uploads nothing; deduplication is scoped to the org. Every
 * figure is the S3 server's own count of what it received.
 */
class ChunksIT extends AcceptanceBase {
    private static final String VOLUME = uniqueVolume("chunks");

    @Test
    void semantic8_filesAreEightMiBChunksBelowOneGiBAndSixtyFourMiBBeyond() throws Exception {
        ChunkLayout layout = Volume.get(service.client(), VOLUME, true).info().chunkLayout();
        assertThat(layout.smallChunk()).isEqualTo(8L * MIB);
        assertThat(layout.largeFrom()).isEqualTo(1L << 30);
        assertThat(layout.largeChunk()).isEqualTo(64L * MIB);

        Sailbox a = shared("a", VOLUME);
        write(a.path("layout/twenty.bin"), bytes(20 * MIB, 8));
        S3ServerFixture.Counters before = s3().counters();
        CommitReport report = a.volume().commitReport();
        S3ServerFixture.Counters after = s3().counters();
        assertThat(after.putRequests() - before.putRequests()).as("objects stored for 20 MiB: 8 + 8 + 4 MiB").isEqualTo(3);
        assertThat(after.bytesPut() - before.bytesPut()).isEqualTo(20L * MIB);
        assertThat(report.chunksUploaded()).isEqualTo(3);
    }

    @Test
    void semantic8_rewritingInsideAChunkReuploadsThatChunkAloneAndAppendingUploadsOnlyTheTail() throws Exception {
        Sailbox a = shared("a", VOLUME);
        Sailbox b = shared("b", VOLUME);
        byte[] data = bytes(20 * MIB, 9);
        write(a.path("rewrite/big.bin"), data);
        byte[] full = bytes(16 * MIB, 10);
        write(a.path("rewrite/full.bin"), full);
        a.volume().commit();

        try (FileChannel channel = FileChannel.open(a.path("rewrite/big.bin"), StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(new byte[] {42}), 9L * MIB + 12345);
        }
        data[9 * MIB + 12345] = 42;
        S3ServerFixture.Counters before = s3().counters();
        CommitReport rewrite = a.volume().commitReport();
        S3ServerFixture.Counters afterRewrite = s3().counters();
        assertThat(afterRewrite.bytesPut() - before.bytesPut()).as("bytes re-uploaded for a one-byte rewrite").isEqualTo(CHUNK);
        assertThat(afterRewrite.putRequests() - before.putRequests()).isEqualTo(1);
        assertThat(rewrite.chunksUploaded()).isEqualTo(1);
        assertThat(rewrite.bytesUploaded()).isEqualTo(CHUNK);

        byte[] tail = bytes(100 * 1024, 11);
        Files.write(a.path("rewrite/full.bin"), tail, StandardOpenOption.APPEND);
        CommitReport append = a.volume().commitReport();
        S3ServerFixture.Counters afterAppend = s3().counters();
        assertThat(afterAppend.bytesPut() - afterRewrite.bytesPut()).as("bytes uploaded for a 100 KiB append after 16 MiB")
                .isEqualTo(tail.length);
        assertThat(append.chunksUploaded()).isEqualTo(1);

        b.volume().reload();
        assertThat(Files.readAllBytes(b.path("rewrite/big.bin"))).isEqualTo(data);
        byte[] appended = new byte[full.length + tail.length];
        System.arraycopy(full, 0, appended, 0, full.length);
        System.arraycopy(tail, 0, appended, full.length, tail.length);
        assertThat(Files.readAllBytes(b.path("rewrite/full.bin"))).isEqualTo(appended);
    }

    @Test
    void semantic8_renamingOrCopyingAFileUploadsNothing() throws Exception {
        Sailbox a = shared("a", VOLUME);
        byte[] data = bytes(9 * MIB, 12);
        write(a.path("rename/orig.bin"), data);
        a.volume().commit();

        Files.createDirectories(a.path("rename/moved"));
        Files.move(a.path("rename/orig.bin"), a.path("rename/moved/renamed.bin"), StandardCopyOption.ATOMIC_MOVE);
        S3ServerFixture.Counters before = s3().counters();
        CommitReport rename = a.volume().commitReport();
        assertThat(s3().counters().putRequests() - before.putRequests()).as("S3 PUTs for a rename").isZero();
        assertThat(rename.bytesUploaded()).isZero();

        Launcher.Result cp = Launcher.run(temp.resolve("cp"), Map.of(), Duration.ofSeconds(60),
                List.of("cp", a.path("rename/moved/renamed.bin").toString(), a.path("rename/copy.bin").toString()));
        assertThat(cp.exit()).as(cp.transcript()).isZero();
        S3ServerFixture.Counters beforeCopy = s3().counters();
        CommitReport copy = a.volume().commitReport();
        assertThat(s3().counters().bytesPut() - beforeCopy.bytesPut()).as("bytes uploaded for a copy (cp)").isZero();
        assertThat(copy.filesChanged()).isEqualTo(1);

        Sailbox b = shared("b", VOLUME);
        b.volume().reload();
        assertThat(Files.readAllBytes(b.path("rename/moved/renamed.bin"))).isEqualTo(data);
        assertThat(Files.readAllBytes(b.path("rename/copy.bin"))).isEqualTo(data);
        assertThat(b.path("rename/orig.bin")).doesNotExist();
    }

    @Test
    void semantic8_deduplicationIsScopedToTheOrg() throws Exception {
        byte[] data = bytes(3 * MIB, 13);
        Sailbox mine = shared("a", VOLUME);
        write(mine.path("dedup/data.bin"), data);
        S3ServerFixture.Counters start = s3().counters();
        mine.volume().commit();
        assertThat(s3().counters().bytesPut() - start.bytesPut()).isEqualTo(data.length);

        Sailbox sameOrg = mounted("same-org", uniqueVolume("dedup"));
        write(sameOrg.path("elsewhere.bin"), data);
        S3ServerFixture.Counters beforeSameOrg = s3().counters();
        sameOrg.volume().commit();
        assertThat(s3().counters().bytesPut() - beforeSameOrg.bytesPut()).as("the org already holds these bytes").isZero();

        Sailbox otherOrg = sailbox("other-org", service.createOrg(uniqueVolume("other")));
        otherOrg.mountForeground(uniqueVolume("dedup"));
        write(otherOrg.path("data.bin"), data);
        S3ServerFixture.Counters beforeOtherOrg = s3().counters();
        otherOrg.volume().commit();
        assertThat(s3().counters().bytesPut() - beforeOtherOrg.bytesPut()).as("another org uploads its own copy").isEqualTo(data.length);
    }
}
