package dev.sail.volumes.benchmarks.service;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Latency of the three reads a mount makes: stat of a random file, the first page of 100 children of a
 * random directory, and the delta of one random probe commit. The volumes are read in turn, sample by
 * sample, so that a machine whose load changes over the run (shared, busy) weighs on every volume alike.
 * Each read is checked (the file exists, the page is full, the delta holds the probe's paths), so a fast
 * wrong answer cannot pass for a fast read.
 */
final class ReadLatency {
    /** The three reads' latencies on one volume through one driver. */
    record Result(String driver, PathVolume volume, LatencySamples stat, LatencySamples list, LatencySamples delta) {
    }

    private ReadLatency() {
    }

    /**
     * {@code warmup} unrecorded rounds, then {@code samples} recorded ones; a round reads each volume once
     * with each kind of read, at its head. Answers one result per volume, in order.
     */
    static List<Result> measure(ServiceDriver driver, List<PathVolume> volumes, int warmup, int samples, Random random) {
        List<Result> results = new ArrayList<>();
        List<Long> heads = new ArrayList<>();
        for (PathVolume volume : volumes) {
            results.add(new Result(driver.name(), volume, new LatencySamples(), new LatencySamples(), new LatencySamples()));
            heads.add(driver.head(volume.name));
        }
        for (int i = 0; i < warmup + samples; i++) {
            for (int v = 0; v < volumes.size(); v++) {
                Result result = results.get(v);
                readOnce(driver, volumes.get(v), heads.get(v), random, i >= warmup ? result : null);
            }
        }
        return results;
    }

    private static void readOnce(ServiceDriver driver, PathVolume volume, long head, Random random, Result record) {
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
        List<Long> probes = volume.probeSeqs();
        long seq = probes.get(random.nextInt(probes.size()));
        long deltaStart = System.nanoTime();
        int changed = driver.delta(volume.name, seq - 1, seq, 1000);
        long deltaDone = System.nanoTime();
        check(changed == volume.probeSize(), "the delta of commit " + seq + " in " + volume.name + " holds " + changed
                + " paths, expected " + volume.probeSize());
        if (record != null) {
            record.stat().add(statted - start);
            record.list().add(listed - listStart);
            record.delta().add(deltaDone - deltaStart);
        }
    }

    private static void check(boolean condition, String failure) {
        if (!condition) {
            throw new ServiceBenchmarkException("Wrong answer: " + failure);
        }
    }
}
