package io.freshcache.core;

import static java.util.Objects.requireNonNull;

/**
 * A named dependency, or a pattern over names.
 *
 * <p>Syntax ({@link #parse} rejects anything else with a message naming the problem):
 *
 * <ul>
 *   <li>exact: {@code page:Projects/Alpha}: any characters except white space, control characters,
 *       {@code ,} {@code *} and {@code #}; at most {@value #MAX_LENGTH} characters in all;
 *   <li>aspect: {@code page:Projects/Alpha#title}: one facet of a thing, so that a page showing only
 *       Alpha's title does not depend on Alpha's text. Invalidating an aspect also invalidates
 *       dependents of the whole tag; invalidating the whole tag invalidates every aspect;
 *   <li>children pattern: {@code page:Projects/*}: every tag one {@code /}-segment below {@code
 *       page:Projects};
 *   <li>subtree pattern: {@code page:Projects/**}: every tag any number of segments below it;
 *   <li>a pattern may carry an aspect too: {@code page:Projects/*#title}.
 * </ul>
 *
 * <p>Only exact tags (with or without aspect) can be invalidated; patterns are what renderers depend
 * on. A pattern never matches its own base ({@code page:Projects/**} does not match {@code
 * page:Projects}).
 *
 * @param path the name without pattern suffix or aspect, e.g. {@code page:Projects}
 * @param kind exact, children or subtree
 * @param aspect the aspect after {@code #}, or {@code null} for the whole thing
 */
public record Tag(String path, Kind kind, String aspect) {

  /** Maximum length of a tag in its textual form. */
  public static final int MAX_LENGTH = 512;

  /** What a tag names. */
  public enum Kind {
    /** One thing. */
    EXACT,
    /** Every direct child of the path ({@code path/*}). */
    CHILDREN,
    /** Everything below the path ({@code path/**}). */
    SUBTREE
  }

  /** Validates the components; prefer {@link #parse}. */
  public Tag {
    requireNonNull(path, "path");
    requireNonNull(kind, "kind");
    int length = path.length() + (kind == Kind.CHILDREN ? 2 : kind == Kind.SUBTREE ? 3 : 0)
        + (aspect == null ? 0 : aspect.length() + 1);
    if (length > MAX_LENGTH) {
      throw tooLong(path + (aspect == null ? "" : "#" + aspect), length);
    }
    checkPath(path, path);
    if (aspect != null) {
      checkAspect(aspect, path + "#" + aspect);
    }
  }

  /**
   * Parses the textual form.
   *
   * @throws IllegalArgumentException naming the problem, if {@code text} is blank, too long, or
   *     malformed
   */
  public static Tag parse(String text) {
    requireNonNull(text, "tag");
    if (text.isBlank()) {
      throw new IllegalArgumentException("tag: blank (expected: a name such as 'page:Foo')");
    }
    if (text.length() > MAX_LENGTH) {
      throw tooLong(text, text.length());
    }
    String aspect = null;
    String body = text;
    int hash = text.indexOf('#');
    if (hash >= 0) {
      aspect = text.substring(hash + 1);
      body = text.substring(0, hash);
      checkAspect(aspect, text);
    }
    Kind kind = Kind.EXACT;
    String path = body;
    if (body.endsWith("/**")) {
      kind = Kind.SUBTREE;
      path = body.substring(0, body.length() - 3);
    } else if (body.endsWith("/*")) {
      kind = Kind.CHILDREN;
      path = body.substring(0, body.length() - 2);
    }
    if (path.isEmpty()) {
      throw new IllegalArgumentException("tag '" + printable(text)
          + "': nothing before the pattern (expected: a path such as 'page:Projects/*')");
    }
    checkPath(path, text);
    return new Tag(path, kind, aspect);
  }

  /** Whether this is a pattern (children or subtree) rather than one exact name. */
  public boolean isPattern() {
    return kind != Kind.EXACT;
  }

  /** This tag without its aspect. */
  public Tag whole() {
    return aspect == null ? this : new Tag(path, kind, null);
  }

