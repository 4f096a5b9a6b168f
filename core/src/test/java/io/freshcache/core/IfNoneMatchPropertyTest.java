package io.freshcache.core;

import static io.freshcache.testkit.SeededProperty.quoted;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.freshcache.testkit.SeededProperty;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Seeded property tests of {@link ETag}: If-None-Match evaluation (RFC 9110 section 13.1.2) against
 * a reference written here from the RFC grammar, parse/toString, strong and weak comparison (RFC 9110
 * section 8.8.3.2), and the ETags the cache hands out.
 *
 * <p>The reference, from RFC 9110:
 *
 * <pre>
 * If-None-Match = "*" / #entity-tag
 * entity-tag    = [ weak ] opaque-tag
 * weak          = %s"W/"
 * opaque-tag    = DQUOTE *etagc DQUOTE
 * etagc         = %x21 / %x23-7E / obs-text      ; obs-text = %x80-FF
 * #element      = [ element ] *( OWS "," OWS [ element ] )   ; recipient form (5.6.1): empty elements
 * OWS           = *( SP / HTAB )                 ; the field value is trimmed of OWS (5.5)
 * </pre>
 *
 * The condition is false (answer 304) iff the field is "*" and there is a current representation, or
 * the field is a valid list and some member's opaque-tag equals the current one (weak comparison).
 * An invalid field value is ignored: the condition is then true, i.e. {@code notModified} is false.
 *
 * <p>Iterations: {@code -Dfreshcache.property.iterations=N}; seed: {@code
 * -Dfreshcache.property.seed=S} (see {@link SeededProperty}).
 */
class IfNoneMatchPropertyTest {
  private static final String CLASS = "IfNoneMatchPropertyTest";

  // ------------------------------------------------------------------ reference

  private static final String OWS = "[ \\t]*+";
  private static final String ETAGC = "[\\x21\\x23-\\x7E\\x80-\\xFF]";
  private static final String ENTITY_TAG = "(?:W/)?\"" + ETAGC + "*+\"";
  private static final Pattern STAR = Pattern.compile(OWS + "\\*" + OWS);
  private static final Pattern LIST = Pattern.compile(
      OWS + "(?:" + ENTITY_TAG + ")?+(?:" + OWS + "," + OWS + "(?:" + ENTITY_TAG + ")?+)*+" + OWS);
  private static final Pattern MEMBER = Pattern.compile("(W/)?\"(" + ETAGC + "*+)\"");
  private static final Pattern ONE_TAG = Pattern.compile(OWS + "(W/)?\"(" + ETAGC + "*+)\"" + OWS);

  static boolean refNotModified(String field, ETag current) {
    if (field == null || current == null) {
      return false;
    }
    if (STAR.matcher(field).matches()) {
      return true;
    }
    if (!LIST.matcher(field).matches()) {
      return false;
    }
    // The list is valid, so scanning for members left to right finds exactly its members.
    Matcher m = MEMBER.matcher(field);
    while (m.find()) {
      if (m.group(2).equals(current.opaque())) {
        return true;
      }
    }
    return false;
  }

  static boolean etagc(char c) {
    return c == 0x21 || (c >= 0x23 && c <= 0x7E) || (c >= 0x80 && c <= 0xFF);
  }

  // ------------------------------------------------------------------ generators

  /** Pieces of opaque tags: few, so that equal and near-equal tags are common; some look like syntax. */
  private static final String[] OPAQUE_ATOMS = {"a", "b", "ab", "W", "/", "W/", ",", "*", "'", "\u00e9", "\u00ff",
      "\u0080", "x1", "-", "!", "~"};

