package io.freshcache.proxy;

/**
 * Content negotiation on Accept-Encoding (RFC 9110 section 12.5.3) for the codings a stored entry can
 * be served in without recompressing.
 *
 * <p>This is the extension point for further codings: when core stores bodies in another coding (br,
 * zstd), it gets a method here like {@link #acceptsGzip} and the server offers it in preference order.
 * Only stored bytes are ever sent: the proxy never compresses per request.
 */
final class AcceptEncoding {

  private AcceptEncoding() {}

  /**
   * Whether gzip is acceptable: {@code gzip} (or {@code x-gzip}) listed with a q-value above 0, or
   * not listed and {@code *} listed with a q-value above 0. No field or an empty one: no (identity is
   * always acceptable, gzip is not assumed).
   */
  static boolean acceptsGzip(String field) {
    if (field == null || field.isEmpty()) {
      return false;
    }
    Boolean gzip = null;
    boolean star = false;
    int i = 0;
    int n = field.length();
    while (i < n) {
      int end = field.indexOf(',', i);
      if (end < 0) {
        end = n;
      }
      int semi = field.indexOf(';', i);
      int nameEnd = semi >= 0 && semi < end ? semi : end;
      String coding = Fields.trimOws(field.substring(i, nameEnd));
      boolean positive = semi < 0 || semi >= end || qPositive(field.substring(semi + 1, end));
      if (coding.equalsIgnoreCase("gzip") || coding.equalsIgnoreCase("x-gzip")) {
        gzip = gzip == null ? positive : gzip && positive;
      } else if (coding.equals("*")) {
        star = positive;
      }
      i = end + 1;
    }
    return gzip != null ? gzip : star;
  }

  /** Whether the parameters' q-value is above 0 (no q, or an unreadable one, counts as 1). */
  private static boolean qPositive(String params) {
    for (String p : params.split(";")) {
      String t = Fields.trimOws(p);
      if (t.length() >= 2 && (t.charAt(0) == 'q' || t.charAt(0) == 'Q') && t.charAt(1) == '=') {
        String v = Fields.trimOws(t.substring(2));
        try {
          return Double.parseDouble(v) > 0;
        } catch (NumberFormatException e) {
          return true;
        }
      }
    }
    return true;
  }
}
