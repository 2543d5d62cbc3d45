package dev.sail.volumes.manifest;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * Read access to a volume's current state, as the merge needs it. The service implements it over
 * its store; tests implement it over a map ({@link InMemoryManifest}).
 */
public interface ManifestView {
    /**
     * The newest version of {@code path}, delete markers included (so the merge can tell when a path
     * was deleted); empty if the path was never written. The root is implicitly a directory.
     */
    Optional<Versioned> find(VolumePath path);

    /** Calls {@code action} for every existing (not deleted) path strictly under {@code directory}, in any order. */
    void forEachDescendant(VolumePath directory, Consumer<Versioned> action);
}
