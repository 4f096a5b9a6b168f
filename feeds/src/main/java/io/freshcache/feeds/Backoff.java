package io.freshcache.feeds;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter for reconnecting sources: the n-th consecutive failure
 * waits a uniformly random time in {@code [0, min(max, initial * 2^n)]}, so many readers that lost
 * the same server do not come back in lockstep. Not thread-safe: one per reader thread.
 */
public final class Backoff {
  private final long initialNanos;
  private final long maxNanos;
  private int failures;

  /**
   * @param initial the ceiling of the first wait
   * @param max the ceiling of every wait
   */
  public Backoff(Duration initial, Duration max) {
    requireNonNull(initial, "initial");
    requireNonNull(max, "max");
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("initial: " + initial + " (expected: > 0)");
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("max: " + max + " (expected: >= initial " + initial + ")");
    }
    this.initialNanos = initial.toNanos();
    this.maxNanos = max.toNanos();
  }

  /** The default for sources: 100 ms doubling up to 30 s. */
  public static Backoff standard() {
    return new Backoff(Duration.ofMillis(100), Duration.ofSeconds(30));
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  public Duration nextDelay() {
    int n = failures++;
    long ceiling = initialNanos;
    for (int i = 0; i < n && ceiling < maxNanos; i++) {
      ceiling = ceiling > maxNanos / 2 ? maxNanos : ceiling * 2; // doubling that cannot overflow
    }
    return Duration.ofNanos(ThreadLocalRandom.current().nextLong(ceiling + 1));
  }

  /** Consecutive failures since the last {@link #reset}. */
  public int failures() {
    return failures;
  }

  /** Records a success: the next failure waits at most the initial delay again. */
  public void reset() {
    failures = 0;
  }
}
