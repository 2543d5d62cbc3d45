package dev.sail.volumes.fuse.jnr;

import dev.sail.volumes.fuse.core.Attributes;
import dev.sail.volumes.fuse.core.DirEntry;
import dev.sail.volumes.fuse.core.Errno;
import dev.sail.volumes.fuse.core.FsError;
import dev.sail.volumes.fuse.core.FuseCalls;
import dev.sail.volumes.fuse.core.VolumeFileSystem;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import jnr.ffi.Pointer;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The jnr-fuse (libfuse2) edge: each callback is one line into {@link VolumeFileSystem} through
 * {@link FuseCalls}, plus copying between native memory and the core's buffers. Methods not
 * overridden here are never registered with libfuse, which answers ENOSYS for them. Thread-safe.
 */
final class JnrAdapter extends FuseStubFS {
    /** {@code tv_nsec} values of utimensat(2). */
    private static final long UTIME_NOW = (1L << 30) - 1;
    private static final long UTIME_OMIT = (1L << 30) - 2;

    private final VolumeFileSystem fs;
    private final FuseCalls calls;
    private final int uid;
    private final int gid;

    JnrAdapter(VolumeFileSystem fs, FuseCalls calls, int uid, int gid) {
        this.fs = fs;
        this.calls = calls;
        this.uid = uid;
        this.gid = gid;
    }

    @Override
    public int getattr(String path, FileStat stat) {
        return calls.runVoid("getattr", path, () -> fill(stat, fs.getattr(path)));
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        return calls.runVoid("fgetattr", path, () -> fill(stat, fs.getattr(fi.fh.get())));
    }

    @Override
    public int readlink(String path, Pointer buf, long size) {
        return calls.runVoid("readlink", path, () -> {
            byte[] target = fs.readlink(path).getBytes(StandardCharsets.UTF_8);
            int n = (int) Math.min(target.length, Math.max(0, size - 1));
            buf.put(0, target, 0, n);
            buf.putByte(n, (byte) 0);
        });
    }

    @Override
    public int mkdir(String path, long mode) {
        return calls.runVoid("mkdir", path, () -> fs.mkdir(path, (int) mode));
    }

    @Override
    public int unlink(String path) {
        return calls.runVoid("unlink", path, () -> fs.unlink(path));
    }

    @Override
    public int rmdir(String path) {
        return calls.runVoid("rmdir", path, () -> fs.rmdir(path));
    }

    @Override
    public int symlink(String target, String linkPath) {
        return calls.runVoid("symlink", linkPath, () -> fs.symlink(target, linkPath));
    }

    @Override
    public int rename(String from, String to) {
        return calls.runVoid("rename", from, () -> fs.rename(from, to, 0));
    }

    @Override
    public int chmod(String path, long mode) {
        return calls.runVoid("chmod", path, () -> fs.chmod(path, (int) mode));
    }

    @Override
    public int chown(String path, long uid, long gid) {
        return calls.runVoid("chown", path, () -> fs.chown(path, (int) uid, (int) gid));
    }

    @Override
    public int truncate(String path, long size) {
        return calls.runVoid("truncate", path, () -> fs.truncate(path, size));
    }

    @Override
    public int ftruncate(String path, long size, FuseFileInfo fi) {
        return calls.runVoid("ftruncate", path, () -> fs.truncate(fi.fh.get(), size));
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        return calls.runVoid("open", path, () -> fi.fh.set(fs.open(path, fi.flags.get())));
    }

    @Override
    public int create(String path, long mode, FuseFileInfo fi) {
        return calls.runVoid("create", path, () -> fi.fh.set(fs.create(path, (int) mode, fi.flags.get())));
    }

    @Override
    public int read(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        return calls.run("read", path, () -> {
            ByteBuffer dst = ByteBuffer.allocate((int) size);
            int n = fs.read(fi.fh.get(), dst, (int) size, offset);
            buf.put(0, dst.array(), 0, n);
            return n;
        });
    }

    @Override
    public int write(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        return calls.run("write", path, () -> {
            byte[] bytes = new byte[(int) size];
            buf.get(0, bytes, 0, bytes.length);
            return fs.write(fi.fh.get(), ByteBuffer.wrap(bytes), bytes.length, offset);
        });
    }

    @Override
    public int statfs(String path, Statvfs stbuf) {
        return calls.runVoid("statfs", path, () -> {
            VolumeFileSystem.StatFs s = fs.statfs();
            stbuf.f_bsize.set(s.blockSize());
            stbuf.f_frsize.set(s.blockSize());
            stbuf.f_blocks.set(s.blocks());
            stbuf.f_bfree.set(s.freeBlocks());
            stbuf.f_bavail.set(s.availableBlocks());
            stbuf.f_namemax.set(s.nameMax());
        });
    }

    @Override
    public int flush(String path, FuseFileInfo fi) {
        return calls.runVoid("flush", path, () -> fs.flush(fi.fh.get()));
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        return calls.runVoid("release", path, () -> fs.release(fi.fh.get()));
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        return calls.runVoid("fsync", path, () -> fs.fsync(fi.fh.get()));
    }

    @Override
    public int opendir(String path, FuseFileInfo fi) {
        return calls.runVoid("opendir", path, () -> {
            if (fs.getattr(path).kind() != Attributes.Kind.DIRECTORY) {
                throw new FsError(Errno.ENOTDIR, "Not a directory: " + path);
            }
        });
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filter, long offset, FuseFileInfo fi) {
        return calls.runVoid("readdir", path, () -> {
            filter.apply(buf, ".", null, 0);
            filter.apply(buf, "..", null, 0);
            // The type lets find and ls -R walk without a lookup per name; libfuse copies each entry, so one stat serves all.
            FileStat stat = new FileStat(jnr.ffi.Runtime.getSystemRuntime());
            for (DirEntry entry : fs.readdirWithAttributes(path)) {
                stat.st_mode.set(entry.attributes().stMode());
                filter.apply(buf, entry.name(), stat, 0);
            }
        });
    }

    @Override
    public int releasedir(String path, FuseFileInfo fi) {
        return calls.runVoid("releasedir", path, () -> { });
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        return calls.runVoid("utimens", path, () -> {
            Timespec mtime = timespec[1];
            long nanos = mtime.tv_nsec.longValue();
            if (nanos == UTIME_OMIT) {
                fs.getattr(path);
                return;
            }
            long when = nanos == UTIME_NOW
                    ? System.currentTimeMillis() * 1_000_000L
                    : mtime.tv_sec.get() * 1_000_000_000L + nanos;
            fs.setModificationTime(path, when);
        });
    }

    private void fill(FileStat stat, Attributes attributes) {
        stat.st_mode.set(attributes.stMode());
        stat.st_size.set(attributes.size());
        stat.st_nlink.set(attributes.kind() == Attributes.Kind.DIRECTORY ? 2 : 1);
        stat.st_uid.set(uid);
        stat.st_gid.set(gid);
        long seconds = Math.floorDiv(attributes.mtimeNanos(), 1_000_000_000L);
        long nanos = Math.floorMod(attributes.mtimeNanos(), 1_000_000_000L);
        stat.st_mtim.tv_sec.set(seconds);
        stat.st_mtim.tv_nsec.set(nanos);
        stat.st_ctim.tv_sec.set(seconds);
        stat.st_ctim.tv_nsec.set(nanos);
        stat.st_atim.tv_sec.set(seconds);
        stat.st_atim.tv_nsec.set(nanos);
    }
}
