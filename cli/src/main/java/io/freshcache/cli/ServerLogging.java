package io.freshcache.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Logging for a long-running {@code serve}. The jar's logback.xml keeps the root at WARN so that
 * short commands ({@code demo}) print only their output; a server's log is its output, so the
 * proxy's own loggers and the access log are raised to INFO, unless a user's logback configuration
 * already set a level for them.
 *
 * <p>With the jar's own configuration (its context property {@value #PATTERN_PROPERTY} tells), the
 * access log gets an appender of its own that writes to standard error through a {@value
 * #BUFFER_BYTES}-byte buffer, flushed every {@link #FLUSH_EVERY} and when the server stops
 * ({@link #flushAccessLog}): one write(2) per line on the event loop cost a 1 KB hit about a third
 * more CPU (docs/benchmarks.md, "Access log"), the cost nginx avoids with {@code access_log ...
 * buffer= flush=}. The buffer writes whole lines only, so they never interleave with the other
 * loggers' lines on the same stream; they can come up to {@link #FLUSH_EVERY} after those. A user's
 * own logback configuration decides everything itself.
 */
final class ServerLogging {
  /** The proxy's and core's loggers, and the access log. */
  private static final String[] LOGGERS = {"io.freshcache", "freshcache.access"};

  static final String ACCESS_LOGGER = "freshcache.access";

  /** Set by the jar's logback.xml (its line pattern); absent when a user's configuration is in use. */
  static final String PATTERN_PROPERTY = "FRESHCACHE_PATTERN";

  static final int BUFFER_BYTES = 64 * 1024;
  static final Duration FLUSH_EVERY = Duration.ofSeconds(1);

  private static final String APPENDER_NAME = "freshcache-access-buffered";

  /** The buffered access log installed by {@link #enable()}, or null. */
  private static volatile BufferedLines installed;

  private ServerLogging() {}

  /** Raises the levels and, with the jar's configuration, buffers the access log to standard error. */
  static void enable() {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof LoggerContext context)) {
      return; // another SLF4J backend: its configuration decides
    }
    BufferedLines lines = enable(context, new FileOutputStream(FileDescriptor.err), FLUSH_EVERY);
    if (lines != null) {
      installed = lines;
    }
  }

  /**
   * Raises the levels in {@code context}; when it is the jar's configuration and the access logger
   * has no level or appender of its own, gives the access log a buffered appender writing to {@code
   * out}, flushed every {@code flushEvery} by a daemon thread.
   *
   * @return the buffered access log, or null if none was installed
   */
  static BufferedLines enable(LoggerContext context, OutputStream out, Duration flushEvery) {
    Logger access = context.getLogger(ACCESS_LOGGER);
    boolean accessUntouched = access.getLevel() == null && !access.iteratorForAppenders().hasNext();
    for (String name : LOGGERS) {
      Logger logger = context.getLogger(name);
      if (logger.getLevel() == null) {
        logger.setLevel(Level.INFO);
      }
    }
    String pattern = context.getProperty(PATTERN_PROPERTY);
    if (pattern == null || !accessUntouched) {
      return null;
    }
    BufferedLines lines = new BufferedLines(out);
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(pattern);
    encoder.start();
    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setContext(context);
    appender.setName(APPENDER_NAME);
    appender.setEncoder(encoder);
    appender.setImmediateFlush(false);
    appender.setOutputStream(lines);
    appender.start();
    access.addAppender(appender);
    access.setAdditive(false);
    Thread flusher = new Thread(() -> {
      long nanos = flushEvery.toNanos();
      while (!lines.closed) {
        try {
          TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
          return;
        }
        lines.flushQuietly();
      }
    }, "freshcache-access-log-flush");
    flusher.setDaemon(true);
    flusher.start();
    return lines;
  }

  /** Writes out what the buffered access log holds (the server stopped); no-op without one. */
  static void flushAccessLog() {
    BufferedLines lines = installed;
    if (lines != null) {
      lines.flushQuietly();
    }
  }

  /**
   * The access log's buffer. Logback writes each event whole under its appender's lock, and {@link
   * BufferedOutputStream} writes its buffer out before an event that does not fit, so every write(2)
   * holds whole lines. Closing (Logback stopping the appender) flushes but leaves the stream open:
   * it is standard error.
   */
  static final class BufferedLines extends BufferedOutputStream {
    volatile boolean closed;

    BufferedLines(OutputStream out) {
      super(out, BUFFER_BYTES);
    }

    void flushQuietly() {
      try {
        flush();
      } catch (IOException e) {
        // Standard error is gone (closed pipe): nothing to tell, and serving goes on.
      }
    }

    @Override
    public void close() throws IOException {
      closed = true;
      flush();
    }
  }
}
