package io.freshcache.proxy;

import static io.freshcache.proxy.ResponseDirectives.ABSENT;
import static io.freshcache.proxy.ResponseDirectives.MAX_DELTA;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.proxy.ResponseDirectives.Source;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link ResponseDirectives}: interpretation of response directives (RFC 9111 section 5.2.2, RFC
 * 5861) and the choice of the governing field (RFC 9213).
 */
class ResponseDirectivesTest {

  private static ResponseDirectives cc(String... lines) {
    Fields f = Fields.EMPTY;
    for (String line : lines) {
      f = f.with("Cache-Control", line);
    }
    return ResponseDirectives.of(f);
  }

  @Test
  void noFieldsNoDirectives() {
    ResponseDirectives d = ResponseDirectives.of(Fields.EMPTY);
    assertThat(d).isEqualTo(ResponseDirectives.NONE);
    assertThat(d.source()).isEqualTo(Source.NONE);
    assertThat(d.maxAge()).isEqualTo(ABSENT);
    assertThat(d.hasExplicitMaxAge()).isFalse();
  }

  @Test
  void everyDirective() {
    ResponseDirectives d = cc("public, max-age=60, s-maxage=30, must-revalidate, proxy-revalidate, no-transform,"
        + " must-understand, stale-while-revalidate=10, stale-if-error=20, immutable");
    assertThat(d.source()).isEqualTo(Source.CACHE_CONTROL);
    assertThat(d.isPublic()).isTrue();
    assertThat(d.maxAge()).isEqualTo(60);
    assertThat(d.sMaxAge()).isEqualTo(30);
    assertThat(d.mustRevalidate()).isTrue();
    assertThat(d.proxyRevalidate()).isTrue();
    assertThat(d.noTransform()).isTrue();
    assertThat(d.mustUnderstand()).isTrue();
    assertThat(d.staleWhileRevalidate()).isEqualTo(10);
    assertThat(d.staleIfError()).isEqualTo(20);
    assertThat(d.noStore()).isFalse();
    assertThat(d.noCache()).isFalse();
    assertThat(d.isPrivate()).isFalse();
  }

