package io.freshcache.proxy;

import io.freshcache.core.Encoding;

/**
 * Content negotiation on Accept-Encoding (RFC 9110 section 12.5.3): which coding a stored entry is
 * sent in. Only bodies core stored compressed have coded forms: the stored bytes, or a form derived
 * from them once and kept with the entry ({@link StoredResponse#hit}); nothing is compressed per
 * request.
 *
 * <p>The choice, for a body stored in coding S:
 *
 * <ol>
 *   <li>no Accept-Encoding field, or S is identity (core left the body uncompressed: small, or
 *       compression did not pay): identity. RFC 9110 lets a server send any coding to a request
 *       without the field, but most HTTP libraries, curl and wrk send none and cannot decode;
 *   <li>S, if acceptable: the stored bytes, no work at all;
 *   <li>else the first acceptable of zstd, br, gzip whose library is available here, derived once;
 *   <li>else identity, even when the field excludes it ({@code identity;q=0}, {@code *;q=0}): RFC
 *       9110 section 12.1 lets a server disregard the field rather than answer 406, and an unencoded
 *       body is the one every client can read.
 * </ol>
 *
 * Only whether a coding is acceptable (q above 0) matters, not how the client ranks the acceptable
 * ones: serving the stored form costs nothing and a derived form costs memory per entry.
 *
 * <p>Acceptable: the coding listed with a q-value above 0; not listed, then {@code *} listed with a
 * q-value above 0; not listed and no {@code *}: only identity. Tokens are case-insensitive, {@code
 * x-gzip} is gzip, and a coding listed twice takes its lower q-value. An element whose weight is
 * malformed (not {@code q=} followed by a qvalue: 0 to 1 with at most three decimals) is ignored.
 */
final class AcceptEncoding {

  /** The derived forms in order of preference: smallest first. */
  private static final Encoding[] DERIVED = {Encoding.ZSTD, Encoding.BR, Encoding.GZIP};

  private AcceptEncoding() {}

  /**
   * The coding to send a body stored in {@code stored} in, for a request whose Accept-Encoding field
   * value (its lines joined with commas) is {@code field}, or null when it has none.
   */
  static Encoding choose(String field, Encoding stored) {
    if (field == null || stored == Encoding.IDENTITY) {
      return Encoding.IDENTITY;
    }
    if (q(field, stored) > 0) {
      return stored;
    }
    for (Encoding e : DERIVED) {
      if (e != stored && e.isAvailable() && q(field, e) > 0) {
        return e;
      }
    }
    return Encoding.IDENTITY;
  }

  /**
   * The q-value of {@code coding} in thousandths (0 to 1000) under the field value {@code field}: its
   * own element's, else {@code *}'s, else 1000 for identity and 0 for the others. Allocation-free:
   * runs on every hit.
   */
  static int q(String field, Encoding coding) {
    int listed = -1;
    int star = -1;
    int n = field.length();
    int i = 0;
    while (i < n) {
      char c = field.charAt(i);
      if (c == ',' || c == ' ' || c == '\t') {
        i++;
        continue;
      }
      int start = i;
      while (i < n && (c = field.charAt(i)) != ',' && c != ';' && c != ' ' && c != '\t') {
        i++;
      }
      int end = i;
      int elementEnd = nextComma(field, i);
      int q = weight(field, end, elementEnd);
      i = elementEnd;
      if (q < 0) {
        continue; // malformed element: ignored
      }
      if (names(field, start, end, coding)) {
        listed = listed < 0 ? q : Math.min(listed, q);
      } else if (end - start == 1 && field.charAt(start) == '*') {
        star = star < 0 ? q : Math.min(star, q);
      }
    }
    if (listed >= 0) {
      return listed;
    }
    if (star >= 0) {
      return star;
    }
    return coding == Encoding.IDENTITY ? 1000 : 0;
  }

  private static int nextComma(String field, int from) {
    int comma = field.indexOf(',', from);
    return comma < 0 ? field.length() : comma;
  }

  /** Whether the token {@code field[start, end)} names {@code coding} ({@code x-gzip} names gzip). */
  private static boolean names(String field, int start, int end, Encoding coding) {
    String token = coding.token();
    int len = end - start;
    if (len == token.length() && field.regionMatches(true, start, token, 0, len)) {
      return true;
    }
    return coding == Encoding.GZIP && len == 6 && field.regionMatches(true, start, "x-gzip", 0, 6);
  }

  /**
   * The weight of an element whose token ends at {@code from} and which ends at {@code to}: {@code
   * OWS ";" OWS "q=" qvalue OWS} in thousandths, 1000 when there is none, -1 when it is malformed.
   */
  private static int weight(String field, int from, int to) {
    int i = skipOws(field, from, to);
    if (i == to) {
      return 1000;
    }
    if (field.charAt(i) != ';') {
      return -1; // "gzip foo"
    }
    i = skipOws(field, i + 1, to);
    if (i + 2 > to || (field.charAt(i) != 'q' && field.charAt(i) != 'Q') || field.charAt(i + 1) != '=') {
      return -1;
    }
    i += 2;
    int start = i;
    while (i < to && field.charAt(i) != ' ' && field.charAt(i) != '\t') {
      i++;
    }
    if (skipOws(field, i, to) != to) {
      return -1; // something after the qvalue, such as another parameter
    }
    return qvalue(field, start, i);
  }

  /** {@code ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )} in thousandths, or -1. */
  private static int qvalue(String field, int start, int end) {
    int len = end - start;
    if (len < 1 || len > 5) {
      return -1;
    }
    char first = field.charAt(start);
    if (first != '0' && first != '1') {
      return -1;
    }
    int value = (first - '0') * 1000;
    if (len == 1) {
      return value;
    }
    if (field.charAt(start + 1) != '.') {
      return -1;
    }
    int scale = 100;
    for (int k = start + 2; k < end; k++, scale /= 10) {
      char d = field.charAt(k);
      if (d < '0' || d > '9') {
        return -1;
      }
      value += (d - '0') * scale;
    }
    return value > 1000 ? -1 : value;
  }

  private static int skipOws(String field, int from, int to) {
    int i = from;
    while (i < to && (field.charAt(i) == ' ' || field.charAt(i) == '\t')) {
      i++;
    }
    return i;
  }
}
