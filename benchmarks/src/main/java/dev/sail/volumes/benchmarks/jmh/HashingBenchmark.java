package dev.sail.volumes.benchmarks.jmh;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * SHA-256 of 8 MiB chunks (the standard small chunk): {@link ChunkHasher} against a bare
 * {@link MessageDigest} over the same bytes, from a page-cached file range, and spread over two
 * threads with {@link ChunkHasher#hashAll}. Every score is milliseconds per 8 MiB chunk, so
 * {@code 8 MiB / score} is the throughput and the scores divide into ratios directly.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
public class HashingBenchmark {
    static final int CHUNK = 8 << 20;
    /** Chunks hashed per invocation of the parallel benchmark: four per thread. */
    static final int PARALLEL_CHUNKS = 8;

    private byte[][] chunks;
    private MessageDigest rawDigest;
    private ExecutorService twoThreads;
    private Path file;
    private FileChannel channel;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Random random = new Random(42);
        chunks = new byte[PARALLEL_CHUNKS][CHUNK];
        for (byte[] chunk : chunks) {
            random.nextBytes(chunk);
        }
        rawDigest = MessageDigest.getInstance("SHA-256");
        twoThreads = Executors.newFixedThreadPool(2);
        file = Files.createTempFile("hashing-benchmark", ".bin");
        Files.write(file, chunks[0]);
        channel = FileChannel.open(file, StandardOpenOption.READ);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        twoThreads.close();
        channel.close();
        Files.deleteIfExists(file);
    }

    /** The baseline: one reused digest over the array, no wrapping. */
    @Benchmark
    public byte[] rawMessageDigest() {
        rawDigest.reset();
        rawDigest.update(chunks[0]);
        return rawDigest.digest();
    }

    @Benchmark
    public ChunkId chunkHasherArray() {
        return ChunkHasher.hash(chunks[0]);
    }

    @Benchmark
    public ChunkId chunkHasherBuffer() {
        return ChunkHasher.hash(ByteBuffer.wrap(chunks[0]));
    }

    /** Positional reads of a page-cached file through ChunkHasher's 1 MiB read buffer. */
    @Benchmark
    public ChunkId chunkHasherFileRange() throws IOException {
        return ChunkHasher.hash(channel, 0, CHUNK);
    }

    /** Eight chunks on a two-thread pool; the score is per chunk, comparable with the single-thread ones. */
    @Benchmark
    @OperationsPerInvocation(PARALLEL_CHUNKS)
    public List<ChunkId> chunkHasherHashAllTwoThreads() throws IOException {
        List<ChunkHasher.ChunkSource> sources = new ArrayList<>(PARALLEL_CHUNKS);
        for (byte[] chunk : chunks) {
            sources.add(() -> ChunkHasher.hash(chunk));
        }
        return ChunkHasher.hashAll(sources, twoThreads);
    }
}
