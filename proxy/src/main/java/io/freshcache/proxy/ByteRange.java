package io.freshcache.proxy;

/**
 * A request's {@code Range} (RFC 9110 section 14.2) as a cache answers it from a stored body of
 * known length: one byte range to send as a 206, none satisfiable (416), or nothing to act on, in
 * which case the whole body is sent with a 200 as if there were no Range.
 *
 * <p>What counts as nothing to act on: a unit other than {@code bytes}, a value that is not a valid
 * {@code ranges-specifier} (section 14.1.1: a server ignores what it does not understand), and a set
 * of more than one range (section 14.2 lets a server ignore a Range field; a multipart answer to a
 * page cache's client would be more code than its use is worth, and nginx and Varnish answer several
 * ranges with the whole body too). Immutable.
 *
 * @param first the first byte position, or -1 when no range is satisfiable or there is none
 * @param last the last byte position (inclusive)
 * @param satisfiable false for a 416
 */
record ByteRange(long first, long last, boolean satisfiable) {
  /** No range to act on: send the whole body. */
  static final ByteRange WHOLE = new ByteRange(-1, -1, true);
  /** No range of the set is satisfiable: 416. */
  static final ByteRange UNSATISFIABLE = new ByteRange(-1, -1, false);

  /** Whether this asks for the whole body (a 200). */
  boolean whole() {
    return first < 0 && satisfiable;
  }

  /** The number of bytes in the range. */
  long length() {
    return last - first + 1;
  }

  /**
   * The range {@code value} (the Range field's lines joined) selects from a body of {@code length}
   * bytes.
   */
  static ByteRange of(String value, long length) {
    int eq = value.indexOf('=');
    if (eq < 0 || !value.substring(0, eq).trim().equalsIgnoreCase("bytes")) {
      return WHOLE;
    }
    String set = value.substring(eq + 1).trim();
    if (set.isEmpty() || set.indexOf(',') >= 0) {
      return WHOLE; // nothing, or several ranges
    }
    int dash = set.indexOf('-');
    if (dash < 0) {
      return WHOLE;
    }
    String from = set.substring(0, dash).trim();
    String to = set.substring(dash + 1).trim();
    if (from.isEmpty()) { // suffix-range: the last N bytes
      long n = number(to);
      if (n < 0) {
        return WHOLE;
      }
      if (n == 0 || length == 0) {
        return UNSATISFIABLE;
      }
      return new ByteRange(Math.max(0, length - n), length - 1, true);
    }
    long first = number(from);
    long last = to.isEmpty() ? Long.MAX_VALUE : number(to);
    if (first < 0 || last < 0 || last < first) {
      return WHOLE; // not a valid int-range (section 14.1.1)
    }
    if (first >= length) {
      return UNSATISFIABLE;
    }
    return new ByteRange(first, Math.min(last, length - 1), true);
  }

  /**
   * The value of 1*DIGIT {@code s}, capped at 2^31 (beyond any stored body, so a capped position
   * selects what the real one would); -1 if it is not one.
   */
  private static long number(String s) {
    return ResponseDirectives.parseDelta(s);
  }
}
