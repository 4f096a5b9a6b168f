package io.freshcache.proxy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The Date field value of the current second, formatted once per second and shared by every event
 * loop: a hit should not format a date.
 */
final class HttpDateCache {
  private record Formatted(long second, byte[] ascii, String text) {}

  // Replaced whole when the second changes; a racing replacement writes an equal value.
  private volatile Formatted current = new Formatted(-1, new byte[0], "");

  /** The IMF-fixdate for {@code nowMillis}, as ASCII bytes. */
  byte[] ascii(long nowMillis) {
    return formatted(nowMillis).ascii;
  }

  /** The IMF-fixdate for {@code nowMillis}. */
  String text(long nowMillis) {
    return formatted(nowMillis).text;
  }

  private Formatted formatted(long nowMillis) {
    long second = Math.floorDiv(nowMillis, 1000);
    Formatted f = current;
    if (f.second != second) {
      String text = HttpDate.format(Instant.ofEpochSecond(second));
      f = new Formatted(second, text.getBytes(StandardCharsets.US_ASCII), text);
      current = f;
    }
    return f;
  }
}
