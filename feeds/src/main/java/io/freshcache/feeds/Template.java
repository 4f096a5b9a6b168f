package io.freshcache.feeds;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import io.freshcache.core.Tag;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A tag (or prefix) template such as {@code page:{/new/title}}: literal text and placeholders. A
 * placeholder is a JSON pointer into the change's payload ({@code {/new/title}}) or a variable of
 * the change: {@code {$id}}, {@code {$source}}, {@code {$topic}} (= {@code {$table}}), {@code
 * {$kind}} (= {@code {$type}}), {@code {$position}}. {@code {{} and {@code }}} are literal braces.
 *
 * <p>Filling: a string value is used as is; a number or boolean as its JSON text. A pointer that
 * is missing, null, an object or an array makes the template produce nothing for that change (the
 * other templates of the rule still apply).
 */
final class Template {
  static final Set<String> VARIABLES = Set.of("$id", "$source", "$topic", "$table", "$kind",
      "$type", "$position");

  private final String text;
  /** Literal strings and placeholders (a {@link JsonPointer} or a variable name), alternating. */
  private final List<Object> parts;

  private Template(String text, List<Object> parts) {
    this.text = text;
    this.parts = parts;
  }

  /**
   * Parses {@code text}; {@code asPrefix} says whether it forms a prefix (checked for blank and
   * white space) or an exact tag (checked against the tag syntax with every placeholder filled).
   *
   * @throws IllegalArgumentException naming the problem: an unclosed or empty placeholder, a bad
   *     JSON pointer, an unknown variable, or literal text that no value can make a valid tag
   */
  static Template parse(String text, boolean asPrefix) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException("template '': empty (expected: e.g. 'page:{/new/title}')");
    }
    List<Object> parts = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '{' && i + 1 < text.length() && text.charAt(i + 1) == '{') {
        literal.append('{');
        i++;
      } else if (c == '}' && i + 1 < text.length() && text.charAt(i + 1) == '}') {
        literal.append('}');
        i++;
      } else if (c == '}') {
        throw new IllegalArgumentException("template '" + text + "': '}' at " + i
            + " without '{' (expected: '}}' for a literal brace)");
      } else if (c == '{') {
        int end = text.indexOf('}', i + 1);
        if (end < 0) {
          throw new IllegalArgumentException("template '" + text + "': '{' at " + i
              + " is never closed (expected: '{/json/pointer}' or '{$id}')");
        }
        String inner = text.substring(i + 1, end);
        parts.add(literal.toString());
        literal.setLength(0);
        parts.add(placeholder(inner, text));
        i = end;
      } else {
        literal.append(c);
      }
    }
    parts.add(literal.toString());
    Template t = new Template(text, List.copyOf(parts));
    t.checkCanBeValid(asPrefix);
    return t;
  }

  /** A JSON pointer or a {@code $variable}, as a condition or a placeholder names it. */
  static Object placeholder(String inner, String where) {
    if (inner.isEmpty()) {
      throw new IllegalArgumentException("template '" + where
          + "': empty '{}' (expected: '{/json/pointer}' or '{$id}')");
    }
    if (inner.startsWith("$")) {
      if (!VARIABLES.contains(inner)) {
        throw new IllegalArgumentException("'" + inner + "': unknown variable (expected: one of "
            + new java.util.TreeSet<>(VARIABLES) + ")");
      }
      return inner;
    }
    return pointer(inner);
  }

  /** Compiles a JSON pointer (RFC 6901), with a message saying what is expected. */
  static JsonPointer pointer(String text) {
    if (!text.startsWith("/")) {
      throw new IllegalArgumentException("JSON pointer '" + text
          + "': does not start with '/' (expected: e.g. '/new/title', or a variable such as '$id')");
    }
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '~' && (i + 1 >= text.length() || (text.charAt(i + 1) != '0' && text.charAt(i + 1) != '1'))) {
        throw new IllegalArgumentException("JSON pointer '" + text + "': '~' at " + i
            + " not followed by 0 or 1 (expected: '~0' for '~', '~1' for '/')");
      }
    }
    try {
      return JsonPointer.compile(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("JSON pointer '" + text + "': " + e.getMessage(), e);
    }
  }

  /** The value a placeholder or condition names in {@code change}, or null if missing or null. */
  static JsonNode resolve(Object placeholder, Change change) {
    if (placeholder instanceof JsonPointer p) {
      JsonNode n = change.payload().at(p);
      return n.isMissingNode() || n.isNull() ? null : n;
    }
    String v = switch ((String) placeholder) {
      case "$id" -> change.id();
      case "$source" -> change.source();
      case "$topic", "$table" -> change.topic();
      case "$kind", "$type" -> change.kind();
      case "$position" -> change.position();
      default -> throw new AssertionError(placeholder);
    };
    return com.fasterxml.jackson.databind.node.TextNode.valueOf(v);
  }

  /** The filled text, or null if a placeholder has no scalar value in {@code change}. */
  String fill(Change change) {
    if (parts.size() == 1) {
      return (String) parts.get(0);
    }
    StringBuilder out = new StringBuilder(text.length() + 32);
    for (int i = 0; i < parts.size(); i++) {
      if (i % 2 == 0) {
        out.append((String) parts.get(i));
      } else {
        JsonNode n = resolve(parts.get(i), change);
        if (n == null || n.isContainerNode()) {
          return null;
        }
        out.append(n.asText());
      }
    }
    return out.toString();
  }

  /** Whether the template has no placeholder. */
  boolean isLiteral() {
    return parts.size() == 1;
  }

  /** The literal text before the first placeholder. */
  String literalPrefix() {
    return (String) parts.get(0);
  }

  /**
   * Rejects templates whose literal text alone makes every filling invalid: filled with a plain
   * value ("x") the result must parse. A literal character that breaks the tag syntax breaks it
   * whatever the values.
   */
  private void checkCanBeValid(boolean asPrefix) {
    StringBuilder sample = new StringBuilder();
    for (int i = 0; i < parts.size(); i++) {
      sample.append(i % 2 == 0 ? (String) parts.get(i) : "x");
    }
    String s = sample.toString();
    if (asPrefix) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (Character.isWhitespace(c) || Character.isISOControl(c)) {
          throw new IllegalArgumentException("prefix template '" + text + "': white space or control"
              + " character at " + i + " can never be in a tag (expected: e.g. 'space:{/new/space}/')");
        }
      }
      if (s.length() > Tag.MAX_LENGTH) {
        throw new IllegalArgumentException("prefix template '" + text + "': longer than "
            + Tag.MAX_LENGTH + " characters (expected: <= " + Tag.MAX_LENGTH + ")");
      }
      return;
    }
    Tag tag;
    try {
      tag = Tag.parse(s);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("template '" + text + "' can never form a valid tag: "
          + e.getMessage(), e);
    }
    if (tag.isPattern()) {
      throw new IllegalArgumentException("template '" + text + "' forms a pattern (expected: an"
          + " exact tag; put subtrees under 'prefixes')");
    }
  }

  @Override
  public String toString() {
    return text;
  }
}
