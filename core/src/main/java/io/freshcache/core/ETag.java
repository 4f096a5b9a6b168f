package io.freshcache.core;

import static java.util.Objects.requireNonNull;

/**
 * An entity tag (RFC 9110 section 8.8.3) and the If-None-Match evaluation on it.
 *
 * <p>Freshcache's own tags are strong and derived from a hash of the body bytes, so an identical
 * re-render keeps its ETag and clients keep getting 304s.
 *
 * @param opaque the characters between the quotes
 * @param weak whether the tag carries the {@code W/} prefix
 */
public record ETag(String opaque, boolean weak) {

  /** Checks that {@code opaque} contains only {@code etagc} characters. */
  public ETag {
    requireNonNull(opaque, "opaque");
    for (int i = 0; i < opaque.length(); i++) {
      if (!isEtagc(opaque.charAt(i))) {
        throw new IllegalArgumentException(String.format(
            "opaque: character U+%04X at %d (expected: %%x21, %%x23-7E or %%x80-FF)", (int) opaque.charAt(i), i));
      }
    }
  }

  /** A strong tag. */
  public static ETag strong(String opaque) {
    return new ETag(opaque, false);
  }

  /**
   * Parses one entity-tag: {@code "xyz"} or {@code W/"xyz"}.
   *
   * @throws IllegalArgumentException if {@code text} is not one entity-tag
   */
  public static ETag parse(String text) {
    requireNonNull(text, "text");
    String s = text.strip();
    boolean weak = s.startsWith("W/");
    String quoted = weak ? s.substring(2) : s;
    if (quoted.length() < 2 || quoted.charAt(0) != '"' || quoted.charAt(quoted.length() - 1) != '"') {
      throw new IllegalArgumentException("etag: '" + text + "' (expected: \"opaque\" or W/\"opaque\")");
    }
    return new ETag(quoted.substring(1, quoted.length() - 1), weak);
  }

  /** Strong comparison: both strong and the same opaque tag. */
  public boolean strongMatch(ETag other) {
    return !weak && !other.weak && opaque.equals(other.opaque);
  }

  /** Weak comparison: the same opaque tag, whether weak or not. */
  public boolean weakMatch(ETag other) {
    return opaque.equals(other.opaque);
  }

  /**
   * Evaluates an If-None-Match field value against the current representation's tag, as RFC 9110
   * section 13.1.2 says for GET and HEAD: {@code true} means "the condition is false, answer 304 Not
   * Modified". {@code *} matches any current representation; a list matches if any member matches
   * under weak comparison. Empty list elements are accepted; a field value that is not a valid list
   * of entity-tags is ignored (returns {@code false}, so the full response is sent). The body is not
   * needed.
   *
   * @param fieldValue the field value, or {@code null} if the request has none
   * @param current the current representation's tag, or {@code null} if there is none
   */
  public static boolean notModified(String fieldValue, ETag current) {
    if (fieldValue == null || current == null) {
      return false;
    }
    int n = fieldValue.length();
    int i = skipOws(fieldValue, 0);
    if (i < n && fieldValue.charAt(i) == '*') {
      return skipOws(fieldValue, i + 1) == n; // "*" alone; anything after it makes the value invalid
    }
    boolean matched = false;
    boolean sawTag = false;
    while (i < n) {
      char c = fieldValue.charAt(i);
      if (c == ',') {
        i = skipOws(fieldValue, i + 1);
        continue;
      }
      if (c == 'W') {
        if (i + 1 >= n || fieldValue.charAt(i + 1) != '/') {
          return false;
        }
        i += 2;
      }
      if (i >= n || fieldValue.charAt(i) != '"') {
        return false;
      }
      int start = i + 1;
      int end = start;
      while (end < n && fieldValue.charAt(end) != '"') {
        if (!isEtagc(fieldValue.charAt(end))) {
          return false;
        }
        end++;
      }
      if (end >= n) {
        return false; // unterminated
      }
      sawTag = true;
      if (end - start == current.opaque.length()
          && fieldValue.regionMatches(start, current.opaque, 0, end - start)) {
        matched = true;
      }
      i = skipOws(fieldValue, end + 1);
      if (i < n && fieldValue.charAt(i) != ',') {
        return false;
      }
    }
    return sawTag && matched;
  }

  private static int skipOws(String s, int i) {
    while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
      i++;
    }
    return i;
  }

  private static boolean isEtagc(char c) {
    return c == 0x21 || (c >= 0x23 && c <= 0x7E) || (c >= 0x80 && c <= 0xFF);
  }

  /** The field-value form: {@code "opaque"} or {@code W/"opaque"}. */
  @Override
  public String toString() {
    return weak ? "W/\"" + opaque + '"' : '"' + opaque + '"';
  }
}
