package dev.sail.volumes.fuse.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.sail.volumes.client.HttpChunkTransfer;
import dev.sail.volumes.client.HttpVolumeService;
import dev.sail.volumes.client.VolumeServiceException;
import dev.sail.volumes.client.control.CommitReport;
import dev.sail.volumes.client.control.ControlClient;
import dev.sail.volumes.client.control.ControlProtocol;
import dev.sail.volumes.client.control.MountControlException;
import dev.sail.volumes.client.control.MountStatus;
import dev.sail.volumes.client.control.ReloadReport;
import dev.sail.volumes.client.control.StashInfo;
import dev.sail.volumes.fuse.FuseEnvironment;
import dev.sail.volumes.fuse.VolumeFuseException;
import dev.sail.volumes.fuse.daemon.Daemon;
import dev.sail.volumes.manifest.ManifestException;
import dev.sail.volumes.manifest.VolumeName;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * The guest commands of {@code sail-volume}: mount, commit, reload, status, unmount, stash.
 * Errors reach the user as one line on stderr and exit code 1 (2 for usage errors); stack
 * traces go to the daemon's log only.
 */
@Command(name = "sail-volume", mixinStandardHelpOptions = true,
        subcommands = {GuestMain.Mount.class, GuestMain.Commit.class, GuestMain.Reload.class, GuestMain.Status.class,
                GuestMain.Unmount.class, GuestMain.Stash.class},
        description = "Mount a Sail volume and sync it: writes stay local until commit; reload shows the latest commit.")
public final class GuestMain implements Callable<Integer> {
    /** Commits taking longer than this show progress on stderr. */
    private static final long PROGRESS_AFTER_NANOS = 2_000_000_000L;
    private static final long MOUNT_WAIT_MS = 120_000;

    private final Map<String, String> env;
    private final PrintStream out;
    private final PrintStream err;

    GuestMain(Map<String, String> env, PrintStream out, PrintStream err) {
        this.env = env;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        // Before the first logger: nothing in this class asks for one while it initializes.
        GuestLogging.install();
        System.exit(run(System.getenv(), System.out, System.err, args));
    }

