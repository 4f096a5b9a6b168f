package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.proxy.CacheDirectives.Directive;
import io.freshcache.proxy.CacheDirectives.Kind;
import io.freshcache.testkit.SeededProperty;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link CacheDirectives}: the classic Cache-Control grammar (RFC 9111 section 5.2, RFC 9110 section
 * 5.6) with per-element error handling, and the Structured Field form of RFC 9213.
 */
class CacheDirectivesTest {

  private static List<Directive> parse(String... lines) {
    return CacheDirectives.parse(List.of(lines)).list();
  }

  private static Directive d(String name) {
    return Directive.of(name);
  }

  private static Directive token(String name, String arg) {
    return new Directive(name, arg, Kind.TOKEN);
  }

  private static Directive string(String name, String arg) {
    return new Directive(name, arg, Kind.STRING);
  }

  // ------------------------------------------------------------------ classic

  @Test
  void simpleDirectivesAndArguments() {
    assertThat(parse("public, max-age=3600, s-maxage=\"60\"")).containsExactly(
        d("public"), token("max-age", "3600"), string("s-maxage", "60"));
  }

  @Test
  void namesAreCaseInsensitiveAndStoredLowerCase() {
    assertThat(parse("Max-Age=5, NO-STORE, Private=\"Set-Cookie\"")).containsExactly(
        token("max-age", "5"), d("no-store"), string("private", "Set-Cookie"));
  }

  @Test
  void quotedStringsKeepCommasAndEscapes() {
    assertThat(parse("no-cache=\"Set-Cookie, X-Foo\", private=\"a\\\"b\\\\c\", max-age=1")).containsExactly(
        string("no-cache", "Set-Cookie, X-Foo"), string("private", "a\"b\\c"), token("max-age", "1"));
  }

  @Test
  void emptyElementsAndWhiteSpaceAreSkipped() {
    assertThat(parse(", ,\t no-store ,, max-age=1 ,", "", "  ,  ")).containsExactly(d("no-store"), token("max-age", "1"));
    assertThat(parse()).isEmpty();
  }

  @Test
  void linesAreParsedInOrderAndDuplicatesKept() {
    assertThat(parse("max-age=1", "max-age=2, no-cache")).containsExactly(
        token("max-age", "1"), token("max-age", "2"), d("no-cache"));
  }

  @Test
  void malformedElementsKeepTheirNameAndRawRest() {
    assertThat(parse("max-age=60 garbage, no-store")).containsExactly(string("max-age", "60 garbage"), d("no-store"));
    assertThat(parse("max-age = 60")).containsExactly(string("max-age", "= 60"));
    assertThat(parse("max-age=")).containsExactly(string("max-age", ""));
    assertThat(parse("max-age=,public")).containsExactly(string("max-age", ""), d("public"));
    assertThat(parse("no-store junk")).containsExactly(string("no-store", "junk"));
    assertThat(parse("max-age=5\"")).containsExactly(string("max-age", "5\""));
    assertThat(parse("no-cache=\"a\" x, max-age=5")).containsExactly(string("no-cache", "\"a\" x"), token("max-age", "5"));
    assertThat(parse("max-age=@5")).containsExactly(string("max-age", "@5"));
  }

  @Test
  void anUnterminatedQuoteSwallowsOnlyTheRestOfItsLine() {
    assertThat(parse("private=\"a, no-store", "max-age=5")).containsExactly(
        string("private", "\"a, no-store"), token("max-age", "5"));
  }

  @Test
  void elementsThatDoNotStartWithATokenAreSkipped() {
    assertThat(parse("=5, \"no-store\", @x, (a,b), max-age=1")).containsExactly(string("b", ")"), token("max-age", "1"));
    assertThat(parse("\"quoted, with comma\", public")).containsExactly(d("public"));
  }

  @Test
  void controlCharactersInARawRestBecomeQuestionMarks() {
    assertThat(parse("max-age=\"1\u00002\"")).containsExactly(string("max-age", "\"1?2\""));
    assertThat(parse("max-age=1\u0007")).containsExactly(string("max-age", "1?"));
  }

  @Test
  void obsTextIsAllowedInQuotedStrings() {
    assertThat(parse("x=\"caf\u00e9\"")).containsExactly(string("x", "caf\u00e9"));
  }

  @Test
  void canonicalForm() {
    CacheDirectives d = CacheDirectives.parse(List.of("Public , MAX-AGE=\"60\", no-cache=\"a, b\", x=y, max-age = 1"));
    assertThat(d.toString()).isEqualTo("public, max-age=\"60\", no-cache=\"a, b\", x=y, max-age=\"= 1\"");
    assertThat(CacheDirectives.parse(d.toString())).isEqualTo(d);
  }

