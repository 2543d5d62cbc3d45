package dev.sail.volumes.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The path order is a byte order a store can use, and it keeps every subtree contiguous. */
class VolumePathPropertyTest {

    @Provide
    Arbitrary<VolumePath> paths() {
        return ManifestArbitraries.paths();
    }

    @Provide
    Arbitrary<Set<VolumePath>> pathSets() {
        return ManifestArbitraries.paths().set().ofMaxSize(30);
    }

    /** The UTF-8 bytes with '/' as 0x00 (NUL never occurs in a path), compared unsigned. */
    private static int byteOrder(VolumePath a, VolumePath b) {
        return Arrays.compareUnsigned(key(a), key(b));
    }

    private static byte[] key(VolumePath path) {
        byte[] bytes = path.value().getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '/') {
                bytes[i] = 0;
            }
        }
        return bytes;
    }

    @Property(tries = 500)
    void orderEqualsUtf8ByteOrderWithSlashLowest(@ForAll("paths") VolumePath a, @ForAll("paths") VolumePath b) {
        assertThat(Integer.signum(a.compareTo(b))).isEqualTo(Integer.signum(byteOrder(a, b)));
        assertThat(a.compareTo(b) == 0).isEqualTo(a.equals(b));
    }

    @Property(tries = 300)
    void everySubtreeIsContiguousRightAfterItsRoot(@ForAll("pathSets") Set<VolumePath> set) {
        List<VolumePath> sorted = new ArrayList<>(set);
        sorted.sort(null);
        for (int i = 0; i < sorted.size(); i++) {
            VolumePath root = sorted.get(i);
            int j = i + 1;
            while (j < sorted.size() && root.isAncestorOf(sorted.get(j))) {
                j++;
            }
            for (int k = j; k < sorted.size(); k++) {
                assertThat(root.isAncestorOf(sorted.get(k))).as("%s after the subtree of %s", sorted.get(k), root).isFalse();
            }
        }
    }

    @Property(tries = 300)
    void utf8RoundTripAndAncestry(@ForAll("paths") VolumePath path) {
        assertThat(VolumePath.ofUtf8(path.value().getBytes(StandardCharsets.UTF_8))).isEqualTo(path);
        assertThat(VolumePath.ofMountPath(path.mountPath())).isEqualTo(path);
        List<VolumePath> ancestors = path.ancestors();
        for (VolumePath ancestor : ancestors) {
            assertThat(ancestor.isAncestorOf(path)).isTrue();
            assertThat(ancestor).isLessThan(path);
        }
        VolumePath parent = path.loadParent();
        assertThat(parent.child(path.name())).isEqualTo(path);
        assertThat(ancestors).hasSize(path.value().split("/").length - 1);
    }
}
