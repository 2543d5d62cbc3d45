package dev.sail.volumes.reliability;

import dev.sail.volumes.chunking.ChunkHasher;
import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.ChunkLayout;
import dev.sail.volumes.chunking.ChunkRange;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.ChunkTransfer;
import dev.sail.volumes.client.CommitResult;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.UploadPlan;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The guest's commit path through the real client, without a mount: split files into chunks by the
 * volume's layout, ask the service for an upload plan, upload through {@link ChunkTransfer}, commit.
 * Also reads a file back through presigned GETs. Stateless; thread-safe as its collaborators are.
 */
final class ClientCommits {
    /** Small chunks make small tests: 4 KiB below 1 MiB of offset. */
    static final ChunkLayout SMALL = new ChunkLayout(4096, 1 << 20, 65536);

    private final VolumeService service;
    private final ChunkTransfer transfer;
    private final ChunkLayout layout;

    ClientCommits(VolumeService service, ChunkTransfer transfer, ChunkLayout layout) {
        this.service = service;
        this.transfer = transfer;
        this.layout = layout;
    }

    /** A file's chunks: the entry to commit and the bytes of each chunk by id. */
    record Chunked(Entry.File entry, Map<ChunkId, byte[]> chunks) {
    }

    Chunked chunk(byte[] content) {
        List<ChunkId> ids = new ArrayList<>();
        Map<ChunkId, byte[]> chunks = new LinkedHashMap<>();
        for (ChunkRange range : layout.ranges(content.length)) {
            byte[] bytes = Arrays.copyOfRange(content, (int) range.offset(), (int) range.end());
            ChunkId id = ChunkHasher.hash(bytes);
            ids.add(id);
            chunks.put(id, bytes);
        }
        return new Chunked(new Entry.File(content.length, 0644, 0, ids), chunks);
    }

    /** Plans and uploads every chunk of {@code files}; answers the plan (what was offered for upload). */
    UploadPlan upload(VolumeName volume, Map<VolumePath, byte[]> files) throws IOException {
        Map<ChunkId, byte[]> chunks = new LinkedHashMap<>();
        for (byte[] content : files.values()) {
            chunks.putAll(chunk(content).chunks());
        }
        List<ChunkSpec> specs = chunks.entrySet().stream().map(e -> new ChunkSpec(e.getKey(), e.getValue().length)).toList();
        UploadPlan plan = service.planUploads(volume, specs);
        List<ChunkTransfer.Upload> uploads = new ArrayList<>();
        for (PresignedUrl url : plan.uploads()) {
            byte[] bytes = chunks.get(url.id());
            uploads.add(new ChunkTransfer.Upload(url, bytes.length, () -> ByteBuffer.wrap(bytes)));
        }
        transfer.uploadAll(uploads, (id, n) -> { });
        return plan;
    }

    /** The full commit path: plan, upload, commit {@code files} on {@code baseSeq} under {@code key}. */
    CommitResult commit(VolumeName volume, long baseSeq, String key, Map<VolumePath, byte[]> files) throws IOException {
        upload(volume, files);
        return service.commit(volume, proposal(baseSeq, key, files));
    }

    CommitProposal proposal(long baseSeq, String key, Map<VolumePath, byte[]> files) {
        List<Change> changes = new ArrayList<>();
        files.forEach((path, content) -> changes.add(new Change(path, chunk(content).entry())));
        return new CommitProposal(baseSeq, key, "reliability", changes);
    }

    /** Reads a file at {@code seq} through presigned GETs (verified by the transfer); throws when it is absent. */
    byte[] read(VolumeName volume, VolumePath path, long seq) throws IOException {
        Entry.File file = (Entry.File) service.stat(volume, path, seq).orElseThrow(
                () -> new IOException("Path '" + path + "' does not exist at " + seq)).entry();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (file.chunks().isEmpty()) {
            return out.toByteArray();
        }
        Map<ChunkId, byte[]> fetched = new LinkedHashMap<>();
        for (PresignedUrl url : service.downloadUrls(volume, List.copyOf(new LinkedHashSet<>(file.chunks())))) {
            ByteBuffer bytes = transfer.download(url);
            byte[] array = new byte[bytes.remaining()];
            bytes.get(array);
            fetched.put(url.id(), array);
        }
        for (ChunkId id : file.chunks()) {
            out.write(fetched.get(id));
        }
        return out.toByteArray();
    }
}
