package dev.sail.volumes.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/** Every valid value survives encode, bytes, parse, decode; and equal values encode to equal bytes. */
class WireCodecPropertyTest {

    @Provide
    Arbitrary<Entry> entries() {
        return ManifestArbitraries.entries();
    }

    @Provide
    Arbitrary<Change> changes() {
        return Combinators.combine(ManifestArbitraries.paths(), ManifestArbitraries.entries()).as(Change::new);
    }

    @Provide
    Arbitrary<CommitProposal> proposals() {
        return ManifestArbitraries.proposals();
    }

    @Property(tries = 300)
    void entriesRoundTrip(@ForAll("entries") Entry entry) {
        byte[] bytes = WireCodec.bytes(WireCodec.entryNode(entry));
        Entry decoded = WireCodec.entry(WireCodec.parse(bytes));
        assertThat(decoded).isEqualTo(entry);
        assertThat(WireCodec.bytes(WireCodec.entryNode(decoded))).isEqualTo(bytes);
    }

    @Property(tries = 300)
    void changesAndVersionsRoundTrip(@ForAll("changes") Change change, @ForAll @LongRange(min = 0) long seq) {
        byte[] bytes = WireCodec.bytes(WireCodec.changeNode(change));
        assertThat(WireCodec.change(WireCodec.parse(bytes))).isEqualTo(change);
        Versioned version = new Versioned(change.path(), change.entry(), seq);
        assertThat(WireCodec.versioned(WireCodec.parse(WireCodec.bytes(WireCodec.versionedNode(version)))))
                .isEqualTo(version);
    }

    @Property(tries = 200)
    void proposalsRoundTrip(@ForAll("proposals") CommitProposal proposal) {
        byte[] bytes = WireCodec.bytes(WireCodec.proposalNode(proposal));
        CommitProposal decoded = WireCodec.proposal(WireCodec.parse(bytes));
        assertThat(decoded).isEqualTo(proposal);
        assertThat(WireCodec.bytes(WireCodec.proposalNode(decoded))).isEqualTo(bytes);
    }
}
