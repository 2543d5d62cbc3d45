package dev.sail.volumes.benchmarks.harness;

import dev.sail.volumes.client.MountedVolume;
import java.nio.file.Path;

/** One of our volumes mounted through the real daemon, driven through its control socket. Closes once. */
final class OursMount implements AutoCloseable {
    private final FuseProcess process;
    private final MountedVolume volume;

    OursMount(FuseProcess process, Path runDir) {
        this.process = process;
        this.volume = MountedVolume.fromMount(process.mountpoint(), runDir);
    }

    Path path() {
        return process.mountpoint();
    }

    MountedVolume volume() {
        return volume;
    }

    FuseProcess process() {
        return process;
    }

    /** Unmounts through the daemon (so that it stops cleanly), then makes sure the mount and process are gone. */
    @Override
    public void close() {
        try {
            volume.unmount();
        } catch (RuntimeException e) {
            // The daemon is gone or stuck: the process mount below unmounts with fusermount3 and stops it.
        } finally {
            process.close();
        }
    }
}
