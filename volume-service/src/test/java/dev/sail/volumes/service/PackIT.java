package dev.sail.volumes.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sail.volumes.chunking.ChunkId;
import dev.sail.volumes.chunking.PackId;
import dev.sail.volumes.client.ChunkSpec;
import dev.sail.volumes.client.HttpVolumeService;
import dev.sail.volumes.client.PackSpec;
import dev.sail.volumes.client.PackUpload;
import dev.sail.volumes.client.PresignedUrl;
import dev.sail.volumes.client.UploadPlan;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.manifest.Change;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.Entry;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small chunks uploaded in packs, end to end against the real service and its S3 (SigV4 and checksums
 * enforced): the plan says which chunks to pack, storage refuses a pack whose bytes are not its name,
 * a checked pack's chunks are held and commit, and each is read back through a URL that reads its
 * slice of the pack and nothing else.
 */
class PackIT {
    @TempDir
    static Path data;
    static RunningService service;

    @BeforeAll
    static void start() {
        service = new RunningService(data);
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** A pack of {@code chunks}: their bytes back to back, named by their hash. */
    private record Built(PackSpec spec, byte[] bytes) {
    }

    private static Built pack(List<byte[]> chunks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<ChunkSpec> specs = new ArrayList<>();
        for (byte[] chunk : chunks) {
            out.writeBytes(chunk);
            specs.add(new ChunkSpec(RunningService.idOf(chunk), chunk.length));
        }
        byte[] bytes = out.toByteArray();
        return new Built(new PackSpec(PackId.of(bytes), bytes.length, specs), bytes);
    }

    @Test
    void smallChunksGoInAPackThatCommitsAndReadsBackSliceBySlice() {
        HttpVolumeService client = service.client();
        VolumeName name = VolumeName.of("packed");
        client.createVolumeIfMissing(name);
        byte[] a = bytes("the first small file");
        byte[] b = bytes("a second one, a little longer");
        byte[] big = new byte[(int) VolumeOperations.PACKABLE_CHUNK + 1];
        Arrays.fill(big, (byte) 7);
        List<ChunkSpec> specs = List.of(new ChunkSpec(RunningService.idOf(a), a.length), new ChunkSpec(RunningService.idOf(b), b.length),
                new ChunkSpec(RunningService.idOf(big), big.length));

        UploadPlan plan = client.planPackedUploads(name, specs);
        assertThat(plan.packable()).containsExactlyInAnyOrder(RunningService.idOf(a), RunningService.idOf(b));
        assertThat(plan.uploads()).extracting(PresignedUrl::id).as("past the limit a chunk goes alone")
                .containsExactly(RunningService.idOf(big));
        assertThat(client.planUploads(name, specs).packable()).as("a client that does not pack gets every URL").isEmpty();

        Built built = pack(List.of(a, b));
        List<PackUpload> uploads = client.packUploads(name, List.of(built.spec()));
        PresignedUrl url = uploads.getFirst().upload().orElseThrow();
        byte[] tampered = built.bytes().clone();
        tampered[3] ^= 1;
        assertThat(service.put(url, tampered)).as("storage refuses bytes that are not the pack's name").isEqualTo(400);
        assertThat(client.verifyUploads(name, List.of(), List.of(built.spec()))).as("nothing stored, nothing held").isEmpty();
        assertThat(service.put(url, built.bytes())).isEqualTo(200);

        assertThat(client.verifyUploads(name, List.of(), List.of(built.spec())))
                .containsExactlyInAnyOrder(RunningService.idOf(a), RunningService.idOf(b));
        assertThat(client.planPackedUploads(name, specs.subList(0, 2)).present()).as("held now, as any chunk")
                .containsExactlyInAnyOrder(RunningService.idOf(a), RunningService.idOf(b));
        assertThat(client.packUploads(name, List.of(built.spec())).getFirst().upload()).as("nothing left to upload").isEmpty();

        List<Change> changes = List.of(
                new Change(VolumePath.of("a"), new Entry.File(a.length, 0644, 0, List.of(RunningService.idOf(a)))),
                new Change(VolumePath.of("b"), new Entry.File(b.length, 0644, 0, List.of(RunningService.idOf(b)))));
        assertThat(client.commit(name, new CommitProposal(0, "p", "m", changes)).seq()).isEqualTo(1);

        List<PresignedUrl> downloads = client.downloadUrls(name, List.of(RunningService.idOf(a), RunningService.idOf(b)));
        for (PresignedUrl download : downloads) {
            byte[] expected = download.id().equals(RunningService.idOf(a)) ? a : b;
            RunningService.Got got = service.get(download, Map.of());
            assertThat(got.status()).isEqualTo(206);
            assertThat(got.body()).isEqualTo(expected);
        }
        PresignedUrl first = downloads.stream().filter(d -> d.id().equals(RunningService.idOf(a))).findFirst().orElseThrow();
        assertThat(service.get(first, Map.of("range", "bytes=0-" + (built.bytes().length - 1))).status())
                .as("the range is signed: another one is refused").isEqualTo(403);
    }

    @Test
    void anotherOrgCannotCheckAPackItNeverAnnouncedAndBadPacksAreRefused() {
        HttpVolumeService client = service.client();
        VolumeName name = VolumeName.of("refusals");
        client.createVolumeIfMissing(name);
        Built built = pack(List.of(bytes("one"), bytes("two")));
        PresignedUrl url = client.packUploads(name, List.of(built.spec())).getFirst().upload().orElseThrow();
        assertThat(service.put(url, built.bytes())).isEqualTo(200);

        RunningService.Response created = service.call("POST", "/v1/admin/orgs", service.server.adminKey(), "{\"name\":\"pack-prober\"}");
        HttpVolumeService other = service.client(created.body().path("apiKey").asText());
        other.createVolumeIfMissing(VolumeName.of("probe"));
        assertThatThrownBy(() -> other.verifyUploads(VolumeName.of("probe"), List.of(), List.of(built.spec())))
                .isInstanceOfSatisfying(VolumeServiceException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.code()).isEqualTo("unknown_pack");
                });