  static String opaque(SplittableRandom r) {
    int n = r.nextInt(5);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.append(OPAQUE_ATOMS[r.nextInt(OPAQUE_ATOMS.length)]);
    }
    return b.toString();
  }

  static ETag current(SplittableRandom r) {
    return new ETag(opaque(r), r.nextBoolean());
  }

  /** Another opaque tag, usually close to {@code of}. */
  static String nearMiss(SplittableRandom r, String of) {
    String s = switch (r.nextInt(6)) {
      case 0 -> of + OPAQUE_ATOMS[r.nextInt(OPAQUE_ATOMS.length)];
      case 1 -> of.isEmpty() ? "a" : of.substring(1);
      case 2 -> of.isEmpty() ? "W" : of.substring(0, of.length() - 1);
      case 3 -> asciiUpperCase(of);
      case 4 -> OPAQUE_ATOMS[r.nextInt(OPAQUE_ATOMS.length)] + of;
      default -> opaque(r);
    };
    return s;
  }

  static String asciiUpperCase(String s) {
    StringBuilder b = new StringBuilder(s);
    for (int i = 0; i < b.length(); i++) {
      char c = b.charAt(i);
      if (c >= 'a' && c <= 'z') {
        b.setCharAt(i, (char) (c - 'a' + 'A'));
      }
    }
    return b.toString();
  }

  static String quote(boolean weak, String opaque) {
    return (weak ? "W/" : "") + '"' + opaque + '"';
  }

  /** Elements that are not entity-tags (some contain the current opaque tag). */
  static String garbage(SplittableRandom r, String cur) {
    return switch (r.nextInt(22)) {
      case 0 -> cur.isEmpty() ? "x" : cur;                // unquoted
      case 1 -> "\"" + cur;                                 // unterminated
      case 2 -> "w/\"" + cur + "\"";                        // weak prefix is case-sensitive
      case 3 -> "W/ \"" + cur + "\"";                       // no space after W/
      case 4 -> "W\"" + cur + "\"";
      case 5 -> "\"" + cur + " x\"";                        // SP is not etagc
      case 6 -> "\"" + cur + "\"x";                         // junk after the tag
      case 7 -> "\"" + cur + "\"\"\"";                      // two tags, no comma
      case 8 -> "\"" + cur + "\u0100\"";                    // beyond obs-text
      case 9 -> "\"\u0000" + cur + "\"";                    // control character
      case 10 -> "\"" + cur + "\u007F\"";                   // DEL
      case 11 -> "\"a\tb\"";                                // HTAB inside
      case 12 -> "*";                                       // "*" only alone
      case 13 -> "W/";
      case 14 -> "W//\"" + cur + "\"";
      case 15 -> "'" + cur + "'";
      case 16 -> "/\"" + cur + "\"";
      case 17 -> "W/W/\"" + cur + "\"";
      case 18 -> "\"" + cur + "\"\u00A0";                   // NBSP is not OWS
      case 19 -> "\u201C" + cur + "\u201D";                 // curly quotes
      case 20 -> "\"" + cur + "\" ;q=1";
      default -> "\"" + cur + "\u20AC\"";                   // euro sign: not obs-text
    };
  }

  static String ows(SplittableRandom r) {
    return switch (r.nextInt(6)) {
      case 0, 1, 2 -> "";
      case 3 -> " ";
      case 4 -> "\t";
      default -> " \t ";
    };
  }

  /** A separator: usually OWS "," OWS, sometimes something that is not one. */
  static String separator(SplittableRandom r, boolean allowInvalid) {
    if (allowInvalid && r.nextInt(12) == 0) {
      return switch (r.nextInt(5)) {
        case 0 -> " ";
        case 1 -> ";";
        case 2 -> "\n,";
        case 3 -> ",\u00A0";
        default -> "";
      };
    }
    return ows(r) + "," + ows(r);
  }

  /** A random If-None-Match field value for {@code current}: lists, "*", garbage. */
  static String field(SplittableRandom r, ETag current, boolean allowInvalid) {
    String cur = current.opaque();
    if (r.nextInt(12) == 0) {
      String[] stars = {"*", " * ", "\t*", "*,", "**", "* \"" + cur + "\"", "\"*\"", "W/\"*\"", ", *", "*\n"};
      String s = stars[r.nextInt(stars.length)];
      return allowInvalid || refValid(s) ? s : "*";
    }
    int n = r.nextInt(6);
    StringBuilder b = new StringBuilder(ows(r));
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        b.append(separator(r, allowInvalid));
      }
      int k = r.nextInt(100);
      if (k < 25) {
        b.append(quote(r.nextBoolean(), cur));
      } else if (k < 65) {
        b.append(quote(r.nextBoolean(), nearMiss(r, cur)));
      } else if (k < 80) {
        b.append(""); // empty list element
      } else if (allowInvalid) {
        b.append(garbage(r, cur));
      } else {
        b.append(quote(false, opaque(r)));
      }
    }
    b.append(ows(r));
    if (allowInvalid && r.nextInt(25) == 0) {
      b.append(r.nextBoolean() ? "\r\n" : "\u2003"); // not OWS
    }
    return b.toString();
  }

  static boolean refValid(String field) {
    return STAR.matcher(field).matches() || LIST.matcher(field).matches();
  }

  // ------------------------------------------------------------------ If-None-Match

  @Test
  void notModifiedAgreesWithTheRfcGrammarReference() {
    SeededProperty.forAll(CLASS + "#notModifiedAgreesWithTheRfcGrammarReference", 60_000, 1, (r, trace) -> {
      ETag current = current(r);
      String field = field(r, current, true);
      boolean expected = refNotModified(field, current);
      trace.add("current " + quoted(current.toString()) + ", If-None-Match: " + quoted(field)
          + " (reference: valid=" + refValid(field) + ", notModified=" + expected + ")");
      assertThat(ETag.notModified(field, current))
          .as("ETag.notModified(%s, %s)", quoted(field), quoted(current.toString())).isEqualTo(expected);
      assertThat(ETag.notModified(field, null)).as("no current representation").isFalse();
    });
  }

  /** Built only from valid pieces, so the expectation needs no parser: true iff a member has the opaque tag. */
  @Test
  void validListMatchesIffAMemberHasTheCurrentOpaqueTagWeakOrStrong() {
    SeededProperty.forAll(CLASS + "#validListMatchesIffAMemberHasTheCurrentOpaqueTagWeakOrStrong", 40_000, 1,
        (r, trace) -> {
          ETag current = current(r);
          List<String> members = new ArrayList<>();
          int n = r.nextInt(5);
          boolean contains = false;
          for (int i = 0; i < n; i++) {
            String o = nearMiss(r, current.opaque());
            contains |= o.equals(current.opaque());
            members.add(quote(r.nextBoolean(), o));
          }
          boolean insert = r.nextBoolean();
          if (insert) {
            members.add(r.nextInt(members.size() + 1), quote(r.nextBoolean(), current.opaque()));
          }
          StringBuilder b = new StringBuilder(ows(r));
          for (int i = 0; i < members.size(); i++) {
            if (i > 0) {
              b.append(separator(r, false));
              if (r.nextInt(6) == 0) {
                b.append(',').append(ows(r)); // an empty element
              }
            }
            b.append(members.get(i));
          }
          if (r.nextInt(6) == 0) {
            b.append(ows(r)).append(',');
          }
          b.append(ows(r));
          String field = (r.nextInt(6) == 0 ? ", " : "") + b;
          trace.add("current " + quoted(current.toString()) + ", If-None-Match: " + quoted(field));
          assertThat(ETag.notModified(field, current)).as("ETag.notModified(%s, %s)", quoted(field),
              quoted(current.toString())).isEqualTo(insert || contains);
          // the strength of the current tag never matters for If-None-Match
          ETag flipped = new ETag(current.opaque(), !current.weak());
          assertThat(ETag.notModified(field, flipped)).isEqualTo(insert || contains);
        });
  }

  @Test
  void starMatchesAnyCurrentRepresentationAndNothingElse() {
    SeededProperty.forAll(CLASS + "#starMatchesAnyCurrentRepresentationAndNothingElse", 10_000, 1, (r, trace) -> {
      ETag current = current(r);
      String star = ows(r) + "*" + ows(r);
      trace.add("current " + quoted(current.toString()) + ", If-None-Match: " + quoted(star));
      assertThat(ETag.notModified(star, current)).as("%s", quoted(star)).isTrue();
      assertThat(ETag.notModified(star, null)).isFalse();
      String withMore = star + separator(r, false) + quote(r.nextBoolean(), current.opaque());
      assertThat(ETag.notModified(withMore, current)).as("%s is not a valid field value", quoted(withMore)).isFalse();
      assertThat(ETag.notModified(null, current)).isFalse();
    });
  }

  @Test
  void documentedExamples() {
    ETag xyzzy = ETag.strong("xyzzy");
    assertThat(ETag.notModified("\"xyzzy\"", xyzzy)).isTrue();
    assertThat(ETag.notModified("W/\"xyzzy\"", xyzzy)).isTrue();
    assertThat(ETag.notModified("\"xyzzy\", \"r2d2xxxx\", \"c3piozzzz\"", xyzzy)).isTrue();
    assertThat(ETag.notModified("W/\"xyzzy\", W/\"r2d2xxxx\", W/\"c3piozzzz\"", new ETag("c3piozzzz", true))).isTrue();
    assertThat(ETag.notModified("*", xyzzy)).isTrue();
    assertThat(ETag.notModified(" , ,\t\"xyzzy\" , ", xyzzy)).isTrue();
    assertThat(ETag.notModified("\"r2d2xxxx\", \"c3piozzzz\"", xyzzy)).isFalse();
    assertThat(ETag.notModified("", xyzzy)).isFalse();
    assertThat(ETag.notModified(" , ", xyzzy)).isFalse();
    assertThat(ETag.notModified("xyzzy", xyzzy)).isFalse();
    assertThat(ETag.notModified("\"xyzzy\" \"other\"", xyzzy)).isFalse();
    assertThat(ETag.notModified("\"xyzzy\", garbage", xyzzy)).as("malformed: ignored").isFalse();
    assertThat(ETag.notModified("w/\"xyzzy\"", xyzzy)).isFalse();
    assertThat(ETag.notModified("*, \"xyzzy\"", xyzzy)).isFalse();
    assertThat(ETag.notModified("\"a,b\"", ETag.strong("a,b"))).as("',' is etagc").isTrue();
    assertThat(ETag.notModified("\"a\", \"b\"", ETag.strong("a,b"))).isFalse();
    assertThat(ETag.notModified("\"\"", ETag.strong(""))).isTrue();
  }

  // ------------------------------------------------------------------ ETag itself

  @Test
  void parseAndToStringRoundTrip() {
    SeededProperty.forAll(CLASS + "#parseAndToStringRoundTrip", 30_000, 1, (r, trace) -> {
      ETag e = current(r);
      String text = e.toString();
      trace.add("ETag(" + quoted(e.opaque()) + ", weak=" + e.weak() + ") -> " + quoted(text));
      assertThat(text).isEqualTo(quote(e.weak(), e.opaque()));
      assertThat(ETag.parse(text)).isEqualTo(e);
      assertThat(ETag.parse(ows(r) + text + ows(r))).isEqualTo(e);
      assertThat(ETag.parse(text).toString()).isEqualTo(text);
      if (!e.weak()) {
        assertThat(ETag.strong(e.opaque())).isEqualTo(e);
      }
      // an arbitrary element parses iff it is one entity-tag (with optional OWS around)
      String element = r.nextBoolean() ? garbage(r, e.opaque()) : ows(r) + quote(r.nextBoolean(), nearMiss(r, e.opaque()));
      Matcher m = ONE_TAG.matcher(element);
      trace.add("element " + quoted(element));
      if (m.matches()) {
        assertThat(ETag.parse(element)).isEqualTo(new ETag(m.group(2), m.group(1) != null));
      } else {
        assertThatThrownBy(() -> ETag.parse(element)).as("ETag.parse(%s)", quoted(element))
            .isInstanceOf(IllegalArgumentException.class);
      }
    });
  }

  private static final String BAD_OR_EDGE = "\" \t\u0000\u007F\u0100\u20AC\u00A0!#~\u0080\u00FF";

  @Test
  void constructorAcceptsExactlyEtagcOpaqueTags() {
    SeededProperty.forAll(CLASS + "#constructorAcceptsExactlyEtagcOpaqueTags", 40_000, 1, (r, trace) -> {
      StringBuilder b = new StringBuilder(opaque(r));
      char c = (char) (r.nextInt(3) == 0 ? r.nextInt(0x180) : BAD_OR_EDGE.charAt(r.nextInt(BAD_OR_EDGE.length())));
      b.insert(r.nextInt(b.length() + 1), c);
      String opaque = b.toString();
      boolean valid = opaque.chars().allMatch(ch -> etagc((char) ch));
      trace.add("opaque " + quoted(opaque) + " valid=" + valid);
      Throwable thrown = catchThrowable(() -> new ETag(opaque, r.nextBoolean()));
      if (valid) {
        assertThat(thrown).as("new ETag(%s)", quoted(opaque)).isNull();
      } else {
        assertThat(thrown).as("new ETag(%s)", quoted(opaque)).isInstanceOf(IllegalArgumentException.class);
      }
    });
  }

  /** RFC 9110 8.8.3.2: strong iff both strong and the opaque tags equal; weak iff the opaque tags equal. */
  @Test
  void strongAndWeakComparisonFollowTheRfcTable() {
    ETag w1 = new ETag("1", true);
    ETag w2 = new ETag("2", true);
    ETag s1 = new ETag("1", false);
    ETag s2 = new ETag("2", false);
    assertThat(w1.strongMatch(w1)).isFalse();
    assertThat(w1.weakMatch(w1)).isTrue();
    assertThat(w1.strongMatch(w2)).isFalse();
    assertThat(w1.weakMatch(w2)).isFalse();
    assertThat(w1.strongMatch(s1)).isFalse();
    assertThat(w1.weakMatch(s1)).isTrue();
    assertThat(s1.strongMatch(s1)).isTrue();
    assertThat(s1.weakMatch(s1)).isTrue();
    assertThat(s1.strongMatch(s2)).isFalse();
    assertThat(s1.weakMatch(s2)).isFalse();

    SeededProperty.forAll(CLASS + "#strongAndWeakComparisonFollowTheRfcTable", 40_000, 1, (r, trace) -> {
      String[] few = {"", "1", "2", "W/", "\u00e9"};
      ETag a = new ETag(few[r.nextInt(few.length)], r.nextBoolean());
      ETag b = new ETag(r.nextInt(3) == 0 ? a.opaque() : few[r.nextInt(few.length)], r.nextBoolean());
      trace.add(quoted(a.toString()) + " vs " + quoted(b.toString()));
      boolean same = a.opaque().equals(b.opaque());
      assertThat(a.strongMatch(b)).as("strong %s %s", a, b).isEqualTo(same && !a.weak() && !b.weak());
      assertThat(a.weakMatch(b)).as("weak %s %s", a, b).isEqualTo(same);
      assertThat(b.strongMatch(a)).isEqualTo(a.strongMatch(b));
      assertThat(b.weakMatch(a)).isEqualTo(a.weakMatch(b));
      // If-None-Match with one member is exactly weak comparison
      assertThat(ETag.notModified(b.toString(), a)).isEqualTo(a.weakMatch(b));
    });
  }

  // ------------------------------------------------------------------ ETags of cached pages

  /** Bodies from a small alphabet: equal bodies recur; long ones are stored gzip-compressed. */
  static String body(SplittableRandom r) {
    int len = r.nextInt(6) == 0 ? 1024 + r.nextInt(1500) : r.nextInt(40);
    StringBuilder b = new StringBuilder(len);
    for (int i = 0; i < len; i++) {
      b.append("ab<>\u00e9 \n".charAt(r.nextInt(7)));
    }
    return b.toString();
  }

  static String changed(SplittableRandom r, String body) {
    if (body.isEmpty() || r.nextBoolean()) {
      return body + "!";
    }
    int at = r.nextInt(body.length());
    char c = body.charAt(at) == 'a' ? 'b' : 'a';
    return body.substring(0, at) + c + body.substring(at + 1);
  }

  static void checkRevalidation(Page page, SplittableRandom r, String what) {
    ETag e = page.etag();
    assertThat(e.weak()).as("%s: Freshcache ETags are strong", what).isFalse();
    assertThat(e.opaque()).as("%s: opaque tag", what).isNotEmpty();
    assertThat(ETag.parse(e.toString())).isEqualTo(e);
    assertThat(page.notModified(e.toString())).as("%s: If-None-Match: %s", what, e).isTrue();
    assertThat(page.notModified("W/" + e)).as("%s: If-None-Match: W/%s", what, e).isTrue();
    assertThat(page.notModified("*")).isTrue();
    assertThat(page.notModified(null)).isFalse();
    String field = field(r, e, true);
    assertThat(page.notModified(field)).as("%s: If-None-Match: %s", what, quoted(field))
        .isEqualTo(refNotModified(field, e));
  }

  /**
   * A page (sometimes with a hole) keeps its ETag when it is re-rendered to the same bytes after an
   * invalidation, and gets another one when its bytes (or its hole's bytes) change.
   */
  @Test
  void identicalReRenderKeepsTheEtagAndChangedBytesChangeIt() {
    SeededProperty.forAll(CLASS + "#identicalReRenderKeepsTheEtagAndChangedBytesChangeIt", 3_000, 20, (r, trace) -> {
      try (Freshcache cache = Freshcache.builder().build()) {
        for (int step = 0; step < 20; step++) {
          CacheKey key = CacheKey.of("/p/" + step);
          CacheKey holeKey = CacheKey.of("/h/" + step);
          boolean withHole = r.nextInt(3) == 0;
          String[] page = {body(r), body(r)};
          String[] hole = {body(r)};
          Renderer holeRenderer = ctx -> {
            ctx.dependsOn("frag:" + holeKey.resource());
            return Content.html(new String(hole[0].toCharArray())); // fresh bytes every time
          };
          Renderer renderer = ctx -> {
            ctx.dependsOn("page:" + key.resource());
            String h = withHole ? ctx.hole(holeKey, holeRenderer) : "";
            return Content.html(new String(page[0].toCharArray()) + h + page[1]);
          };
          trace.add("step " + step + ": body of " + (page[0].length() + page[1].length()) + " chars"
              + (withHole ? ", hole of " + hole[0].length() : ""));
          Page first = cache.get(key, renderer);
          ETag e1 = first.etag();
          assertThat(new String(first.body(), UTF_8)).isEqualTo(page[0] + (withHole ? hole[0] : "") + page[1]);
          checkRevalidation(first, r, "first render");
          Page hit = cache.getIfPresent(key);
          assertThat(hit).isNotNull();
          assertThat(hit.etag()).as("a hit keeps the ETag").isEqualTo(e1);

          // identical re-render after invalidating the page (and sometimes the hole)
          cache.invalidate("page:" + key.resource());
          if (withHole && r.nextBoolean()) {
            cache.invalidate("frag:" + holeKey.resource());
          }
          assertThat(cache.getIfPresent(key)).isNull();
          Page again = cache.get(key, renderer);
          assertThat(again.etag()).as("identical re-render keeps the ETag").isEqualTo(e1);
          assertThat(again.notModified(e1.toString())).isTrue();
          assertThat(again.notModified("W/" + e1)).isTrue();

          // changed bytes: in the page itself, or only in the hole
          boolean changeHole = withHole && r.nextBoolean();
          trace.add("step " + step + ": change " + (changeHole ? "the hole" : "the page"));
          if (changeHole) {
            hole[0] = changed(r, hole[0]);
            cache.invalidate("frag:" + holeKey.resource());
          } else {
            int part = r.nextInt(2);
            page[part] = changed(r, page[part]);
            cache.invalidate("page:" + key.resource());
          }
          Page third = cache.get(key, renderer);
          ETag e3 = third.etag();
          assertThat(e3).as("changed bytes change the ETag").isNotEqualTo(e1);
          assertThat(third.notModified(e1.toString())).as("old ETag after a change").isFalse();
          assertThat(third.notModified("W/" + e1 + ", \"nope\"")).isFalse();
          checkRevalidation(third, r, "after a change");
        }
      }
    });
  }
}
