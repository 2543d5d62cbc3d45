package dev.sail.volumes.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/sail-volume quickstart}, the README's first command, as a user runs it: it tells the whole
 * story with real output, exits 0, and leaves no mount and no process behind.
 */
class QuickstartIT {
    @TempDir
    Path temp;

    @Test
    void quickstartWalksTheStoryAndLeavesNothingBehind() throws Exception {
        Set<Long> before = ProcessHandle.allProcesses().map(ProcessHandle::pid).collect(Collectors.toSet());

        Launcher.Result result = Launcher.run(temp.resolve("out"), Map.of("TMPDIR", temp.toString()), Duration.ofMinutes(5),
                List.of(Launcher.sailVolume().toString(), "quickstart"));

        String out = result.out();
        assertThat(result.exit()).as(result.transcript()).isZero();
        assertThat(out).as(result.transcript())
                .contains("hello from A")
                .contains("[sailbox B]$ ls -A $B\n# B does not have it")
                .containsPattern("Committed 1 change\\(s\\) as seq 1: 1 chunk\\(s\\) uploaded \\(13 B\\), 0 reused")
                .contains("[sailbox B]$ cat $B/hello.txt\n  hello from A")
                .contains("A wrote this").contains("B wrote this")
                .contains("Overwrote newer changes from other mounts (the previous versions stay in history):\n    notes.txt")
                .contains("[sailbox A]$ cat $A/notes.txt\n  B version")
                .containsPattern("Discarded 1 uncommitted path\\(s\\), kept in stash \\S+ \\(sail-volume stash restore ")
                .containsPattern("The draft's bytes are in A's state dir: .*/sailbox-a/state/stash/\\S+/")
                .contains("[sailbox A]$ cat $A/scratch.txt\n  a draft never committed");
        assertThat(outputOf(out, "[sailbox A]$ ls $A")).as("both merged files in A").contains("from-a.txt").contains("from-b.txt");

        assertThat(Mounts.fuseMountPoints()).as("no mount of the quickstart (its work dir is under %s) left behind", temp)
                .noneMatch(m -> m.startsWith(temp.toString()));
        List<String> leftovers = ProcessHandle.allProcesses().filter(p -> !before.contains(p.pid()))
                .filter(p -> p.info().commandLine().orElse("").contains("sail-quickstart"))
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("")).toList();
        assertThat(leftovers).as("no process left behind").isEmpty();
        try (var files = Files.list(temp)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("its temporary dir is gone")
                    .noneMatch(n -> n.startsWith("sail-quickstart"));
        }
    }

    /** The output lines of the command echoed as {@code command} (up to the next command or comment). */
    private static String outputOf(String text, String command) {
        List<String> lines = text.lines().toList();
        StringBuilder output = new StringBuilder();
        for (int i = lines.indexOf(command) + 1; i > 0 && i < lines.size() && lines.get(i).startsWith("  "); i++) {
            output.append(lines.get(i)).append('\n');
        }
        return output.toString();
    }
}
