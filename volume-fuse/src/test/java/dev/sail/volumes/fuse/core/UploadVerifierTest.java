package dev.sail.volumes.fuse.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.fuse.fake.FakeRemote;
import dev.sail.volumes.manifest.VolumeName;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class UploadVerifierTest {
    private static ChunkSpec stored(FakeRemote remote, int seed) {
        byte[] bytes = {(byte) seed, 1, 2};
        ChunkId id = ChunkHasher.hash(bytes);
        remote.storage.put(id, bytes);
        return new ChunkSpec(id, bytes.length);
    }

    @Test
    void closingSendsWhatIsQueuedAtOnceInsteadOfLingeringForMore() {
        FakeRemote remote = new FakeRemote(ChunkLayout.STANDARD);
        VolumeName volume = remote.service().createVolumeIfMissing(VolumeName.of("v")).name();
        // A linger of an hour: were close() to wait it out, or for the reporter's next poll, this would hang.
        UploadVerifier verifier = new UploadVerifier(remote.service(), volume, TimeUnit.HOURS.toNanos(1));
        verifier.uploaded(stored(remote, 1));
        verifier.uploaded(stored(remote, 2));
        verifier.uploaded(new ChunkSpec(ChunkHasher.hash(new byte[] {9}), 1)); // never stored

        assertTimeoutPreemptively(Duration.ofSeconds(30), verifier::close);

        assertThat(verifier.verified()).as("both stored chunks confirmed before close returned").isEqualTo(2);
        verifier.close();
    }

    @Test
    void closingWithNothingQueuedReturns() {
        FakeRemote remote = new FakeRemote(ChunkLayout.STANDARD);
        VolumeName volume = remote.service().createVolumeIfMissing(VolumeName.of("v")).name();
        UploadVerifier verifier = new UploadVerifier(remote.service(), volume, TimeUnit.HOURS.toNanos(1));

        assertTimeoutPreemptively(Duration.ofSeconds(30), verifier::close);

        assertThat(verifier.verified()).isZero();
    }
}
