package io.freshcache.bench;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Page bodies for the measurements: HTML-like text of an exact length, different per page. */
final class Bodies {
  private static final byte[] FILLER =
      "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.</p>\n"
          .getBytes(StandardCharsets.US_ASCII);

  private Bodies() {}

  /**
   * A body of exactly {@code length} bytes that starts with the page number, so no two pages share
   * a body (a cache could otherwise look better than it is by deduplicating, and a body that is
   * all zeros would not look like a page).
   */
  static byte[] page(int n, int length) {
    byte[] head = ("<html><body><h1>Page " + n + "</h1>\n").getBytes(StandardCharsets.US_ASCII);
    byte[] body = new byte[length];
    System.arraycopy(head, 0, body, 0, Math.min(head.length, length));
    for (int i = head.length; i < length; i += FILLER.length) {
      System.arraycopy(FILLER, 0, body, i, Math.min(FILLER.length, length - i));
    }
    return body;
  }

  /** Whether {@code body} is the body {@link #page} makes for {@code n}; for sanity checks. */
  static boolean isPage(byte[] body, int n, int length) {
    return body != null && Arrays.equals(body, page(n, length));
  }
}
