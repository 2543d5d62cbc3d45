package dev.sail.volumes.client;

import dev.sail.volumes.client.control.CommitReport;
import dev.sail.volumes.client.control.ControlClient;
import dev.sail.volumes.client.control.MountStatus;
import dev.sail.volumes.client.control.ReloadReport;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A volume mounted in this machine, driven through its daemon's control socket: the same daemon
 * the {@code sail-volume} CLI talks to. Thread-safe; holds no connection between calls.
 *
 * <pre>
 * MountedVolume mounted = MountedVolume.fromMount(Path.of("/mnt/shared"));
 * String commit = mounted.commit();   // publishes local changes
 * mounted.reload();                   // shows the latest commit, discarding (and stashing) local changes
 * </pre>
 *
 * Failures throw {@link dev.sail.volumes.client.control.MountControlException} naming the problem.
 */
public final class MountedVolume {
    private final Path mountpoint;
    private final ControlClient control;

    private MountedVolume(Path mountpoint, ControlClient control) {
        this.mountpoint = mountpoint;
        this.control = control;
    }

    /** The mount at {@code mountpoint}; nothing is contacted until the first call. */
    public static MountedVolume fromMount(Path mountpoint) {
        Objects.requireNonNull(mountpoint, "mountpoint");
        return new MountedVolume(mountpoint.toAbsolutePath().normalize(), ControlClient.forMount(mountpoint));
    }

    /** The mount at {@code mountpoint} whose daemon keeps its socket under {@code runDir} (tests, custom layouts). */
    public static MountedVolume fromMount(Path mountpoint, Path runDir) {
        Objects.requireNonNull(mountpoint, "mountpoint");
        return new MountedVolume(mountpoint.toAbsolutePath().normalize(), ControlClient.forMount(mountpoint, runDir));
    }

    public Path mountpoint() {
        return mountpoint;
    }

    /** Publishes the mount's changes; answers the commit id (the base's id when there was nothing to commit). */
    public String commit() {
        return commitReport().commit();
    }

    /** Publishes the mount's changes; answers the whole report. */
    public CommitReport commitReport() {
        return control.commit(null);
    }

    /** Moves the mount to the volume's latest commit; answers its id. */
    public String reload() {
        return reloadReport().commit();
    }

    /** Moves the mount to the volume's latest commit; answers what was discarded too. */
    public ReloadReport reloadReport() {
        return control.reload();
    }

    public MountStatus status() {
        return control.status();
    }

    /** Unmounts; the volume and its commits stay. */
    public void unmount() {
        control.unmount();
    }
}