    /** Runs one command with {@code env} as its environment; answers the exit code (0 ok, 1 failed, 2 usage). */
    public static int run(Map<String, String> env, PrintStream out, PrintStream err, String... args) {
        CommandLine cli = new CommandLine(new GuestMain(env, out, err));
        cli.setOut(new java.io.PrintWriter(out, true));
        cli.setErr(new java.io.PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            err.println("sail-volume: " + userMessage(e));
            LoggerFactory.getLogger(GuestMain.class).debug("Command failed", e);
            return 1;
        });
        return cli.execute(args);
    }

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(err);
        return 2;
    }

    static String userMessage(Throwable e) {
        return switch (e) {
            case VolumeFuseException v -> v.getMessage();
            case MountControlException m -> m.getMessage();
            case ManifestException m -> m.getMessage();
            case VolumeServiceException v when v.status() == 0 -> "Cannot reach the volume service: " + v.getMessage();
            case VolumeServiceException v -> "The volume service refused (" + v.code() + "): " + v.getMessage();
            default -> e.toString();
        };
    }

    /** A size such as {@code 10G}, {@code 512M}, {@code 4096}. */
    static long parseSize(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        long unit = 1;
        if (!t.isEmpty() && Character.isLetter(t.charAt(t.length() - 1))) {
            unit = switch (t.charAt(t.length() - 1)) {
                case 'K' -> 1L << 10;
                case 'M' -> 1L << 20;
                case 'G' -> 1L << 30;
                case 'T' -> 1L << 40;
                default -> throw new VolumeFuseException("Invalid size '" + text + "': use a number with K, M, G or T");
            };
            t = t.substring(0, t.length() - 1);
        }
        try {
            return Math.multiplyExact(Long.parseLong(t), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new VolumeFuseException("Invalid size '" + text + "': use a number with K, M, G or T");
        }
    }

    /** Where a mount's state lives by default: one directory per mount point. */
    Path defaultStateDir(Path mountpoint) {
        String configured = env.get("SAIL_VOLUME_STATE_ROOT");
        Path root = configured != null && !configured.isBlank() ? Path.of(configured) : Path.of("/var/lib/sail-volume");
        if (configured == null || configured.isBlank()) {
            try {
                Files.createDirectories(root);
            } catch (IOException | SecurityException e) {
                root = Path.of(System.getProperty("user.home"), ".local", "state", "sail-volume");
            }
        }
        String normalized = mountpoint.toAbsolutePath().normalize().toString();
        String readable = normalized.replaceAll("[^A-Za-z0-9._-]", "_").replaceAll("^_+", "");
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(normalized.getBytes(StandardCharsets.UTF_8));
            return root.resolve(readable + "-" + HexFormat.of().formatHex(digest, 0, 4));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("The JDK always provides SHA-256", e);
        }
    }

    String env(String name, String what) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new VolumeFuseException(name + " is not set: export " + name + "=" + what);
        }
        return value;
    }

    Path runDir() {
        String configured = env.get("SAIL_VOLUME_RUN_DIR");
        return configured != null && !configured.isBlank() ? Path.of(configured) : ControlProtocol.defaultRunDir();
    }

    ControlClient client(Path mountpoint) {
        ControlClient client = ControlClient.forMount(mountpoint.toAbsolutePath().normalize(), runDir());
        if (!java.nio.file.Files.exists(client.socket())) {
            // Without FUSE there can be no mount: say what is missing rather than "not mounted".
            FuseEnvironment.check(FuseEnvironment.libfuse3().isEmpty() && FuseEnvironment.libfuse2().isPresent() ? "jnr" : "jfuse");
        }
        return client;
    }

    void printJson(Object value) throws JsonProcessingException {
        out.println(ControlProtocol.mapper().writeValueAsString(value));
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        double value = n;
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        int i = -1;
        while (value >= 1024 && i < units.length - 1) {
            value /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[i]);
    }

    @Command(name = "mount", mixinStandardHelpOptions = true,
            description = "Mount a volume; returns once the mount is ready, leaving its daemon in the background.")
    static final class Mount implements Callable<Integer> {
        @ParentCommand
        GuestMain main;

        @Option(names = "--volume", required = true, description = "The volume's name.")
        String volume;

        @Option(names = "--create", description = "Create the volume if it does not exist.")
        boolean create;

        @Option(names = "--state-dir", description = "Holds the cache and the uncommitted changes (default: a directory per mount point under /var/lib/sail-volume).")
        Path stateDir;

        @Option(names = "--cache-size", defaultValue = "10G", description = "The most bytes the chunk cache keeps (default: ${DEFAULT-VALUE}); uncommitted data does not count.")
        String cacheSize;

        @Option(names = "--binding", defaultValue = "jfuse", description = "FUSE binding: jfuse (libfuse3, default) or jnr (libfuse2).")
        String binding;

        @Option(names = "--foreground", description = "Stay attached: serve the mount from this process until it is unmounted.")
        boolean foreground;

        @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "An existing, absolute directory.")
        Path mountpoint;

        @Override
        public Integer call() throws Exception {
            VolumeName name = VolumeName.of(volume);
            Daemon.checkMountpoint(mountpoint);
            Path mp = mountpoint.normalize();
            Path state = (stateDir != null ? stateDir : main.defaultStateDir(mp)).toAbsolutePath();
            Daemon.Config config = new Daemon.Config(name, create, mp, state, parseSize(cacheSize), binding, main.runDir());
            String url = main.env("SAIL_VOLUME_URL", "http://<service-host>:<port>");
            String apiKey = main.env("SAIL_API_KEY", "sk_...");
            FuseEnvironment.check(binding);
            if (foreground) {
                // This process serves the mount: what needs no answer from the service is set up meanwhile.
                return serve(config, url, apiKey, Daemon.prepare(config));
            }
            // The daemon starts at once, and while it boots this process asks the service itself, so that an
            // unreachable service, a rejected key or a missing volume is still reported here, in one line.
            boolean newState = !Files.exists(state);
            Process child = spawn(config, state);
            try (HttpVolumeService service = new HttpVolumeService(URI.create(url), apiKey)) {
                Daemon.volumeInfo(config, service);
            } catch (RuntimeException e) {
                stop(child, config);
                if (newState) {
                    discardEmptyState(state);
                }
                throw e;
            }
            return awaitMount(config, child, state.resolve("daemon.log"));
        }

        private Integer serve(Daemon.Config config, String url, String apiKey, Daemon.Preparation preparation) throws Exception {
            try (preparation;
                 HttpVolumeService service = new HttpVolumeService(URI.create(url), apiKey);
                 HttpChunkTransfer transfer = new HttpChunkTransfer()) {
                Daemon daemon = Daemon.start(config, service, transfer, preparation);
                Thread hook = new Thread(daemon::close, "sail-volume-shutdown");
                Runtime.getRuntime().addShutdownHook(hook);
                main.err.println("Mounted volume '" + config.volume() + "' at " + config.mountpoint()
                        + " (base seq " + daemon.fileSystem().base().seq() + ", state " + config.stateDir() + ")");
                daemon.awaitUnmounted();
                daemon.close();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // Already shutting down: the hook closes the daemon (again, harmlessly).
                }
            }
            return 0;
        }

        /** Starts this same command with --foreground as a detached process, its output appended to the state's daemon.log. */
        private Process spawn(Daemon.Config config, Path state) throws IOException {
            Files.createDirectories(state);
            Path log = state.resolve("daemon.log");
            List<String> command = new ArrayList<>();
            Path setsid = Path.of("/usr/bin/setsid");
            if (Files.isExecutable(setsid)) {
                command.add(setsid.toString());
            }
            command.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(GuestMain.class.getName());
            command.add("mount");
            command.add("--volume=" + config.volume());
            if (config.mintIfMissing()) {
                command.add("--create");
            }
            command.add("--state-dir=" + state);
            command.add("--cache-size=" + config.cacheBytes());
            command.add("--binding=" + config.binding());
            command.add("--foreground");
            command.add(config.mountpoint().toString());
            ProcessBuilder builder = new ProcessBuilder(command);
            main.env.forEach((key, value) -> {
                if (key.startsWith("SAIL_")) {
                    builder.environment().put(key, value);
                }
            });
            return builder
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectErrorStream(true)
                    .start();
        }

        /** Waits until the daemon's mount answers; reports its log's end when it exits first. */
        private Integer awaitMount(Daemon.Config config, Process child, Path log) throws IOException, InterruptedException {
            ControlClient control = ControlClient.forMount(config.mountpoint(), config.runDir());
            long deadline = System.currentTimeMillis() + MOUNT_WAIT_MS;
            while (System.currentTimeMillis() < deadline) {
                if (!child.isAlive()) {
                    main.err.println("sail-volume: the mount failed; its log (" + log + ") ends with:");
                    List<String> lines = Files.readAllLines(log);
                    lines.subList(Math.max(0, lines.size() - 8), lines.size()).forEach(l -> main.err.println("  " + l));
                    return 1;
                }
                if (control.isReachable() && FuseEnvironment.isMounted(config.mountpoint())) {
                    main.err.println("Mounted volume '" + config.volume() + "' at " + config.mountpoint()
                            + " (daemon pid " + child.pid() + ", log " + log + ")");
                    return 0;
                }
                // Polling: readiness is another process's socket and the kernel's mount table; neither can notify
                // us. Every 20 ms, because this wait is part of every mount's start and a check costs microseconds.
                Thread.sleep(20);
            }
            child.destroy();
            main.err.println("sail-volume: the mount did not become ready within " + MOUNT_WAIT_MS / 1000 + " s; see " + log);
            return 1;
        }
    }

    /**
     * Stops a daemon started by {@code mount}: it unmounts on SIGTERM once started, but one stopped halfway
     * (or forcibly, after 10 s) can leave its mount behind, which is then cleared.
     */
    static void stop(Process child, Daemon.Config config) throws InterruptedException {
        child.destroy();
        if (!child.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            child.destroyForcibly().waitFor();
        }
        if (FuseEnvironment.isMounted(config.mountpoint())
                && !ControlClient.forMount(config.mountpoint(), config.runDir()).isReachable()) {
            FuseEnvironment.fusermountUnmount(config.mountpoint());
        }
    }

    /** Removes a state dir that this mount created and that holds nothing but the daemon's log. */
    static void discardEmptyState(Path state) {
        try (java.util.stream.Stream<Path> entries = Files.list(state)) {
            if (entries.allMatch(p -> p.getFileName().toString().equals("daemon.log"))) {
                Files.deleteIfExists(state.resolve("daemon.log"));
                Files.deleteIfExists(state);
            }
        } catch (IOException e) {
            // The daemon got further, or the dir is not ours to remove: it stays, with the daemon's log.
        }
    }

    @Command(name = "commit", mixinStandardHelpOptions = true, description = "Publish the mount's changes as one commit; prints its id.")
    static final class Commit implements Callable<Integer> {
        @ParentCommand
        GuestMain main;

        @Parameters(index = "0", paramLabel = "MOUNTPOINT")
        Path mountpoint;

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            long start = System.nanoTime();
            PrintStream err = main.err;
            boolean[] shown = {false};
            CommitReport report = main.client(mountpoint).commit((bytesDone, bytesTotal, chunksDone, chunksTotal) -> {
                long elapsed = System.nanoTime() - start;
                if (elapsed < PROGRESS_AFTER_NANOS) {
                    return;
                }
                shown[0] = true;
                double rate = bytesDone / (elapsed / 1e9);
                err.printf(Locale.ROOT, "\rUploading: %d/%d chunks, %s of %s, %s/s   ", chunksDone, chunksTotal,
                        bytes(bytesDone), bytes(bytesTotal), bytes((long) rate));
            });
            if (shown[0]) {
                err.println();
            }
            if (json) {
                main.printJson(report);
                return 0;
            }
            if (report.nothingToCommit()) {
                main.out.println("Nothing to commit (at " + (report.commit().isEmpty() ? "the empty volume" : report.commit()) + ")");
                return 0;
            }
            main.out.println(report.commit());
            main.err.printf(Locale.ROOT, "Committed %d change(s) as seq %d: %d chunk(s) uploaded (%s), %d reused%n",
                    report.filesChanged(), report.seq(), report.chunksUploaded(), bytes(report.bytesUploaded()), report.chunksReused());
            if (!report.overwritten().isEmpty()) {
                main.err.println("Overwrote newer changes from other mounts (the previous versions stay in history):");
                report.overwritten().forEach(p -> main.err.println("  " + p));
            }
            return 0;
        }
    }

    @Command(name = "reload", mixinStandardHelpOptions = true,
            description = "Move the mount to the latest commit, discarding (and stashing) uncommitted changes; prints the commit id.")
    static final class Reload implements Callable<Integer> {
        @ParentCommand
        GuestMain main;

        @Parameters(index = "0", paramLabel = "MOUNTPOINT")
        Path mountpoint;

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            ReloadReport report = main.client(mountpoint).reload();
            if (json) {
                main.printJson(report);
                return 0;
            }
            main.out.println(report.commit().isEmpty() ? "(empty volume)" : report.commit());
            if (!report.discarded().isEmpty()) {
                main.err.println("Discarded " + report.discarded().size() + " uncommitted path(s), kept in stash " + report.stash()
                        + " (sail-volume stash restore " + mountpoint + " " + report.stash() + "):");
                report.discarded().forEach(p -> main.err.println("  " + p));
            }
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show the mount's base commit, uncommitted paths and cache use.")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        GuestMain main;

        @Parameters(index = "0", paramLabel = "MOUNTPOINT")
        Path mountpoint;

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            MountStatus status = main.client(mountpoint).status();
            if (json) {
                main.printJson(status);
                return 0;
            }
            main.out.println("volume:     " + status.volume() + " at " + status.mountpoint() + " (" + status.binding() + ")");
            main.out.println("base:       seq " + status.baseSeq() + (status.baseCommit().isEmpty() ? "" : " (" + status.baseCommit() + ")"));
            main.out.println("cache:      " + bytes(status.cacheBytes()) + " of " + bytes(status.cacheLimit()));
            main.out.println("dirty:      " + status.dirtyPaths().size() + " path(s), " + bytes(status.dirtyBytes()));
            status.dirtyPaths().forEach(p -> main.out.println("  " + p));
            return 0;
        }
    }

    @Command(name = "unmount", mixinStandardHelpOptions = true, description = "Unmount; uncommitted changes stay in the state dir for the next mount.")
    static final class Unmount implements Callable<Integer> {
        @ParentCommand
        GuestMain main;

        @Parameters(index = "0", paramLabel = "MOUNTPOINT")
        Path mountpoint;

        @Override
        public Integer call() {
            Path mp = mountpoint.toAbsolutePath().normalize();
            ControlClient control = main.client(mp);
            try {
                control.unmount();
                main.err.println("Unmounted " + mp);
                return 0;
            } catch (MountControlException e) {
                if (FuseEnvironment.isMounted(mp) && FuseEnvironment.fusermountUnmount(mp)) {
                    main.err.println("Unmounted " + mp + " (its daemon did not answer: " + e.getMessage() + ")");
                    return 0;
                }
                throw e;
            }
        }
    }

    @Command(name = "stash", mixinStandardHelpOptions = true, subcommands = {StashList.class, StashRestore.class},
            description = "List or restore the uncommitted changes that reloads discarded.")
    static final class Stash implements Callable<Integer> {
        @ParentCommand
        GuestMain main;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(main.err);
            return 2;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the stashes of a mount.")
    static final class StashList implements Callable<Integer> {
        @ParentCommand
        Stash group;

        @Parameters(index = "0", paramLabel = "MOUNTPOINT")
        Path mountpoint;

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            List<StashInfo> stashes = group.main.client(mountpoint).stashList();
            if (json) {
                group.main.printJson(java.util.Map.of("stashes", stashes));
                return 0;
            }
            if (stashes.isEmpty()) {
                group.main.out.println("No stashes");
            }
            for (StashInfo stash : stashes) {
                group.main.out.println(stash.id() + "  " + stash.created() + "  base seq " + stash.baseSeq() + "  " + stash.paths().size() + " path(s)");
                stash.paths().forEach(p -> group.main.out.println("  " + p));
            }
            return 0;
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true,
            description = "Put a stash's changes back into the mount (uncommitted; commit to publish them). Default: the newest stash.")
    static final class StashRestore implements Callable<Integer> {
        @ParentCommand
        Stash group;

        @Parameters(index = "0", paramLabel = "MOUNTPOINT")
        Path mountpoint;

        @Parameters(index = "1", paramLabel = "STASH", arity = "0..1")
        String stash;

        @Override
        public Integer call() {
            ControlClient control = group.main.client(mountpoint);
            String id = stash;
            if (id == null) {
                List<StashInfo> stashes = control.stashList();
                if (stashes.isEmpty()) {
                    throw new VolumeFuseException("No stash to restore at " + mountpoint);
                }
                id = stashes.getLast().id();
            }
            List<String> restored = control.stashRestore(id);
            group.main.err.println("Restored " + restored.size() + " path(s) from stash " + id + " (commit to publish them):");
            restored.forEach(p -> group.main.err.println("  " + p));
            return 0;
        }
    }
}