  // ------------------------------------------------------------------ properties

  /**
   * Parsing arbitrary ASCII never throws; the canonical form is a fixed point (parsing it gives the
   * same directives); and the canonical form means the same to a cache as the input (the interpreted
   * request and response directives, and the freshness derived from them, are equal).
   */
  @Test
  void parseIsTotalAndItsCanonicalFormIsAFixedPoint() {
    String[] pieces = {
      "max-age", "s-maxage", "no-cache", "no-store", "private", "public", "must-revalidate", "proxy-revalidate",
      "stale-while-revalidate", "stale-if-error", "must-understand", "no-transform", "max-stale", "min-fresh",
      "only-if-cached", "MAX-AGE", "x-ext", "=", "=", "=", ",", ",", ", ", " ", "\t", "\"", "\\", "0", "60",
      "2147483648", "99999999999999999999", "-1", "1.5", "abc", "Set-Cookie", "a, b", ";", "(", "@", "\u0000",
      "\u007f", "\u00e9",
    };
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    SeededProperty.forAll("CacheDirectivesTest#parseIsTotalAndItsCanonicalFormIsAFixedPoint", 20_000, 1,
        (random, trace) -> {
          List<String> lines = new ArrayList<>();
          int lineCount = random.nextInt(1, 3);
          for (int l = 0; l < lineCount; l++) {
            StringBuilder b = new StringBuilder();
            int n = random.nextInt(0, 12);
            for (int i = 0; i < n; i++) {
              if (random.nextInt(8) == 0) {
                b.append((char) random.nextInt(0, 128));
              } else {
                b.append(pieces[random.nextInt(pieces.length)]);
              }
            }
            lines.add(b.toString());
          }
          trace.add("lines: " + lines);
          CacheDirectives parsed = CacheDirectives.parse(lines);
          String canonical = parsed.toString();
          trace.add("canonical: " + canonical);
          CacheDirectives again = CacheDirectives.parse(canonical);
          assertThat(again).isEqualTo(parsed);
          assertThat(again.toString()).isEqualTo(canonical);
          ResponseDirectives r1 = ResponseDirectives.from(parsed, ResponseDirectives.Source.CACHE_CONTROL);
          ResponseDirectives r2 = ResponseDirectives.from(again, ResponseDirectives.Source.CACHE_CONTROL);
          assertThat(r2).isEqualTo(r1);
          assertThat(RequestDirectives.of(List.of(canonical), List.of()))
              .isEqualTo(RequestDirectives.of(lines, List.of()));
          Freshness f = Freshness.of(r1, Fields.EMPTY, t0, t0);
          assertThat(f.lifetime()).isBetween(java.time.Duration.ZERO, java.time.Duration.ofSeconds(2147483648L));
        });
  }

  // ------------------------------------------------------------------ structured (RFC 9213)

  @Test
  void structuredFieldsMapToDirectives() {
    CacheDirectives d = CacheDirectives.parseStructured(
        List.of("max-age=60, no-cache=\"set-cookie\", private, s-maxage=\"60\", x=tok, y=1.5, no-store=?0"));
    assertThat(d.structured()).isTrue();
    assertThat(d.list()).containsExactly(
        new Directive("max-age", "60", Kind.INTEGER),
        new Directive("no-cache", "set-cookie", Kind.STRING),
        d("private"),
        new Directive("s-maxage", "60", Kind.STRING),
        new Directive("x", "tok", Kind.TOKEN),
        new Directive("y", "1.5", Kind.OTHER));
  }

  @Test
  void structuredParametersAreIgnored() {
    assertThat(CacheDirectives.parseStructured(List.of("max-age=60;foo=bar, no-store;x")).list()).containsExactly(
        new Directive("max-age", "60", Kind.INTEGER), d("no-store"));
  }

  @Test
  void anInvalidOrEmptyStructuredFieldIsIgnoredWhole() {
    assertThat(CacheDirectives.parseStructured(List.of())).isNull();
    assertThat(CacheDirectives.parseStructured(List.of(""))).isNull();
    assertThat(CacheDirectives.parseStructured(List.of("   "))).isNull();
    assertThat(CacheDirectives.parseStructured(List.of("max-age=60, Max-Age=30"))).isNull();
    assertThat(CacheDirectives.parseStructured(List.of("max-age=60,"))).isNull();
    assertThat(CacheDirectives.parseStructured(List.of("no-cache=\"a", "max-age=60"))).isNull();
    assertThat(CacheDirectives.parseStructured(List.of("max-age=60", "bad key"))).isNull();
  }
}