  /**
   * Whether this tag, as a dependency, is invalidated when {@code changed} is. For exact tags: the
   * same path, and aspects compatible (either side without aspect, or the same aspect). For patterns:
   * a path below the base as the kind says, and aspects compatible.
   *
   * @param changed an exact tag
   * @throws IllegalArgumentException if {@code changed} is a pattern
   */
  public boolean isInvalidatedBy(Tag changed) {
    if (changed.isPattern()) {
      throw new IllegalArgumentException("changed: " + changed + " (expected: an exact tag)");
    }
    if (aspect != null && changed.aspect != null && !aspect.equals(changed.aspect)) {
      return false;
    }
    return matchesPath(changed.path);
  }

  /** Whether the path of an exact tag is matched by this tag's path and kind (aspects ignored). */
  public boolean matchesPath(String exactPath) {
    return switch (kind) {
      case EXACT -> path.equals(exactPath);
      case CHILDREN -> exactPath.length() > path.length() + 1
          && exactPath.startsWith(path)
          && exactPath.charAt(path.length()) == '/'
          && exactPath.indexOf('/', path.length() + 1) < 0;
      case SUBTREE -> exactPath.length() > path.length() + 1
          && exactPath.startsWith(path)
          && exactPath.charAt(path.length()) == '/';
    };
  }

  @Override
  public String toString() {
    String base = switch (kind) {
      case EXACT -> path;
      case CHILDREN -> path + "/*";
      case SUBTREE -> path + "/**";
    };
    return aspect == null ? base : base + "#" + aspect;
  }

  private static void checkPath(String path, String whole) {
    if (path.isEmpty()) {
      throw new IllegalArgumentException(
          "tag '" + printable(whole) + "': empty path (expected: a name such as 'page:Foo')");
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '*') {
        throw new IllegalArgumentException("tag '" + printable(whole) + "': '*' at " + i
            + " (expected: '*' or '**' only as the last segment, after '/')");
      }
      checkChar(path, i, whole);
    }
  }

  private static void checkAspect(String aspect, String whole) {
    if (aspect.isEmpty()) {
      throw new IllegalArgumentException(
          "tag '" + printable(whole) + "': empty aspect after '#' (expected: e.g. '#title')");
    }
    for (int i = 0; i < aspect.length(); i++) {
      char c = aspect.charAt(i);
      if (c == '/' || c == '*') {
        throw new IllegalArgumentException("tag '" + printable(whole) + "': '" + c
            + "' in aspect (expected: an aspect name such as 'title')");
      }
      checkChar(aspect, i, whole);
    }
  }

  /** Checks the character at {@code index} of {@code part} (the path or the aspect of {@code whole}). */
  private static void checkChar(String part, int index, String whole) {
    char c = part.charAt(index);
    if (isLoneSurrogate(part, index)) {
      // A lone surrogate is no character: encoded (logs, Redis, the wire) it turns into '?', and
      // two different tags would become one.
      throw new IllegalArgumentException(String.format(
          "tag '%s': unpaired surrogate U+%04X at %d (expected: well-formed Unicode text)",
          printable(whole), (int) c, index));
    }
    if (c == '#') {
      throw new IllegalArgumentException(
          "tag '" + printable(whole) + "': second '#' (expected: at most one aspect)");
    }
    if (c == ',' || Character.isWhitespace(c) || Character.isISOControl(c) || Character.isSpaceChar(c)) {
      throw new IllegalArgumentException(String.format(
          "tag '%s': character U+%04X at %d (expected: no white space, control characters or ',')",
          printable(whole), (int) c, index));
    }
  }

  private static IllegalArgumentException tooLong(String text, int length) {
    String shown = text.length() > 64 ? text.substring(0, 64) + "..." : text;
    return new IllegalArgumentException("tag '" + printable(shown) + "': " + length
        + " characters (expected: <= " + MAX_LENGTH + ")");
  }

  /** Whether the char at {@code i} is half of a surrogate pair without its other half. */
  private static boolean isLoneSurrogate(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
    }
    return Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
  }

  /**
   * The text with control characters (C0, DEL, C1) and lone surrogates shown as '?', so messages
   * cannot inject lines into logs nor fail to encode as JSON.
   */
  static String printable(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      if (Character.isISOControl(text.charAt(i)) || isLoneSurrogate(text, i)) {
        if (out == null) {
          out = new StringBuilder(text);
        }
        out.setCharAt(i, '?');
      }
    }
    return out == null ? text : out.toString();
  }
}
