package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.proxy.Storability.Decision;
import io.freshcache.proxy.Storability.Reason;
import io.freshcache.proxy.Storability.Scope;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Storability}: RFC 9111 section 3 for a shared cache, with our documented choices. */
class StorabilityTest {
  private static final Instant T = Instant.parse("2026-03-01T12:00:00Z");

  private static Decision decide(String method, int status, Fields request, Fields response, boolean userKnown) {
    return Storability.decide(method, status, request, response, Freshness.of(response, T, T), userKnown);
  }

  private static Decision get(Fields response) {
    return decide("GET", 200, Fields.EMPTY, response, false);
  }

  private static Fields cc(String value) {
    return Fields.of("Cache-Control", value);
  }

  @Test
  void aPlainCacheableResponseIsStoredShared() {
    Decision d = get(cc("max-age=60"));
    assertThat(d).isEqualTo(new Decision(true, Reason.STORABLE, Scope.SHARED, Set.of()));
  }

  @Test
  void onlyGet() {
    for (String m : new String[] {"HEAD", "POST", "PUT", "DELETE", "OPTIONS", "get", "PATCH"}) {
      assertThat(decide(m, 200, Fields.EMPTY, cc("max-age=60"), false).reason()).as(m).isEqualTo(Reason.METHOD);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {200, 203, 204, 300, 301, 302, 307, 308, 404, 405, 410, 414, 501})
  void understoodStatusesAreStoredWithExplicitFreshness(int status) {
    assertThat(decide("GET", status, Fields.EMPTY, cc("max-age=60"), false).store()).isTrue();
    assertThat(decide("GET", status, Fields.EMPTY, Fields.EMPTY, false).reason())
        .isEqualTo(Reason.NO_EXPLICIT_FRESHNESS);
  }

  @ParameterizedTest
  @ValueSource(ints = {100, 101, 103, 201, 202, 206, 304, 400, 401, 403, 429, 500, 502, 503, 504, 599, 999})
  void otherStatusesAreNotStored(int status) {
    assertThat(decide("GET", status, Fields.EMPTY, cc("max-age=60, public"), false).reason()).isEqualTo(Reason.STATUS);
  }

  @Test
  void noStoreInRequestOrResponse() {
    assertThat(decide("GET", 200, cc("no-store"), cc("max-age=60"), false).reason()).isEqualTo(Reason.REQUEST_NO_STORE);
    assertThat(get(cc("max-age=60, no-store")).reason()).isEqualTo(Reason.NO_STORE);
    assertThat(get(cc("max-age=60, NO-STORE=1")).reason()).isEqualTo(Reason.NO_STORE);
  }

  @Test
  void mustUnderstandOverridesNoStoreForAnUnderstoodStatus() {
    assertThat(get(cc("max-age=60, must-understand, no-store")).store()).isTrue();
    assertThat(decide("GET", 206, Fields.EMPTY, cc("max-age=60, must-understand, no-store"), false).reason())
        .isEqualTo(Reason.STATUS);
  }

  @Test
  void varyStarIsNeverStored() {
    assertThat(get(Fields.of("Cache-Control", "max-age=60", "Vary", "Accept, *")).reason()).isEqualTo(Reason.VARY_STAR);
    assertThat(get(Fields.of("Cache-Control", "max-age=60", "Vary", "bad name")).reason()).isEqualTo(Reason.VARY_STAR);
    assertThat(get(Fields.of("Cache-Control", "max-age=60", "Vary", "Accept-Encoding")).store()).isTrue();
  }

  @Test
  void privateNeedsAKnownUserAndThenGoesToTheUsersScope() {
    assertThat(get(cc("private, max-age=60")).reason()).isEqualTo(Reason.PRIVATE);
    Decision d = decide("GET", 200, Fields.EMPTY, cc("private, max-age=60"), true);
    assertThat(d.store()).isTrue();
    assertThat(d.scope()).isEqualTo(Scope.USER);
  }

  @Test
  void qualifiedPrivateStoresTheRestShared() {
    Decision d = get(cc("private=\"X-User\", max-age=60"));
    assertThat(d.store()).isTrue();
    assertThat(d.scope()).isEqualTo(Scope.SHARED);
    assertThat(d.strip()).containsExactly("x-user");
  }

  @Test
  void authorizationNeedsMustRevalidatePublicOrSMaxage() {
    Fields auth = Fields.of("Authorization", "Bearer x");
    assertThat(decide("GET", 200, auth, cc("max-age=60"), false).reason()).isEqualTo(Reason.AUTHORIZATION);
    for (String allowing : new String[] {"must-revalidate", "public", "s-maxage=60"}) {
      Decision d = decide("GET", 200, auth, cc("max-age=60, " + allowing), false);
      assertThat(d.store()).as(allowing).isTrue();
      assertThat(d.scope()).as(allowing).isEqualTo(Scope.SHARED);
    }
    // proxy-revalidate is not on the RFC's list.
    assertThat(decide("GET", 200, auth, cc("max-age=60, proxy-revalidate"), false).reason())
        .isEqualTo(Reason.AUTHORIZATION);
    // A targeted field can allow it.
    assertThat(decide("GET", 200, auth, Fields.of("CDN-Cache-Control", "max-age=60, public"), false).store()).isTrue();
    // A known user gets a per-user entry instead.
    Decision mine = decide("GET", 200, auth, cc("max-age=60"), true);
    assertThat(mine.store()).isTrue();
    assertThat(mine.scope()).isEqualTo(Scope.USER);
  }

  @Test
  void explicitFreshnessIsRequired() {
    assertThat(get(cc("public")).reason()).isEqualTo(Reason.NO_EXPLICIT_FRESHNESS);
    assertThat(get(Fields.of("Last-Modified", HttpDate.format(T.minusSeconds(86400)))).reason())
        .isEqualTo(Reason.NO_EXPLICIT_FRESHNESS);
    assertThat(get(Fields.of("Expires", HttpDate.format(T.plusSeconds(60)))).store()).isTrue();
    assertThat(get(cc("s-maxage=60")).store()).isTrue();
  }

  @Test
  void setCookieIsNotStoredUnlessTheOriginNamesIt() {
    assertThat(get(Fields.of("Cache-Control", "max-age=60", "Set-Cookie", "a=b")).reason()).isEqualTo(Reason.SET_COOKIE);
    assertThat(decide("GET", 200, Fields.EMPTY, Fields.of("Cache-Control", "private, max-age=60", "Set-Cookie", "a=b"), true)
        .reason()).isEqualTo(Reason.SET_COOKIE);
    Decision viaNoCache = get(Fields.of("Cache-Control", "max-age=60, no-cache=\"Set-Cookie\"", "Set-Cookie", "a=b"));
    assertThat(viaNoCache.store()).isTrue();
    assertThat(viaNoCache.strip()).containsExactly("set-cookie");
    Decision viaPrivate = get(Fields.of("Cache-Control", "max-age=60, private=\"set-cookie\"", "Set-Cookie", "a=b"));
    assertThat(viaPrivate.store()).isTrue();
    assertThat(viaPrivate.strip()).containsExactly("set-cookie");
  }

  @Test
  void responsesThatCouldNeverBeReusedCheaplyAreNotStored() {
    assertThat(get(cc("max-age=0")).reason()).isEqualTo(Reason.NOT_REUSABLE);
    assertThat(get(cc("max-age=600, no-cache")).reason()).isEqualTo(Reason.NOT_REUSABLE);
    assertThat(get(Fields.of("Cache-Control", "max-age=60", "Age", "120")).reason()).isEqualTo(Reason.NOT_REUSABLE);
    assertThat(get(Fields.of("Expires", "0")).reason()).isEqualTo(Reason.NOT_REUSABLE);
    // ... but a validator, or a usable stale permission, makes them worth keeping.
    assertThat(get(Fields.of("Cache-Control", "max-age=0", "ETag", "\"x\"")).store()).isTrue();
    assertThat(get(Fields.of("Cache-Control", "max-age=600, no-cache", "ETag", "\"x\"")).store()).isTrue();
    // no-cache alone is not explicit freshness: heuristics are off, so it is not stored at all.
    assertThat(get(Fields.of("Cache-Control", "no-cache", "ETag", "\"x\"")).reason())
        .isEqualTo(Reason.NO_EXPLICIT_FRESHNESS);
    assertThat(get(Fields.of("Cache-Control", "max-age=0", "Last-Modified", HttpDate.format(T))).store()).isTrue();
    assertThat(get(cc("max-age=0, stale-while-revalidate=60")).store()).isTrue();
    assertThat(get(cc("max-age=0, stale-if-error=60, must-revalidate")).reason()).isEqualTo(Reason.NOT_REUSABLE);
  }
}