  @Test
  void quotedAndTokenArgumentsAreBothAccepted() {
    assertThat(cc("max-age=\"60\"").maxAge()).isEqualTo(60);
    assertThat(cc("max-age=60").maxAge()).isEqualTo(60);
    assertThat(cc("max-age=007").maxAge()).isEqualTo(7);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "max-age=abc",
    "max-age=-1",
    "max-age=1.5",
    "max-age",
    "max-age=",
    "max-age=\"\"",
    "max-age=60 garbage",
    "max-age = 60",
    "max-age=+5",
    "max-age=60, max-age=30",
    "max-age=60, max-age=x",
    "max-age=\"6 0\"",
  })
  void invalidOrConflictingMaxAgeIsStale(String field) {
    ResponseDirectives d = cc(field);
    assertThat(d.maxAge()).isZero();
    assertThat(d.hasExplicitMaxAge()).isTrue();
  }

  @Test
  void agreeingDuplicatesAreFine() {
    assertThat(cc("max-age=60, max-age=\"60\"", "max-age=060").maxAge()).isEqualTo(60);
  }

  @Test
  void hugeValuesAreTwoToThe31() {
    assertThat(cc("max-age=2147483648").maxAge()).isEqualTo(MAX_DELTA);
    assertThat(cc("max-age=2147483649").maxAge()).isEqualTo(MAX_DELTA);
    assertThat(cc("s-maxage=99999999999999999999999999999999").sMaxAge()).isEqualTo(MAX_DELTA);
    assertThat(cc("max-age=2147483647").maxAge()).isEqualTo(2147483647L);
    // Two overflowing values agree: both are 2^31.
    assertThat(cc("max-age=99999999999, max-age=88888888888").maxAge()).isEqualTo(MAX_DELTA);
  }

  @Test
  void invalidStalePermissionsAreAbsent() {
    assertThat(cc("stale-while-revalidate=x").staleWhileRevalidate()).isEqualTo(ABSENT);
    assertThat(cc("stale-while-revalidate").staleWhileRevalidate()).isEqualTo(ABSENT);
    assertThat(cc("stale-if-error=-5").staleIfError()).isEqualTo(ABSENT);
    assertThat(cc("stale-if-error=5, stale-if-error=6").staleIfError()).isEqualTo(ABSENT);
    assertThat(cc("stale-if-error=5, stale-if-error=5").staleIfError()).isEqualTo(5);
  }

  @Test
  void noCacheAndPrivateWithAndWithoutFieldNames() {
    ResponseDirectives plain = cc("no-cache, private");
    assertThat(plain.noCache()).isTrue();
    assertThat(plain.isPrivate()).isTrue();
    assertThat(plain.noCacheFields()).isEmpty();

    ResponseDirectives qualified = cc("no-cache=\"Set-Cookie, X-Token\", private=\"Authorization-Info\"");
    assertThat(qualified.noCache()).isFalse();
    assertThat(qualified.noCacheFields()).containsExactlyInAnyOrder("set-cookie", "x-token");
    assertThat(qualified.isPrivate()).isFalse();
    assertThat(qualified.privateFields()).containsExactly("authorization-info");
    assertThat(qualified.fieldsNotToStore()).containsExactlyInAnyOrder("set-cookie", "x-token", "authorization-info");

    assertThat(cc("no-cache=Set-Cookie").noCacheFields()).containsExactly("set-cookie"); // token form accepted
    assertThat(cc("no-cache=\"a\", no-cache=\"b\"").noCacheFields()).containsExactlyInAnyOrder("a", "b");
  }

  @Test
  void aFieldListThatIsNotOneMeansTheUnqualifiedForm() {
    assertThat(cc("no-cache=\"a b\"").noCache()).isTrue();
    assertThat(cc("no-cache=\"\"").noCache()).isTrue();
    assertThat(cc("no-cache=\" , \"").noCache()).isTrue();
    assertThat(cc("private=\"a, b").isPrivate()).isTrue(); // unterminated
    assertThat(cc("private=\"a\", private").isPrivate()).isTrue();
    assertThat(cc("private=\"a\", private").privateFields()).isEmpty();
  }

  @Test
  void restrictiveDirectivesCountEvenWithAnArgument() {
    assertThat(cc("no-store=yes").noStore()).isTrue();
    assertThat(cc("no-store junk").noStore()).isTrue();
    assertThat(cc("must-revalidate=1").mustRevalidate()).isTrue();
  }

  @Test
  void publicWithAnArgumentIsIgnored() {
    assertThat(cc("public=1").isPublic()).isFalse();
    assertThat(cc("public=1, public").isPublic()).isTrue();
  }

  @Test
  void unknownDirectivesAreIgnored() {
    assertThat(cc("community=\"UCI\", private").isPrivate()).isTrue();
    assertThat(cc("foo, bar=baz")).isEqualTo(ResponseDirectives.from(CacheDirectives.NONE, Source.CACHE_CONTROL));
  }

  @Test
  void staleIsForbiddenByNoCacheMustRevalidateAndProxyRevalidateButNotSMaxage() {
    assertThat(cc("max-age=1").forbidsStale()).isFalse();
    assertThat(cc("no-cache").forbidsStale()).isTrue();
    assertThat(cc("no-cache=\"x\"").forbidsStale()).isFalse();
    assertThat(cc("must-revalidate").forbidsStale()).isTrue();
    assertThat(cc("proxy-revalidate").forbidsStale()).isTrue();
    assertThat(cc("s-maxage=5").forbidsStale()).isFalse();
    assertThat(cc("s-maxage=5").forbidsClientStale()).isTrue();
    assertThat(cc("max-age=5").forbidsClientStale()).isFalse();
  }

  // ------------------------------------------------------------------ RFC 9213 targeted fields

  @Test
  void theRfc9213Examples() {
    // "instruct a CDN cache ... to consider the response fresh for 600 seconds"
    ResponseDirectives a = ResponseDirectives.of(Fields.of(
        "Cache-Control", "max-age=60, s-maxage=120", "CDN-Cache-Control", "max-age=600"));
    assertThat(a.source()).isEqualTo(Source.CDN_CACHE_CONTROL);
    assertThat(a.maxAge()).isEqualTo(600);
    assertThat(a.sMaxAge()).isEqualTo(ABSENT); // Cache-Control is ignored entirely

    ResponseDirectives b = ResponseDirectives.of(Fields.of(
        "CDN-Cache-Control", "max-age=600", "Cache-Control", "no-store"));
    assertThat(b.noStore()).isFalse();
    assertThat(b.maxAge()).isEqualTo(600);

    ResponseDirectives c = ResponseDirectives.of(Fields.of("Cache-Control", "no-store"));
    assertThat(c.noStore()).isTrue();

    ResponseDirectives d = ResponseDirectives.of(Fields.of("Cache-Control", "no-store", "CDN-Cache-Control", "none"));
    assertThat(d.source()).isEqualTo(Source.CDN_CACHE_CONTROL);
    assertThat(d.noStore()).isFalse();
  }

  @Test
  void freshcacheCacheControlWinsOverCdnCacheControl() {
    ResponseDirectives d = ResponseDirectives.of(Fields.of(
        "Cache-Control", "max-age=1", "CDN-Cache-Control", "max-age=2", "Freshcache-Cache-Control", "max-age=3"));
    assertThat(d.source()).isEqualTo(Source.FRESHCACHE_CACHE_CONTROL);
    assertThat(d.maxAge()).isEqualTo(3);
  }

  @Test
  void anInvalidTargetedFieldFallsBackToTheNext() {
    ResponseDirectives d = ResponseDirectives.of(Fields.of(
        "Cache-Control", "max-age=1", "CDN-Cache-Control", "max-age=2", "Freshcache-Cache-Control", "Max-Age=3"));
    assertThat(d.source()).isEqualTo(Source.CDN_CACHE_CONTROL);
    assertThat(d.maxAge()).isEqualTo(2);

    ResponseDirectives e = ResponseDirectives.of(Fields.of(
        "Cache-Control", "max-age=1", "CDN-Cache-Control", "max-age=2,", "Freshcache-Cache-Control", ""));
    assertThat(e.source()).isEqualTo(Source.CACHE_CONTROL);
    assertThat(e.maxAge()).isEqualTo(1);
  }

  @Test
  void targetedValuesMustHaveTheInferredTypes() {
    assertThat(ResponseDirectives.of(Fields.of("CDN-Cache-Control", "max-age=\"60\"")).maxAge()).isZero();
    assertThat(ResponseDirectives.of(Fields.of("CDN-Cache-Control", "max-age=60.0")).maxAge()).isZero();
    assertThat(ResponseDirectives.of(Fields.of("CDN-Cache-Control", "max-age=-60")).maxAge()).isZero();
    assertThat(ResponseDirectives.of(Fields.of("CDN-Cache-Control", "max-age=tok")).maxAge()).isZero();
    assertThat(ResponseDirectives.of(Fields.of("CDN-Cache-Control", "max-age=999999999999999")).maxAge())
        .isEqualTo(MAX_DELTA);
    // Boolean false is dropped: no-store=?0 does not store-forbid.
    assertThat(ResponseDirectives.of(Fields.of("CDN-Cache-Control", "no-store=?0, max-age=5")).noStore()).isFalse();
    // no-cache with a String is qualified, with a Token it is taken as the unqualified form.
    ResponseDirectives q = ResponseDirectives.of(Fields.of("CDN-Cache-Control", "no-cache=\"set-cookie\""));
    assertThat(q.noCache()).isFalse();
    assertThat(q.noCacheFields()).isEqualTo(Set.of("set-cookie"));
    assertThat(ResponseDirectives.of(Fields.of("CDN-Cache-Control", "no-cache=set-cookie")).noCache()).isTrue();
    assertThat(ResponseDirectives.of(Fields.of("CDN-Cache-Control", "private=(a b)")).isPrivate()).isTrue();
  }

  @Test
  void targetedFieldLinesAreCombined() {
    ResponseDirectives d = ResponseDirectives.of(Fields.of(
        "CDN-Cache-Control", "max-age=600", "CDN-Cache-Control", "stale-if-error=60"));
    assertThat(d.maxAge()).isEqualTo(600);
    assertThat(d.staleIfError()).isEqualTo(60);
  }

  @Test
  void onlyCacheControlUsesExpires() {
    assertThat(Source.CACHE_CONTROL.usesExpires()).isTrue();
    assertThat(Source.NONE.usesExpires()).isTrue();
    assertThat(Source.CDN_CACHE_CONTROL.usesExpires()).isFalse();
    assertThat(Source.FRESHCACHE_CACHE_CONTROL.usesExpires()).isFalse();
  }
}
