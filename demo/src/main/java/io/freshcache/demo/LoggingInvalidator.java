package io.freshcache.demo;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link Invalidator#logging()}: an origin running without an in-process proxy has no one to tell. */
enum LoggingInvalidator implements Invalidator {
  INSTANCE;

  private static final Logger log = LoggerFactory.getLogger(LoggingInvalidator.class);

  @Override
  public void invalidate(String... tags) {
    log.info("invalidate {} (no proxy connected: log only)", String.join(", ", tags));
  }

  @Override
  public String toString() {
    return "Invalidator.logging()";
  }
}
