package dev.sail.volumes.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sail.volumes.client.VolumeService;
import dev.sail.volumes.manifest.CommitProposal;
import dev.sail.volumes.manifest.ManifestException;
import dev.sail.volumes.manifest.VolumeName;
import dev.sail.volumes.manifest.VolumePath;
import dev.sail.volumes.manifest.WireCodec;
import dev.sail.volumes.testkit.ServiceFixture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Fuzzing the API's request parsing and the manifest codec with random mutations of valid commit bodies:
 * byte edits (delete, insert, replace, duplicate, truncate) and structural edits (a field removed, added,
 * or its value swapped for a value of another type or an extreme one). What holds: the service answers
 * every mutant with success or a 4xx JSON error naming a code, never a 5xx; the codec either decodes a
 * mutant or throws {@link ManifestException}, never another exception, and what it decodes re-encodes to
 * the same proposal.
 */
class FuzzIT {
    private static final String PATH = "/v1/volumes/fuzz/commits";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final JsonNode[] ODD_VALUES = {
        NODES.nullNode(), NODES.numberNode(-1), NODES.numberNode(Long.MAX_VALUE), NODES.numberNode(1e308),
        NODES.numberNode(0.5), NODES.textNode(""), NODES.textNode("x".repeat(5000)), NODES.textNode("../../etc"),
        NODES.textNode("a\u0000b"), NODES.textNode("\uD800"), NODES.booleanNode(true), NODES.arrayNode(), NODES.objectNode(),
        NODES.textNode("/abs"), NODES.numberNode(Integer.MIN_VALUE), NODES.textNode("z".repeat(64)),
    };

    static ServiceFixture service;
    static RawApi raw;
    static String validBody;

    @BeforeContainer
    static void start() throws IOException {
        service = ServiceFixture.builder().chunkLayout(ClientCommits.SMALL).maxBodyBytes(256 * 1024).start();
        raw = new RawApi(service.baseUrl());
        VolumeService client = service.client();
        VolumeName volume = VolumeName.of("fuzz");
        client.createVolumeIfMissing(volume);
        try (var transfer = service.transfer()) {
            ClientCommits commits = new ClientCommits(client, transfer, ClientCommits.SMALL);
            byte[] content = new byte[6000];
            new Random(1).nextBytes(content);
            // The file's chunks are stored, so a mutant that keeps them valid can succeed.
            commits.upload(volume, Map.of(VolumePath.of("f"), content));
            CommitProposal proposal = commits.proposal(0, "seed", Map.of(VolumePath.of("dir/f"), content));
            ObjectNode body = WireCodec.proposalNode(proposal);
            ArrayNode changes = (ArrayNode) body.get("changes");
            changes.add(WireCodec.mapper().readTree("{\"path\":\"dir/link\",\"type\":\"symlink\",\"target\":\"f\",\"mtimeNanos\":1}"));
            changes.add(WireCodec.mapper().readTree("{\"path\":\"sub\",\"type\":\"dir\",\"mode\":493,\"mtimeNanos\":2}"));
            changes.add(WireCodec.mapper().readTree("{\"path\":\"gone\",\"type\":\"deleted\"}"));
            validBody = new String(WireCodec.bytes(body), StandardCharsets.UTF_8);
        }
        RawApi.Response seed = raw.call("POST", PATH, service.apiKey(), validBody);
        assertThat(seed.status()).as("the unmutated body commits: %s", seed.text()).isEqualTo(200);
    }

    @AfterContainer
    static void stop() {
        raw.close();
        service.close();
    }

    /** One byte-level edit: what, where (a fraction of the length), and a character to use. */
    record ByteEdit(int kind, double at, char c) {
    }

    @Provide
    Arbitrary<List<ByteEdit>> byteEdits() {
        Arbitrary<Character> chars = Arbitraries.oneOf(Arbitraries.of('{', '}', '[', ']', '"', ',', ':', '\\', '0', '-', 'e', ' ', '/', '.'),
                Arbitraries.chars());
        return Combinators.combine(Arbitraries.integers().between(0, 4), Arbitraries.doubles().between(0, 1), chars)
                .as(ByteEdit::new).list().ofMinSize(1).ofMaxSize(4);
    }

    /** One structural edit: which node (an index into a walk of the tree), and what to do to it. */
    record TreeEdit(int node, int kind, int value) {
    }

