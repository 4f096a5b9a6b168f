package io.freshcache.proxy;

import static java.util.Objects.requireNonNull;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * An immutable, ordered header section: field lines as received, names compared case-insensitively
 * (RFC 9110 section 5.1).
 *
 * <p>The semantics layer works on this rather than on Netty's {@link HttpHeaders} so that its
 * functions are pure and tests can write {@code Fields.of("Cache-Control", "max-age=5")}; {@link
 * #of(HttpHeaders)} and {@link #toNetty()} convert at the edge. A field may occur on several lines
 * and each line may itself be a comma-separated list, so lookups return every line, in order.
 *
 * @param lines the field lines in received order
 */
record Fields(List<Field> lines) {

  /** No fields. */
  static final Fields EMPTY = new Fields(List.of());

  /**
   * One field line.
   *
   * @param name the field name as received (compare with {@link #is})
   * @param value the field value, without leading or trailing white space
   */
  record Field(String name, String value) {
    /** Checks that the name is a non-empty token-ish string and trims the value. */
    Field {
      requireNonNull(name, "name");
      requireNonNull(value, "value");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("field name: empty (expected: a token such as 'Cache-Control')");
      }
      value = trimOws(value);
    }

    /** Whether this line's name is {@code other}, ignoring ASCII case. */
    boolean is(String other) {
      return name.equalsIgnoreCase(other);
    }
  }

  /** Copies the list. */
  Fields {
    lines = List.copyOf(lines);
  }

  /**
   * Builds fields from alternating names and values: {@code of("Vary", "Accept", "Vary", "Cookie")}.
   *
   * @throws IllegalArgumentException if the number of arguments is odd
   */
  static Fields of(String... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("namesAndValues: " + namesAndValues.length
          + " strings (expected: an even number, alternating names and values)");
    }
    List<Field> list = new ArrayList<>(namesAndValues.length / 2);
    for (int i = 0; i < namesAndValues.length; i += 2) {
      list.add(new Field(namesAndValues[i], namesAndValues[i + 1]));
    }
    return new Fields(list);
  }

  /** The lines of a Netty header section, in iteration order. */
  static Fields of(HttpHeaders headers) {
    List<Field> list = new ArrayList<>(headers.size());
    for (Map.Entry<String, String> e : headers) {
      list.add(new Field(e.getKey(), e.getValue()));
    }
    return new Fields(list);
  }

  /** A new Netty header section holding these lines (names as received; Netty validates them). */
  HttpHeaders toNetty() {
    HttpHeaders headers = new DefaultHttpHeaders();
    for (Field f : lines) {
      headers.add(f.name(), f.value());
    }
    return headers;
  }

  /** The values of every line named {@code name}, in order; empty if there is none. */
  List<String> all(String name) {
    List<String> values = null;
    for (Field f : lines) {
      if (f.is(name)) {
        if (values == null) {
          values = new ArrayList<>(2);
        }
        values.add(f.value());
      }
    }
    return values == null ? List.of() : values;
  }

  /** The value of the first line named {@code name}, or {@code null}. */
  String first(String name) {
    for (Field f : lines) {
      if (f.is(name)) {
        return f.value();
      }
    }
    return null;
  }

  /** Whether some line is named {@code name}. */
  boolean contains(String name) {
    return first(name) != null;
  }

  /** These lines plus one at the end. */
  Fields with(String name, String value) {
    List<Field> list = new ArrayList<>(lines.size() + 1);
    list.addAll(lines);
    list.add(new Field(name, value));
    return new Fields(list);
  }

  /** These lines without those named {@code name}, plus one {@code name: value} line at the end. */
  Fields replacing(String name, String value) {
    return without(name).with(name, value);
  }

  /** These lines without any named {@code name}. */
  Fields without(String name) {
    return filter(f -> !f.is(name));
  }

  /** These lines without any whose lower-cased name is in {@code lowerCaseNames}. */
  Fields withoutAll(Collection<String> lowerCaseNames) {
    if (lowerCaseNames.isEmpty()) {
      return this;
    }
    return filter(f -> !lowerCaseNames.contains(lower(f.name())));
  }

  /** The lines {@code keep} accepts, in order. */
  Fields filter(Predicate<Field> keep) {
    List<Field> list = new ArrayList<>(lines.size());
    for (Field f : lines) {
      if (keep.test(f)) {
        list.add(f);
      }
    }
    return list.size() == lines.size() ? this : new Fields(list);
  }

  /** The distinct lower-cased names, for set operations. */
  Set<String> names() {
    Set<String> names = new java.util.LinkedHashSet<>();
    for (Field f : lines) {
      names.add(lower(f.name()));
    }
    return names;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    for (Field f : lines) {
      b.append(f.name()).append(": ").append(f.value()).append('\n');
    }
    return b.toString();
  }

  // ------------------------------------------------------------------ shared helpers

  /** ASCII lower case (field names and directive names are ASCII; Locale-independent). */
  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }

  /** {@code s} without leading and trailing SP and HTAB (OWS, RFC 9110 section 5.6.3). */
  static String trimOws(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && isOws(s.charAt(start))) {
      start++;
    }
    while (end > start && isOws(s.charAt(end - 1))) {
      end--;
    }
    return start == 0 && end == s.length() ? s : s.substring(start, end);
  }

  static boolean isOws(char c) {
    return c == ' ' || c == '\t';
  }

  /** tchar (RFC 9110 section 5.6.2). */
  static boolean isTchar(char c) {
    if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
      return true;
    }
    return switch (c) {
      case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~' -> true;
      default -> false;
    };
  }

  /** Whether {@code s} is a non-empty token. */
  static boolean isToken(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (!isTchar(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Splits a list-based field's lines into members (RFC 9110 section 5.6.1): commas separate,
   * members are trimmed, empty members are dropped. Only for fields whose members cannot contain
   * commas or quoted strings (field-name lists, tokens).
   */
  static List<String> listMembers(List<String> lines) {
    List<String> members = new ArrayList<>();
    for (String line : lines) {
      int start = 0;
      for (int i = 0; i <= line.length(); i++) {
        if (i == line.length() || line.charAt(i) == ',') {
          String m = trimOws(line.substring(start, i));
          if (!m.isEmpty()) {
            members.add(m);
          }
          start = i + 1;
        }
      }
    }
    return members;
  }

  /**
   * Text safe to put in a message (a log line, a JSON error): control characters and lone surrogates
   * shown as '?', long text cut at 64 characters.
   */
  static String printable(String text) {
    String s = text.length() > 64 ? text.substring(0, 64) + "..." : text;
    StringBuilder out = null;
    for (int i = 0; i < s.length(); i++) {
      if (Character.isISOControl(s.charAt(i)) || isLoneSurrogate(s, i)) {
        if (out == null) {
          out = new StringBuilder(s);
        }
        out.setCharAt(i, '?');
      }
    }
    return out == null ? s : out.toString();
  }

  /** Whether the char at {@code i} is half of a surrogate pair without its other half (no character at all). */
  static boolean isLoneSurrogate(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
    }
    return Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
  }
}
