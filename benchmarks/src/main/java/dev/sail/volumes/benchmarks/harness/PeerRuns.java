package dev.sail.volumes.benchmarks.harness;

import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one measurement against each peer in a fresh bucket, turning every failure (not installed,
 * cannot mount, crashed) into missing figures with a note. Stateless.
 */
final class PeerRuns {
    private static final Logger LOG = LoggerFactory.getLogger(PeerRuns.class);

    private PeerRuns() {
    }

    /** Fills a new bucket before it is mounted. */
    @FunctionalInterface
    interface Setup {
        void fill(String bucket) throws Exception;
    }

    /** Measures through a peer's mount; answers figures by metric. */
    @FunctionalInterface
    interface Measurement {
        Map<String, Figure> measure(Peer peer, String bucket, FuseProcess mount) throws Exception;
    }

    /** The figures of every peer, metric → peer → figure; every metric of {@code metrics} is present for every peer. */
    static Map<String, Map<String, Figure>> run(Testbed bed, String workload, String[] metrics, Setup setup,
                                                 Measurement measurement) {
        Map<String, Map<String, Figure>> byMetric = new LinkedHashMap<>();
        for (String metric : metrics) {
            byMetric.put(metric, new LinkedHashMap<>());
        }
        for (Peer peer : bed.peers()) {
            String failure = bed.peerProblem(peer).orElse(null);
            Map<String, Figure> figures = Map.of();
            if (failure == null) {
                LOG.info("{}: {}", workload, peer.name());
                String bucket = bed.newBucket(peer.name() + "-" + workload);
                try {
                    setup.fill(bucket);
                    try (FuseProcess mount = bed.mountPeer(peer, bucket)) {
                        figures = measurement.measure(peer, bucket, mount);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new HarnessException("Interrupted while measuring " + peer.name(), e);
                } catch (Exception | LinkageError e) {
                    LOG.warn("{} on {} failed: {}", workload, peer.name(), e.toString(), e);
                    failure = peer.name() + " failed: " + Figure.oneLine(e);
                } finally {
                    bed.s3().deleteBucket(bucket);
                }
            }
            for (String metric : metrics) {
                byMetric.get(metric).put(peer.name(), failure != null ? Figure.missing(failure)
                        : figures.getOrDefault(metric, Figure.missing("not measured")));
            }
        }
        return byMetric;
    }

    /** The better of the peers' figures (the baseline of the workloads that compare against peers only). */
    static Figure better(Map<String, Figure> peers, Result.Direction direction) {
        java.util.Comparator<Map.Entry<String, Figure>> order = Map.Entry.comparingByValue(
                (a, b) -> Double.compare(a.value(), b.value()));
        var present = peers.entrySet().stream().filter(e -> e.getValue().present());
        var best = direction == Result.Direction.HIGHER_IS_BETTER ? present.max(order) : present.min(order);
        return best.map(e -> Figure.of(e.getValue().value(), "the better peer (" + e.getKey() + ")"))
                .orElse(Figure.missing("no peer was measured"));
    }
}
