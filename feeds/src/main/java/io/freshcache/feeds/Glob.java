package io.freshcache.feeds;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A glob over names: {@code *} any run of characters (also none), {@code ?} one character,
 * {@code |} between alternatives ({@code insert|update}), {@code \} makes the next character
 * literal. Everything else is literal; matching is case-sensitive and whole-string.
 */
final class Glob {
  private static final Glob ANY = new Glob("*", null);
  private final String text;
  /** null for {@code *}: the common case matches without a regex. */
  private final Pattern pattern;

  private Glob(String text, Pattern pattern) {
    this.text = text;
    this.pattern = pattern;
  }

  static Glob any() {
    return ANY;
  }

  /**
   * Compiles {@code text}.
   *
   * @throws IllegalArgumentException naming the problem: empty glob or alternative, trailing
   *     {@code \}
   */
  static Glob compile(String text) {
    if (text.equals("*")) {
      return ANY;
    }
    if (text.isEmpty()) {
      throw new IllegalArgumentException("glob '': empty (expected: e.g. 'pages' or 'page*')");
    }
    List<String> alternatives = new ArrayList<>();
    StringBuilder regex = new StringBuilder();
    StringBuilder literal = new StringBuilder();
    int altStart = 0;
    for (int i = 0; i <= text.length(); i++) {
      char c = i < text.length() ? text.charAt(i) : '|';
      if (c == '\\') {
        if (i + 1 >= text.length()) {
          throw new IllegalArgumentException("glob '" + text + "': '\\' at the end (expected: a character after '\\')");
        }
        literal.append(text.charAt(++i));
        continue;
      }
      if (c == '*' || c == '?' || c == '|') {
        if (literal.length() > 0) {
          regex.append(Pattern.quote(literal.toString()));
          literal.setLength(0);
        }
        if (c == '*') {
          regex.append(".*");
        } else if (c == '?') {
          regex.append('.');
        } else {
          if (i == altStart) {
            throw new IllegalArgumentException("glob '" + text + "': empty alternative at " + i
                + " (expected: text on both sides of '|')");
          }
          alternatives.add(regex.toString());
          regex.setLength(0);
          altStart = i + 1;
        }
        continue;
      }
      literal.append(c);
    }
    return new Glob(text, Pattern.compile(String.join("|", alternatives), Pattern.DOTALL));
  }

  boolean matches(String name) {
    return pattern == null || pattern.matcher(name).matches();
  }

  @Override
  public String toString() {
    return text;
  }
}
