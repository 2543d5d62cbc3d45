package dev.sail.volumes.fuse.jfuse;

import dev.sail.volumes.fuse.core.Attributes;
import dev.sail.volumes.fuse.core.DirEntry;
import dev.sail.volumes.fuse.core.Errno;
import dev.sail.volumes.fuse.core.FsError;
import dev.sail.volumes.fuse.core.FuseCalls;
import dev.sail.volumes.fuse.core.VolumeFileSystem;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.cryptomator.jfuse.api.DirFiller;
import org.cryptomator.jfuse.api.FileInfo;
import org.cryptomator.jfuse.api.FuseConfig;
import org.cryptomator.jfuse.api.FuseConnInfo;
import org.cryptomator.jfuse.api.FuseOperations;
import org.cryptomator.jfuse.api.Stat;
import org.cryptomator.jfuse.api.Statvfs;
import org.cryptomator.jfuse.api.TimeSpec;

/**
 * The jfuse (libfuse3, Panama) edge: each callback is one line into {@link VolumeFileSystem}
 * through {@link FuseCalls}, plus the copying between jfuse's structs and the core's values.
 * Operations not listed in {@link #supportedOperations()} are left unbound, so libfuse answers
 * ENOSYS for them. Thread-safe (the core is).
 *
 * <p>The file system is attached with {@link #serve} after the adapter is built, so that jfuse can link
 * the callbacks while the daemon still waits for the service ({@link JfuseMount#prepare}); no callback
 * can arrive before the mount, which happens after {@link #serve}.
 */
final class JfuseAdapter implements FuseOperations {
    private volatile VolumeFileSystem fs;
    private final FuseCalls calls;
    private final org.cryptomator.jfuse.api.Errno errno;
    private final int uid;
    private final int gid;
    private final Optional<JfuseKernelCache> kernelCache;
    /** The listing of each open directory handle, taken at its first readdir. */
    private final Map<Long, List<DirEntry>> listings = new ConcurrentHashMap<>();
    private final AtomicLong nextDirHandle = new AtomicLong(1);

    JfuseAdapter(FuseCalls calls, org.cryptomator.jfuse.api.Errno errno, int uid, int gid, Optional<JfuseKernelCache> kernelCache) {
        this.calls = calls;
        this.errno = errno;
        this.uid = uid;
        this.gid = gid;
        this.kernelCache = kernelCache;
    }

    /** Attaches the file system the callbacks serve; before the mount. */
    void serve(VolumeFileSystem fs) {
        this.fs = fs;
    }

    @Override
    public void init(FuseConnInfo conn, FuseConfig cfg) {
        kernelCache.ifPresent(JfuseKernelCache::captureSession);
        // readdir gives each entry's type only, no attributes: READDIRPLUS would carry node id 0 for each
        // (which the kernel ignores), so plain READDIR says the same in less.
        conn.setWant(conn.want() & ~FuseConnInfo.FUSE_CAP_READDIRPLUS);
    }

    @Override
    public org.cryptomator.jfuse.api.Errno errno() {
        return errno;
    }

    @Override
    public Set<Operation> supportedOperations() {
        return EnumSet.of(Operation.GET_ATTR, Operation.READLINK, Operation.MKDIR, Operation.UNLINK, Operation.RMDIR,
                Operation.SYMLINK, Operation.RENAME, Operation.CHMOD, Operation.CHOWN, Operation.TRUNCATE, Operation.OPEN,
                Operation.READ, Operation.WRITE, Operation.STATFS, Operation.FLUSH, Operation.RELEASE, Operation.FSYNC,
                Operation.OPEN_DIR, Operation.READ_DIR, Operation.RELEASE_DIR, Operation.CREATE, Operation.UTIMENS,
                Operation.INIT);
    }

    @Override
    public int getattr(String path, Stat stat, FileInfo fi) {
        return calls.runVoid("getattr", path, () -> {
            fill(stat, fi != null ? fs.getattr(fi.getFh()) : fs.getattr(path));
            // libfuse answers every lookup, create, mkdir and symlink through getattr: the kernel may cache this name now.
            kernelCache.ifPresent(k -> k.shown(path));
        });
    }

    @Override
    public int readlink(String path, ByteBuffer buf, long len) {
        return calls.runVoid("readlink", path, () -> putTarget(buf, len, fs.readlink(path)));
    }

    @Override
    public int mkdir(String path, int mode) {
        return calls.runVoid("mkdir", path, () -> fs.mkdir(path, mode));
    }

    @Override
    public int unlink(String path) {
        return calls.runVoid("unlink", path, () -> {
            fs.unlink(path);
            kernelCache.ifPresent(k -> k.removed(path));
        });
    }

    @Override
    public int rmdir(String path) {
        return calls.runVoid("rmdir", path, () -> {
            fs.rmdir(path);
            kernelCache.ifPresent(k -> k.removed(path));
        });
    }

    @Override
    public int symlink(String target, String linkname) {
        return calls.runVoid("symlink", linkname, () -> fs.symlink(target, linkname));
    }

    @Override
    public int rename(String oldpath, String newpath, int flags) {
        return calls.runVoid("rename", oldpath, () -> {
            fs.rename(oldpath, newpath, flags);
            // The kernel moves the dentry to the new name without a lookup.
            kernelCache.ifPresent(k -> {
                k.removed(oldpath);
                k.shown(newpath);
            });
        });
    }

