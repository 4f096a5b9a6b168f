package io.freshcache.proxy;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns an include's {@code src} (or {@code alt}) into the origin-relative request target the proxy
 * fetches: {@code /frag/bar?x=1}.
 *
 * <p><b>Same origin only.</b> The proxy must never become a way to make requests to other hosts
 * (server-side request forgery): a template is origin content, but it may echo user input. So the
 * result is only ever a path and query, which the data path sends to the configured origin, and an
 * absolute {@code http:} or {@code https:} src (or a network-path reference {@code //host/...}) is
 * accepted only when its authority is the origin's ({@link ProxyConfig#originAuthority()}; host
 * compared ignoring case, default ports ignored). Other schemes, user info, fragment-only references
 * and characters a URI cannot hold (control characters, in particular CR and LF, which could split
 * the request line; space; non-ASCII; bad percent-encodings) are rejected.
 *
 * <p><b>Resolution</b> follows RFC 3986 section 5.2 against the including page's path (the parent,
 * not the top-level page: an include in {@code /a/frag} of {@code side} is {@code /a/side}), with dot
 * segments removed ({@code ../} never climbs above {@code /}) and any fragment dropped (it is never
 * sent to a server). This is what {@link java.net.URI#resolve} does, except where that class keeps
 * RFC 2396's behaviour: {@code ?q} keeps the parent's last segment and leading {@code ..} segments
 * are removed.
 */
final class EsiSrc {

  private EsiSrc() {}

  /**
   * The request target for {@code src} in a template served at {@code parentPath}.
   *
   * @param src the attribute value, entity-decoded ({@link #unescape}; {@link EsiTemplate} does it)
   * @param parentPath the path and query of the template the include is in; starts with '/'
   * @param originAuthority the origin's host and port, such as {@code localhost:8081}
   * @return a path and optional query, starting with '/'
   * @throws EsiException ({@link EsiError.Kind#SRC}) if src is not a same-origin reference
   * @throws IllegalArgumentException if parentPath does not start with '/'
   */
  static String resolve(String src, String parentPath, String originAuthority) throws EsiException {
    requireNonNull(src, "src");
    requireNonNull(parentPath, "parentPath");
    requireNonNull(originAuthority, "originAuthority");
    if (!parentPath.startsWith("/")) {
      throw new IllegalArgumentException("parentPath: '" + Fields.printable(parentPath) + "' (expected: a path starting with '/')");
    }
    checkCharacters(src);
    String ref = src;
    int hash = ref.indexOf('#');
    if (hash == 0) {
      throw bad(src, "is only a fragment (expected: a path such as /fragment)");
    }
    if (hash > 0) {
      ref = ref.substring(0, hash);
    }
    if (ref.isEmpty()) {
      throw bad(src, "is empty (expected: a path such as /fragment)");
    }

    String scheme = scheme(ref);
    String rest = ref;
    if (scheme != null) {
      String s = scheme.toLowerCase(Locale.ROOT);
      if (!s.equals("http") && !s.equals("https")) {
        throw bad(src, "has scheme " + Fields.printable(scheme) + " (expected: a path, or an http(s) URL of the origin)");
      }
      rest = ref.substring(scheme.length() + 1);
      if (!rest.startsWith("//")) {
        throw bad(src, "is an " + s + " URL without authority (expected: " + s + "://" + originAuthority + "/path)");
      }
    }

    String path;
    String query;
    if (rest.startsWith("//")) {
      int end = 2;
      while (end < rest.length() && rest.charAt(end) != '/' && rest.charAt(end) != '?') {
        end++;
      }
      String authority = rest.substring(2, end);
      String srcScheme = scheme == null ? "http" : scheme.toLowerCase(Locale.ROOT);
      if (authority.indexOf('@') >= 0) {
        throw bad(src, "has user info (expected: " + originAuthority + " with no user)");
      }
      if (!normalizeAuthority(authority, srcScheme).equals(normalizeAuthority(originAuthority, "http"))) {
        throw bad(src, "names host " + Fields.printable(authority) + " (expected: the origin, " + originAuthority
            + "; the proxy fetches includes from the origin only)");
      }
      String pathAndQuery = rest.substring(end);
      int q = pathAndQuery.indexOf('?');
      path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
      query = q < 0 ? null : pathAndQuery.substring(q + 1);
      if (path.isEmpty()) {
        path = "/"; // RFC 9110 section 4.2.3: an empty http path is "/"
      }
    } else {
      int q = rest.indexOf('?');
      String refPath = q < 0 ? rest : rest.substring(0, q);
      query = q < 0 ? null : rest.substring(q + 1);
      int pq = parentPath.indexOf('?');
      String basePath = pq < 0 ? parentPath : parentPath.substring(0, pq);
      if (refPath.isEmpty()) {
        path = basePath; // "?x=1": the parent's path with another query (RFC 3986 section 5.2.2)
      } else if (refPath.startsWith("/")) {
        path = refPath;
      } else {
        path = basePath.substring(0, basePath.lastIndexOf('/') + 1) + refPath; // merge, section 5.2.3
      }
    }
    path = removeDotSegments(path);
    return query == null ? path : path + "?" + query;
  }

  /**
   * Decodes the entities an attribute value may hold: {@code &amp; &lt; &gt; &quot; &apos;} and
   * numeric character references ({@code &#38;}, {@code &#x26;}). Anything else beginning with
   * {@code &} is left as it is, as HTML does.
   */
  static String unescape(String s) {
    int amp = s.indexOf('&');
    if (amp < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length());
    b.append(s, 0, amp);
    int i = amp;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c != '&') {
        b.append(c);
        i++;
        continue;
      }
      int semi = s.indexOf(';', i + 1);
      if (semi < 0 || semi - i > 10) {
        b.append(c);
        i++;
        continue;
      }
      String name = s.substring(i + 1, semi);
      int codePoint = switch (name) {
        case "amp" -> '&';
        case "lt" -> '<';
        case "gt" -> '>';
        case "quot" -> '"';
        case "apos" -> '\'';
        default -> numeric(name);
      };
      if (codePoint < 0) {
        b.append(c);
        i++;
      } else {
        b.appendCodePoint(codePoint);
        i = semi + 1;
      }
    }
    return b.toString();
  }

  /** The code point of {@code #NN} or {@code #xHH}, or -1. */
  private static int numeric(String name) {
    if (name.length() < 2 || name.charAt(0) != '#') {
      return -1;
    }
    boolean hex = name.charAt(1) == 'x' || name.charAt(1) == 'X';
    String digits = name.substring(hex ? 2 : 1);
    if (digits.isEmpty() || digits.length() > 7) {
      return -1;
    }
    int value = 0;
    for (int i = 0; i < digits.length(); i++) {
      int d = Character.digit(digits.charAt(i), hex ? 16 : 10);
      if (d < 0 || digits.charAt(i) > 0x7F) {
        return -1;
      }
      value = value * (hex ? 16 : 10) + d;
    }
    return Character.isValidCodePoint(value) ? value : -1;
  }

  /** The scheme of an RFC 3986 URI reference, or null for a relative reference. */
  private static String scheme(String ref) {
    if (ref.isEmpty() || !isAlpha(ref.charAt(0))) {
      return null;
    }
    for (int i = 1; i < ref.length(); i++) {
      char c = ref.charAt(i);
      if (c == ':') {
        return ref.substring(0, i);
      }
      if (!isAlpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') {
        return null;
      }
    }
    return null;
  }

  /** Lower-cased host, with the port dropped when it is the scheme's default (or empty). */
  private static String normalizeAuthority(String authority, String scheme) {
    String a = authority.toLowerCase(Locale.ROOT);
    int colon = a.lastIndexOf(':');
    if (colon >= 0 && a.indexOf(']', colon) < 0) { // not a colon inside an IPv6 literal
      String port = a.substring(colon + 1);
      String defaultPort = scheme.equals("https") ? "443" : "80";
      if (port.isEmpty() || port.equals(defaultPort)) {
        a = a.substring(0, colon);
      }
    }
    return a;
  }

  /**
   * RFC 3986 section 5.2.4 for a path starting with '/': "." and ".." segments removed, ".." at the
   * root staying at the root, a trailing "." or ".." leaving a trailing '/'.
   */
  static String removeDotSegments(String path) {
    if (path.indexOf('.') < 0) {
      return path;
    }
    List<String> out = new ArrayList<>();
    String[] segments = path.substring(1).split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      String s = segments[i];
      boolean last = i == segments.length - 1;
      if (s.equals(".") || s.equals("..")) {
        if (s.equals("..") && !out.isEmpty()) {
          out.remove(out.size() - 1);
        }
        if (last) {
          out.add("");
        }
      } else {
        out.add(s);
      }
    }
    return "/" + String.join("/", out);
  }

  /** Rejects what no URI reference may hold (RFC 3986 section 2), naming the first offender. */
  private static void checkCharacters(String src) throws EsiException {
    for (int i = 0; i < src.length(); i++) {
      char c = src.charAt(i);
      if (c == '%') {
        if (i + 2 >= src.length() || Character.digit(src.charAt(i + 1), 16) < 0
            || Character.digit(src.charAt(i + 2), 16) < 0 || src.charAt(i + 1) > 0x7F || src.charAt(i + 2) > 0x7F) {
          throw bad(src, "has a '%' at index " + i + " not followed by two hex digits (expected: %XX)");
        }
        continue;
      }
      if (!isUriChar(c)) {
        throw bad(src, "has " + String.format("U+%04X", (int) c) + " at index " + i
            + " (expected: a URI; percent-encode spaces, control characters and non-ASCII)");
      }
    }
  }

  /** unreserved, gen-delims and sub-delims (RFC 3986 section 2.2, 2.3). */
  private static boolean isUriChar(char c) {
    if (isAlpha(c) || c >= '0' && c <= '9') {
      return true;
    }
    return "-._~:/?#[]@!$&'()*+,;=".indexOf(c) >= 0;
  }

  private static boolean isAlpha(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
  }

  private static EsiException bad(String src, String what) {
    return new EsiException(new EsiError(EsiError.Kind.SRC, "src '" + Fields.printable(src) + "' " + what));
  }
}
