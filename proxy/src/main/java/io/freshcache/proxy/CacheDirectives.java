package io.freshcache.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The directives of one cache-control field, as parsed, before interpretation ({@link
 * ResponseDirectives}, {@link RequestDirectives} give them meaning).
 *
 * <p>Two syntaxes:
 *
 * <ul>
 *   <li>{@link #parse}: the classic {@code Cache-Control} grammar (RFC 9111 section 5.2, RFC 9110
 *       section 5.6): {@code #( token [ "=" ( token / quoted-string ) ] )}; names are
 *       case-insensitive (stored lower-case); arguments in either form.
 *   <li>{@link #parseStructured}: the targeted fields of RFC 9213 ({@code CDN-Cache-Control}, {@code
 *       Freshcache-Cache-Control}), which are Structured Field Dictionaries (RFC 8941): keys are
 *       lower-case by syntax, values are typed, and any syntax error invalidates the whole field.
 * </ul>
 *
 * <p>Classic parsing never fails: HTTP's error handling is per element. An element that does not
 * start with a token is skipped. An element whose name is a token but whose rest does not follow the
 * grammar ({@code max-age=60 x}, {@code max-age = 60}, {@code private="a, b} without closing quote) is
 * kept, with its name and its raw remainder as a {@link Kind#STRING} argument (control characters
 * shown as {@code ?}). Interpreters then treat it by the directive's own rules, which makes it
 * restrictive: {@code max-age} with a non-number is stale, a field-name list that is not one means
 * the unqualified (stronger) form, {@code no-store} with junk is still {@code no-store}. Keeping the
 * raw remainder as a string also makes {@link #toString()} a fixed point: parsing the canonical form
 * yields the same directives. Each field line is parsed on its own, so an unterminated quoted string
 * cannot swallow the directives of the next line.
 *
 * @param list the directives in order, duplicates kept (interpreters decide what duplicates mean)
 * @param structured whether this came from a Structured Field (affects how arguments are typed)
 */
record CacheDirectives(List<Directive> list, boolean structured) {

  /** No directives. */
  static final CacheDirectives NONE = new CacheDirectives(List.of(), false);

  /** How an argument was written. */
  enum Kind {
    /** No argument (classic), or Boolean true (structured). */
    NONE,
    /** A token. */
    TOKEN,
    /** A quoted-string / sf-string, unescaped; or the raw remainder of a malformed element. */
    STRING,
    /** An sf-integer (structured only). */
    INTEGER,
    /** An sf-decimal, byte sequence or inner list (structured only): never a valid argument here. */
    OTHER
  }

  /**
   * One directive.
   *
   * @param name lower-case name
   * @param argument the argument, or {@code null} for {@link Kind#NONE}
   * @param kind how the argument was written
   */
  record Directive(String name, String argument, Kind kind) {
    /** A directive without argument. */
    static Directive of(String name) {
      return new Directive(name, null, Kind.NONE);
    }
  }

  /** Copies the list. */
  CacheDirectives {
    list = List.copyOf(list);
  }

  /** Every occurrence of {@code name} (lower-case), in order. */
  List<Directive> all(String name) {
    List<Directive> found = new ArrayList<>(1);
    for (Directive d : list) {
      if (d.name.equals(name)) {
        found.add(d);
      }
    }
    return found;
  }

  /** Whether {@code name} (lower-case) occurs. */
  boolean has(String name) {
    for (Directive d : list) {
      if (d.name.equals(name)) {
        return true;
      }
    }
    return false;
  }

  /** Whether there are no directives. */
  boolean isEmpty() {
    return list.isEmpty();
  }

  // ------------------------------------------------------------------ classic grammar

  /** Parses {@code Cache-Control} field lines (classic grammar); never throws, never returns null. */
  static CacheDirectives parse(List<String> lines) {
    List<Directive> out = new ArrayList<>();
    for (String line : lines) {
      parseLine(line, out);
    }
    return new CacheDirectives(out, false);
  }

  /** Parses one {@code Cache-Control} field value. */
  static CacheDirectives parse(String value) {
    return parse(List.of(value));
  }

  private static void parseLine(String s, List<Directive> out) {
    int n = s.length();
    int i = 0;
    while (true) {
      while (i < n && (s.charAt(i) == ',' || Fields.isOws(s.charAt(i)))) {
        i++;
      }
      if (i == n) {
        return;
      }
      if (!Fields.isTchar(s.charAt(i))) {
        i = elementEnd(s, i); // not a directive at all: skip the element
        continue;
      }
      int nameStart = i;
      while (i < n && Fields.isTchar(s.charAt(i))) {
        i++;
      }
      String name = Fields.lower(s.substring(nameStart, i));
      if (i < n && s.charAt(i) == '=') {
        int argStart = i + 1;
        int argEnd = -1;
        String argument = null;
        Kind kind = Kind.TOKEN;
        if (argStart < n && s.charAt(argStart) == '"') {
          int close = quotedStringEnd(s, argStart);
          if (close > 0) {
            argument = unquote(s, argStart, close);
            kind = Kind.STRING;
            argEnd = close;
          }
        } else if (argStart < n && Fields.isTchar(s.charAt(argStart))) {
          argEnd = argStart;
          while (argEnd < n && Fields.isTchar(s.charAt(argEnd))) {
            argEnd++;
          }
          argument = s.substring(argStart, argEnd);
        }
        if (argument != null) {
          int after = skipOws(s, argEnd);
          if (after == n || s.charAt(after) == ',') {
            out.add(new Directive(name, argument, kind));
            i = after;
            continue;
          }
        }
        i = malformed(s, name, argStart, out);
      } else {
        int after = skipOws(s, i);
        if (after == n || s.charAt(after) == ',') {
          out.add(Directive.of(name));
          i = after;
        } else {
          i = malformed(s, name, after, out);
        }
      }
    }
  }

  /** Records {@code name} with the raw rest of its element from {@code from}; returns the element's end. */
  private static int malformed(String s, String name, int from, List<Directive> out) {
    int end = elementEnd(s, from);
    out.add(new Directive(name, sanitize(Fields.trimOws(s.substring(from, end))), Kind.STRING));
    return end;
  }

  /** The index of the comma ending the element at {@code from} (outside quoted strings), or the end. */
  private static int elementEnd(String s, int from) {
    boolean quoted = false;
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quoted && c == '\\') {
        i++;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        return i;
      }
    }
    return s.length();
  }

  /**
   * The index just past the closing quote of the quoted-string starting at {@code open}, or -1 if it
   * is unterminated or holds a character a quoted-string cannot (RFC 9110 section 5.6.4).
   */
  private static int quotedStringEnd(String s, int open) {
    for (int i = open + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"') {
        return i + 1;
      }
      if (c == '\\') {
        i++;
        if (i == s.length() || !isQuotable(s.charAt(i))) {
          return -1;
        }
      } else if (!isQuotable(c)) {
        return -1;
      }
    }
    return -1;
  }

  private static String unquote(String s, int open, int end) {
    StringBuilder b = new StringBuilder(end - open);
    for (int i = open + 1; i < end - 1; i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        c = s.charAt(++i);
      }
      b.append(c);
    }
    return b.toString();
  }

  /** HTAB, SP, VCHAR, obs-text: what qdtext and quoted-pair allow (DQUOTE and '\' only escaped). */
  private static boolean isQuotable(char c) {
    return c == '\t' || c >= 0x20 && c <= 0x7E || c >= 0x80 && c <= 0xFF;
  }

  /** Replaces characters that no quoted-string can carry with '?', so the canonical form can. */
  private static String sanitize(String raw) {
    StringBuilder b = null;
    for (int i = 0; i < raw.length(); i++) {
      if (!isQuotable(raw.charAt(i))) {
        if (b == null) {
          b = new StringBuilder(raw);
        }
        b.setCharAt(i, '?');
      }
    }
    return b == null ? raw : Fields.trimOws(b.toString());
  }

  private static int skipOws(String s, int i) {
    while (i < s.length() && Fields.isOws(s.charAt(i))) {
      i++;
    }
    return i;
  }

  // ------------------------------------------------------------------ structured (RFC 9213)

  /**
   * Parses a targeted field (RFC 9213 section 2.1) as a Structured Field Dictionary.
   *
   * <p>Mapping (RFC 9213 section 2.1): a member without value (Boolean true) is a directive without
   * argument; Boolean false ({@code no-store=?0}) violates the directives' inferred constraints and is
   * dropped (we "SHOULD NOT consume" it); Integers, Strings and Tokens become arguments of that kind;
   * Decimals, Byte Sequences and Inner Lists become {@link Kind#OTHER}, which no directive accepts.
   *
   * @return the directives, or {@code null} if the field is absent, empty or fails to parse: "that
   *     field MUST be ignored by the cache"
   */
  static CacheDirectives parseStructured(List<String> lines) {
    if (lines.isEmpty()) {
      return null;
    }
    Map<String, StructuredFields.Value> dictionary;
    try {
      dictionary = StructuredFields.parseDictionary(lines);
    } catch (StructuredFields.ParseException e) {
      return null;
    }
    if (dictionary.isEmpty()) {
      return null;
    }
    List<Directive> out = new ArrayList<>(dictionary.size());
    for (Map.Entry<String, StructuredFields.Value> e : dictionary.entrySet()) {
      StructuredFields.Value v = e.getValue();
      Directive d = switch (v.type()) {
        case BOOLEAN -> v.isTrue() ? Directive.of(e.getKey()) : null;
        case INTEGER -> new Directive(e.getKey(), v.text(), Kind.INTEGER);
        case STRING -> new Directive(e.getKey(), v.text(), Kind.STRING);
        case TOKEN -> new Directive(e.getKey(), v.text(), Kind.TOKEN);
        case DECIMAL, BYTE_SEQUENCE, INNER_LIST -> new Directive(e.getKey(), v.text(), Kind.OTHER);
      };
      if (d != null) {
        out.add(d);
      }
    }
    return new CacheDirectives(out, true);
  }

  // ------------------------------------------------------------------ canonical form

  /**
   * The canonical classic form: {@code name}, {@code name=token} or {@code name="quoted"}, joined
   * with {@code ", "}. For classic directives, {@code parse(toString())} equals this. (Structured
   * directives print the same way; their Integers print bare.)
   */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    for (Directive d : list) {
      if (b.length() > 0) {
        b.append(", ");
      }
      b.append(d.name);
      if (d.kind == Kind.NONE) {
        continue;
      }
      b.append('=');
      if (d.kind != Kind.STRING && Fields.isToken(d.argument)) {
        b.append(d.argument);
      } else {
        b.append('"');
        for (int i = 0; i < d.argument.length(); i++) {
          char c = d.argument.charAt(i);
          if (c == '"' || c == '\\') {
            b.append('\\');
          }
          b.append(c);
        }
        b.append('"');
      }
    }
    return b.toString();
  }
}
