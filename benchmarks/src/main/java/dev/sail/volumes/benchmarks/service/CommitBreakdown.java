package dev.sail.volumes.benchmarks.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.Merge;
import dev.sail.volumes.manifest.MergeResult;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.WireCodec;
import dev.sail.volumes.service.store.CommitRecord;
import dev.sail.volumes.service.store.CommitWrite;
import dev.sail.volumes.service.store.ManifestStore;
import dev.sail.volumes.service.store.Org;
import dev.sail.volumes.service.store.VolumeRecord;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Where the time of one big commit goes: the steps {@code VolumeOperations.commit} and the HTTP layer
 * take, replayed one by one on the real store and timed separately. It writes a real commit (the next
 * sequence, a fresh commit id), exactly what the service would. The caller makes sure nothing else
 * commits to the volume meanwhile (the service's volume lock is not taken).
 */
final class CommitBreakdown {
    /** Seconds per step. {@code validate} is part of {@code decode}, shown apart. */
    record Phases(int paths, int writes, double encode, double parse, double decode, double validate, double requestHash,
                  double chunkCheck, double merge, double write) {
        /** The service's share: everything but the client's encoding (and {@code validate}, already in {@code decode}). */
        double serviceTotal() {
            return parse + decode + requestHash + chunkCheck + merge + write;
        }
    }

    private CommitBreakdown() {
    }

    static Phases measure(ManifestStore store, Org org, VolumeName name, CommitProposal proposal) {
        long t0 = System.nanoTime();
        byte[] body = WireCodec.bytes(WireCodec.proposalNode(proposal));
        long t1 = System.nanoTime();
        JsonNode tree = WireCodec.parse(body);
        long t2 = System.nanoTime();
        CommitProposal decoded = WireCodec.proposal(tree);
        long t3 = System.nanoTime();
        new CommitProposal(decoded.baseSeq(), decoded.idempotencyKey(), decoded.mountId(), decoded.changes());
        long t4 = System.nanoTime();
        String requestHash = sha256Hex(body);
        long t5 = System.nanoTime();
        VolumeRecord volume = store.findVolume(org.id(), name).orElseThrow(() ->
                new ServiceBenchmarkException("Volume '" + name + "' does not exist"));
        Set<ChunkId> referenced = new HashSet<>();
        for (Change change : decoded.changes()) {
            if (change.entry() instanceof Entry.File file) {
                referenced.addAll(file.checkLayout(volume.layout()).chunks());
            }
        }
        for (ChunkId id : referenced) {
            if (store.findChunk(org.id(), id).isEmpty()) {
                throw new ServiceBenchmarkException("Chunk " + id.abbreviated() + " is not in the org's registry");
            }
        }
        long t6 = System.nanoTime();
        MergeResult merged;
        try (ManifestStore.HeadView head = store.head(volume)) {
            merged = Merge.apply(head, decoded);
        }
        long t7 = System.nanoTime();
        long seq = volume.headSeq() + 1;
        String commitId = "cbench" + HexFormat.of().toHexDigits(System.nanoTime());
        CommitRecord record = new CommitRecord(commitId, seq, Instant.now(), decoded.mountId(), merged.writes().size(), merged.overwritten());
        store.commit(new CommitWrite(volume.withHead(seq, commitId), record, merged.writes(), referenced, List.of(),
                decoded.idempotencyKey(), requestHash));
        long t8 = System.nanoTime();
        return new Phases(decoded.changes().size(), merged.writes().size(), seconds(t0, t1), seconds(t1, t2), seconds(t2, t3),
                seconds(t3, t4), seconds(t4, t5), seconds(t5, t6), seconds(t6, t7), seconds(t7, t8));
    }

    private static double seconds(long from, long to) {
        return (to - from) / 1e9;
    }

    private static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JDK has SHA-256", e);
        }
    }
}
