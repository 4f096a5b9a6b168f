package io.freshcache.proxy;

import java.time.Instant;

/**
 * The Date field value of the current second, formatted once per second and shared by every event
 * loop, for the responses the proxy makes itself (errors, passes without a Date). Hits send their
 * entry's stored Date, written by {@link HttpDate#write} without a String.
 */
final class HttpDateCache {
  private record Formatted(long second, String text) {}

  // Replaced whole when the second changes; a racing replacement writes an equal value.
  private volatile Formatted current = new Formatted(-1, "");

  /** The IMF-fixdate for {@code nowMillis}. */
  String text(long nowMillis) {
    return formatted(nowMillis).text;
  }

  private Formatted formatted(long nowMillis) {
    long second = Math.floorDiv(nowMillis, 1000);
    Formatted f = current;
    if (f.second != second) {
      String text = HttpDate.format(Instant.ofEpochSecond(second));
      f = new Formatted(second, text);
      current = f;
    }
    return f;
  }
}
