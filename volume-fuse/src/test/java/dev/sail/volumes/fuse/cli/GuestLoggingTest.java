package dev.sail.volumes.fuse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** The guest's logging set up in code: what logback.xml used to say, without parsing it at every start. */
class GuestLoggingTest {
    @Test
    void theRootLevelComesFromTheEnvironmentWithInfoAsTheDefault() {
        assertThat(GuestLogging.rootLevel(null)).isEqualTo(Level.INFO);
        assertThat(GuestLogging.rootLevel(" ")).isEqualTo(Level.INFO);
        assertThat(GuestLogging.rootLevel("debug")).isEqualTo(Level.DEBUG);
        assertThat(GuestLogging.rootLevel("WARN ")).isEqualTo(Level.WARN);
        assertThat(GuestLogging.rootLevel("loud")).as("an unknown name falls back").isEqualTo(Level.INFO);
    }

    @Test
    void oneStderrAppenderAtTheRootAndTheChattyLibrariesAtWarn() {
        LoggerContext context = new LoggerContext();

        GuestLogging.configure(context, Level.DEBUG);

        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.DEBUG);
        Appender<ILoggingEvent> appender = root.getAppender("STDERR");
        assertThat(appender).isInstanceOf(ConsoleAppender.class);
        ConsoleAppender<ILoggingEvent> console = (ConsoleAppender<ILoggingEvent>) appender;
        assertThat(console.getTarget()).isEqualTo("System.err");
        assertThat(console.isStarted()).isTrue();
        assertThat(((PatternLayoutEncoder) console.getEncoder()).getPattern()).isEqualTo("%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n");
        for (String name : GuestLogging.QUIET) {
            assertThat(context.getLogger(name).getEffectiveLevel()).as(name).isEqualTo(Level.WARN);
        }
        assertThat(context.getLogger("dev.sail.volumes.fuse.daemon.Daemon").getEffectiveLevel()).isEqualTo(Level.DEBUG);
    }

    @Test
    void theProviderHandsSlf4jAStartedContext() {
        GuestLogging provider = new GuestLogging();

        provider.initialize();

        assertThat(provider.getLoggerFactory()).isInstanceOf(LoggerContext.class);
        LoggerContext context = (LoggerContext) provider.getLoggerFactory();
        assertThat(context.isStarted()).isTrue();
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR")).isNotNull();
        assertThat(provider.getMDCAdapter()).isNotNull();
        assertThat(provider.getMarkerFactory().getMarker("m").getName()).isEqualTo("m");
        assertThat(provider.getRequestedApiVersion()).startsWith("2.");
        context.stop();
    }

    @Test
    void installStepsAsideForAnExplicitConfiguration() {
        String provider = System.getProperty("slf4j.provider");
        String file = System.getProperty("logback.configurationFile");
        String verbosity = System.getProperty("slf4j.internal.verbosity");
        try {
            System.clearProperty("slf4j.provider");
            System.setProperty("logback.configurationFile", "/etc/sail-volume/logback.xml");
            GuestLogging.install();
            assertThat(System.getProperty("slf4j.provider")).as("logback reads the given file as usual").isNull();

            System.clearProperty("logback.configurationFile");
            GuestLogging.install();
            assertThat(System.getProperty("slf4j.provider")).isEqualTo(GuestLogging.class.getName());
        } finally {
            restore("slf4j.provider", provider);
            restore("logback.configurationFile", file);
            restore("slf4j.internal.verbosity", verbosity);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
