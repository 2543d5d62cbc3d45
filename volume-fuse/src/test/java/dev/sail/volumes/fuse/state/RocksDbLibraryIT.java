package dev.sail.volumes.fuse.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.sail.volumes.fuse.VolumeFuseException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-user copy of RocksDB's native library: made once, safely, checked, and never a stranger's file. */
class RocksDbLibraryIT {
    @TempDir
    Path temp;

    @Test
    void theLibraryIsExtractedOnceIntoPrivateDirectoriesAndReused() throws Exception {
        Path root = temp.resolve("cache/native");

        Path file = RocksDbLibrary.install(root);

        assertThat(file).isRegularFile().hasParent(root.resolve(file.getParent().getFileName()));
        assertThat(file.getParent().getFileName().toString()).matches("librocksdbjni-.+-[0-9a-f]{8}-[0-9]+");
        assertThat(Files.size(file)).isGreaterThan(1 << 20);
        assertThat(mode(root)).isEqualTo("rwx------");
        assertThat(mode(file.getParent())).isEqualTo("rwx------");
        assertThat(mode(file)).as("nobody else can touch the library").endsWith("------");
        Object inode = Files.getAttribute(file, "unix:ino");
        long modified = Files.getLastModifiedTime(file).toMillis();

        Path again = RocksDbLibrary.install(root);

        assertThat(again).isEqualTo(file);
        assertThat(Files.getAttribute(again, "unix:ino")).as("the same file, not a new copy").isEqualTo(inode);
        assertThat(Files.getLastModifiedTime(again).toMillis()).isEqualTo(modified);
        try (Stream<Path> files = Files.list(file.getParent())) {
            assertThat(files).as("nothing but the library").containsExactly(file);
        }
    }

    @Test
    void aFileOfAnotherBuildOrADamagedOneIsReplacedNeverUsed() throws Exception {
        Path root = temp.resolve("native");
        Path file = RocksDbLibrary.install(root);
        byte[] good = Files.readAllBytes(file);
        byte[] wrong = good.clone();
        wrong[wrong.length / 2] ^= 0x5a;
        Files.write(file, wrong);
        assertThat(Files.size(file)).as("same size: only the CRC tells them apart").isEqualTo(good.length);

        Path replaced = RocksDbLibrary.install(root);

        assertThat(replaced).isEqualTo(file);
        assertThat(Files.readAllBytes(replaced)).as("the jar's library, not the damaged copy").isEqualTo(good);

        Files.write(file, new byte[] {1, 2, 3});
        assertThat(Files.readAllBytes(RocksDbLibrary.install(root))).as("a truncated copy is replaced too").isEqualTo(good);
    }

    @Test
    void aLinkInPlaceOfTheLibraryIsNotFollowed() throws Exception {
        Path root = temp.resolve("native");
        Path file = RocksDbLibrary.install(root);
        Path elsewhere = Files.copy(file, temp.resolve("planted.so"));
        Files.delete(file);
        Files.createSymbolicLink(file, elsewhere);

        Path installed = RocksDbLibrary.install(root);

        assertThat(installed).isEqualTo(file);
        assertThat(Files.isSymbolicLink(installed)).as("the link is replaced by a file of our own").isFalse();
    }

    @Test
    void directoriesOthersCanWriteOrThatAreLinksAreRefused() throws Exception {
        Path open = Files.createDirectories(temp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> RocksDbLibrary.install(open)).isInstanceOf(VolumeFuseException.class)
                .hasMessage(open + " is writable by other users (mode 777)");

        Path target = Files.createDirectories(temp.resolve("target"));
        Path link = Files.createSymbolicLink(temp.resolve("link"), target);
        assertThatThrownBy(() -> RocksDbLibrary.install(link)).isInstanceOf(VolumeFuseException.class)
                .hasMessage(link + " is not a directory (a symbolic link or a file is never followed)");
        try (Stream<Path> files = Files.list(target)) {
            assertThat(files).as("nothing extracted through the link").isEmpty();
        }
    }

    @Test
    void aDirectoryOfAnotherUserIsRefused() throws Exception {
        assumeThat((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).as("only root can give a directory away").isZero();
        Path theirs = Files.createDirectories(temp.resolve("theirs"));
        Files.setAttribute(theirs, "unix:uid", 4242);

        assertThatThrownBy(() -> RocksDbLibrary.install(theirs)).isInstanceOf(VolumeFuseException.class)
                .hasMessage(theirs + " belongs to another user");
    }

    @Test
    void anUnusableDirectoryFallsBackToRocksDbsOwnWayAndStillLoads() throws Exception {
        Path open = Files.createDirectories(temp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));

        assertThat(RocksDbLibrary.loadFrom(Optional.of(open))).isEmpty();
        try (RocksDbLocalStore store = new RocksDbLocalStore(temp.resolve("db"))) {
            store.write(Map.of("k", new byte[] {1}), List.of());
            assertThat(store.loadAll()).containsKey("k");
        }
    }

    @Test
    void daemonsStartingTogetherAllGetTheSameIntactFile() throws Exception {
        Path root = temp.resolve("native");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Path>> installs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                installs.add(pool.submit((Callable<Path>) () -> RocksDbLibrary.install(root)));
            }
            List<Path> files = new ArrayList<>();
            for (Future<Path> install : installs) {
                files.add(install.get());
            }
            assertThat(files).containsOnly(files.getFirst());
            byte[] expected = Files.readAllBytes(RocksDbLibrary.install(temp.resolve("reference")));
            assertThat(Files.readAllBytes(files.getFirst())).isEqualTo(expected);
            try (Stream<Path> left = Files.list(files.getFirst().getParent())) {
                assertThat(left).as("no temporary file left behind").containsExactly(files.getFirst());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theCacheDirFollowsTheEnvironment() {
        assertThat(RocksDbLibrary.defaultCacheDir(Map.of("SAIL_VOLUME_CACHE_DIR", "/srv/sv", "XDG_CACHE_HOME", "/x")))
                .contains(Path.of("/srv/sv"));
        assertThat(RocksDbLibrary.defaultCacheDir(Map.of("XDG_CACHE_HOME", "/x"))).contains(Path.of("/x/sail-volume"));
        assertThat(RocksDbLibrary.defaultCacheDir(Map.of("XDG_CACHE_HOME", "relative"))).as("XDG: only absolute paths").isEmpty();
        assertThat(RocksDbLibrary.defaultCacheDir(Map.of()))
                .contains(Path.of(System.getProperty("user.home"), ".cache", "sail-volume"));
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
