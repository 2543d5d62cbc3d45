package dev.sail.volumes.fuse;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FuseEnvironmentTest {
    @TempDir
    Path temp;

    @Test
    void namesWhatIsMissingAndHowToInstallIt() throws Exception {
        Path device = Files.createFile(temp.resolve("fuse"));
        Optional<Path> lib = Optional.of(temp.resolve("lib.so"));

        assertThatThrownBy(() -> FuseEnvironment.check("jfuse", temp.resolve("no-such-device"), lib, lib))
                .isInstanceOf(VolumeFuseException.class)
                .hasMessage("FUSE cannot run here: " + temp.resolve("no-such-device") + " is missing (load the fuse kernel module, "
                        + "or give the sandbox access to /dev/fuse) and install the user-space tools: apt-get install -y fuse3 libfuse3-3");
        assertThatThrownBy(() -> FuseEnvironment.check("jfuse", device, Optional.empty(), lib))
                .hasMessage("FUSE cannot run here: libfuse3 (libfuse3.so.3) is not installed: apt-get install -y fuse3 libfuse3-3");
        assertThatThrownBy(() -> FuseEnvironment.check("jnr", device, lib, Optional.empty()))
                .hasMessage("FUSE cannot run here: libfuse2 (libfuse.so.2) is not installed: apt-get install -y fuse3 libfuse2");
        assertThatCode(() -> FuseEnvironment.check("jfuse", device, lib, Optional.empty())).doesNotThrowAnyException();
    }
}
