package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshcache.proxy.Freshness.Action;
import io.freshcache.proxy.Freshness.Reason;
import io.freshcache.proxy.Freshness.Reuse;
import io.freshcache.testkit.SeededProperty;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Freshness}: age (RFC 9111 section 4.2.3), lifetime (4.2.1), stale serving (4.2.4, RFC 5861), reuse. */
class FreshnessTest {
  private static final Instant T = Instant.parse("2026-03-01T12:00:00Z");

  private static Instant at(long seconds) {
    return T.plusSeconds(seconds);
  }

  private static String date(long seconds) {
    return HttpDate.format(at(seconds));
  }

  /** A response received at T (requested at T) with the given fields. */
  private static Freshness received(String... fields) {
    return Freshness.of(Fields.of(fields), T, T);
  }

  private static RequestDirectives req(String cacheControl) {
    return RequestDirectives.of(List.of(cacheControl), List.of());
  }

  // ------------------------------------------------------------------ age

  @Test
  void ageCalculationStepByStep() {
    // Requested at T+100, received at T+102, origin's Date T+99 (its clock is a little behind), Age 10.
    Freshness f = Freshness.of(Fields.of("Date", date(99), "Age", "10", "Cache-Control", "max-age=100"), at(100), at(102));
    assertThat(f.apparentAge()).isEqualTo(Duration.ofSeconds(3));
    assertThat(f.responseDelay()).isEqualTo(Duration.ofSeconds(2));
    assertThat(f.correctedAgeValue()).isEqualTo(Duration.ofSeconds(12));
    assertThat(f.correctedInitialAge()).isEqualTo(Duration.ofSeconds(12));
    assertThat(f.residentTime(at(150))).isEqualTo(Duration.ofSeconds(48));
    assertThat(f.currentAge(at(150))).isEqualTo(Duration.ofSeconds(60));
    assertThat(f.ageSeconds(at(150))).isEqualTo(60);
    assertThat(f.remaining(at(150))).isEqualTo(Duration.ofSeconds(40));
    assertThat(f.ttlSeconds(at(150))).isEqualTo(40);
  }

  @Test
  void apparentAgeWinsWhenTheDateIsOlderThanAgeSays() {
    Freshness f = Freshness.of(Fields.of("Date", date(0), "Age", "1"), at(100), at(100));
    assertThat(f.apparentAge()).isEqualTo(Duration.ofSeconds(100));
    assertThat(f.correctedInitialAge()).isEqualTo(Duration.ofSeconds(100));
  }

  @Test
  void aDateInTheFutureGivesApparentAgeZero() {
    Freshness f = Freshness.of(Fields.of("Date", date(500)), at(100), at(100));
    assertThat(f.apparentAge()).isZero();
    assertThat(f.currentAge(at(100))).isZero();
  }

  @Test
  void missingOrInvalidDateIsTheResponseTime() {
    assertThat(received().dateValue()).isEqualTo(T);
    assertThat(received("Date", "yesterday").dateValue()).isEqualTo(T);
    assertThat(received("Date", date(-5), "Date", date(-9)).dateValue()).isEqualTo(at(-5));
  }

  @Test
  void ageFieldRules() {
    assertThat(Freshness.ageValue(List.of())).isZero();
    assertThat(Freshness.ageValue(List.of("42"))).isEqualTo(42);
    assertThat(Freshness.ageValue(List.of(" 42 "))).isEqualTo(42);
    assertThat(Freshness.ageValue(List.of("42, 7"))).isEqualTo(42); // first member
    assertThat(Freshness.ageValue(List.of("42", "7"))).isEqualTo(42); // first line
    assertThat(Freshness.ageValue(List.of("-1"))).isZero(); // invalid: ignored
    assertThat(Freshness.ageValue(List.of("1.5"))).isZero();
    assertThat(Freshness.ageValue(List.of("abc"))).isZero();
    assertThat(Freshness.ageValue(List.of(""))).isZero();
    assertThat(Freshness.ageValue(List.of("99999999999999999999"))).isEqualTo(ResponseDirectives.MAX_DELTA);
  }

