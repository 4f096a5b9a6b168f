package io.freshcache.proxy;

import static io.freshcache.proxy.ResponseDirectives.ABSENT;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link RequestDirectives} (RFC 9111 section 5.2.1). */
class RequestDirectivesTest {

  private static RequestDirectives cc(String... lines) {
    return RequestDirectives.of(List.of(lines), List.of());
  }

  @Test
  void noneByDefault() {
    assertThat(RequestDirectives.of(Fields.EMPTY)).isEqualTo(RequestDirectives.NONE);
    assertThat(RequestDirectives.NONE.constrainsFreshness()).isFalse();
  }

  @Test
  void everyDirective() {
    RequestDirectives d = cc("max-age=10, max-stale=20, min-fresh=30, no-cache, no-store, only-if-cached, no-transform");
    assertThat(d).isEqualTo(new RequestDirectives(10, 20, 30, true, true, true, true, ResponseDirectives.ABSENT));
    assertThat(d.constrainsFreshness()).isTrue();
  }

  @Test
  void maxStaleWithoutValueAcceptsAnyStaleness() {
    assertThat(cc("max-stale").maxStale()).isEqualTo(RequestDirectives.ANY_STALENESS);
    assertThat(cc("max-stale, max-stale=5").maxStale()).isEqualTo(5);
    assertThat(cc("max-stale=\"5\"").maxStale()).isEqualTo(5);
  }

  @Test
  void badValuesTakeTheRestrictiveReading() {
    assertThat(cc("max-age=x").maxAge()).isZero();
    assertThat(cc("max-age=5, max-age=x").maxAge()).isZero();
    assertThat(cc("max-age=5, max-age=3").maxAge()).isEqualTo(3);
    assertThat(cc("min-fresh=x").minFresh()).isEqualTo(ABSENT);
    assertThat(cc("min-fresh=5, min-fresh=9").minFresh()).isEqualTo(9);
    assertThat(cc("max-stale=x").maxStale()).isEqualTo(ABSENT);
    assertThat(cc("max-stale=5, max-stale=-1").maxStale()).isEqualTo(ABSENT);
    assertThat(cc("max-age=99999999999").maxAge()).isEqualTo(ResponseDirectives.MAX_DELTA);
  }

  @Test
  void pragmaNoCacheCountsOnlyWithoutCacheControl() {
    assertThat(RequestDirectives.of(Fields.of("Pragma", "no-cache")).noCache()).isTrue();
    assertThat(RequestDirectives.of(Fields.of("Pragma", "x, NO-CACHE")).noCache()).isTrue();
    assertThat(RequestDirectives.of(Fields.of("Pragma", "no-cache", "Cache-Control", "max-age=5")).noCache()).isFalse();
    assertThat(RequestDirectives.of(Fields.of("Pragma", "nocache")).noCache()).isFalse();
  }

  @Test
  void namesAreCaseInsensitive() {
    assertThat(cc("NO-CACHE, Max-Age=5").noCache()).isTrue();
    assertThat(cc("NO-CACHE, Max-Age=5").maxAge()).isEqualTo(5);
  }

  @Test
  void staleIfErrorInARequestIsAGrantForThatRequest() {
    assertThat(RequestDirectives.of(List.of("stale-if-error=30"), List.of()).staleIfError()).isEqualTo(30);
    assertThat(RequestDirectives.of(List.of("stale-if-error=30, stale-if-error=10"), List.of()).staleIfError())
        .isEqualTo(10);
    for (String bad : List.of("stale-if-error", "stale-if-error=x", "stale-if-error=10, stale-if-error=-1")) {
      assertThat(RequestDirectives.of(List.of(bad), List.of()).staleIfError()).as(bad).isEqualTo(ResponseDirectives.ABSENT);
    }
  }
}
