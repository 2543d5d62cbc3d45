package dev.sail.volumes.fuse.jfuse;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sail.volumes.fuse.AbstractMountIT;
import dev.sail.volumes.fuse.FuseMount;
import dev.sail.volumes.fuse.core.FuseCalls;
import dev.sail.volumes.fuse.core.VolumeFileSystem;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class JfuseMountIT extends AbstractMountIT {
    /** The way the daemon mounts: the session is prepared on another thread before the file system exists. */
    @Override
    protected FuseMount mount(VolumeFileSystem fs, FuseCalls calls, Path mountpoint) {
        // Prepared on another thread, as the daemon does while it waits for the service.
        JfuseMount.Session session = CompletableFuture.supplyAsync(() -> JfuseMount.prepare(calls, mountpoint, 0, 0)).join();
        return session.mount(fs);
    }

    @Test
    void aSessionNeverMountedClosesOnceAndCannotBeMountedAfter() {
        JfuseMount.Session session = JfuseMount.prepare(new FuseCalls(), temp.resolve("mnt"), 0, 0);

        session.close();
        session.close();

        assertThatThrownBy(() -> session.mount(null)).isInstanceOf(IllegalStateException.class)
                .hasMessage("This jfuse session was mounted or closed already");
    }
}
