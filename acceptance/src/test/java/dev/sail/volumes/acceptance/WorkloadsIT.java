package dev.sail.volumes.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;

/**
 * Semantic 10: no POSIX locking across mounts and no live remote file system; the workloads are whole-file
 * CRUD and notebooks or small files rewritten often.
 */
class WorkloadsIT extends AcceptanceBase {
    private static final String VOLUME = uniqueVolume("workloads");

    @Test
    void semantic10_noLiveRemoteFileSystemAndNoLockingAcrossMounts() throws Exception {
        Sailbox a = shared("a", VOLUME);
        Sailbox b = shared("b", VOLUME);
        Files.createDirectories(a.path("nolive"));
        Files.writeString(a.path("nolive/state.json"), "{\"v\":1}");
        a.volume().commit();
        b.volume().reload();
        assertThat(Files.readString(b.path("nolive/state.json"))).isEqualTo("{\"v\":1}");

        Files.writeString(a.path("nolive/state.json"), "{\"v\":2}");
        a.volume().commit();
        assertThat(Files.readString(b.path("nolive/state.json"))).as("another mount's commit does not reach b by itself")
                .isEqualTo("{\"v\":1}");

        try (FileChannel inA = FileChannel.open(a.path("nolive/state.json"), StandardOpenOption.WRITE);
             FileChannel inB = FileChannel.open(b.path("nolive/state.json"), StandardOpenOption.WRITE);
             FileLock lockA = inA.tryLock();
             FileLock lockB = inB.tryLock()) {
            assertThat(lockA).as("a lock in a").isNotNull();
            assertThat(lockB).as("a lock on the same path in b is not held off by a's").isNotNull();
        }
        b.volume().reload();
        assertThat(Files.readString(b.path("nolive/state.json"))).isEqualTo("{\"v\":2}");
    }

    @Test
    void semantic10_notebooksSavedOftenAndWholeFileCrud() throws Exception {
        Sailbox a = shared("a", VOLUME);
        Sailbox b = shared("b", VOLUME);
        Path notebook = a.path("notebook/analysis.ipynb");
        Files.createDirectories(notebook.getParent());
        for (int save = 1; save <= 20; save++) {
            // How Jupyter saves: write a temporary file beside it, then rename over the notebook.
            Path tmp = a.path("notebook/.~analysis.ipynb");
            Files.writeString(tmp, "{\"cells\":[], \"save\": " + save + "}");
            Files.move(tmp, notebook, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            if (save % 5 == 0) {
                a.volume().commit();
            }
        }
        Files.writeString(a.path("notebook/created.txt"), "created");
        Files.writeString(a.path("notebook/updated.txt"), "v1");
        a.volume().commit();
        Files.writeString(a.path("notebook/updated.txt"), "v2");
        Files.delete(a.path("notebook/created.txt"));
        a.volume().commit();

        b.volume().reload();
        assertThat(Files.readString(b.path("notebook/analysis.ipynb"))).isEqualTo("{\"cells\":[], \"save\": 20}");
        assertThat(Files.readString(b.path("notebook/updated.txt"))).isEqualTo("v2");
        assertThat(b.path("notebook/created.txt")).doesNotExist();
        assertThat(b.path("notebook/.~analysis.ipynb")).doesNotExist();
        try (var children = Files.list(b.path("notebook"))) {
            assertThat(children.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("analysis.ipynb", "updated.txt");
        }
    }
}
