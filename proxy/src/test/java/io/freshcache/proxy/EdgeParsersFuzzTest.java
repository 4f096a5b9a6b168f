package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.freshcache.core.Encoding;
import io.freshcache.core.Tag;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The parsers of what crosses the proxy's edges, fuzzed: the fields an origin's response carries
 * (Cache-Control and its targeted forms, Expires, Date, Age, Vary, ETag, tag and invalidation
 * fields, Surrogate-Control with ESI bodies) and those a client's request carries (Cache-Control,
 * conditionals, Range, Accept-Encoding, the target), and the admin API's JSON. The oracles: no
 * exception other than each parser's documented refusal, and values within their stated bounds
 * (freshness lifetimes and ages in 0..2^31 s, ranges inside the body, tags that parse back to
 * themselves, normalized targets that normalize to themselves, nothing stored without explicit
 * freshness or with {@code Vary: *}).
 *
 * <p>In {@code mvn test} each runs once per input under
 * {@code src/test/resources/io/freshcache/proxy/EdgeParsersFuzzTestInputs/} (and on an empty input);
 * {@code bash scripts/fuzz.sh} fuzzes them (docs/fuzzing.md).
 */
class EdgeParsersFuzzTest {
  static final String[] RESPONSE_FIELDS = {
    "Cache-Control", "CDN-Cache-Control", "Freshcache-Cache-Control", "Expires", "Date", "Age", "Vary", "ETag",
    "Last-Modified", "Pragma", "Set-Cookie", "Surrogate-Control", "Cache-Tag", "Surrogate-Key", "xkey",
    "Cache-Invalidate",
  };
  static final String[] REQUEST_FIELDS = {
    "Cache-Control", "Pragma", "If-None-Match", "If-Modified-Since", "Range", "Accept-Encoding", "Authorization",
  };
  private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");

  /** Fields chosen by the fuzzer from {@code names}, values of printable ASCII and tabs as an origin can send. */
  static Fields fields(FuzzedDataProvider data, String[] names) {
    int n = data.consumeInt(0, 8);
    String[] pairs = new String[n * 2];
    for (int i = 0; i < n; i++) {
      pairs[2 * i] = data.pickValue(names);
      pairs[2 * i + 1] = fieldValue(data.consumeString(80));
    }
    return Fields.of(pairs);
  }

