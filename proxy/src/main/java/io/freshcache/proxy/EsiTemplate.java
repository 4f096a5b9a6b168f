package io.freshcache.proxy;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A response body with ESI markup, parsed into literal byte ranges and include points: what the
 * proxy caches for a response that asked for ESI ({@link SurrogateControl#wantsEsi}), and what it
 * fills in at serve time ({@link EsiAssembler}).
 *
 * <p><b>The subset</b> (W3C ESI Language Specification 1.0, section 3):
 *
 * <ul>
 *   <li>{@code <esi:include src="..." [alt="..."] [onerror="continue"]/>}, also written {@code
 *       <esi:include ...></esi:include>} (nothing but white space between the tags). Other
 *       attributes (vendor extensions such as {@code ttl} or {@code maxwait}) are ignored; an {@code
 *       onerror} other than {@code continue} is an error.
 *   <li>{@code <esi:remove>...</esi:remove>}: dropped with its content, which is not parsed (it is
 *       the fallback for clients without ESI). It does not nest: the first {@code </esi:remove>}
 *       closes it.
 *   <li>{@code <!--esi ...-->}: the comment wrapper is dropped and its content processed, so
 *       markup can hide ESI from clients without it. It does not nest, and {@code <!--esi} followed
 *       by a letter, digit or '_' ({@code <!--esinine}) is an ordinary comment.
 *   <li>{@code <esi:comment text="..."/>}: dropped.
 * </ul>
 *
 * Element and attribute names are case-sensitive and lower-case, as the specification says: {@code
 * <ESI:include>} is not ESI and is left as it is. White space (SP, HTAB, CR, LF) may separate
 * attributes and surround {@code =}; attribute values are in double or single quotes; the five XML
 * entities ({@code &amp;} ...) and numeric character references in them are decoded. ESI markup is
 * recognized everywhere, inside HTML comments and scripts too, as every ESI processor does.
 *
 * <p><b>Anything else is an error, not left verbatim.</b> {@code esi:choose}, {@code esi:try},
 * {@code esi:vars}, {@code esi:inline} and the like carry control flow and variables: leaving them
 * in the output while processing the includes inside them would show every branch of a choose (or
 * the attempt and the except of a try) and raw {@code $(HTTP_COOKIE{...})} expressions to the
 * client. The origin opted in to ESI processing, so a loud error (502, with the element and byte
 * offset in the log) is found at the first test, where silently wrong pages might not be. The same
 * holds for malformed markup: an unterminated tag, an include without {@code src}, an unclosed
 * {@code esi:remove} or {@code <!--esi}, a stray closing tag.
 *
 * <p><b>Cost.</b> A body without {@code <esi:}, {@code </esi:} or {@code <!--esi} is scanned once
 * and becomes one literal part sharing the input array, without copying. Literal parts always
 * share the input array: <em>the caller must not modify {@code body} afterwards</em>. Instances are
 * immutable otherwise and safe to share between threads.
 */
final class EsiTemplate {

  /** One part of a template: bytes to copy, or a place to fill in. */
  sealed interface Part permits Literal, Include {}

  /**
   * Bytes copied to the output as they are: {@code length} bytes of {@code array} from {@code
   * offset}. The array is shared with the template's body; do not modify it.
   */
  record Literal(byte[] array, int offset, int length) implements Part {
    /** A copy of the bytes. */
    byte[] bytes() {
      byte[] copy = new byte[length];
      System.arraycopy(array, offset, copy, 0, length);
      return copy;
    }

    @Override
    public String toString() {
      return "Literal[" + new String(array, offset, length, StandardCharsets.UTF_8) + "]";
    }
  }

  /**
   * An {@code esi:include}.
   *
   * @param src the src attribute, entity-decoded and trimmed, not yet resolved ({@link EsiSrc#resolve})
   * @param alt the alt attribute likewise, or null
   * @param continueOnError whether {@code onerror="continue"} was given
   * @param offset the byte offset of the element's {@code <}, for messages
   */
  record Include(String src, String alt, boolean continueOnError, int offset) implements Part {
    /** Checks the arguments. */
    Include {
      requireNonNull(src, "src");
    }
  }

  private static final byte[] ESI = {'e', 's', 'i', ':'};
  private static final byte[] COMMENT_OPEN = {'!', '-', '-', 'e', 's', 'i'};
  private static final byte[] COMMENT_CLOSE = {'-', '-', '>'};
  private static final byte[] REMOVE_CLOSE = "</esi:remove>".getBytes(StandardCharsets.US_ASCII);

  private final byte[] body;
  private final List<Part> parts;
  private final int includeCount;
  private final long literalBytes;

  private EsiTemplate(byte[] body, List<Part> parts, int includeCount, long literalBytes) {
    this.body = body;
    this.parts = parts;
    this.includeCount = includeCount;
    this.literalBytes = literalBytes;
  }

  /** A template that is all literal: {@code body} as it is, with no ESI processing. */
  static EsiTemplate literal(byte[] body) {
    requireNonNull(body, "body");
    List<Part> parts = body.length == 0 ? List.of() : List.of(new Literal(body, 0, body.length));
    return new EsiTemplate(body, parts, 0, body.length);
  }

  /**
   * Parses a response body.
   *
   * @param body the body; kept (not copied) by the template, so it must not be modified afterwards
   * @param limits {@link EsiLimits#maxIncludes} and {@link EsiLimits#maxSrcLength} apply here
   * @throws EsiException on malformed or unsupported markup ({@link EsiError.Kind#SYNTAX}) or a limit
   *     exceeded ({@link EsiError.Kind#LIMIT}), naming the byte offset; never anything else
   */
  static EsiTemplate parse(byte[] body, EsiLimits limits) throws EsiException {
    requireNonNull(body, "body");
    requireNonNull(limits, "limits");
    int first = nextMarkup(body, 0);
    if (first < 0) {
      return literal(body);
    }
    return new Parser(body, limits).parse(first);
  }

  /** The body this template was parsed from (shared, not copied). */
  byte[] body() {
    return body;
  }

  /** The parts in order: literals (never empty) and includes. */
  List<Part> parts() {
    return parts;
  }

  /** The includes in order. */
  List<Include> includes() {
    List<Include> list = new ArrayList<>(includeCount);
    for (Part p : parts) {
      if (p instanceof Include i) {
        list.add(i);
      }
    }
    return list;
  }

  /** How many includes there are. */
  int includeCount() {
    return includeCount;
  }

  /** Whether there is anything to fill in; if not, the output is {@link #body()} less any removed markup. */
  boolean hasIncludes() {
    return includeCount > 0;
  }

  /** Whether the output is exactly {@link #body()}: no markup was found at all. */
  boolean isVerbatim() {
    return includeCount == 0 && literalBytes == body.length;
  }

  /** The number of literal bytes, which is the output size when no include produces anything. */
  long literalBytes() {
    return literalBytes;
  }

  /**
   * An estimate of the output size for sizing a buffer: the literal bytes plus {@code
   * bytesPerInclude} for each include (saturating at {@link Long#MAX_VALUE}).
   */
  long estimatedSize(long bytesPerInclude) {
    if (bytesPerInclude < 0) {
      throw new IllegalArgumentException("bytesPerInclude: " + bytesPerInclude + " (expected: >= 0)");
    }
    if (includeCount != 0 && bytesPerInclude > (Long.MAX_VALUE - literalBytes) / includeCount) {
      return Long.MAX_VALUE;
    }
    return literalBytes + bytesPerInclude * includeCount;
  }

  @Override
  public String toString() {
    return "EsiTemplate[" + body.length + " bytes, " + parts.size() + " parts, " + includeCount + " includes]";
  }

  // ------------------------------------------------------------------ scanning

  /**
   * The offset of the next {@code <esi:}, {@code </esi:} or {@code <!--esi} at or after {@code
   * from}, or -1. This is the whole cost for a body without ESI markup.
   */
  static int nextMarkup(byte[] b, int from) {
    int last = b.length - 5; // the shortest markup, "<esi:", must fit
    for (int i = from; i <= last; i++) {
      if (b[i] != '<') {
        continue;
      }
      byte c = b[i + 1];
      if (c == 'e' && startsWith(b, i + 1, ESI)
          || c == '/' && startsWith(b, i + 2, ESI)
          || c == '!' && startsWith(b, i + 1, COMMENT_OPEN)) {
        return i;
      }
    }
    return -1;
  }

  private static boolean startsWith(byte[] b, int at, byte[] prefix) {
    if (at < 0 || at + prefix.length > b.length) {
      return false;
    }
    for (int k = 0; k < prefix.length; k++) {
      if (b[at + k] != prefix[k]) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(byte[] b, byte[] target, int from) {
    int last = b.length - target.length;
    for (int i = from; i <= last; i++) {
      if (b[i] == target[0] && startsWith(b, i, target)) {
        return i;
      }
    }
    return -1;
  }

  private static boolean isSpace(byte c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }

  private static boolean isWordChar(byte c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_';
  }

  private static boolean isNameStart(byte c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':';
  }

  private static boolean isNameChar(byte c) {
    return isNameStart(c) || c >= '0' && c <= '9' || c == '-' || c == '.';
  }

  /** The single-use parser state for one body. */
  private static final class Parser {
    private final byte[] b;
    private final EsiLimits limits;
    private final List<Part> parts = new ArrayList<>();
    private int includes;
    private long literalBytes;
    /** Where the pending literal starts. */
    private int literalStart;
    /** The offset of the open {@code <!--esi}, or -1. */
    private int commentOpen = -1;
    /** The offset of the {@code -->} found for the open {@code <!--esi}, MAX_VALUE if none, or -1. */
    private int commentClose = -1;

    Parser(byte[] body, EsiLimits limits) {
      this.b = body;
      this.limits = limits;
    }

    EsiTemplate parse(int first) throws EsiException {
      int i = first;
      while (true) {
        int next = commentOpen < 0 ? nextMarkup(b, i) : nextInComment(i);
        if (next < 0) {
          break;
        }
        i = markup(next);
      }
      if (commentOpen >= 0) {
        throw syntax(commentOpen, "unterminated <!--esi at byte " + commentOpen + " (expected: a closing -->)");
      }
      literal(b.length);
      return new EsiTemplate(b, Collections.unmodifiableList(parts), includes, literalBytes);
    }

    /** Inside {@code <!--esi}: the next markup or {@code -->}, whichever comes first. */
    private int nextInComment(int from) {
      // Remembered so that many elements inside one wrapper do not each search for its end again.
      if (commentClose < from) {
        commentClose = indexOf(b, COMMENT_CLOSE, from);
        if (commentClose < 0) {
          commentClose = Integer.MAX_VALUE;
        }
      }
      if (commentClose == Integer.MAX_VALUE) {
        return -1; // reported as unterminated by parse()
      }
      int close = commentClose;
      int markup = nextMarkup(b, from);
      return markup >= 0 && markup < close ? markup : close;
    }

    /** Handles the markup at {@code at}; returns where scanning continues. */
    private int markup(int at) throws EsiException {
      if (b[at] == '-') { // "-->" closing <!--esi
        literal(at);
        commentOpen = -1;
        return skipTo(at + COMMENT_CLOSE.length);
      }
      if (b[at + 1] == '!') {
        int after = at + 1 + COMMENT_OPEN.length;
        if (after < b.length && isWordChar(b[after])) {
          return at + 1; // "<!--esinine": an ordinary comment that starts with a longer word
        }
        if (commentOpen >= 0) {
          throw syntax(at, "nested <!--esi at byte " + at + " (the one at byte " + commentOpen
              + " is still open; expected: --> first)");
        }
        literal(at);
        commentOpen = at;
        return skipTo(after);
      }
      if (b[at + 1] == '/') {
        int nameEnd = nameEnd(at + 2 + ESI.length);
        throw syntax(at, "unexpected </esi:" + text(at + 2 + ESI.length, nameEnd) + "> at byte " + at
            + " (expected: a closing tag only after its <esi:include> or <esi:remove>)");
      }
      int nameStart = at + 1 + ESI.length;
      int nameEnd = nameEnd(nameStart);
      String name = text(nameStart, nameEnd);
      switch (name) {
        case "include":
          return include(at, nameEnd);
        case "comment":
          return comment(at, nameEnd);
        case "remove":
          return remove(at, nameEnd);
        default:
          if (name.isEmpty()) {
            throw syntax(at, "<esi: without an element name at byte " + at
                + " (expected: esi:include, esi:remove or esi:comment)");
          }
          throw syntax(at, "unsupported ESI element <esi:" + name + "> at byte " + at
              + " (expected: esi:include, esi:remove, esi:comment or <!--esi ...-->)");
      }
    }

    private int include(int at, int nameEnd) throws EsiException {
      Tag tag = tag(at, nameEnd, "include");
      int end = tag.selfClosing ? tag.end : closeEmpty(at, tag.end, "include");
      String src = tag.src;
      if (src == null) {
        throw syntax(at, "<esi:include> without src at byte " + at + " (expected: src=\"/path\")");
      }
      if (++includes > limits.maxIncludes()) {
        throw new EsiException(new EsiError(EsiError.Kind.LIMIT, "more than " + limits.maxIncludes()
            + " includes: <esi:include> at byte " + at + " (maxIncludes: " + limits.maxIncludes() + ")", at));
      }
      literal(at);
      parts.add(new Include(src, tag.alt, tag.continueOnError, at));
      return skipTo(end);
    }

    private int comment(int at, int nameEnd) throws EsiException {
      Tag tag = tag(at, nameEnd, "comment");
      int end = tag.selfClosing ? tag.end : closeEmpty(at, tag.end, "comment");
      literal(at);
      return skipTo(end);
    }

    private int remove(int at, int nameEnd) throws EsiException {
      Tag tag = tag(at, nameEnd, "remove");
      int end = tag.end;
      if (!tag.selfClosing) {
        int close = indexOf(b, REMOVE_CLOSE, tag.end);
        if (close < 0) {
          throw syntax(at, "unclosed <esi:remove> at byte " + at + " (expected: </esi:remove>)");
        }
        end = close + REMOVE_CLOSE.length;
      }
      literal(at);
      return skipTo(end);
    }

    /** After an open tag of an empty element ending at {@code from}: white space, then its closing tag. */
    private int closeEmpty(int at, int from, String name) throws EsiException {
      int i = from;
      while (i < b.length && isSpace(b[i])) {
        i++;
      }
      byte[] close = ("</esi:" + name).getBytes(StandardCharsets.US_ASCII);
      if (startsWith(b, i, close)) {
        int j = i + close.length;
        while (j < b.length && isSpace(b[j])) {
          j++;
        }
        if (j < b.length && b[j] == '>') {
          return j + 1;
        }
      }
      throw syntax(at, "<esi:" + name + "> at byte " + at + " is not empty (expected: '/>' or '></esi:"
          + name + ">' with nothing but white space between)");
    }

    /** The parsed attributes of a tag. */
    private static final class Tag {
      String src;
      String alt;
      boolean continueOnError;
      boolean selfClosing;
      int end;
    }

    /** Parses the attributes after the element name at {@code from} up to {@code />} or {@code >}. */
    private Tag tag(int at, int from, String name) throws EsiException {
      Tag tag = new Tag();
      List<String> seen = new ArrayList<>(3);
      int i = from;
      boolean spaced = true; // an attribute must follow the name or another attribute after white space
      while (true) {
        int start = i;
        while (i < b.length && isSpace(b[i])) {
          i++;
        }
        spaced |= i > start;
        if (i >= b.length) {
          throw syntax(at, "unterminated <esi:" + name + "> at byte " + at + " (expected: '/>' or '>')");
        }
        if (b[i] == '>') {
          tag.end = i + 1;
          return tag;
        }
        if (b[i] == '/') {
          if (i + 1 < b.length && b[i + 1] == '>') {
            tag.selfClosing = true;
            tag.end = i + 2;
            return tag;
          }
          throw unexpected(at, i, name);
        }
        if (!spaced || !isNameStart(b[i])) {
          throw unexpected(at, i, name);
        }
        int attrStart = i;
        while (i < b.length && isNameChar(b[i])) {
          i++;
        }
        String attr = text(attrStart, i);
        while (i < b.length && isSpace(b[i])) {
          i++;
        }
        if (i >= b.length || b[i] != '=') {
          throw syntax(attrStart, "attribute " + attr + " of <esi:" + name + "> at byte " + attrStart
              + " has no value (expected: " + attr + "=\"...\")");
        }
        i++;
        while (i < b.length && isSpace(b[i])) {
          i++;
        }
        if (i >= b.length || b[i] != '"' && b[i] != '\'') {
          throw syntax(attrStart, "attribute " + attr + " of <esi:" + name + "> at byte " + attrStart
              + " is not quoted (expected: " + attr + "=\"...\" or " + attr + "='...')");
        }
        byte quote = b[i];
        int valueStart = i + 1;
        int valueEnd = valueStart;
        while (valueEnd < b.length && b[valueEnd] != quote) {
          valueEnd++;
        }
        if (valueEnd >= b.length) {
          throw syntax(attrStart, "unterminated value of attribute " + attr + " of <esi:" + name + "> at byte "
              + attrStart + " (expected: a closing " + (char) quote + ")");
        }
        if (seen.contains(attr)) {
          throw syntax(attrStart, "attribute " + attr + " repeated in <esi:" + name + "> at byte " + attrStart
              + " (expected: each attribute once)");
        }
        seen.add(attr);
        if (name.equals("include")) {
          attribute(tag, attr, valueStart, valueEnd, attrStart);
        }
        i = valueEnd + 1;
        spaced = false;
      }
    }

    private void attribute(Tag tag, String attr, int valueStart, int valueEnd, int attrStart) throws EsiException {
      switch (attr) {
        case "src":
          tag.src = url(attr, valueStart, valueEnd, attrStart);
          break;
        case "alt":
          tag.alt = url(attr, valueStart, valueEnd, attrStart);
          break;
        case "onerror":
          String value = EsiSrc.unescape(new String(b, valueStart, valueEnd - valueStart, StandardCharsets.UTF_8));
          if (!value.equals("continue")) {
            throw syntax(attrStart, "onerror=\"" + Fields.printable(value) + "\" at byte " + attrStart
                + " (expected: onerror=\"continue\", or no onerror)");
          }
          tag.continueOnError = true;
          break;
        default:
          // Vendor extensions (ttl, maxwait, dca, ...) tune behaviour we do not have; ignoring them is safe.
          break;
      }
    }

    private String url(String attr, int valueStart, int valueEnd, int attrStart) throws EsiException {
      String value = EsiSrc.unescape(new String(b, valueStart, valueEnd - valueStart, StandardCharsets.UTF_8)).strip();
      if (value.isEmpty()) {
        throw syntax(attrStart, "empty " + attr + " at byte " + attrStart + " (expected: a path such as \"/fragment\")");
      }
      if (value.length() > limits.maxSrcLength()) {
        throw new EsiException(new EsiError(EsiError.Kind.LIMIT, attr + " at byte " + attrStart + " has "
            + value.length() + " characters (maxSrcLength: " + limits.maxSrcLength() + ")", attrStart));
      }
      return value;
    }

    private EsiException unexpected(int at, int i, String name) {
      int c = b[i] & 0xFF;
      String shown = c >= 0x21 && c < 0x7F ? "'" + (char) c + "'" : String.format("byte 0x%02X", c);
      return syntax(i, "unexpected " + shown + " at byte " + i + " in <esi:" + name + "> at byte " + at
          + " (expected: white space and an attribute, '/>' or '>')");
    }

    /** The end of the element name starting at {@code from}. */
    private int nameEnd(int from) {
      int i = from;
      while (i < b.length && (b[i] >= 'a' && b[i] <= 'z' || b[i] >= 'A' && b[i] <= 'Z'
          || b[i] >= '0' && b[i] <= '9' || b[i] == '-' || b[i] == '_')) {
        i++;
      }
      return Math.min(i, from + 64); // a name in a message need not be longer
    }

    private String text(int from, int to) {
      return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
    }

    /** Ends the pending literal at {@code end}. */
    private void literal(int end) {
      if (end > literalStart) {
        parts.add(new Literal(b, literalStart, end - literalStart));
        literalBytes += end - literalStart;
      }
      literalStart = end;
    }

    /** Starts the next literal at {@code at}, the end of markup just consumed. */
    private int skipTo(int at) {
      literalStart = at;
      return at;
    }

    private static EsiException syntax(int offset, String message) {
      return new EsiException(new EsiError(EsiError.Kind.SYNTAX, message, offset));
    }
  }
}