        String hex = built.spec().id().toString();
        String chunkA = built.spec().chunks().get(0).id().toString();
        String chunkB = built.spec().chunks().get(1).id().toString();
        String path = "/v1/volumes/refusals/packs";
        assertRefused(path, "{\"packs\":[{\"id\":\"" + hex + "\",\"size\":7,\"chunks\":[{\"id\":\"" + chunkA + "\",\"size\":3},{\"id\":\""
                + chunkB + "\",\"size\":3}]}]}", "invalid_pack", "its chunks hold 6 bytes, the pack 7");
        assertRefused(path, "{\"packs\":[{\"id\":\"" + hex + "\",\"size\":6,\"chunks\":[{\"id\":\"" + chunkA + "\",\"size\":3},{\"id\":\""
                + chunkA + "\",\"size\":3}]}]}", "invalid_chunk", "is listed twice");
        assertRefused(path, "{\"packs\":[{\"id\":\"nope\",\"size\":6,\"chunks\":[{\"id\":\"" + chunkA + "\",\"size\":6}]}]}",
                "invalid_pack", "64 lower-case hex characters");
        assertRefused(path, "{\"packs\":[{\"id\":\"" + hex + "\",\"size\":2000000,\"chunks\":[{\"id\":\"" + chunkA
                + "\",\"size\":2000000}]}]}", "invalid_pack", "packed chunks have 1 to 1048576");
        assertRefused(path, "{\"packs\":[{\"id\":\"" + hex + "\",\"size\":6,\"chunks\":[]}]}", "invalid_pack", "a pack holds 1 to");
        assertRefused("/v1/volumes/refusals/uploads", "{\"chunks\":[],\"packing\":\"yes\"}", "invalid_json", "'packing' must be true or false");
    }

    private static void assertRefused(String path, String body, String code, String message) {
        RunningService.Response response = service.call("POST", path, service.key(), body);
        assertThat(response.status()).as(body).isEqualTo(400);
        assertThat(response.code()).as(body).isEqualTo(code);
        assertThat(response.message()).as(body).contains(message);
    }
}
