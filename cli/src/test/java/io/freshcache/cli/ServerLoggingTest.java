package io.freshcache.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The server's logging: with the jar's configuration the access log is buffered (a write per line
 * on the event loop cost a hit about a third more CPU) yet every line arrives, whole, within the
 * flush interval; a user's own configuration is left as it is.
 */
class ServerLoggingTest {
  private static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n";

  /** Records each write call, so a test can tell how the bytes were grouped. */
  private static final class Writes extends OutputStream {
    final List<String> writes = new ArrayList<>();
    private final ByteArrayOutputStream all = new ByteArrayOutputStream();

    @Override
    public synchronized void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      writes.add(new String(b, off, len, StandardCharsets.UTF_8));
      all.write(b, off, len);
    }

    synchronized String text() {
      return all.toString(StandardCharsets.UTF_8);
    }

    synchronized List<String> writesSoFar() {
      return List.copyOf(writes);
    }
  }

  /** A context of its own, so the test leaves the JVM's logging alone. */
  private static LoggerContext newContext() {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    return context;
  }

  private static LoggerContext jarDefault() {
    LoggerContext context = newContext();
    context.putProperty(ServerLogging.PATTERN_PROPERTY, PATTERN);
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
    return context;
  }

  @Test
  void accessLinesAreBufferedThenWrittenWholeWithinTheFlushInterval() {
    LoggerContext context = jarDefault();
    Writes out = new Writes();
    ServerLogging.BufferedLines lines = ServerLogging.enable(context, out, Duration.ofMillis(200));
    assertThat(lines).isNotNull();
    try {
      Logger access = context.getLogger(ServerLogging.ACCESS_LOGGER);
      for (int i = 0; i < 300; i++) {
        access.info("127.0.0.1 GET /page/{} 200 1379 \"Freshcache; hit\" 0.001ms", i);
      }
      // 300 lines of about 100 bytes fit in the buffer: nothing was written per line.
      assertThat(out.writesSoFar().size()).isLessThanOrEqualTo(1);
      await().atMost(Duration.ofSeconds(5)).until(() -> out.text().lines().count() == 300);
      List<String> written = out.text().lines().toList();
      for (int i = 0; i < 300; i++) {
        assertThat(written.get(i)).contains("freshcache.access").endsWith("GET /page/" + i + " 200 1379 \"Freshcache; hit\" 0.001ms");
      }
      for (String w : out.writesSoFar()) {
        assertThat(w).as("each write holds whole lines").endsWith("\n");
      }
    } finally {
      lines.flushQuietly();
      context.stop();
    }
  }

  @Test
  void moreLinesThanTheBufferHoldsGoOutInWholeLinesAndFlushAccessLogEmptiesIt() throws Exception {
    LoggerContext context = jarDefault();
    Writes out = new Writes();
    ServerLogging.BufferedLines lines = ServerLogging.enable(context, out, Duration.ofHours(1));
    try {
      Logger access = context.getLogger(ServerLogging.ACCESS_LOGGER);
      int n = 3 * ServerLogging.BUFFER_BYTES / 100;
      for (int i = 0; i < n; i++) {
        access.info("line {} {}", i, "x".repeat(70));
      }
      assertThat(out.writesSoFar()).isNotEmpty().allSatisfy(w -> assertThat(w).endsWith("\n"));
      assertThat(out.writesSoFar().size()).isLessThan(n / 100);
      lines.flushQuietly();
      List<String> written = out.text().lines().toList();
      assertThat(written).hasSize(n);
      assertThat(written.get(n - 1)).contains("line " + (n - 1) + " ");
      // Logback stopping the appender flushes and leaves the stream (standard error) open.
      access.info("last");
      context.stop();
      assertThat(out.text()).endsWith("last" + System.lineSeparator());
    } finally {
      context.stop();
    }
  }

  @Test
  void aUsersOwnConfigurationIsLeftAlone() {
    // No pattern property: not the jar's logback.xml. Levels are raised, nothing is installed.
    LoggerContext context = newContext();
    assertThat(ServerLogging.enable(context, new Writes(), Duration.ofMillis(10))).isNull();
    Logger access = context.getLogger(ServerLogging.ACCESS_LOGGER);
    assertThat(access.getLevel()).isEqualTo(Level.INFO);
    assertThat(access.iteratorForAppenders().hasNext()).isFalse();
    assertThat(access.isAdditive()).isTrue();
    // The jar's configuration but an access logger the user configured: left alone too.
    LoggerContext configured = jarDefault();
    configured.getLogger(ServerLogging.ACCESS_LOGGER).setLevel(Level.WARN);
    assertThat(ServerLogging.enable(configured, new Writes(), Duration.ofMillis(10))).isNull();
    assertThat(configured.getLogger(ServerLogging.ACCESS_LOGGER).getLevel()).isEqualTo(Level.WARN);
  }
}
