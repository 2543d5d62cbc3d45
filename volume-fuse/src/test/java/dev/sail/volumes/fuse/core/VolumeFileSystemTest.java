package dev.sail.volumes.fuse.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.client.ChunkTransfer;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.control.CommitReport;
import dev.sail.volumes.client.control.ReloadReport;
import dev.sail.volumes.client.control.StashInfo;
import dev.sail.volumes.fuse.fake.FakeRemote;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VolumeFileSystemTest {
    /** 64 KiB chunks below 1 MiB, 256 KiB beyond: several chunks in files of a few hundred KiB. */
    static final ChunkLayout SMALL = new ChunkLayout(64 << 10, 1 << 20, 256 << 10);
    static final VolumeName VOLUME = VolumeName.of("shared-data");
    static final int RW_CREATE = 02 | VolumeFileSystem.O_CREAT | VolumeFileSystem.O_TRUNC;

    @TempDir
    Path temp;

    final FakeRemote remote = new FakeRemote(SMALL);
    final List<AutoCloseable> toClose = new ArrayList<>();

    record Mount(VolumeFileSystem fs, Synchronizer sync, LocalStore store, Path stateDir) {
    }

    Mount mount(String name) throws IOException {
        return mount(name, new InMemoryLocalStore());
    }

    Mount mount(String name, LocalStore store) throws IOException {
        Path stateDir = temp.resolve(name);
        var info = remote.service().createVolumeIfMissing(VOLUME);
        VolumeFileSystem fs = VolumeFileSystem.open(remote.service(), remote.transfer(), info, store, stateDir,
                new VolumeFileSystem.Settings(64L << 20, 16L << 20, 2, 0, 0));
        toClose.add(fs);
        return new Mount(fs, new Synchronizer(fs), store, stateDir);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    static void write(VolumeFileSystem fs, String path, byte[] bytes) throws IOException {
        long fh = fs.create(path, 0644, RW_CREATE);
        try {
            assertThat(fs.write(fh, ByteBuffer.wrap(bytes), bytes.length, 0)).isEqualTo(bytes.length);
        } finally {
            fs.release(fh);
        }
    }

    static void writeAt(VolumeFileSystem fs, String path, long offset, byte[] bytes) throws IOException {
        long fh = fs.open(path, 02);
        try {
            fs.write(fh, ByteBuffer.wrap(bytes), bytes.length, offset);
        } finally {
            fs.release(fh);
        }
    }

    static byte[] read(VolumeFileSystem fs, String path) throws IOException {
        long fh = fs.open(path, 0);
        try {
            return readAll(fs, fh);
        } finally {
            fs.release(fh);
        }
    }

    static byte[] readAll(VolumeFileSystem fs, long fh) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(100_000);
        long offset = 0;
        while (true) {
            buffer.clear();
            int n = fs.read(fh, buffer, buffer.capacity(), offset);
            if (n == 0) {
                return out.toByteArray();
            }
            out.write(buffer.array(), 0, n);
            offset += n;
        }
    }

    static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    static int errno(Runnable op) {
        try {
            op.run();
        } catch (FsError e) {
            return e.errno();
        }
        throw new AssertionError("expected an FsError");
    }

    interface IoRunnable {
        void run() throws IOException;
    }

    static int errnoIo(IoRunnable op) {
        try {
            op.run();
        } catch (FsError e) {
            return e.errno();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected an FsError");
    }

    @Test
    void readsItsOwnWritesAndListsWhatItMade() throws IOException {
        VolumeFileSystem fs = mount("a").fs();
        byte[] data = random(300_000, 1);
        fs.mkdir("/docs", 0755);
        write(fs, "/docs/big.bin", data);
        write(fs, "/hello.txt", "hi".getBytes(StandardCharsets.UTF_8));

        assertThat(read(fs, "/docs/big.bin")).isEqualTo(data);
        assertThat(fs.getattr("/docs/big.bin").size()).isEqualTo(300_000);
        assertThat(fs.getattr("/docs").kind()).isEqualTo(Attributes.Kind.DIRECTORY);
        assertThat(fs.readdir("/")).containsExactly("docs", "hello.txt");
        assertThat(fs.readdir("/docs")).containsExactly("big.bin");
    }

    @Test
    void listsEntriesWithTheAttributesGetattrAnswersOverBaseAndOverlay() throws IOException {
        Mount a = mount("a");
        a.fs().mkdir("/d", 0750);
        write(a.fs(), "/d/published", random(70_000, 4));
        write(a.fs(), "/d/replaced", new byte[] {1});
        write(a.fs(), "/d/deleted", new byte[] {1});
        a.fs().mkdir("/d/sub", 0700);
        a.sync().commit(null);

        VolumeFileSystem fs = mount("b").fs();
        fs.unlink("/d/deleted");
        fs.unlink("/d/replaced");
        fs.mkdir("/d/replaced", 0711);
        write(fs, "/d/new", new byte[] {1, 2, 3});
        fs.symlink("published", "/d/link");
        fs.setModificationTime("/d/published", 5_000_000_123L);

        List<DirEntry> entries = fs.readdirWithAttributes("/d");

        assertThat(entries).extracting(DirEntry::name).containsExactly("link", "new", "published", "replaced", "sub");
        for (DirEntry entry : entries) {
            assertThat(entry.attributes()).as(entry.name()).isEqualTo(fs.getattr("/d/" + entry.name()));
        }
        assertThat(entries).extracting(e -> e.attributes().kind()).containsExactly(Attributes.Kind.SYMLINK,
                Attributes.Kind.FILE, Attributes.Kind.FILE, Attributes.Kind.DIRECTORY, Attributes.Kind.DIRECTORY);
        assertThat(entries.get(2).attributes().size()).isEqualTo(70_000);
        assertThat(entries.get(2).attributes().mtimeNanos()).isEqualTo(5_000_000_123L);
        assertThat(entries.get(3).attributes().mode()).isEqualTo(0711);
        assertThat(fs.readdirWithAttributes("/d").stream().map(DirEntry::name).toList()).isEqualTo(fs.readdir("/d"));
        assertThat(errno(() -> fs.readdirWithAttributes("/d/new"))).isEqualTo(Errno.ENOTDIR);
        assertThat(errno(() -> fs.readdirWithAttributes("/missing"))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void listsAnUnchangedDirectoryFromTheBaseAndAChangedOneWithItsChanges() throws IOException {
        Mount a = mount("a");
        a.fs().mkdir("/d", 0750);
        write(a.fs(), "/d/b-file", random(9_000, 5));
        a.fs().mkdir("/d/a-dir", 0700);
        a.fs().symlink("b-file", "/d/c-link");
        a.sync().commit(null);

        VolumeFileSystem fs = mount("b").fs();
        List<DirEntry> unchanged = fs.readdirWithAttributes("/d");
        assertThat(unchanged).extracting(DirEntry::name).containsExactly("a-dir", "b-file", "c-link");
        for (DirEntry entry : unchanged) {
            assertThat(entry.attributes()).as(entry.name()).isEqualTo(fs.getattr("/d/" + entry.name()));
        }

        write(fs, "/d/aa-new", new byte[] {1});
        assertThat(fs.readdirWithAttributes("/d")).extracting(DirEntry::name).containsExactly("a-dir", "aa-new", "b-file", "c-link");
        fs.unlink("/d/aa-new");
        fs.unlink("/d/b-file");
        assertThat(fs.readdirWithAttributes("/d")).extracting(DirEntry::name).containsExactly("a-dir", "c-link");
    }
    @Test
    void answersTheRightErrnos() throws IOException {
        VolumeFileSystem fs = mount("a").fs();
        fs.mkdir("/d", 0755);
        write(fs, "/d/f", new byte[] {1});
        write(fs, "/file", new byte[] {1});

        assertThat(errno(() -> fs.getattr("/missing"))).isEqualTo(Errno.ENOENT);
        assertThat(errno(() -> fs.mkdir("/d", 0755))).isEqualTo(Errno.EEXIST);
        assertThat(errno(() -> fs.rmdir("/d"))).isEqualTo(Errno.ENOTEMPTY);
        assertThat(errno(() -> fs.unlink("/d"))).isEqualTo(Errno.EISDIR);
        assertThat(errno(() -> fs.rmdir("/file"))).isEqualTo(Errno.ENOTDIR);
        assertThat(errno(() -> fs.readdir("/file"))).isEqualTo(Errno.ENOTDIR);
        assertThat(errno(() -> fs.mkdir("/file/sub", 0755))).isEqualTo(Errno.ENOTDIR);
        assertThat(errno(() -> fs.getattr("/" + "x".repeat(256)))).isEqualTo(Errno.ENAMETOOLONG);
        assertThat(errnoIo(() -> fs.create("/file", 0644, 02 | VolumeFileSystem.O_CREAT | VolumeFileSystem.O_EXCL))).isEqualTo(Errno.EEXIST);
        assertThat(errnoIo(() -> fs.rename("/d", "/d/inside", 0))).isEqualTo(Errno.EINVAL);
        assertThat(errnoIo(() -> fs.rename("/file", "/d", 0))).isEqualTo(Errno.EISDIR);
        assertThat(errnoIo(() -> fs.open("/nope", 0))).isEqualTo(Errno.ENOENT);
        assertThat(errno(() -> fs.readlink("/file"))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void renamesFilesAndDirectoriesReplacingTargets() throws IOException {
        VolumeFileSystem fs = mount("a").fs();
        fs.mkdir("/src", 0755);
        fs.mkdir("/src/sub", 0700);
        write(fs, "/src/sub/a", "A".getBytes(StandardCharsets.UTF_8));
        write(fs, "/x", "X".getBytes(StandardCharsets.UTF_8));
        write(fs, "/y", "Y".getBytes(StandardCharsets.UTF_8));
        fs.mkdir("/empty", 0755);

        fs.rename("/x", "/y", 0);
        fs.rename("/src", "/empty", 0);

        assertThat(fs.readdir("/")).containsExactly("empty", "y");
        assertThat(read(fs, "/y")).isEqualTo("X".getBytes(StandardCharsets.UTF_8));
        assertThat(read(fs, "/empty/sub/a")).isEqualTo("A".getBytes(StandardCharsets.UTF_8));
        assertThat(fs.getattr("/empty/sub").mode()).isEqualTo(0700);
        assertThat(errno(() -> fs.getattr("/src"))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void truncatesAndExtendsWithZeros() throws IOException {
        VolumeFileSystem fs = mount("a").fs();
        byte[] data = random(200_000, 2);
        write(fs, "/f", data);
        fs.truncate("/f", 70_000);
        fs.truncate("/f", 150_000);
        byte[] expected = new byte[150_000];
        System.arraycopy(data, 0, expected, 0, 70_000);
        assertThat(read(fs, "/f")).isEqualTo(expected);
    }

    @Test
    void symlinksAndModes() throws IOException {
        VolumeFileSystem fs = mount("a").fs();
        fs.symlink("../target", "/link");
        write(fs, "/f", new byte[] {1});
        fs.chmod("/f", 0600);
        fs.setModificationTime("/f", 1_000_000_000L);

        assertThat(fs.readlink("/link")).isEqualTo("../target");
        assertThat(fs.getattr("/link").kind()).isEqualTo(Attributes.Kind.SYMLINK);
        assertThat(fs.getattr("/f").mode()).isEqualTo(0600);
        assertThat(fs.getattr("/f").mtimeNanos()).isEqualTo(1_000_000_000L);
        assertThat(errno(() -> fs.chown("/f", 1234, 1234))).isEqualTo(Errno.EPERM);
    }

    @Test
    void commitPublishesAndAnotherMountSeesItLazily() throws IOException {
        Mount a = mount("a");
        byte[] data = random(300_000, 3);
        a.fs().mkdir("/docs", 0755);
        write(a.fs(), "/docs/big.bin", data);
        a.fs().symlink("big.bin", "/docs/link");

        CommitReport report = a.sync().commit(null);

        assertThat(report.filesChanged()).isEqualTo(3);
        assertThat(report.chunksUploaded()).isEqualTo(5);
        assertThat(report.bytesUploaded()).isEqualTo(300_000);
        assertThat(a.fs().dirtyPaths()).isEmpty();
        assertThat(a.fs().base().seq()).isEqualTo(report.seq());
        assertThat(read(a.fs(), "/docs/big.bin")).isEqualTo(data);

        int listsBefore = remote.listCalls.get();
        Mount b = mount("b");
        assertThat(remote.listCalls.get()).as("mounting lists nothing").isEqualTo(listsBefore);
        assertThat(remote.chunksDownloaded.get()).isZero();
        assertThat(b.fs().readdir("/docs")).containsExactly("big.bin", "link");
        assertThat(read(b.fs(), "/docs/big.bin")).isEqualTo(data);
        assertThat(b.fs().readlink("/docs/link")).isEqualTo("big.bin");
        assertThat(remote.chunksDownloaded.get()).as("each chunk fetched once").isEqualTo(5);
        read(b.fs(), "/docs/big.bin");
        assertThat(remote.chunksDownloaded.get()).as("warm read from the cache").isEqualTo(5);
    }

    @Test
    void oneByteRewriteUploadsOneChunkAndRenameUploadsNothing() throws IOException {
        Mount a = mount("a");
        byte[] data = random(300_000, 4);
        write(a.fs(), "/big.bin", data);
        a.sync().commit(null);

        Mount b = mount("b");
        writeAt(b.fs(), "/big.bin", 150_000, new byte[] {42});
        CommitReport rewrite = b.sync().commit(null);
        assertThat(rewrite.chunksUploaded()).isEqualTo(1);
        assertThat(rewrite.bytesUploaded()).isEqualTo(64 << 10);
        assertThat(rewrite.chunksReused()).isEqualTo(4);

        b.fs().rename("/big.bin", "/moved.bin", 0);
        CommitReport rename = b.sync().commit(null);
        assertThat(rename.chunksUploaded()).isZero();
        assertThat(rename.bytesUploaded()).isZero();
        assertThat(rename.filesChanged()).isEqualTo(2);

        data[150_000] = 42;
        assertThat(remote.head(VOLUME)).containsOnlyKeys(VolumePath.of("moved.bin"));
        assertThat(read(mount("c").fs(), "/moved.bin")).isEqualTo(data);
    }

    @Test
    void aWriteToACachedCleanChunkTakesTheCachedFileInsteadOfCopyingIt() throws IOException {
        Mount a = mount("a");
        byte[] data = random(200_000, 11);
        write(a.fs(), "/one.bin", data);
        write(a.fs(), "/two.bin", data);
        a.sync().commit(null);

        Mount b = mount("b");
        assertThat(read(b.fs(), "/one.bin")).isEqualTo(data);
        long cached = b.fs().cache.usedBytes();
        writeAt(b.fs(), "/one.bin", 100_000, new byte[] {7});
        assertThat(b.fs().cache.usedBytes()).as("the changed chunk left the cache").isEqualTo(cached - (64 << 10));
        assertThat(read(b.fs(), "/two.bin")).as("the same chunk in another file is fetched again").isEqualTo(data);

        b.sync().commit(null);
        long afterCommit = b.fs().cache.usedBytes();
        writeAt(b.fs(), "/one.bin", 100_001, new byte[] {8});
        assertThat(b.fs().cache.usedBytes()).as("a chunk just committed is still read from its cached file: copied")
                .isEqualTo(afterCommit);
        b.sync().commit(null);

        byte[] changed = data.clone();
        changed[100_000] = 7;
        changed[100_001] = 8;
        Mount c = mount("c");
        assertThat(read(c.fs(), "/one.bin")).isEqualTo(changed);
        assertThat(read(c.fs(), "/two.bin")).isEqualTo(data);
    }

    @Test
    void appendAfterAFullChunkUploadsOnlyTheTail() throws IOException {
        Mount a = mount("a");
        write(a.fs(), "/log", random(128 << 10, 5));
        a.sync().commit(null);
        writeAt(a.fs(), "/log", 128 << 10, random(1000, 6));
        CommitReport report = a.sync().commit(null);
        assertThat(report.chunksUploaded()).isEqualTo(1);
        assertThat(report.bytesUploaded()).isEqualTo(1000);
    }

    @Test
    void reloadShowsOthersCommitsAndStashesWhatItDiscards() throws IOException {
        Mount a = mount("a");
        Mount b = mount("b");
        b.fs().readdir("/");
        write(a.fs(), "/shared.txt", "from a".getBytes(StandardCharsets.UTF_8));
        a.sync().commit(null);
        write(b.fs(), "/mine.txt", "unsynced".getBytes(StandardCharsets.UTF_8));

        ReloadReport report = b.sync().reload();

        assertThat(report.discarded()).containsExactly("mine.txt");
        assertThat(report.seq()).isEqualTo(1);
        assertThat(b.fs().readdir("/")).containsExactly("shared.txt");
        assertThat(read(b.fs(), "/shared.txt")).isEqualTo("from a".getBytes(StandardCharsets.UTF_8));
        List<StashInfo> stashes = b.sync().stashes();
        assertThat(stashes).singleElement().satisfies(s -> assertThat(s.paths()).containsExactly("mine.txt"));

        assertThat(b.sync().restore(stashes.getFirst().id())).containsExactly("mine.txt");
        assertThat(read(b.fs(), "/mine.txt")).isEqualTo("unsynced".getBytes(StandardCharsets.UTF_8));
        assertThat(b.sync().stashes()).isEmpty();
    }

    @Test
    void samePathLastWriterWinsAndIsReported() throws IOException {
        Mount a = mount("a");
        Mount b = mount("b");
        write(a.fs(), "/note", "a".getBytes(StandardCharsets.UTF_8));
        write(b.fs(), "/note", "b".getBytes(StandardCharsets.UTF_8));
        write(b.fs(), "/other", "b".getBytes(StandardCharsets.UTF_8));

        CommitReport first = a.sync().commit(null);
        CommitReport second = b.sync().commit(null);

        assertThat(first.overwritten()).isEmpty();
        assertThat(second.overwritten()).containsExactly("note");
        a.sync().reload();
        assertThat(read(a.fs(), "/note")).isEqualTo("b".getBytes(StandardCharsets.UTF_8));
        assertThat(a.fs().readdir("/")).containsExactly("note", "other");
    }

    @Test
    void anOpenFileKeepsItsVersionAcrossReload() throws IOException {
        Mount a = mount("a");
        Mount b = mount("b");
        write(a.fs(), "/f", "old".getBytes(StandardCharsets.UTF_8));
        a.sync().commit(null);
        b.sync().reload();
        long fh = b.fs().open("/f", 0);
        write(a.fs(), "/f", "new!".getBytes(StandardCharsets.UTF_8));
        a.sync().commit(null);

        b.sync().reload();

        assertThat(readAll(b.fs(), fh)).isEqualTo("old".getBytes(StandardCharsets.UTF_8));
        b.fs().release(fh);
        assertThat(read(b.fs(), "/f")).isEqualTo("new!".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aWriteThroughAHandleOpenedBeforeAReloadFailsWithEstaleAndTheEarlierBytesAreInTheStash() throws IOException {
        Mount a = mount("a");
        Mount b = mount("b");
        write(a.fs(), "/published", "v1".getBytes(StandardCharsets.UTF_8));
        a.sync().commit(null);
        b.sync().reload();
        long mine = b.fs().create("/mine", 0644, RW_CREATE);
        b.fs().write(mine, ByteBuffer.wrap("kept".getBytes(StandardCharsets.UTF_8)), 4, 0);
        long clean = b.fs().open("/published", 02);

        ReloadReport report = b.sync().reload();

        assertThat(report.discarded()).containsExactly("mine");
        assertThat(errnoIo(() -> b.fs().write(mine, ByteBuffer.wrap("lost?".getBytes(StandardCharsets.UTF_8)), 5, 4)))
                .as("a write the overlay can no longer take fails loudly").isEqualTo(Errno.ESTALE);
        assertThat(errnoIo(() -> b.fs().write(clean, ByteBuffer.wrap("x".getBytes(StandardCharsets.UTF_8)), 1, 0)))
                .isEqualTo(Errno.ESTALE);
        assertThat(errnoIo(() -> b.fs().truncate(mine, 0))).isEqualTo(Errno.ESTALE);
        assertThat(readAll(b.fs(), mine)).as("the handle still reads what it had").isEqualTo("kept".getBytes(StandardCharsets.UTF_8));
        b.fs().release(mine);
        b.fs().release(clean);

        assertThat(b.sync().restore(report.stash())).containsExactly("mine");
        assertThat(read(b.fs(), "/mine")).isEqualTo("kept".getBytes(StandardCharsets.UTF_8));
        writeAt(b.fs(), "/published", 0, "v2".getBytes(StandardCharsets.UTF_8));
        assertThat(read(b.fs(), "/published")).as("a handle opened after the reload writes").isEqualTo("v2".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void createsAndReadsDuringReloadsFailOnlyWithTheDocumentedErrnos() throws Exception {
        Mount a = mount("a");
        Mount b = mount("b");
        write(a.fs(), "/base.txt", "base".getBytes(StandardCharsets.UTF_8));
        a.sync().commit(null);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.ConcurrentLinkedQueue<Throwable> unexpected = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            int worker = t;
            workers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; !done.get(); i++) {
                    String path = "/w" + worker + "-" + (i % 20);
                    try {
                        write(b.fs(), path, ("w" + i).getBytes(StandardCharsets.UTF_8));
                        writes.incrementAndGet();
                        read(b.fs(), path);
                        assertThat(read(b.fs(), "/base.txt")).startsWith("base".getBytes(StandardCharsets.UTF_8));
                    } catch (FsError e) {
                        // A reload between the create and the write detaches the handle; one between the write and the read discards the file.
                        if (e.errno() != Errno.ESTALE && e.errno() != Errno.ENOENT) {
                            unexpected.add(e);
                        }
                    } catch (Throwable e) {
                        unexpected.add(e);
                    }
                }
            }));
        }
        try {
            for (int round = 0; round < 40; round++) {
                if (round % 5 == 0) {
                    write(a.fs(), "/base.txt", ("base" + round).getBytes(StandardCharsets.UTF_8));
                    a.sync().commit(null);
                }
                b.sync().reload();
            }
        } finally {
            done.set(true);
            for (Thread worker : workers) {
                worker.join();
            }
        }
        assertThat(unexpected).as("failures other than ESTALE/ENOENT").isEmpty();
        assertThat(writes.get()).as("the workers did write").isPositive();
        assertThat(read(b.fs(), "/base.txt")).isEqualTo("base35".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void deletesAndReplacedDirectoriesCommitAsDeletions() throws IOException {
        Mount a = mount("a");
        a.fs().mkdir("/d", 0755);
        write(a.fs(), "/d/x", new byte[] {1});
        write(a.fs(), "/d/y", new byte[] {2});
        a.sync().commit(null);

        Mount b = mount("b");
        b.fs().unlink("/d/x");
        b.fs().unlink("/d/y");
        b.fs().rmdir("/d");
        b.fs().mkdir("/d", 0700);
        write(b.fs(), "/d/z", new byte[] {3});
        b.sync().commit(null);

        assertThat(remote.head(VOLUME)).containsOnlyKeys(VolumePath.of("d"), VolumePath.of("d/z"));
        assertThat(((Entry.Directory) remote.head(VOLUME).get(VolumePath.of("d"))).mode()).isEqualTo(0700);
    }

    @Test
    void aRestartWithTheSameStateKeepsUncommittedWrites() throws IOException {
        LocalStore store = new InMemoryLocalStore();
        Mount a = mount("a", store);
        byte[] data = random(100_000, 7);
        a.fs().mkdir("/d", 0755);
        write(a.fs(), "/d/f", data);
        // No close: the daemon died. A new one opens the same state.
        VolumeFileSystem again = VolumeFileSystem.open(remote.service(), remote.transfer(),
                remote.service().findVolume(VOLUME).orElseThrow(), store, a.stateDir(), VolumeFileSystem.Settings.defaults());
        toClose.add(again);

        assertThat(read(again, "/d/f")).isEqualTo(data);
        assertThat(again.dirtyPaths()).containsExactly(VolumePath.of("d"), VolumePath.of("d/f"));
        assertThat(new Synchronizer(again).commit(null).chunksUploaded()).isEqualTo(2);
    }

    @Test
    void anUnreachableServiceAnswersEioOnlyForWhatIsNotCached() throws IOException {
        Mount a = mount("a");
        write(a.fs(), "/f", "x".getBytes(StandardCharsets.UTF_8));
        a.sync().commit(null);
        Mount b = mount("b");
        assertThat(b.fs().readdir("/")).containsExactly("f");
        remote.setUnreachable(true);
        FuseCalls calls = new FuseCalls();

        assertThat(calls.run("getattr", () -> b.fs().getattr("/f").stMode())).isPositive();
        assertThat(calls.run("read", () -> read(b.fs(), "/f").length)).isEqualTo(-Errno.EIO);
        assertThat(b.sync().commit(null).nothingToCommit()).as("nothing to commit needs no service").isTrue();
        write(b.fs(), "/g", new byte[] {1});
        assertThatThrownBy(() -> b.sync().commit(null)).hasMessageContaining("unreachable");
        assertThat(b.fs().dirtyPaths()).containsExactly(VolumePath.of("g"));
    }

    @Test
    void writesDuringACommitStayDirtyAndSurviveARestart() throws IOException {
        LocalStore store = new InMemoryLocalStore();
        Path stateDir = temp.resolve("during");
        var info = remote.service().createVolumeIfMissing(VOLUME);
        byte[] data = random(100_000, 8);
        VolumeFileSystem[] fs = new VolumeFileSystem[1];
        java.util.concurrent.atomic.AtomicBoolean meddled = new java.util.concurrent.atomic.AtomicBoolean();
        ChunkTransfer meddling = new ChunkTransfer() {
            @Override
            public void uploadAll(List<Upload> uploads, Progress progress) throws IOException {
                // Another process writes while the commit uploads (its first batch).
                if (meddled.compareAndSet(false, true)) {
                    writeAt(fs[0], "/f", 10, new byte[] {7});
                    fs[0].rename("/g", "/h", 0);
                }
                remote.transfer().uploadAll(uploads, progress);
            }

            @Override
            public ByteBuffer download(PresignedUrl url) throws IOException {
                return remote.transfer().download(url);
            }

            @Override
            public void close() {
            }
        };
        fs[0] = VolumeFileSystem.open(remote.service(), meddling, info, store, stateDir, VolumeFileSystem.Settings.defaults());
        toClose.add(fs[0]);
        write(fs[0], "/f", data);
        write(fs[0], "/g", "g".getBytes(StandardCharsets.UTF_8));

        CommitReport report = new Synchronizer(fs[0]).commit(null);

        assertThat(report.chunksUploaded()).isEqualTo(3);
        assertThat(fs[0].dirtyPaths()).containsExactly(VolumePath.of("f"), VolumePath.of("g"), VolumePath.of("h"));
        data[10] = 7;
        assertThat(read(fs[0], "/f")).isEqualTo(data);
        assertThat(remote.head(VOLUME)).containsOnlyKeys(VolumePath.of("f"), VolumePath.of("g"));

        VolumeFileSystem restarted = VolumeFileSystem.open(remote.service(), remote.transfer(), info, store, stateDir,
                VolumeFileSystem.Settings.defaults());
        toClose.add(restarted);
        assertThat(read(restarted, "/f")).isEqualTo(data);
        assertThat(read(restarted, "/h")).isEqualTo("g".getBytes(StandardCharsets.UTF_8));
        CommitReport second = new Synchronizer(restarted).commit(null);
        assertThat(second.chunksUploaded()).as("only the rewritten chunk of f").isEqualTo(1);
        assertThat(remote.head(VOLUME)).containsOnlyKeys(VolumePath.of("f"), VolumePath.of("h"));
    }

    @Test
    void aCommitCutByAFailedUploadRerunsAndUploadsOnlyWhatIsMissing() throws IOException {
        var info = remote.service().createVolumeIfMissing(VOLUME);
        int[] budget = {2};
        ChunkTransfer flaky = new ChunkTransfer() {
            @Override
            public void uploadAll(List<Upload> uploads, Progress progress) throws IOException {
                for (Upload upload : uploads) {
                    if (budget[0]-- <= 0) {
                        throw new IOException("Upload of chunk " + upload.target().id().abbreviated() + " failed after retries");
                    }
                    remote.transfer().uploadAll(List.of(upload), progress);
                }
            }

            @Override
            public ByteBuffer download(PresignedUrl url) throws IOException {
                return remote.transfer().download(url);
            }

            @Override
            public void close() {
            }
        };
        VolumeFileSystem fs = VolumeFileSystem.open(remote.service(), flaky, info, new InMemoryLocalStore(), temp.resolve("flaky"),
                VolumeFileSystem.Settings.defaults());
        toClose.add(fs);
        write(fs, "/f", random(300_000, 9));
        Synchronizer sync = new Synchronizer(fs);

        assertThatThrownBy(() -> sync.commit(null)).isInstanceOf(IOException.class).hasMessageContaining("failed after retries");
        assertThat(fs.dirtyPaths()).containsExactly(VolumePath.of("f"));
        assertThat(remote.head(VOLUME)).isEmpty();

        budget[0] = 100;
        CommitReport rerun = sync.commit(null);
        assertThat(rerun.chunksUploaded()).as("5 chunks, 2 already uploaded by the cut commit").isEqualTo(3);
        assertThat(remote.chunksUploaded.get()).isEqualTo(5);
        assertThat(fs.dirtyPaths()).isEmpty();
    }

    @Test
    void removedAndTruncatedBytesLeaveTheDisk() throws IOException {
        Mount a = mount("a");
        write(a.fs(), "/big", random(300_000, 10));
        write(a.fs(), "/other", random(100_000, 11));
        long fh = a.fs().open("/other", 0);
        assertThat(dirtyFiles(a)).isEqualTo(5 + 2);

        a.fs().truncate("/big", 70_000);
        assertThat(dirtyFiles(a)).as("truncated to 2 chunks").isEqualTo(2 + 2);
        a.fs().unlink("/big");
        assertThat(dirtyFiles(a)).isEqualTo(2);
        a.fs().unlink("/other");
        assertThat(dirtyFiles(a)).as("still open: its bytes stay readable").isEqualTo(2);
        assertThat(readAll(a.fs(), fh)).hasSize(100_000);
        a.fs().release(fh);
        assertThat(dirtyFiles(a)).isZero();
    }

    @Test
    void readingManySmallFilesAsksForDownloadUrlsInBatches() throws IOException {
        Mount a = mount("a");
        a.fs().mkdir("/small", 0755);
        for (int i = 0; i < 50; i++) {
            write(a.fs(), "/small/f" + i, random(1000, 100 + i));
        }
        a.sync().commit(null);

        Mount b = mount("b");
        assertThat(b.fs().readdir("/small")).hasSize(50);
        for (int i = 0; i < 50; i++) {
            assertThat(read(b.fs(), "/small/f" + i)).isEqualTo(random(1000, 100 + i));
        }

        assertThat(remote.chunksDownloaded.get()).isEqualTo(50);
        assertThat(remote.downloadUrlCalls.get()).as("one batch for the listed files").isEqualTo(1);
    }

    static long dirtyFiles(Mount mount) throws IOException {
        try (var files = java.nio.file.Files.list(mount.stateDir().resolve("dirty"))) {
            return files.count();
        }
    }

    private static final int CHUNK = SMALL.smallChunk();

    /** The dirty chunk ids of the file at {@code path} in the overlay. */
    private static List<Long> dirtyIds(VolumeFileSystem fs, String path) {
        FileNode node = ((Local.FileRef) fs.overlay.get(VolumePath.of(path))).node();
        synchronized (node) {
            return node.chunks.stream().filter(r -> r instanceof ChunkRef.Dirty).map(r -> ((ChunkRef.Dirty) r).id()).toList();
        }
    }

    @Test
    void aClosedFileIsHashedAheadAndTheCommitPublishesItsBytes() throws IOException {
        Mount a = mount("ahead");
        byte[] data = random(3 * CHUNK + 100, 21);
        write(a.fs(), "/f", data);
        List<Long> ids = dirtyIds(a.fs(), "f");
        assertThat(ids).hasSize(4);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
                a.fs().dirty.hashedAhead(ids.get(0), CHUNK).isPresent() && a.fs().dirty.hashedAhead(ids.get(3), 100).isPresent());

        a.sync().commit(null);

        Mount b = mount("reader");
        assertThat(read(b.fs(), "/f")).isEqualTo(data);
    }

    @Test
    void aChunkChangedAfterItWasHashedAheadIsHashedAgainAtTheCommit() throws IOException {
        Mount a = mount("stale");
        byte[] data = random(2 * CHUNK, 22);
        write(a.fs(), "/f", data);
        List<Long> ids = dirtyIds(a.fs(), "f");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
                a.fs().dirty.hashedAhead(ids.get(1), CHUNK).isPresent());
        ChunkId before = a.fs().dirty.hashedAhead(ids.get(1), CHUNK).orElseThrow();

        // Open for writing keeps the same dirty chunk: its bytes change under the hash taken ahead.
        long fh = a.fs().open("/f", 02);
        a.fs().write(fh, ByteBuffer.wrap(new byte[] {42}), 1, CHUNK + 7);
        assertThat(a.fs().dirty.hashedAhead(ids.get(1), CHUNK)).as("stale once the chunk changed").isEmpty();
        data[CHUNK + 7] = 42;
        a.sync().commit(null);
        a.fs().release(fh);

        Mount b = mount("reader2");
        assertThat(read(b.fs(), "/f")).isEqualTo(data);
        Entry.File published = (Entry.File) remote.head(VOLUME).get(VolumePath.of("f"));
        assertThat(published.chunks().get(1)).isNotEqualTo(before).isEqualTo(ChunkHasher.hash(java.util.Arrays.copyOfRange(data, CHUNK, 2 * CHUNK)));
    }
}
