package io.freshcache.demo;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How the demo wiki runs; the one configuration surface of {@link DemoWiki}.
 *
 * <table>
 *   <caption>Options</caption>
 *   <tr><th>option</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code tickInterval}</td><td>3 s</td><td>how often the background event source changes a
 *       dashboard widget and calls the {@link Invalidator}; {@link Duration#ZERO} turns it off (tests
 *       call {@link DemoWiki#tick()} instead)</td></tr>
 *   <tr><td>{@code esi}</td><td>true</td><td>leave the per-user bar and the widgets as {@code
 *       <esi:include>} holes for the proxy; false fills them in at the origin, for running it alone
 *       (pages are then {@code no-store}, as they contain one viewer's bar)</td></tr>
 *   <tr><td>{@code seed}</td><td>42</td><td>seed of the simulated events, for repeatable runs</td></tr>
 *   <tr><td>{@code threads}</td><td>4</td><td>request threads of the origin's HTTP server</td></tr>
 * </table>
 *
 * @param tickInterval time between simulated events: zero (off), or from 100 ms to 1 hour
 * @param esi whether holes are left to the proxy as ESI includes
 * @param seed seed of the simulated events
 * @param threads request threads, 1 to 64
 */
public record DemoOptions(Duration tickInterval, boolean esi, long seed, int threads) {

  static final Duration MIN_TICK = Duration.ofMillis(100);
  static final Duration MAX_TICK = Duration.ofHours(1);

  /** Validates every option. */
  public DemoOptions {
    requireNonNull(tickInterval, "tickInterval");
    if (!tickInterval.isZero() && (tickInterval.compareTo(MIN_TICK) < 0 || tickInterval.compareTo(MAX_TICK) > 0)) {
      throw new IllegalArgumentException("tickInterval: " + tickInterval
          + " (expected: 0 for off, or from " + MIN_TICK + " to " + MAX_TICK + ")");
    }
    if (threads < 1 || threads > 64) {
      throw new IllegalArgumentException("threads: " + threads + " (expected: 1 to 64)");
    }
  }

  /** Ticker every 3 s, ESI on, seed 42, 4 threads. */
  public static DemoOptions defaults() {
    return new DemoOptions(Duration.ofSeconds(3), true, 42, 4);
  }

  /** These options with another tick interval ({@link Duration#ZERO} turns the ticker off). */
  public DemoOptions withTickInterval(Duration tickInterval) {
    return new DemoOptions(tickInterval, esi, seed, threads);
  }

  /** These options with ESI holes on or off. */
  public DemoOptions withEsi(boolean esi) {
    return new DemoOptions(tickInterval, esi, seed, threads);
  }

  /** These options with another event seed. */
  public DemoOptions withSeed(long seed) {
    return new DemoOptions(tickInterval, esi, seed, threads);
  }

  /** These options with another number of request threads. */
  public DemoOptions withThreads(int threads) {
    return new DemoOptions(tickInterval, esi, seed, threads);
  }
}
