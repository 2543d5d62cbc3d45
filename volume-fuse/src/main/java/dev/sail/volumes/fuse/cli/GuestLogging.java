package dev.sail.volumes.fuse.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LogbackServiceProvider;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.ConsoleAppender;
import java.util.List;
import java.util.Locale;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The logging of the guest commands and daemon, set up in code: one console appender on stderr
 * (the daemon's stderr is its {@code daemon.log}), the root level from {@code SAIL_VOLUME_LOG_LEVEL}
 * (default INFO), and the chatty libraries at WARN. Logback's usual start (looking up configurator
 * services, then parsing a logback.xml with Joran) costs a cold JVM several hundred milliseconds
 * before the first line; this costs a fraction of that, on every command and every mount.
 *
 * <p>{@link #install()} makes SLF4J use this provider; it must run before anything asks for a logger.
 * With {@code -Dlogback.configurationFile=FILE} (or an explicit {@code -Dslf4j.provider}) it steps
 * aside and logback configures itself from that file as usual.
 */
public final class GuestLogging implements SLF4JServiceProvider {
    /** Libraries that log every request or byte below WARN. */
    static final List<String> QUIET = List.of("org.gaul", "org.eclipse.jetty", "software.amazon", "org.jclouds",
            "io.javalin", "org.cryptomator", "ru.serce");
    static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n";

    private final LoggerContext context = new LoggerContext();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final LogbackMDCAdapter mdc = new LogbackMDCAdapter();

    /** Makes SLF4J use this provider, unless the JVM was given a logging configuration of its own. */
    static void install() {
        if (System.getProperty("slf4j.provider") == null && System.getProperty("logback.configurationFile") == null) {
            System.setProperty("slf4j.provider", GuestLogging.class.getName());
            // SLF4J would announce the provider named by the property on stderr, at every start.
            if (System.getProperty("slf4j.internal.verbosity") == null) {
                System.setProperty("slf4j.internal.verbosity", "WARN");
            }
        }
    }

    /** The root level named by {@code value} (a logback level name, any case), INFO when unset or unknown. */
    static Level rootLevel(String value) {
        return value == null || value.isBlank() ? Level.INFO : Level.toLevel(value.strip().toUpperCase(Locale.ROOT), Level.INFO);
    }

    /** Sets up {@code context} as described above, with the root at {@code level}. */
    static void configure(LoggerContext context, Level level) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(level);
        root.addAppender(stderr);
        for (String name : QUIET) {
            context.getLogger(name).setLevel(Level.WARN);
        }
    }

    @Override
    public void initialize() {
        context.setName("default");
        context.setMDCAdapter(mdc);
        configure(context, rootLevel(System.getenv("SAIL_VOLUME_LOG_LEVEL")));
        context.start();
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return context;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return LogbackServiceProvider.REQUESTED_API_VERSION;
    }
}
