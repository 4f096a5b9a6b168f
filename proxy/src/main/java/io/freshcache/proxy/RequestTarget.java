package io.freshcache.proxy;

/**
 * The cache resource of a request target: its path, normalized, and its query as sent.
 *
 * <p>Normalization is the syntax-based kind of RFC 3986 section 6.2.2 that cannot change what the
 * origin sees as the same resource: percent-encodings of unreserved characters are decoded, other
 * percent-encodings are upper-cased, dot segments are removed, an absolute-form target ({@code
 * http://host/path}) is reduced to its path and query, and a fragment is dropped. The query is kept
 * byte for byte: parameter order can matter to the origin, so reordering it could merge resources
 * that differ.
 */
final class RequestTarget {

  private RequestTarget() {}

  /** The resource for a request target or an absolute URL, or null if it is not an origin-form or absolute-form target. */
  static String resource(String target) {
    if (target == null || target.isEmpty()) {
      return null;
    }
    String t = target;
    if (t.charAt(0) != '/') {
      int scheme = t.indexOf("://");
      if (scheme <= 0) {
        return null;
      }
      int slash = t.indexOf('/', scheme + 3);
      int q = t.indexOf('?', scheme + 3);
      if (slash < 0 || (q >= 0 && q < slash)) {
        t = "/" + (q >= 0 ? t.substring(q) : "");
      } else {
        t = t.substring(slash);
      }
    }
    int hash = t.indexOf('#');
    if (hash >= 0) {
      t = t.substring(0, hash);
    }
    int q = t.indexOf('?');
    String path = q < 0 ? t : t.substring(0, q);
    String query = q < 0 ? "" : t.substring(q);
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c <= 0x20 || c >= 0x7F) {
        return null; // the decoder lets some through; a resource must be plain visible ASCII
      }
    }
    String decoded = percent(path);
    if (decoded == null) {
      return null;
    }
    String p = removeDotSegments(decoded);
    String resource = query.isEmpty() ? p : p + query;
    return resource.length() > io.freshcache.core.CacheKey.MAX_RESOURCE_LENGTH ? null : resource;
  }

  /** Decodes unreserved percent-encodings and upper-cases the rest; null if one is malformed. */
  private static String percent(String path) {
    if (path.indexOf('%') < 0) {
      return path;
    }
    StringBuilder b = new StringBuilder(path.length());
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c != '%') {
        b.append(c);
        continue;
      }
      if (i + 2 >= path.length()) {
        return null;
      }
      int hi = Character.digit(path.charAt(i + 1), 16);
      int lo = Character.digit(path.charAt(i + 2), 16);
      if (hi < 0 || lo < 0) {
        return null;
      }
      char d = (char) (hi * 16 + lo);
      if (d >= 'a' && d <= 'z' || d >= 'A' && d <= 'Z' || d >= '0' && d <= '9' || d == '-' || d == '.' || d == '_' || d == '~') {
        b.append(d);
      } else {
        b.append('%').append(Character.toUpperCase(path.charAt(i + 1))).append(Character.toUpperCase(path.charAt(i + 2)));
      }
      i += 2;
    }
    return b.toString();
  }

  /** Whether a segment of {@code path} is "." or "..". */
  private static boolean hasDotSegment(String path) {
    for (int i = path.indexOf("/."); i >= 0; i = path.indexOf("/.", i + 1)) {
      int next = i + 2;
      if (next < path.length() && path.charAt(next) == '.') {
        next++;
      }
      if (next == path.length() || path.charAt(next) == '/') {
        return true;
      }
    }
    return false;
  }

  /** RFC 3986 section 5.2.4, for an absolute path; "/" if everything was removed. */
  static String removeDotSegments(String path) {
    if (path.isEmpty()) {
      return "/";
    }
    if (!hasDotSegment(path)) {
      return path; // the common case ("/a/b.html"), without splitting
    }
    String[] segments = path.split("/", -1);
    java.util.ArrayDeque<String> out = new java.util.ArrayDeque<>();
    for (int i = 1; i < segments.length; i++) {
      String s = segments[i];
      boolean last = i == segments.length - 1;
      if (s.equals(".")) {
        if (last) {
          out.addLast("");
        }
      } else if (s.equals("..")) {
        out.pollLast();
        if (last) {
          out.addLast("");
        }
      } else {
        out.addLast(s);
      }
    }
    return "/" + String.join("/", out);
  }
}
