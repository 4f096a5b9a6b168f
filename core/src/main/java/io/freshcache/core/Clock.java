package io.freshcache.core;

/**
 * The one time source of a cache, so tests can advance time instead of sleeping. Implementations
 * must be thread-safe.
 */
public interface Clock {

  /** A monotonic reading in nanoseconds, for durations. */
  long nanoTime();

  /** Wall-clock milliseconds since the epoch, for creation times and Age. */
  long currentTimeMillis();

  /** The system clock. */
  static Clock system() {
    return SystemClock.INSTANCE;
  }
}

/** {@link Clock#system()}. */
enum SystemClock implements Clock {
  INSTANCE;

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public long currentTimeMillis() {
    return System.currentTimeMillis();
  }
}
