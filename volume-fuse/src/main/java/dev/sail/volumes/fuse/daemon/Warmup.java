package dev.sail.volumes.fuse.daemon;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Right after a mount is ready, hashes {@value #BYTES} bytes once on a background thread, so that the JIT
 * has compiled SHA-256 (with the CPU's SHA instructions) before the first cold read has to verify a chunk.
 * On a cold JVM the first 8 MiB chunk took 60 ms or more to hash, against 6 ms once compiled, and every
 * first read waits for its chunk's hash. Costs one thread and a few tens of milliseconds of CPU, once.
 */
final class Warmup {
    private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);
    /** Enough calls to compile the hashing loop; a quarter-MiB block is what the transfer engine hashes at a time. */
    static final int BYTES = 4 << 20;
    private static final int BLOCK = 256 << 10;

    private Warmup() {
    }

    /** Starts the warm-up thread; returns at once. */
    static void start() {
        Thread.ofPlatform().daemon().name("warm-up").start(Warmup::hashOnce);
    }

    /** Hashes {@link #BYTES} bytes; answers the digest (so that the work cannot be optimized away). */
    static byte[] hashOnce() {
        long start = System.nanoTime();
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            byte[] block = new byte[BLOCK];
            for (int done = 0; done < BYTES; done += BLOCK) {
                sha256.update(block);
            }
            byte[] digest = sha256.digest();
            LOG.debug("Warm-up: hashed {} MiB in {} ms", BYTES >> 20, (System.nanoTime() - start) / 1_000_000);
            return digest;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("The JDK always provides SHA-256", e);
        }
    }
}
