package dev.sail.volumes.fuse.core;

import java.nio.file.Path;

class InMemoryLocalStoreTest extends LocalStoreContract {
    @Override
    protected LocalStore open(Path dir) {
        return new InMemoryLocalStore();
    }

    @Override
    protected boolean durable() {
        return false;
    }
}