  private static String fieldValue(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      b.append(c == '\t' || c >= ' ' && c < 0x7f ? c : (char) (' ' + (c % 95)));
    }
    return b.toString().strip();
  }

  private static void checkDelta(String what, long v) {
    assertThat(v).as(what).satisfiesAnyOf(
        x -> assertThat(x).isEqualTo(ResponseDirectives.ABSENT),
        x -> assertThat(x).isBetween(0L, ResponseDirectives.MAX_DELTA));
  }

  /** A response's directives, freshness, storability and reuse for a request, as the proxy decides them. */
  @FuzzTest(maxDuration = "5m")
  void responseAndRequestFields(FuzzedDataProvider data) {
    Fields response = fields(data, RESPONSE_FIELDS);
    Fields request = fields(data, REQUEST_FIELDS);
    boolean userKnown = data.consumeBoolean();
    Instant responseTime = NOW.plusMillis(data.consumeInt(0, 5_000));
    Instant later = responseTime.plusSeconds(data.consumeLong(0, 1L << 33));

    ResponseDirectives d = ResponseDirectives.of(response);
    for (long v : new long[] {d.maxAge(), d.sMaxAge(), d.staleWhileRevalidate(), d.staleIfError()}) {
      checkDelta("a delta-seconds directive", v);
    }
    for (String f : d.noCacheFields()) {
      assertThat(Fields.isToken(f) && f.equals(Fields.lower(f))).as("no-cache field %s", f).isTrue();
    }
    for (String f : d.privateFields()) {
      assertThat(Fields.isToken(f) && f.equals(Fields.lower(f))).as("private field %s", f).isTrue();
    }

    Freshness f = Freshness.of(d, response, NOW, responseTime);
    assertThat(f.lifetime()).isBetween(Duration.ZERO, Duration.ofSeconds(ResponseDirectives.MAX_DELTA));
    assertThat(f.ageValue()).isBetween(0L, ResponseDirectives.MAX_DELTA);
    assertThat(f.currentAge(later)).isGreaterThanOrEqualTo(Duration.ZERO);
    assertThat(f.ageSeconds(later)).isGreaterThanOrEqualTo(0);
    RequestDirectives rd = RequestDirectives.of(request);
    assertThat(f.reuse(rd, later)).isNotNull();

    Storability.Decision decision = Storability.decide("GET", 200, request, response, f, userKnown);
    Vary vary = Vary.of(response);
    if (decision.store()) {
      assertThat(f.explicit()).as("stored without explicit freshness").isTrue();
      assertThat(vary.isStar()).as("stored with Vary: *").isFalse();
      assertThat(rd.noStore()).as("stored despite the request's no-store").isFalse();
      assertThat(d.isPrivate() && !userKnown).as("a private response stored with no user").isFalse();
    }

    assertThatCode(() -> Conditional.notModified("GET", request, 200, response, responseTime)).doesNotThrowAnyException();
    String etag = response.first("ETag");
    if (etag != null) {
      Conditional.parseETag(etag);
    }
    assertThatCode(() -> SurrogateControl.wantsEsi(response)).doesNotThrowAnyException();
    String accept = request.first("Accept-Encoding");
    if (accept != null) {
      for (Encoding stored : Encoding.values()) {
        Encoding chosen = AcceptEncoding.choose(accept, stored);
        if (chosen != null && chosen != Encoding.IDENTITY) {
          assertThat(AcceptEncoding.q(accept, chosen)).as("chose %s for %s", chosen, accept).isPositive();
        }
      }
    }
    String range = request.first("Range");
    if (range != null) {
      long length = data.consumeLong(0, 1L << 40);
      ByteRange r = ByteRange.of(range, length);
      if (!r.whole() && r != ByteRange.UNSATISFIABLE) {
        assertThat(r.first()).as("first of %s in %d", range, length).isBetween(0L, length - 1);
        assertThat(r.last()).as("last of %s in %d", range, length).isBetween(r.first(), length - 1);
      }
    }
  }

  /** Dates: whatever parses prints as IMF-fixdate and parses back to the same second. */
  @FuzzTest(maxDuration = "2m")
  void httpDates(FuzzedDataProvider data) {
    String text = data.consumeRemainingAsString();
    Instant t = HttpDate.parse(text, NOW);
    if (t != null && t.getEpochSecond() >= 0 && t.getEpochSecond() < 253402300800L) { // 0000..9999
      String formatted = HttpDate.format(t);
      assertThat(HttpDate.parse(formatted, NOW)).as("%s -> %s", text, formatted).isEqualTo(Instant.ofEpochSecond(t.getEpochSecond()));
    }
  }

  /** Tag and invalidation fields: what is accepted is a valid tag that prints and parses back to itself. */
  @FuzzTest(maxDuration = "2m")
  void tagFields(FuzzedDataProvider data) {
    List<String> lines = new ArrayList<>();
    for (int i = data.consumeInt(0, 4); i > 0; i--) {
      lines.add(data.consumeString(200));
    }
    TagHeaders.Dependencies deps = TagHeaders.dependencies(lines);
    for (Tag t : deps.tags()) {
      assertThat(Tag.parse(t.toString())).isEqualTo(t);
    }
    TagHeaders.Invalidations inv = TagHeaders.invalidations(lines);
    for (String e : inv.exact()) {
      assertThat(Tag.parse(e).toString()).isEqualTo(e);
    }
    for (String p : inv.prefixes()) {
      assertThat(p).endsWith("/");
      for (String q : inv.prefixes()) {
        assertThat(!p.equals(q) && q.startsWith(p)).as("prefix %s covers %s: not minimal", p, q).isFalse();
      }
    }
  }

  /** Request targets: a resource is a normalized path that normalizes to itself. */
  @FuzzTest(maxDuration = "2m")
  void requestTargets(FuzzedDataProvider data) {
    String target = data.consumeRemainingAsString();
    String resource = RequestTarget.resource(target);
    if (resource != null) {
      assertThat(resource).as("resource of %s", target).startsWith("/");
      assertThat(RequestTarget.resource(resource)).as("resource of %s, again", target).isEqualTo(resource);
      String path = resource.indexOf('?') < 0 ? resource : resource.substring(0, resource.indexOf('?'));
      assertThat(path.contains("/./") || path.contains("/../") || path.endsWith("/.") || path.endsWith("/.."))
          .as("dot segments left in %s (of %s)", resource, target).isFalse();
    }
  }

  /** The admin API's invalidation body: parsed within its bounds, or refused with 400 or 413. */
  @FuzzTest(maxDuration = "2m")
  void invalidateBodies(byte[] body) {
    try {
      InvalidateRequest r = InvalidateRequest.parse(body, 100);
      assertThat(r.size()).isLessThanOrEqualTo(100);
      for (String url : r.urls()) {
        InvalidateRequest.checkUrl("url", url);
      }
    } catch (AdminError e) {
      assertThat(e.status()).isIn(400, 413);
      assertThat(e.getMessage()).isNotBlank().doesNotContain("\tat ").doesNotContain("Exception");
    }
  }

  /** ESI templates: an EsiException naming a byte, or sound slices (EsiTemplatePropertyTest's oracle). */
  @FuzzTest(maxDuration = "2m")
  void esiTemplates(FuzzedDataProvider data) {
    EsiLimits limits = data.consumeBoolean() ? EsiLimits.DEFAULTS
        : new EsiLimits(data.consumeInt(0, 3), 3, data.consumeInt(1, 8), 1 << 20);
    EsiTemplatePropertyTest.checkParse(data.consumeRemainingAsBytes(), limits, s -> { });
  }

  /** Structured-field dictionaries (targeted Cache-Control): a map or a ParseException. */
  @FuzzTest(maxDuration = "2m")
  void structuredDictionaries(FuzzedDataProvider data) {
    List<String> lines = new ArrayList<>();
    for (int i = data.consumeInt(1, 3); i > 0; i--) {
      lines.add(data.consumeString(120));
    }
    try {
      StructuredFields.parseDictionary(lines);
    } catch (StructuredFields.ParseException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
    CacheDirectives.parseStructured(lines);
    CacheDirectives.parse(lines);
  }
}
