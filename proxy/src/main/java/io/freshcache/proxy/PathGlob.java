package io.freshcache.proxy;

import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Globs over request paths (with their query): {@code *} matches within one path segment, {@code **}
 * across segments; everything else literally. {@code /wiki/**} matches every page under {@code
 * /wiki/}, {@code /news/*} the direct children of {@code /news/}, {@code /**} everything.
 */
final class PathGlob {
  /** The longest glob accepted. */
  static final int MAX_LENGTH = 1024;

  private PathGlob() {}

  /** Checks one glob; the message names {@code what}. */
  static void check(String glob, String what) {
    if (glob == null || glob.isEmpty() || glob.charAt(0) != '/') {
      throw new IllegalArgumentException(what + ": '" + Fields.printable(String.valueOf(glob))
          + "' (expected: a path glob starting with '/', such as /wiki/** or /news/*)");
    }
    if (glob.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(what + ": " + glob.length() + " characters (expected: <= " + MAX_LENGTH + ")");
    }
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c <= 0x20 || c == 0x7f) {
        throw new IllegalArgumentException(what + ": '" + Fields.printable(glob)
            + "' (expected: no spaces or control characters)");
      }
    }
  }

  /** A predicate true for resources any of the globs matches; never true for an empty list. */
  static Predicate<String> anyOf(List<String> globs) {
    if (globs.isEmpty()) {
      return r -> false;
    }
    StringBuilder re = new StringBuilder();
    for (String g : globs) {
      if (re.length() > 0) {
        re.append('|');
      }
      re.append("(?:").append(regex(g)).append(')');
    }
    Pattern p = Pattern.compile(re.toString());
    return r -> p.matcher(r).matches();
  }

  private static String regex(String glob) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < glob.length()) {
      if (glob.startsWith("**", i)) {
        out.append(".*");
        i += 2;
      } else if (glob.charAt(i) == '*') {
        out.append("[^/]*");
        i++;
      } else {
        int j = i;
        while (j < glob.length() && glob.charAt(j) != '*') {
          j++;
        }
        out.append(Pattern.quote(glob.substring(i, j)));
        i = j;
      }
    }
    return out.toString();
  }
}
