package dev.sail.volumes.client;

import dev.sail.volumes.manifest.VolumeName;
import java.util.Objects;

/**
 * A volume of the org, as the service knows it. {@link #get} finds one by name, creating it when
 * asked. Immutable: {@link #info()} is the state when it was fetched; {@link #refresh()} fetches again.
 */
public final class Volume {
    private final VolumeService service;
    private final VolumeInfo info;

    private Volume(VolumeService service, VolumeInfo info) {
        this.service = service;
        this.info = info;
    }

    /**
     * The volume named {@code name}; when it does not exist, it is created if {@code mintIfMissing},
     * else this throws a {@link VolumeServiceException} with code {@code not_found}.
     */
    public static Volume get(VolumeService service, String name, boolean mintIfMissing) {
        Objects.requireNonNull(service, "service");
        VolumeName volumeName = VolumeName.of(name);
        VolumeInfo info = mintIfMissing
                ? service.createVolumeIfMissing(volumeName)
                : service.findVolume(volumeName).orElseThrow(() -> new VolumeServiceException(404, "not_found",
                        "Volume '" + volumeName + "' does not exist (pass mintIfMissing to create it)"));
        return new Volume(service, info);
    }

    public VolumeName name() {
        return info.name();
    }

    public VolumeInfo info() {
        return info;
    }

    /** The id of the volume's latest commit when it was fetched (empty for a volume with no commit yet). */
    public String headCommit() {
        return info.headCommit() == null ? "" : info.headCommit();
    }

    public long headSeq() {
        return info.headSeq();
    }

    /** The volume as the service describes it now. */
    public Volume refresh() {
        return get(service, info.name().value(), false);
    }
}
