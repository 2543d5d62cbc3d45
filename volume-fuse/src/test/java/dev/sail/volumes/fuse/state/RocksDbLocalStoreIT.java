package dev.sail.volumes.fuse.state;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sail.volumes.fuse.VolumeFuseException;
import dev.sail.volumes.fuse.core.LocalStore;
import dev.sail.volumes.fuse.core.LocalStoreContract;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RocksDbLocalStoreIT extends LocalStoreContract {
    @Override
    protected LocalStore open(Path dir) {
        return new RocksDbLocalStore(dir);
    }

    @Override
    protected boolean durable() {
        return true;
    }

    @Test
    void aStoreInUseCannotBeOpenedTwiceAndAClosedOneRefusesWrites() {
        Path dir = temp.resolve("busy");
        try (LocalStore store = open(dir)) {
            assertThatThrownBy(() -> open(dir)).isInstanceOf(VolumeFuseException.class)
                    .hasMessageContaining("Cannot open the local state at " + dir)
                    .hasMessageContaining("is another daemon using this state dir?");
        }
        LocalStore closed = open(dir);
        closed.close();
        assertThatThrownBy(() -> closed.write(Map.of(), List.of())).isInstanceOf(VolumeFuseException.class)
                .hasMessage("The local state at " + dir + " is closed");
    }
}
