package dev.sail.volumes.fuse.daemon;

/** The two-sailbox scenarios again, through the jnr-fuse (libfuse2) binding. */
class TwoSailboxesJnrIT extends TwoSailboxesIT {
    @Override
    protected String binding() {
        return "jnr";
    }
}