  @Test
  void theClockSteppingBackNeverLowersTheAge() {
    Freshness f = received("Cache-Control", "max-age=60");
    assertThat(f.residentTime(at(-30))).isZero();
    assertThat(f.currentAge(at(-30))).isEqualTo(f.currentAge(T));
  }

  @Test
  void responseBeforeRequestIsRejected() {
    assertThatThrownBy(() -> Freshness.of(Fields.EMPTY, at(1), at(0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("responseTime")
        .hasMessageContaining("not before requestTime");
  }

  // ------------------------------------------------------------------ lifetime

  @Test
  void lifetimeOrderIsSMaxageThenMaxAgeThenExpires() {
    assertThat(received("Cache-Control", "max-age=60, s-maxage=30", "Expires", date(999)).lifetime())
        .isEqualTo(Duration.ofSeconds(30));
    assertThat(received("Cache-Control", "max-age=60", "Expires", date(999)).lifetime())
        .isEqualTo(Duration.ofSeconds(60));
    assertThat(received("Expires", date(999)).lifetime()).isEqualTo(Duration.ofSeconds(999));
    assertThat(received("Expires", date(999)).explicit()).isTrue();
  }

  @Test
  void expiresIsRelativeToDateNotToOurClock() {
    // Origin clock 1000 s behind ours: Expires - Date is still 60 s.
    Freshness f = received("Date", date(-1000), "Expires", date(-940));
    assertThat(f.lifetime()).isEqualTo(Duration.ofSeconds(60));
    assertThat(f.isFresh(T)).isFalse(); // but the apparent age is 1000 s
  }

  @Test
  void invalidExpiresIsAlreadyExpired() {
    for (String bad : new String[] {"0", "-1", "never", "", "Sun, 06 Nov 1994 08:49:37 UTC"}) {
      Freshness f = received("Expires", bad);
      assertThat(f.lifetime()).as(bad).isZero();
      assertThat(f.explicit()).as(bad).isTrue();
      assertThat(f.isFresh(T)).as(bad).isFalse();
    }
  }

  @Test
  void expiresBeforeDateAndConflictingExpiresAreStale() {
    assertThat(received("Date", date(0), "Expires", date(-10)).lifetime()).isZero();
    assertThat(received("Expires", date(100), "Expires", date(200)).lifetime()).isZero();
    assertThat(received("Expires", date(100), "Expires", date(100)).lifetime()).isEqualTo(Duration.ofSeconds(100));
  }

  @Test
  void aTargetedFieldMakesExpiresIrrelevant() {
    Freshness f = received("CDN-Cache-Control", "must-revalidate", "Expires", date(100));
    assertThat(f.explicit()).isFalse();
    assertThat(f.lifetime()).isZero();
  }

  @Test
  void noExplicitFreshnessMeansLifetimeZeroNotHeuristic() {
    Freshness f = received("Last-Modified", date(-86400 * 365), "Cache-Control", "public");
    assertThat(f.explicit()).isFalse();
    assertThat(f.lifetime()).isZero();
    assertThat(f.isFresh(T)).isFalse();
  }

  @Test
  void invalidMaxAgeIsExplicitButStale() {
    Freshness f = received("Cache-Control", "max-age=soon", "Expires", date(999));
    assertThat(f.explicit()).isTrue();
    assertThat(f.lifetime()).isZero();
  }

  @Test
  void hugeMaxAgeDoesNotOverflow() {
    Freshness f = received("Cache-Control", "max-age=999999999999999999999", "Age", "999999999999");
    assertThat(f.lifetime()).isEqualTo(Duration.ofSeconds(ResponseDirectives.MAX_DELTA));
    assertThat(f.isFresh(at(1_000_000))).isFalse(); // age 2^31 + ... >= lifetime 2^31
    assertThat(received("Cache-Control", "max-age=999999999999999999999").isFresh(at(1_000_000_000))).isTrue();
  }

  // ------------------------------------------------------------------ fresh / stale

  @Test
  void freshIsLifetimeGreaterThanAge() {
    Freshness f = received("Cache-Control", "max-age=60");
    assertThat(f.isFresh(at(59))).isTrue();
    assertThat(f.isFresh(at(60))).isFalse(); // equal is stale
    assertThat(f.ttlSeconds(at(60))).isZero();
    assertThat(f.ttlSeconds(Instant.parse("2026-03-01T12:01:00.500Z"))).isEqualTo(-1);
    assertThat(f.staleness(at(70))).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void staleWhileRevalidateWindow() {
    Freshness f = received("Cache-Control", "max-age=60, stale-while-revalidate=30");
    assertThat(f.mayServeStaleWhileRevalidate(at(30))).isFalse(); // fresh: nothing to allow
    assertThat(f.mayServeStaleWhileRevalidate(at(60))).isTrue();
    assertThat(f.mayServeStaleWhileRevalidate(at(90))).isTrue();
    assertThat(f.mayServeStaleWhileRevalidate(at(91))).isFalse();
  }

  @Test
  void mustRevalidateProxyRevalidateAndNoCacheForbidStaleServing() {
    for (String forbidding : new String[] {"must-revalidate", "proxy-revalidate", "no-cache"}) {
      Freshness f = received("Cache-Control", "max-age=60, stale-while-revalidate=30, stale-if-error=300, " + forbidding);
      assertThat(f.mayServeStaleWhileRevalidate(at(70))).as(forbidding).isFalse();
      assertThat(f.mayServeStaleIfError(RequestDirectives.NONE, at(70))).as(forbidding).isFalse();
      assertThat(f.mayServeStaleIfError(req("max-stale"), at(70))).as(forbidding).isFalse();
    }
  }

  @Test
  void sMaxageAllowsTheOriginsStaleExtensionsButNotTheClientsMaxStale() {
    Freshness f = received("Cache-Control", "s-maxage=60, stale-while-revalidate=30, stale-if-error=100");
    assertThat(f.mayServeStaleWhileRevalidate(at(70))).isTrue();
    assertThat(f.mayServeStaleIfError(RequestDirectives.NONE, at(150))).isTrue();
    assertThat(f.mayServeStaleIfError(RequestDirectives.NONE, at(161))).isFalse();
    assertThat(f.reuse(req("max-stale"), at(200))).isEqualTo(new Reuse(Action.VALIDATE, Reason.STALE));
    assertThat(f.mayServeStaleIfError(req("max-stale"), at(200))).isFalse();
  }

  @Test
  void staleIfErrorWindow() {
    Freshness f = received("Cache-Control", "max-age=60, stale-if-error=120");
    assertThat(f.mayServeStaleIfError(RequestDirectives.NONE, at(10))).isTrue(); // still fresh
    assertThat(f.mayServeStaleIfError(RequestDirectives.NONE, at(180))).isTrue();
    assertThat(f.mayServeStaleIfError(RequestDirectives.NONE, at(181))).isFalse();
    assertThat(f.mayServeStaleIfError(req("max-stale=500"), at(181))).isTrue(); // the client allows it
    Freshness none = received("Cache-Control", "max-age=60");
    assertThat(none.mayServeStaleIfError(RequestDirectives.NONE, at(61))).isFalse();
  }

  // ------------------------------------------------------------------ reuse decisions

  @Test
  void reuseDecisions() {
    Freshness f = received("Cache-Control", "max-age=60, stale-while-revalidate=30");
    assertThat(f.reuse(RequestDirectives.NONE, at(10))).isEqualTo(new Reuse(Action.SERVE, Reason.FRESH));
    assertThat(f.reuse(RequestDirectives.NONE, at(70)))
        .isEqualTo(new Reuse(Action.SERVE_STALE_WHILE_REVALIDATE, Reason.STALE));
    assertThat(f.reuse(RequestDirectives.NONE, at(100))).isEqualTo(new Reuse(Action.VALIDATE, Reason.STALE));
    assertThat(f.reuse(req("no-cache"), at(10))).isEqualTo(new Reuse(Action.VALIDATE, Reason.REQUEST_NO_CACHE));
    assertThat(f.reuse(req("max-age=5"), at(10))).isEqualTo(new Reuse(Action.VALIDATE, Reason.REQUEST_MAX_AGE));
    assertThat(f.reuse(req("max-age=10"), at(10))).isEqualTo(new Reuse(Action.SERVE, Reason.FRESH));
    assertThat(f.reuse(req("min-fresh=50"), at(10))).isEqualTo(new Reuse(Action.SERVE, Reason.FRESH));
    assertThat(f.reuse(req("min-fresh=51"), at(10))).isEqualTo(new Reuse(Action.VALIDATE, Reason.REQUEST_MIN_FRESH));
    assertThat(f.reuse(req("max-stale=40"), at(100))).isEqualTo(new Reuse(Action.SERVE_STALE, Reason.STALE));
    assertThat(f.reuse(req("max-stale=39"), at(100))).isEqualTo(new Reuse(Action.VALIDATE, Reason.STALE));
    assertThat(f.reuse(req("max-stale"), at(100_000))).isEqualTo(new Reuse(Action.SERVE_STALE, Reason.STALE));
    // A request max-age excludes stale-while-revalidate ("does not wish to receive a stale response").
    assertThat(f.reuse(req("max-age=100"), at(70))).isEqualTo(new Reuse(Action.VALIDATE, Reason.STALE));
    // max-age bounds the age even when max-stale allows staleness.
    assertThat(f.reuse(req("max-age=65, max-stale"), at(70))).isEqualTo(new Reuse(Action.VALIDATE, Reason.STALE));
    assertThat(f.reuse(req("max-age=75, max-stale"), at(70))).isEqualTo(new Reuse(Action.SERVE_STALE, Reason.STALE));
  }

  @Test
  void aRequestRefusingAStaleResponseReportsStale() {
    Freshness f = received("Cache-Control", "max-age=60");
    assertThat(f.reuse(req("no-cache"), at(61))).isEqualTo(new Reuse(Action.VALIDATE, Reason.STALE));
    assertThat(f.reuse(req("min-fresh=5"), at(61))).isEqualTo(new Reuse(Action.VALIDATE, Reason.STALE));
    assertThat(f.reuse(req("max-age=1"), at(61))).isEqualTo(new Reuse(Action.VALIDATE, Reason.STALE));
  }

  @Test
  void cacheStatusFwdOfADecision() {
    Freshness f = received("Cache-Control", "max-age=60, stale-while-revalidate=10");
    assertThat(f.reuse(RequestDirectives.NONE, at(1)).fwd()).isNull();
    assertThat(f.reuse(RequestDirectives.NONE, at(65)).fwd()).isNull(); // served stale
    assertThat(f.reuse(req("no-cache"), at(1)).fwd()).isEqualTo(CacheStatus.Fwd.REQUEST);
    assertThat(f.reuse(req("max-age=0"), at(1)).fwd()).isEqualTo(CacheStatus.Fwd.REQUEST);
    assertThat(f.reuse(req("min-fresh=100"), at(1)).fwd()).isEqualTo(CacheStatus.Fwd.REQUEST);
    assertThat(f.reuse(RequestDirectives.NONE, at(100)).fwd()).isEqualTo(CacheStatus.Fwd.STALE);
    assertThat(f.reuse(req("only-if-cached"), at(100)).fwd()).isEqualTo(CacheStatus.Fwd.STALE);
    assertThat(received("Cache-Control", "max-age=60, no-cache").reuse(RequestDirectives.NONE, at(1)).fwd())
        .isEqualTo(CacheStatus.Fwd.STALE);
  }

  @Test
  void responseNoCacheAlwaysValidates() {
    Freshness f = received("Cache-Control", "max-age=600, no-cache");
    assertThat(f.reuse(RequestDirectives.NONE, T)).isEqualTo(new Reuse(Action.VALIDATE, Reason.RESPONSE_NO_CACHE));
    assertThat(f.reuse(req("max-stale"), T)).isEqualTo(new Reuse(Action.VALIDATE, Reason.RESPONSE_NO_CACHE));
    Freshness qualified = received("Cache-Control", "max-age=600, no-cache=\"Set-Cookie\"");
    assertThat(qualified.reuse(RequestDirectives.NONE, T)).isEqualTo(new Reuse(Action.SERVE, Reason.FRESH));
  }

  @Test
  void mustRevalidateForbidsMaxStale() {
    Freshness f = received("Cache-Control", "max-age=60, must-revalidate");
    assertThat(f.reuse(req("max-stale"), at(61))).isEqualTo(new Reuse(Action.VALIDATE, Reason.STALE));
    assertThat(f.reuse(req("max-stale"), at(59))).isEqualTo(new Reuse(Action.SERVE, Reason.FRESH));
  }

  @Test
  void onlyIfCachedTurnsValidationIntoGatewayTimeout() {
    Freshness f = received("Cache-Control", "max-age=60");
    assertThat(f.reuse(req("only-if-cached"), at(10))).isEqualTo(new Reuse(Action.SERVE, Reason.FRESH));
    assertThat(f.reuse(req("only-if-cached"), at(61))).isEqualTo(new Reuse(Action.GATEWAY_TIMEOUT, Reason.STALE));
    assertThat(f.reuse(req("only-if-cached, max-stale"), at(61))).isEqualTo(new Reuse(Action.SERVE_STALE, Reason.STALE));
  }

  // ------------------------------------------------------------------ properties

  /**
   * For random responses and times: current age never decreases as now advances; age + remaining
   * = lifetime; isFresh agrees with remaining; once stale, a response stays stale; the stale windows
   * only shrink.
   */
  @Test
  void ageIsMonotoneAndFreshnessConsistent() {
    SeededProperty.forAll("FreshnessTest#ageIsMonotoneAndFreshnessConsistent", 10_000, 1, (random, trace) -> {
      Instant request = at(random.nextLong(-100_000, 100_000));
      Instant response = request.plusMillis(random.nextLong(0, 5_000));
      Fields f = Fields.EMPTY;
      if (random.nextBoolean()) {
        f = f.with("Date", HttpDate.format(response.plusSeconds(random.nextLong(-3_000, 3_000))));
      }
      if (random.nextBoolean()) {
        f = f.with("Age", random.nextInt(4) == 0 ? "junk" : Long.toString(random.nextLong(0, 10_000)));
      }
      String[] ccs = {"max-age=" + random.nextInt(0, 5_000), "s-maxage=" + random.nextInt(0, 5_000),
        "stale-while-revalidate=" + random.nextInt(0, 500), "stale-if-error=" + random.nextInt(0, 500),
        "must-revalidate", "no-cache", "max-age=x"};
      StringBuilder cc = new StringBuilder();
      for (String c : ccs) {
        if (random.nextInt(3) == 0) {
          cc.append(cc.length() == 0 ? "" : ", ").append(c);
        }
      }
      if (cc.length() > 0) {
        f = f.with("Cache-Control", cc.toString());
      }
      if (random.nextBoolean()) {
        f = f.with("Expires", HttpDate.format(response.plusSeconds(random.nextLong(-3_000, 3_000))));
      }
      trace.add("request " + request + " response " + response + "\n" + f);
      Freshness fr = Freshness.of(f, request, response);
      Instant now = response.minusSeconds(10);
      Duration lastAge = Duration.ZERO;
      boolean wasStale = false;
      boolean swrWindowClosed = false;
      for (int step = 0; step < 30; step++) {
        now = now.plusMillis(random.nextLong(0, 2_000_000));
        Duration age = fr.currentAge(now);
        trace.add("now " + now + " age " + age);
        assertThat(age).isGreaterThanOrEqualTo(lastAge);
        assertThat(age.plus(fr.remaining(now))).isEqualTo(fr.lifetime());
        assertThat(fr.isFresh(now)).isEqualTo(fr.remaining(now).compareTo(Duration.ZERO) > 0);
        if (wasStale) {
          assertThat(fr.isFresh(now)).isFalse();
        }
        boolean swr = fr.mayServeStaleWhileRevalidate(now);
        if (swrWindowClosed && !fr.isFresh(now)) {
          assertThat(swr).isFalse();
        }
        if (!fr.isFresh(now) && !swr) {
          swrWindowClosed = true;
        }
        wasStale |= !fr.isFresh(now);
        lastAge = age;
      }
    });
  }
}
