package dev.sail.volumes.benchmarks.harness;

import java.util.List;

/**
 * One group of measurements that shares its setup (volumes, buckets, mounts), producing one or more
 * rows of results.json. A workload cleans up what it made, even when it fails.
 */
interface Workload {
    /** What the progress log calls it. */
    String name();

    /** The rows it produces when everything fails (same names and units as a successful run). */
    List<String[]> rows();

    List<Result> run(Testbed bed) throws Exception;
}
