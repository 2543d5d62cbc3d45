package dev.sail.volumes.fuse.jnr;

import dev.sail.volumes.fuse.AbstractMountIT;
import dev.sail.volumes.fuse.FuseMount;
import dev.sail.volumes.fuse.core.FuseCalls;
import dev.sail.volumes.fuse.core.VolumeFileSystem;
import java.nio.file.Path;

class JnrMountIT extends AbstractMountIT {
    @Override
    protected FuseMount mount(VolumeFileSystem fs, FuseCalls calls, Path mountpoint) {
        return JnrMount.mount(fs, calls, mountpoint, 0, 0);
    }
}
