package io.freshcache.cli;

import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Turns on INFO logging for a long-running {@code serve}. The jar's logback.xml keeps the root at
 * WARN so that short commands ({@code demo}) print only their output; a server's log is its output,
 * so the proxy's own loggers and the access log are raised to INFO, unless a user's logback
 * configuration already set a level for them.
 */
final class ServerLogging {
  /** The proxy's and core's loggers, and the access log. */
  private static final String[] LOGGERS = {"io.freshcache", "freshcache.access"};

  private ServerLogging() {}

  static void enable() {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof ch.qos.logback.classic.LoggerContext context)) {
      return; // another SLF4J backend: its configuration decides
    }
    for (String name : LOGGERS) {
      ch.qos.logback.classic.Logger logger = context.getLogger(name);
      if (logger.getLevel() == null) {
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
      }
    }
  }
}