    @Provide
    Arbitrary<List<TreeEdit>> treeEdits() {
        return Combinators.combine(Arbitraries.integers().between(0, 200), Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, ODD_VALUES.length - 1)).as(TreeEdit::new).list().ofMinSize(1).ofMaxSize(3);
    }

    @Property(tries = 150)
    void theServiceAnswersByteMutantsWithSuccessOrA4xxJsonError(@ForAll("byteEdits") List<ByteEdit> edits) {
        assertAnsweredCleanly(mutateBytes(edits));
    }

    @Property(tries = 150)
    void theServiceAnswersStructuralMutantsWithSuccessOrA4xxJsonError(@ForAll("treeEdits") List<TreeEdit> edits) throws IOException {
        assertAnsweredCleanly(mutateTree(edits));
    }

    @Property(tries = 600)
    void theCodecDecodesAMutantOrRefusesItWithAManifestException(@ForAll("byteEdits") List<ByteEdit> bytes,
                                                                  @ForAll("treeEdits") List<TreeEdit> tree) throws IOException {
        for (String mutant : List.of(mutateBytes(bytes), mutateTree(tree))) {
            CommitProposal decoded;
            try {
                decoded = WireCodec.proposal(WireCodec.parse(mutant.getBytes(StandardCharsets.UTF_8)));
            } catch (ManifestException e) {
                assertThat(e.getMessage()).as("a refusal names the problem").isNotBlank();
                continue;
            }
            CommitProposal again = WireCodec.proposal(WireCodec.parse(WireCodec.bytes(WireCodec.proposalNode(decoded))));
            assertThat(again).as("what decodes re-encodes to itself").isEqualTo(decoded);
        }
    }

    private static void assertAnsweredCleanly(String body) {
        RawApi.Response response = raw.call("POST", PATH, service.apiKey(), body);
        if (response.status() >= 200 && response.status() < 300) {
            assertThat(response.json().path("seq").asLong()).as("a success names its commit").isPositive();
            return;
        }
        assertThat(response.status()).as("status for %s: %s", body.length() > 300 ? body.substring(0, 300) : body, response.text())
                .isBetween(400, 499);
        assertThat(response.isErrorJson()).as("an error body with a code and message: %s", response.text()).isTrue();
    }

    private static String mutateBytes(List<ByteEdit> edits) {
        StringBuilder text = new StringBuilder(validBody);
        for (ByteEdit edit : edits) {
            int at = (int) Math.min(text.length() - 1, Math.max(0, edit.at() * text.length()));
            switch (edit.kind()) {
                case 0 -> text.deleteCharAt(at);
                case 1 -> text.insert(at, edit.c());
                case 2 -> text.setCharAt(at, edit.c());
                case 3 -> text.insert(at, text.substring(at, Math.min(text.length(), at + 20)));
                default -> text.setLength(Math.max(1, at));
            }
            if (text.isEmpty()) {
                text.append(' ');
            }
        }
        return text.toString();
    }

    private static String mutateTree(List<TreeEdit> edits) throws IOException {
        JsonNode root = WireCodec.mapper().readTree(validBody);
        for (TreeEdit edit : edits) {
            List<JsonNode> containers = new ArrayList<>();
            collect(root, containers);
            JsonNode container = containers.get(edit.node() % containers.size());
            // A copy: an odd container put in the tree may be edited later, and the next edit may put it into itself.
            JsonNode odd = ODD_VALUES[edit.value()].deepCopy();
            if (container instanceof ObjectNode object) {
                List<String> names = new ArrayList<>();
                object.fieldNames().forEachRemaining(names::add);
                String name = names.isEmpty() ? "x" : names.get(edit.value() % names.size());
                switch (edit.kind()) {
                    case 0 -> object.remove(name);
                    case 1 -> object.set("extra" + edit.value(), odd);
                    default -> object.set(name, odd);
                }
            } else if (container instanceof ArrayNode array) {
                int index = array.isEmpty() ? 0 : edit.value() % array.size();
                switch (edit.kind()) {
                    case 0 -> {
                        if (!array.isEmpty()) {
                            array.remove(index);
                        }
                    }
                    case 1 -> array.add(odd);
                    case 2 -> array.add(array.isEmpty() ? odd : array.get(index).deepCopy());
                    default -> {
                        if (!array.isEmpty()) {
                            array.set(index, odd);
                        }
                    }
                }
            }
        }
        return new String(WireCodec.bytes(root), StandardCharsets.UTF_8);
    }

    private static void collect(JsonNode node, List<JsonNode> containers) {
        if (node.isContainerNode()) {
            containers.add(node);
            for (Iterator<JsonNode> children = node.elements(); children.hasNext(); ) {
                collect(children.next(), containers);
            }
        }
    }
}
