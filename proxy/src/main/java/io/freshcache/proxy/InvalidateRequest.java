package io.freshcache.proxy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.freshcache.core.Tag;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The body of {@code POST /invalidate}, parsed and validated in full before anything is applied, so
 * that a bad item anywhere in a request invalidates nothing.
 *
 * <pre>{@code {"tags": ["page:Home"], "prefixes": ["page:Projects/"], "urls": ["/wiki/Home"]}}</pre>
 *
 * <p>Every field is optional (absent or null is an empty list); no other field is allowed. The JSON
 * is read as a tree and checked by hand rather than bound to a class, so that each refusal names the
 * exact item ({@code tags[3]}) and what was expected, and no value is silently coerced (a number is
 * not a tag).
 *
 * @param tags exact tags for {@code Freshcache.invalidate}, each accepted by {@link Tag#parse} and not
 *     a pattern
 * @param prefixes tag prefixes for {@code Freshcache.invalidatePrefix}
 * @param urls paths or URLs for {@link AdminActions#invalidateUrl}
 */
record InvalidateRequest(List<String> tags, List<String> prefixes, List<String> urls) {

  /** Reads the body. Duplicate keys and anything after the object are errors, not ignored. */
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private static final List<String> FIELDS = List.of("tags", "prefixes", "urls");

  /** Copies the lists. */
  InvalidateRequest {
    tags = List.copyOf(tags);
    prefixes = List.copyOf(prefixes);
    urls = List.copyOf(urls);
  }

  /** How many items in all. */
  int size() {
    return tags.size() + prefixes.size() + urls.size();
  }

  /**
   * Parses and validates a request body.
   *
   * @param maxItems the most tags, prefixes and URLs in all
   * @throws AdminError 400 naming what is wrong, or 413 beyond {@code maxItems}
   */
  static InvalidateRequest parse(byte[] body, int maxItems) {
    if (body.length == 0) {
      throw new AdminError(400, "body: empty (expected: a JSON object such as {\"tags\":[\"page:Home\"]})");
    }
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new AdminError(400, "body: not valid JSON: " + describe(e));
    } catch (IOException e) { // not thrown for a byte array, but declared
      throw new AdminError(400, "body: unreadable: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new AdminError(400, "body: " + (root == null ? "empty" : "a JSON " + type(root))
          + " (expected: a JSON object with \"tags\", \"prefixes\" and/or \"urls\")");
    }
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw new AdminError(400, "unknown field '" + Fields.printable(name) + "' (expected: tags, prefixes, urls)");
      }
    }
    // Counted before any item is looked at, so an oversized request costs no validation work.
    int items = 0;
    for (String field : FIELDS) {
      JsonNode node = root.get(field);
      if (node != null && node.isArray()) {
        items += node.size();
      }
    }
    if (items > maxItems) {
      throw new AdminError(413, "items: " + items + " (expected: at most " + maxItems
          + " tags, prefixes and urls in all per request; send several requests, or use a prefix)");
    }
    List<String> tags = strings(root, "tags");
    List<String> prefixes = strings(root, "prefixes");
    List<String> urls = strings(root, "urls");
    for (int i = 0; i < tags.size(); i++) {
      checkTag("tags[" + i + "]", tags.get(i));
    }
    for (int i = 0; i < prefixes.size(); i++) {
      checkPrefix("prefixes[" + i + "]", prefixes.get(i));
    }
    for (int i = 0; i < urls.size(); i++) {
      checkUrl("urls[" + i + "]", urls.get(i));
    }
    return new InvalidateRequest(tags, prefixes, urls);
  }

  private static List<String> strings(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return List.of();
    }
    if (!node.isArray()) {
      throw new AdminError(400, field + ": a JSON " + type(node) + " (expected: an array of strings)");
    }
    List<String> out = new ArrayList<>(node.size());
    for (int i = 0; i < node.size(); i++) {
      JsonNode item = node.get(i);
      if (!item.isTextual()) {
        throw new AdminError(400, field + "[" + i + "]: a JSON " + type(item) + " (expected: a string)");
      }
      out.add(item.textValue());
    }
    return out;
  }

  /** Exactly what {@code Freshcache.invalidate} accepts, checked here so nothing is applied on error. */
  private static void checkTag(String what, String text) {
    Tag tag;
    try {
      tag = Tag.parse(text);
    } catch (IllegalArgumentException e) {
      throw new AdminError(400, what + ": " + e.getMessage());
    }
    if (tag.isPattern()) {
      throw new AdminError(400, what + ": '" + Fields.printable(text) + "' is a pattern (expected: an exact tag; "
          + "to invalidate a subtree put '" + Fields.printable(tag.path()) + "/' in \"prefixes\")");
    }
  }

  /** What {@code Freshcache.invalidatePrefix} accepts, plus no control characters. */
  private static void checkPrefix(String what, String prefix) {
    if (prefix.isBlank()) {
      throw new AdminError(400, what + ": blank (expected: a tag prefix such as 'page:Projects/')");
    }
    if (prefix.length() > Tag.MAX_LENGTH) {
      throw new AdminError(400, what + ": " + prefix.length() + " characters (expected: <= " + Tag.MAX_LENGTH + ")");
    }
    if (hasControlOrSpace(prefix)) {
      throw new AdminError(400, what + ": '" + Fields.printable(prefix)
          + "' contains white space or control characters (expected: a tag prefix such as 'page:Projects/')");
    }
    for (int i = 0; i < prefix.length(); i++) {
      if (Fields.isLoneSurrogate(prefix, i)) {
        throw new AdminError(400, what + ": '" + Fields.printable(prefix) + "' has an unpaired surrogate at " + i
            + " (expected: well-formed Unicode text)");
      }
    }
  }

  /** An absolute path (with optional query) or an absolute http(s) URL; see {@link AdminActions#invalidateUrl}. */
  static void checkUrl(String what, String url) {
    String expected = " (expected: an absolute path such as '/wiki/Home' or a URL such as 'http://example.org/wiki/Home')";
    if (url.isEmpty()) {
      throw new AdminError(400, what + ": empty" + expected);
    }
    if (url.length() > AdminServer.MAX_URL_LENGTH) {
      throw new AdminError(400, what + ": " + url.length() + " characters (expected: <= " + AdminServer.MAX_URL_LENGTH + ")");
    }
    if (hasControlOrSpace(url)) {
      throw new AdminError(400, what + ": '" + Fields.printable(url) + "' contains white space or control characters" + expected);
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new AdminError(400, what + ": '" + Fields.printable(url) + "' is not a URI: " + e.getReason() + expected);
    }
    if (uri.getRawFragment() != null) {
      throw new AdminError(400, what + ": '" + Fields.printable(url) + "' has a fragment" + expected);
    }
    boolean path = uri.getScheme() == null && uri.getRawAuthority() == null
        && uri.getRawPath() != null && uri.getRawPath().startsWith("/");
    boolean absolute = uri.getScheme() != null
        && ("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
        && uri.getHost() != null && uri.getRawUserInfo() == null;
    if (!path && !absolute) {
      throw new AdminError(400, what + ": '" + Fields.printable(url) + "'" + expected);
    }
  }

  private static boolean hasControlOrSpace(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c == 0x7f || Character.isWhitespace(c) || Character.isISOControl(c)) {
        return true;
      }
    }
    return false;
  }

  private static String type(JsonNode node) {
    return node.getNodeType().toString().toLowerCase(Locale.ROOT);
  }

  /** At most 100 characters of client input in a message. */
  private static String cut(String s) {
    return s.length() <= 100 ? s : s.substring(0, 100) + "...";
  }

  private static String describe(JsonProcessingException e) {
    String message = e.getOriginalMessage();
    if (message == null) {
      message = e.getClass().getSimpleName();
    }
    // Jackson's messages can span lines (a hint on the next); the first line says what was wrong.
    int newline = message.indexOf('\n');
    if (newline >= 0) {
      message = message.substring(0, newline);
    }
    // And some name the parser's own source and settings, which are ours, not the client's business.
    for (String internal : new String[] {" [Source:", " at [Source", " (from `", ", from `"}) {
      int at = message.indexOf(internal);
      if (at > 0) {
        message = message.substring(0, at) + (internal.startsWith(",") ? ")" : "");
      }
    }
    JsonLocation at = e.getLocation();
    return cut(message) + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")");
  }

  /** For the log: a few items, then how many more. */
  static String preview(List<String> items) {
    int shown = Math.min(items.size(), 5);
    List<String> out = new ArrayList<>(shown);
    for (int i = 0; i < shown; i++) {
      out.add(Fields.printable(items.get(i)));
    }
    return out + (items.size() > shown ? " and " + (items.size() - shown) + " more" : "");
  }

  /** The fields of the 200 response, in order. */
  static Map<String, Object> result(InvalidateRequest r, int removed, long tookMicros) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("tags", r.tags().size());
    m.put("prefixes", r.prefixes().size());
    m.put("urls", r.urls().size());
    m.put("removed", removed);
    m.put("tookMicros", tookMicros);
    return m;
  }
}
