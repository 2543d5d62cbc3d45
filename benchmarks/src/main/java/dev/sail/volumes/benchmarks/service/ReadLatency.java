package dev.sail.volumes.benchmarks.service;

import java.util.List;
import java.util.Random;

/**
 * Latency of the three reads a mount makes, on one {@link PathVolume}: stat of a random file, the first
 * page of 100 children of a random directory, and the delta of one random probe commit. Each read is
 * checked (the file exists, the page is full, the delta holds the probe's paths), so a fast wrong
 * answer cannot pass for a fast read.
 */
final class ReadLatency {
    /** The three reads' latencies on one volume through one driver. */
    record Result(String driver, PathVolume volume, LatencySamples stat, LatencySamples list, LatencySamples delta) {
    }

    private ReadLatency() {
    }

    /** {@code warmup} unrecorded reads of each kind, then {@code samples} recorded ones, at the volume's head. */
    static Result measure(ServiceDriver driver, PathVolume volume, int warmup, int samples, Random random) {
        long head = driver.head(volume.name);
        List<Long> probes = volume.probeSeqs();
        LatencySamples stat = new LatencySamples();
        LatencySamples list = new LatencySamples();
        LatencySamples delta = new LatencySamples();
        for (int i = 0; i < warmup + samples; i++) {
            boolean recorded = i >= warmup;
            int d = random.nextInt(volume.dirs);
            int f = random.nextInt(PathVolume.FILES_PER_DIR);
            long start = System.nanoTime();
            boolean exists = driver.stat(volume.name, PathVolume.file(d, f), head);
            long statted = System.nanoTime();
            check(exists, "stat of " + PathVolume.file(d, f) + " in " + volume.name + " found nothing");
            d = random.nextInt(volume.dirs);
            long listStart = System.nanoTime();
            int children = driver.list(volume.name, PathVolume.dir(d), head, PathVolume.FILES_PER_DIR);
            long listed = System.nanoTime();
            check(children == PathVolume.FILES_PER_DIR, "listing " + PathVolume.dir(d) + " in " + volume.name + " gave "
                    + children + " children, expected " + PathVolume.FILES_PER_DIR);
            long seq = probes.get(random.nextInt(probes.size()));
            long deltaStart = System.nanoTime();
            int changed = driver.delta(volume.name, seq - 1, seq, 1000);
            long deltaDone = System.nanoTime();
            check(changed == volume.probeSize(), "the delta of commit " + seq + " in " + volume.name + " holds " + changed
                    + " paths, expected " + volume.probeSize());
            if (recorded) {
                stat.add(statted - start);
                list.add(listed - listStart);
                delta.add(deltaDone - deltaStart);
            }
        }
        return new Result(driver.name(), volume, stat, list, delta);
    }

    private static void check(boolean condition, String failure) {
        if (!condition) {
            throw new ServiceBenchmarkException("Wrong answer: " + failure);
        }
    }
}
