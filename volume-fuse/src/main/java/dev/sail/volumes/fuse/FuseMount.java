package dev.sail.volumes.fuse;

import java.nio.file.Path;

/** A live FUSE mount of a volume's file system, whatever the binding. Closing unmounts; closing twice is fine. */
public interface FuseMount extends AutoCloseable {
    Path mountpoint();

    /** The binding's name: {@code jfuse} or {@code jnr}. */
    String binding();

    @Override
    void close();
}
