package io.freshcache.proxy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of Structured Field Values (RFC 8941) the proxy needs: parsing a Dictionary (for the
 * targeted cache-control fields of RFC 9213) and serializing Strings and Tokens (for Cache-Status,
 * RFC 9211, which is a List).
 *
 * <p>The parser follows RFC 8941 section 4.2 to the letter, including its failure rules: one error
 * anywhere fails the whole field, which RFC 9213 section 2.1 then tells us to ignore. Parameters are
 * parsed (so malformed ones fail the field) and then dropped, as RFC 9213 says ("Parameters received
 * on directives are to be ignored").
 */
final class StructuredFields {

  /** The type of a dictionary member's value. */
  enum Type {
    BOOLEAN,
    INTEGER,
    DECIMAL,
    STRING,
    TOKEN,
    BYTE_SEQUENCE,
    INNER_LIST
  }

  /**
   * A dictionary member's value.
   *
   * @param type the value's type
   * @param text for a Boolean {@code "?1"} or {@code "?0"}; Integer and Decimal their decimal text;
   *     String its unescaped content; Token the token; Byte Sequence the base64 text; Inner List its
   *     text as received
   */
  record Value(Type type, String text) {
    /** Whether this is Boolean true, the value of a member written without {@code =}. */
    boolean isTrue() {
      return type == Type.BOOLEAN && text.equals("?1");
    }
  }

  /** Thrown internally on the first syntax error; the message says where and what. */
  static final class ParseException extends Exception {
    private static final long serialVersionUID = 1L;

    ParseException(String message) {
      super(message, null, false, false);
    }
  }

  private final String input;
  private int pos;

  private StructuredFields(String input) {
    this.input = input;
  }

  /**
   * Parses field lines as one Dictionary (lines joined with {@code ", "}, RFC 8941 section 4.2).
   *
   * @return the members in order (a repeated key keeps its first position and takes the last value)
   * @throws ParseException naming the position and the problem
   */
  static Map<String, Value> parseDictionary(List<String> lines) throws ParseException {
    StructuredFields p = new StructuredFields(String.join(", ", lines));
    p.skipSp();
    Map<String, Value> dictionary = p.dictionary();
    p.skipSp();
    if (p.pos != p.input.length()) {
      throw p.error("unexpected character");
    }
    return dictionary;
  }

  /** Serializes an sf-string: {@code "..."} with {@code \"} and {@code \\} escaped. */
  static String serializeString(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c > 0x7E) {
        throw new IllegalArgumentException(String.format(
            "sf-string: character U+%04X at %d in '%s' (expected: printable ASCII)", (int) c, i, Fields.printable(s)));
      }
      if (c == '"' || c == '\\') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.append('"').toString();
  }

  /** Whether {@code s} can be serialized as an sf-token. */
  static boolean isToken(String s) {
    if (s.isEmpty() || !(isAlpha(s.charAt(0)) || s.charAt(0) == '*')) {
      return false;
    }
    for (int i = 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(Fields.isTchar(c) || c == ':' || c == '/')) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code s} is a valid key (lcalpha or '*', then lcalpha, DIGIT, '_', '-', '.', '*'). */
  static boolean isKey(String s) {
    if (s.isEmpty() || !(isLcalpha(s.charAt(0)) || s.charAt(0) == '*')) {
      return false;
    }
    for (int i = 1; i < s.length(); i++) {
      if (!isKeyChar(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  // ------------------------------------------------------------------ RFC 8941 section 4.2

  private Map<String, Value> dictionary() throws ParseException {
    Map<String, Value> members = new LinkedHashMap<>();
    while (pos < input.length()) {
      String key = key();
      Value value;
      if (peek() == '=') {
        pos++;
        value = itemOrInnerList();
      } else {
        value = new Value(Type.BOOLEAN, "?1");
        parameters();
      }
      members.put(key, value);
      skipOws();
      if (pos == input.length()) {
        return members;
      }
      if (input.charAt(pos) != ',') {
        throw error("expected ',' after a member");
      }
      pos++;
      skipOws();
      if (pos == input.length()) {
        throw error("trailing ','");
      }
    }
    return members;
  }

  private Value itemOrInnerList() throws ParseException {
    if (peek() == '(') {
      int start = pos;
      innerList();
      return new Value(Type.INNER_LIST, input.substring(start, pos));
    }
    Value v = bareItem();
    parameters();
    return v;
  }

  private void innerList() throws ParseException {
    pos++; // '('
    while (pos < input.length()) {
      skipSp();
      if (peek() == ')') {
        pos++;
        parameters();
        return;
      }
      bareItem();
      parameters();
      char c = peek();
      if (c != ' ' && c != ')') {
        throw error("expected SP or ')' in an inner list");
      }
    }
    throw error("unterminated inner list");
  }

  private void parameters() throws ParseException {
    while (peek() == ';') {
      pos++;
      skipSp();
      key();
      if (peek() == '=') {
        pos++;
        bareItem();
      }
    }
  }

  private String key() throws ParseException {
    char c = peek();
    if (!isLcalpha(c) && c != '*') {
      throw error("expected a key (lowercase letter or '*')");
    }
    int start = pos++;
    while (pos < input.length() && isKeyChar(input.charAt(pos))) {
      pos++;
    }
    return input.substring(start, pos);
  }

  private Value bareItem() throws ParseException {
    char c = peek();
    if (c == '-' || c >= '0' && c <= '9') {
      return number();
    }
    if (c == '"') {
      return string();
    }
    if (isAlpha(c) || c == '*') {
      int start = pos++;
      while (pos < input.length()) {
        char t = input.charAt(pos);
        if (!(Fields.isTchar(t) || t == ':' || t == '/')) {
          break;
        }
        pos++;
      }
      return new Value(Type.TOKEN, input.substring(start, pos));
    }
    if (c == ':') {
      int start = ++pos;
      while (pos < input.length() && input.charAt(pos) != ':') {
        char b = input.charAt(pos);
        if (!(isAlpha(b) || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '=')) {
          throw error("invalid character in a byte sequence");
        }
        pos++;
      }
      if (pos == input.length()) {
        throw error("unterminated byte sequence");
      }
      return new Value(Type.BYTE_SEQUENCE, input.substring(start, pos++));
    }
    if (c == '?') {
      pos++;
      char b = peek();
      if (b != '0' && b != '1') {
        throw error("expected ?0 or ?1");
      }
      pos++;
      return new Value(Type.BOOLEAN, b == '1' ? "?1" : "?0");
    }
    throw error("expected an item");
  }

  private Value number() throws ParseException {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (!(peek() >= '0' && peek() <= '9')) {
      throw error("expected a digit");
    }
    int digitsStart = pos;
    int dot = -1;
    while (pos < input.length()) {
      char c = input.charAt(pos);
      if (c >= '0' && c <= '9') {
        pos++;
      } else if (c == '.' && dot < 0) {
        if (pos - digitsStart > 12) {
          throw error("more than 12 integer digits in a decimal");
        }
        dot = pos++;
      } else {
        break;
      }
      int length = pos - digitsStart;
      if (dot < 0 && length > 15 || dot >= 0 && length > 16) {
        throw error("number too long");
      }
    }
    if (dot < 0) {
      return new Value(Type.INTEGER, input.substring(start, pos));
    }
    int fraction = pos - dot - 1;
    if (fraction == 0) {
      throw error("decimal ends with '.'");
    }
    if (fraction > 3) {
      throw error("more than 3 fraction digits");
    }
    return new Value(Type.DECIMAL, input.substring(start, pos));
  }

  private Value string() throws ParseException {
    pos++; // '"'
    StringBuilder b = new StringBuilder();
    while (pos < input.length()) {
      char c = input.charAt(pos++);
      if (c == '\\') {
        if (pos == input.length()) {
          throw error("unterminated string");
        }
        char e = input.charAt(pos++);
        if (e != '"' && e != '\\') {
          throw error("invalid escape in a string");
        }
        b.append(e);
      } else if (c == '"') {
        return new Value(Type.STRING, b.toString());
      } else if (c < 0x20 || c > 0x7E) {
        throw error("invalid character in a string");
      } else {
        b.append(c);
      }
    }
    throw error("unterminated string");
  }

  private char peek() {
    return pos < input.length() ? input.charAt(pos) : '\0';
  }

  private void skipSp() {
    while (pos < input.length() && input.charAt(pos) == ' ') {
      pos++;
    }
  }

  private void skipOws() {
    while (pos < input.length() && Fields.isOws(input.charAt(pos))) {
      pos++;
    }
  }

  private ParseException error(String what) {
    String shown = pos < input.length()
        ? String.format("'%s' (U+%04X)", Fields.printable(String.valueOf(input.charAt(pos))), (int) input.charAt(pos))
        : "end of input";
    return new ParseException(what + " at " + pos + ", found " + shown + " in '" + Fields.printable(input) + "'");
  }

  private static boolean isAlpha(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
  }

  private static boolean isLcalpha(char c) {
    return c >= 'a' && c <= 'z';
  }

  private static boolean isKeyChar(char c) {
    return isLcalpha(c) || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '*';
  }
}
