package dev.sail.volumes.fuse.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import org.junit.jupiter.api.Test;

class WarmupTest {
    @Test
    void theWarmUpHashesItsWholeInputWithSha256() throws Exception {
        assertThat(Warmup.hashOnce()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(new byte[Warmup.BYTES]));
    }
}
