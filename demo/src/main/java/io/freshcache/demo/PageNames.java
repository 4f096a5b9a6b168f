package io.freshcache.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a page name may be. Names are URL paths and parts of tags as they are, so they are kept to
 * characters that need no escaping in either: letters, digits, {@code _ . -}, segments separated by
 * {@code /}. (Tags forbid white space, {@code ,}, {@code *} and {@code #}.)
 */
final class PageNames {

  static final int MAX_LENGTH = 120;
  static final int MAX_DEPTH = 6;

  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,39}");

  /** First segments taken by the application's own paths. */
  private static final Set<String> RESERVED = Set.of("edit", "delete", "login", "logout");

  private PageNames() {}

  /** Null if {@code name} is a valid page name, else why not. */
  static String problem(String name) {
    if (name == null || name.isEmpty()) {
      return "page name: empty (expected: e.g. Projects/Alpha)";
    }
    if (name.length() > MAX_LENGTH) {
      return "page name: " + name.length() + " characters (expected: <= " + MAX_LENGTH + ")";
    }
    String[] segments = name.split("/", -1);
    if (segments.length > MAX_DEPTH) {
      return "page name: " + segments.length + " levels (expected: <= " + MAX_DEPTH + ")";
    }
    for (String s : segments) {
      if (!SEGMENT.matcher(s).matches()) {
        return "page name: '" + name + "' (expected: segments of letters, digits, _ . - separated by /,"
            + " each starting with a letter or digit)";
      }
    }
    if (RESERVED.contains(segments[0])) {
      return "page name: '" + name + "' (expected: not starting with " + segments[0] + ", which is reserved)";
    }
    return null;
  }

  static boolean isValid(String name) {
    return problem(name) == null;
  }

  /** The ancestors of a name, outermost first: {@code A/B/C} has {@code A}, {@code A/B}. */
  static List<String> ancestors(String name) {
    List<String> result = new ArrayList<>();
    for (int i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
      result.add(name.substring(0, i));
    }
    return result;
  }

  /** The parent, or null for a top-level name. */
  static String parent(String name) {
    int slash = name.lastIndexOf('/');
    return slash < 0 ? null : name.substring(0, slash);
  }

  /** The last segment. */
  static String leaf(String name) {
    return name.substring(name.lastIndexOf('/') + 1);
  }
}
