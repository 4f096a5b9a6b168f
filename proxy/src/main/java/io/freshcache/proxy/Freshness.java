package io.freshcache.proxy;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Freshness and age of one stored response, for a shared cache (RFC 9111 sections 4.2, 4.2.1,
 * 4.2.3, 4.2.4) plus the stale extensions of RFC 5861, and the decision whether a request may reuse
 * it.
 *
 * <p>Age (section 4.2.3), computed in milliseconds (HTTP's values are whole seconds; our clock is
 * finer):
 *
 * <pre>
 * apparent_age          = max(0, response_time - date_value)
 * response_delay        = response_time - request_time
 * corrected_age_value   = age_value + response_delay
 * corrected_initial_age = max(apparent_age, corrected_age_value)
 * resident_time         = now - response_time
 * current_age           = corrected_initial_age + resident_time
 * </pre>
 *
 * <p>Inputs and the rules for bad ones:
 *
 * <ul>
 *   <li>{@code date_value}: the Date field; if absent or invalid, the response time (RFC 9110
 *       section 6.6.1: a recipient MUST record the time it received a response without Date). With
 *       several lines the first is used.
 *   <li>{@code age_value}: the first member of the first Age line (RFC 9111 section 5.1: "SHOULD use
 *       the first member ... discarding subsequent ones"); not 1*DIGIT means 0 ("SHOULD ignore the
 *       field"); above 2^31 is 2^31.
 *   <li>A clock that steps back ({@code now < response_time}) gives a resident time of 0, so the age
 *       never decreases.
 * </ul>
 *
 * <p>Freshness lifetime (section 4.2.1), first match: {@code s-maxage}; {@code max-age}; {@code
 * Expires - Date} (only when {@code Cache-Control} governs, see {@link ResponseDirectives}); else
 * none. Heuristic freshness is off: a response without explicit freshness has lifetime 0 and {@link
 * #explicit()} false. An invalid Expires (including {@code 0}) is in the past (RFC 9111 section 5.3);
 * several Expires lines that differ are treated as stale (section 4.2.1 allows "first occurrence" or
 * "stale"; stale is the safe one); an Expires before Date gives lifetime 0.
 *
 * @param directives the governing directives
 * @param requestTime when the request that produced the response was sent
 * @param responseTime when the response was received
 * @param dateValue the Date used in the calculations
 * @param ageValue seconds from the Age field (0 if none or invalid)
 * @param lifetime the freshness lifetime (0 without explicit freshness)
 * @param explicit whether the response carries explicit freshness (s-maxage, max-age, or an Expires
 *     that applies), even an invalid one
 */
record Freshness(
    ResponseDirectives directives,
    Instant requestTime,
    Instant responseTime,
    Instant dateValue,
    long ageValue,
    Duration lifetime,
    boolean explicit) {

  /** Validates the times. */
  Freshness {
    requireNonNull(directives, "directives");
    requireNonNull(requestTime, "requestTime");
    requireNonNull(responseTime, "responseTime");
    requireNonNull(dateValue, "dateValue");
    requireNonNull(lifetime, "lifetime");
    if (responseTime.isBefore(requestTime)) {
      throw new IllegalArgumentException("responseTime: " + responseTime
          + " (expected: not before requestTime " + requestTime + ")");
    }
    if (ageValue < 0 || lifetime.isNegative()) {
      throw new IllegalArgumentException("ageValue " + ageValue + ", lifetime " + lifetime
          + " (expected: both >= 0)");
    }
  }

  /** Computes freshness from a response's fields, selecting the governing directives itself. */
  static Freshness of(Fields response, Instant requestTime, Instant responseTime) {
    return of(ResponseDirectives.of(response), response, requestTime, responseTime);
  }

  /**
   * Computes freshness from a response's fields and already selected directives.
   *
   * @param requestTime when the request was sent (for response_delay)
   * @param responseTime when the response header section was received
   */
  static Freshness of(ResponseDirectives directives, Fields response, Instant requestTime, Instant responseTime) {
    Instant date = HttpDate.parse(response.first("Date"), responseTime);
    if (date == null) {
      date = responseTime;
    }
    long age = ageValue(response.all("Age"));
    long lifetimeSeconds;
    boolean explicit = true;
    if (directives.sMaxAge() != ResponseDirectives.ABSENT) {
      lifetimeSeconds = directives.sMaxAge();
    } else if (directives.maxAge() != ResponseDirectives.ABSENT) {
      lifetimeSeconds = directives.maxAge();
    } else if (directives.source().usesExpires() && response.contains("Expires")) {
      lifetimeSeconds = 0;
      List<String> expires = response.all("Expires");
      Instant e = HttpDate.parse(expires.get(0), responseTime);
      if (e != null && expires.stream().allMatch(expires.get(0)::equals) && e.isAfter(date)) {
        lifetimeSeconds = Duration.between(date, e).getSeconds();
      }
    } else {
      lifetimeSeconds = 0;
      explicit = false;
    }
    return new Freshness(directives, requestTime, responseTime, date, age,
        Duration.ofSeconds(Math.min(lifetimeSeconds, ResponseDirectives.MAX_DELTA)), explicit);
  }

  /** age_value: the first member of the first Age line, capped at 2^31; 0 if absent or invalid. */
  static long ageValue(List<String> ageLines) {
    if (ageLines.isEmpty()) {
      return 0;
    }
    String line = ageLines.get(0);
    int comma = line.indexOf(',');
    long v = ResponseDirectives.parseDelta(Fields.trimOws(comma < 0 ? line : line.substring(0, comma)));
    return Math.max(v, 0);
  }

  // ------------------------------------------------------------------ RFC 9111 section 4.2.3

  /** apparent_age = max(0, response_time - date_value). */
  Duration apparentAge() {
    Duration d = Duration.between(dateValue, responseTime);
    return d.isNegative() ? Duration.ZERO : d;
  }

  /** response_delay = response_time - request_time. */
  Duration responseDelay() {
    return Duration.between(requestTime, responseTime);
  }

  /** corrected_age_value = age_value + response_delay. */
  Duration correctedAgeValue() {
    return Duration.ofSeconds(ageValue).plus(responseDelay());
  }

  /** corrected_initial_age = max(apparent_age, corrected_age_value). */
  Duration correctedInitialAge() {
    Duration apparent = apparentAge();
    Duration corrected = correctedAgeValue();
    return apparent.compareTo(corrected) >= 0 ? apparent : corrected;
  }

  /** resident_time = now - response_time (0 if the clock stepped back). */
  Duration residentTime(Instant now) {
    Duration d = Duration.between(responseTime, now);
    return d.isNegative() ? Duration.ZERO : d;
  }

  /** current_age = corrected_initial_age + resident_time. */
  Duration currentAge(Instant now) {
    return correctedInitialAge().plus(residentTime(now));
  }

  /** The Age field value to send with this response at {@code now}: whole seconds, rounded down. */
  long ageSeconds(Instant now) {
    return Math.min(currentAge(now).getSeconds(), ResponseDirectives.MAX_DELTA);
  }

  /** response_is_fresh = freshness_lifetime &gt; current_age. */
  boolean isFresh(Instant now) {
    return lifetime.compareTo(currentAge(now)) > 0;
  }

  /** freshness_lifetime - current_age: positive while fresh, negative (the staleness) after. */
  Duration remaining(Instant now) {
    return lifetime.minus(currentAge(now));
  }

  /** {@link #remaining} in whole seconds rounded down: the Cache-Status {@code ttl} (RFC 9211). */
  long ttlSeconds(Instant now) {
    return Math.floorDiv(remaining(now).toMillis(), 1000);
  }

  /** How long the response has been stale (zero or negative while fresh). */
  Duration staleness(Instant now) {
    return remaining(now).negated();
  }

  // ------------------------------------------------------------------ serving stale

  /**
   * Whether the response may be served stale while it is revalidated in the background: it is stale
   * by no more than stale-while-revalidate (RFC 5861 section 3) and nothing forbids stale ({@link
   * ResponseDirectives#forbidsStale()}). False while fresh (there is nothing to allow).
   */
  boolean mayServeStaleWhileRevalidate(Instant now) {
    return staleWithin(directives.staleWhileRevalidate(), now) && !directives.forbidsStale();
  }

  /**
   * Whether the response may be served instead of an origin failure (an error status 500, 502, 503
   * or 504, or no answer) while validating it. Never with an unqualified no-cache (it may only be
   * used after a <em>successful</em> validation). Otherwise: if it is still fresh (we were
   * validating because the client asked), yes; if stale, when it is stale by no more than
   * stale-if-error (RFC 5861 section 4) and nothing forbids stale, or when the client's max-stale
   * allows it ({@link #reuse}'s rule), or the request's own stale-if-error (section 4 too: "for the
   * request it appears in") unless the response forbids a client stale answers.
   */
  boolean mayServeStaleIfError(RequestDirectives request, Instant now) {
    if (directives.noCache()) {
      return false;
    }
    if (isFresh(now)) {
      return true;
    }
    return staleWithin(directives.staleIfError(), now) && !directives.forbidsStale()
        || clientAcceptsStale(request, now)
        || staleWithin(request.staleIfError(), now) && !directives.forbidsClientStale();
  }

  private boolean staleWithin(long seconds, Instant now) {
    if (seconds == ResponseDirectives.ABSENT || isFresh(now)) {
      return false;
    }
    return staleness(now).compareTo(Duration.ofSeconds(seconds)) <= 0;
  }

  private boolean clientAcceptsStale(RequestDirectives request, Instant now) {
    if (request.maxStale() == ResponseDirectives.ABSENT || directives.forbidsClientStale()) {
      return false;
    }
    return request.maxStale() == RequestDirectives.ANY_STALENESS
        || staleness(now).compareTo(Duration.ofSeconds(request.maxStale())) <= 0;
  }

  // ------------------------------------------------------------------ reuse (RFC 9111 section 4)

  /** What to do with a stored response for a request. */
  enum Action {
    /** Serve it: fresh and acceptable to the client. */
    SERVE,
    /** Serve it although stale: the client's max-stale allows it. */
    SERVE_STALE,
    /** Serve it stale and revalidate in the background (stale-while-revalidate). */
    SERVE_STALE_WHILE_REVALIDATE,
    /** Forward a conditional request to the origin first. */
    VALIDATE,
    /** Answer 504 Gateway Timeout: the client asked only-if-cached and we cannot serve without the origin. */
    GATEWAY_TIMEOUT
  }

  /** Why a stored response is not served as is. */
  enum Reason {
    /** Fresh and acceptable. */
    FRESH,
    /** Stale. */
    STALE,
    /** The response says no-cache: every reuse is validated. */
    RESPONSE_NO_CACHE,
    /** Fresh, but the request says no-cache (or Pragma: no-cache). */
    REQUEST_NO_CACHE,
    /** Fresh, but older than the request's max-age. */
    REQUEST_MAX_AGE,
    /** Fresh, but not for as long as the request's min-fresh asks. */
    REQUEST_MIN_FRESH
  }

  /**
   * A reuse decision.
   *
   * @param action what to do
   * @param reason why
   */
  record Reuse(Action action, Reason reason) {
    /**
     * The Cache-Status {@code fwd} value when the request goes forward (RFC 9211 section 2.2):
     * {@code request} when the request's directives refused a fresh response, {@code stale}
     * otherwise (a no-cache response is treated as stale: it must be validated); {@code null} when
     * the response is served.
     */
    CacheStatus.Fwd fwd() {
      if (action != Action.VALIDATE && action != Action.GATEWAY_TIMEOUT) {
        return null;
      }
      return switch (reason) {
        case REQUEST_NO_CACHE, REQUEST_MAX_AGE, REQUEST_MIN_FRESH -> CacheStatus.Fwd.REQUEST;
        default -> CacheStatus.Fwd.STALE;
      };
    }
  }

  /**
   * Decides whether {@code request} may be answered with this stored response at {@code now} (the
   * Vary match and the method are the caller's), in this order:
   *
   * <ol>
   *   <li>unqualified no-cache in the response: validate;
   *   <li>no-cache in the request; request max-age exceeded by the current age (with or without
   *       max-stale: max-age bounds the age, max-stale only relaxes freshness); less freshness
   *       remaining than the request's min-fresh (so min-fresh also excludes every stale response):
   *       validate (reason {@link Reason#STALE} if the response is stale anyway);
   *   <li>fresh: serve;
   *   <li>stale, request max-stale covers the staleness and neither the response's must-revalidate,
   *       proxy-revalidate, no-cache nor s-maxage forbids it: serve stale;
   *   <li>stale within stale-while-revalidate, nothing forbids stale, and the request has no
   *       max-age, min-fresh or no-cache: serve stale and revalidate in the background;
   *   <li>otherwise validate.
   * </ol>
   *
   * A VALIDATE outcome becomes GATEWAY_TIMEOUT when the request says only-if-cached (RFC 9111
   * section 5.2.1.7).
   */
  Reuse reuse(RequestDirectives request, Instant now) {
    Reuse r = decide(request, now);
    if (r.action == Action.VALIDATE && request.onlyIfCached()) {
      return new Reuse(Action.GATEWAY_TIMEOUT, r.reason);
    }
    return r;
  }

  private Reuse decide(RequestDirectives request, Instant now) {
    if (directives.noCache()) {
      return new Reuse(Action.VALIDATE, Reason.RESPONSE_NO_CACHE);
    }
    boolean fresh = isFresh(now);
    Reason refused = null;
    if (request.noCache()) {
      refused = Reason.REQUEST_NO_CACHE;
    } else if (request.maxAge() != ResponseDirectives.ABSENT
        && currentAge(now).compareTo(Duration.ofSeconds(request.maxAge())) > 0) {
      refused = Reason.REQUEST_MAX_AGE;
    } else if (request.minFresh() != ResponseDirectives.ABSENT
        && remaining(now).compareTo(Duration.ofSeconds(request.minFresh())) < 0) {
      refused = Reason.REQUEST_MIN_FRESH;
    }
    if (refused != null) {
      // A request can only refuse a response that would have been served: a stale one is just stale.
      return new Reuse(Action.VALIDATE, fresh ? refused : Reason.STALE);
    }
    if (fresh) {
      return new Reuse(Action.SERVE, Reason.FRESH);
    }
    if (clientAcceptsStale(request, now)) {
      return new Reuse(Action.SERVE_STALE, Reason.STALE);
    }
    if (!request.constrainsFreshness() && mayServeStaleWhileRevalidate(now)) {
      return new Reuse(Action.SERVE_STALE_WHILE_REVALIDATE, Reason.STALE);
    }
    return new Reuse(Action.VALIDATE, Reason.STALE);
  }
}