    @Override
    public int chmod(String path, int mode, FileInfo fi) {
        return calls.runVoid("chmod", path, () -> fs.chmod(path, mode));
    }

    @Override
    public int chown(String path, int uid, int gid, FileInfo fi) {
        return calls.runVoid("chown", path, () -> fs.chown(path, uid, gid));
    }

    @Override
    public int truncate(String path, long size, FileInfo fi) {
        return calls.runVoid("truncate", path, () -> {
            if (fi != null) {
                fs.truncate(fi.getFh(), size);
            } else {
                fs.truncate(path, size);
            }
        });
    }

    @Override
    public int open(String path, FileInfo fi) {
        return calls.runVoid("open", path, () -> fi.setFh(fs.open(path, fi.getFlags())));
    }

    @Override
    public int create(String path, int mode, FileInfo fi) {
        return calls.runVoid("create", path, () -> fi.setFh(fs.create(path, mode, fi.getFlags())));
    }

    @Override
    public int read(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
        return calls.run("read", path, () -> fs.read(fi.getFh(), buf, (int) size, offset));
    }

    @Override
    public int write(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
        return calls.run("write", path, () -> fs.write(fi.getFh(), buf, (int) size, offset));
    }

    @Override
    public int statfs(String path, Statvfs statvfs) {
        return calls.runVoid("statfs", path, () -> {
            VolumeFileSystem.StatFs s = fs.statfs();
            statvfs.setBsize(s.blockSize());
            statvfs.setFrsize(s.blockSize());
            statvfs.setBlocks(s.blocks());
            statvfs.setBfree(s.freeBlocks());
            statvfs.setBavail(s.availableBlocks());
            statvfs.setNameMax(s.nameMax());
        });
    }

    @Override
    public int flush(String path, FileInfo fi) {
        return calls.runVoid("flush", path, () -> fs.flush(fi.getFh()));
    }

    @Override
    public int release(String path, FileInfo fi) {
        return calls.runVoid("release", path, () -> fs.release(fi.getFh()));
    }

    @Override
    public int fsync(String path, int datasync, FileInfo fi) {
        return calls.runVoid("fsync", path, () -> fs.fsync(fi.getFh()));
    }

    @Override
    public int opendir(String path, FileInfo fi) {
        return calls.runVoid("opendir", path, () -> {
            if (fs.getattr(path).kind() != Attributes.Kind.DIRECTORY) {
                throw new FsError(Errno.ENOTDIR, "Not a directory: " + path);
            }
            fi.setFh(nextDirHandle.getAndIncrement());
        });
    }

    @Override
    public int readdir(String path, DirFiller filler, long offset, FileInfo fi, int flags) {
        return calls.runVoid("readdir", path, () -> {
            // Offset 0 starts (or, after a rewinddir, restarts) the handle's listing; later offsets continue in it.
            List<DirEntry> entries = offset == 0
                    ? listings.compute(fi.getFh(), (fh, old) -> fs.readdirWithAttributes(path))
                    : listings.computeIfAbsent(fi.getFh(), fh -> fs.readdirWithAttributes(path));
            JfuseDirFiller.Entries out = JfuseDirFiller.entriesOf(filler);
            // Offset i names the entry at i: "." and ".." first, then the listing. The type lets find and ls -R
            // walk without a lookup per name; libfuse passes nothing else of the stat on.
            for (long i = offset; i < entries.size() + 2L; i++) {
                DirEntry entry = i < 2 ? null : entries.get((int) (i - 2));
                String name = entry == null ? (i == 0 ? "." : "..") : entry.name();
                if (out.add(name, entry == null ? 0 : entry.attributes().stMode(), i + 1)) {
                    return;
                }
            }
        });
    }

    @Override
    public int releasedir(String path, FileInfo fi) {
        return calls.runVoid("releasedir", path, () -> listings.remove(fi.getFh()));
    }

    @Override
    public int utimens(String path, TimeSpec atime, TimeSpec mtime, FileInfo fi) {
        return calls.runVoid("utimens", path, () -> {
            if (mtime.isUtimeOmit()) {
                fs.getattr(path);
                return;
            }
            Instant when = mtime.isUtimeNow() ? Instant.now() : mtime.get();
            fs.setModificationTime(path, when.getEpochSecond() * 1_000_000_000L + when.getNano());
        });
    }

    private void fill(Stat stat, Attributes attributes) {
        stat.setMode(attributes.stMode());
        stat.setSize(attributes.size());
        stat.setNLink((short) (attributes.kind() == Attributes.Kind.DIRECTORY ? 2 : 1));
        stat.setUid(uid);
        stat.setGid(gid);
        Instant mtime = Instant.ofEpochSecond(0, attributes.mtimeNanos());
        stat.mTime().set(mtime);
        stat.cTime().set(mtime);
        stat.aTime().set(mtime);
    }

    private static void putTarget(ByteBuffer buf, long len, String target) {
        byte[] bytes = target.getBytes(StandardCharsets.UTF_8);
        int n = (int) Math.min(bytes.length, Math.max(0, len - 1));
        buf.put(bytes, 0, n);
        buf.put((byte) 0);
    }
}
