package io.freshcache.demo;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** HTML escaping. Everything that came from a user, the store or a request goes through here. */
final class Html {

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);

  private Html() {}

  /**
   * An absolute time. Never "3 minutes ago": that would change without any invalidation, and a
   * cached page would silently go wrong.
   */
  static String time(Instant t) {
    return TIME.format(t);
  }

  /** The time of day only (UTC), where the day goes without saying. */
  static String clock(Instant t) {
    return CLOCK.format(t);
  }

  /** Escapes text for element content and for double- or single-quoted attribute values. */
  static String escape(String s) {
    StringBuilder out = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      String r = switch (c) {
        case '<' -> "&lt;";
        case '>' -> "&gt;";
        case '&' -> "&amp;";
        case '"' -> "&quot;";
        case '\'' -> "&#39;";
        default -> null;
      };
      if (r != null && out == null) {
        out = new StringBuilder(s.length() + 16).append(s, 0, i);
      }
      if (out != null) {
        if (r != null) {
          out.append(r);
        } else {
          out.append(c);
        }
      }
    }
    return out == null ? s : out.toString();
  }

  static void escape(String s, StringBuilder out) {
    out.append(escape(s));
  }
}
