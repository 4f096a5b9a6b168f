package io.freshcache.proxy;

import java.util.List;

/**
 * A request's cache directives (RFC 9111 section 5.2.1), interpreted.
 *
 * <p>Values are delta-seconds capped at 2^31, or {@value ResponseDirectives#ABSENT} when absent.
 * RFC 9111 calls request directives advisory; we honour them, taking the restrictive reading of
 * anything odd, in the same spirit as {@link ResponseDirectives}:
 *
 * <ul>
 *   <li>{@code max-age}: invalid (or disagreeing occurrences) means 0, i.e. "validate";
 *       otherwise the smallest.
 *   <li>{@code min-fresh}: invalid means absent (an unreadable demand cannot be met better by
 *       refusing everything); disagreeing occurrences take the largest.
 *   <li>{@code max-stale}: without argument, any staleness ({@link #ANY_STALENESS}); an invalid
 *       argument means absent (no staleness granted); several take the smallest grant.
 *   <li>{@code stale-if-error} (RFC 5861 section 4, for this request only): an invalid or missing
 *       argument means absent; several take the smallest grant.
 *   <li>{@code Pragma: no-cache} counts as {@code no-cache} only when the request has no
 *       Cache-Control field: the HTTP/1.0 rule of RFC 7234 section 5.4. RFC 9111 deprecates Pragma
 *       without saying how to treat it; honouring it from HTTP/1.0-style clients costs little.
 * </ul>
 *
 * @param maxAge max-age, or absent
 * @param maxStale max-stale: {@link #ANY_STALENESS} without argument, or absent
 * @param minFresh min-fresh, or absent
 * @param noCache no-cache (or Pragma: no-cache without Cache-Control)
 * @param noStore no-store: do not store the response to this request
 * @param onlyIfCached only-if-cached: answer from the cache or 504
 * @param noTransform no-transform
 * @param staleIfError stale-if-error: how stale a response this request accepts when the origin
 *     fails, or absent
 */
record RequestDirectives(
    long maxAge, long maxStale, long minFresh, boolean noCache, boolean noStore, boolean onlyIfCached,
    boolean noTransform, long staleIfError) {

  /** The max-stale value meaning "a stale response of any age". */
  static final long ANY_STALENESS = Long.MAX_VALUE;

  /** A request without directives. */
  static final RequestDirectives NONE = new RequestDirectives(
      ResponseDirectives.ABSENT, ResponseDirectives.ABSENT, ResponseDirectives.ABSENT, false, false, false, false,
      ResponseDirectives.ABSENT);

  /** Interprets a request's {@code Cache-Control} (and {@code Pragma}) field lines. */
  static RequestDirectives of(Fields request) {
    return of(request.all("Cache-Control"), request.all("Pragma"));
  }

  /**
   * Interprets {@code Cache-Control} and {@code Pragma} field lines.
   *
   * @param cacheControl the Cache-Control lines (empty if none)
   * @param pragma the Pragma lines (empty if none)
   */
  static RequestDirectives of(List<String> cacheControl, List<String> pragma) {
    CacheDirectives d = CacheDirectives.parse(cacheControl);
    boolean noCache = d.has("no-cache");
    if (cacheControl.isEmpty()) {
      for (String p : Fields.listMembers(pragma)) {
        noCache |= p.equalsIgnoreCase("no-cache");
      }
    }
    long maxAge = ResponseDirectives.ABSENT;
    for (CacheDirectives.Directive x : d.all("max-age")) {
      long v = ResponseDirectives.deltaSeconds(x, false);
      maxAge = v < 0 ? 0 : maxAge == ResponseDirectives.ABSENT ? v : Math.min(maxAge, v);
      if (v < 0) {
        break;
      }
    }
    long minFresh = ResponseDirectives.ABSENT;
    for (CacheDirectives.Directive x : d.all("min-fresh")) {
      long v = ResponseDirectives.deltaSeconds(x, false);
      if (v >= 0) {
        minFresh = Math.max(minFresh, v);
      }
    }
    long maxStale = ResponseDirectives.ABSENT;
    boolean maxStaleInvalid = false;
    for (CacheDirectives.Directive x : d.all("max-stale")) {
      long v = x.kind() == CacheDirectives.Kind.NONE ? ANY_STALENESS : ResponseDirectives.deltaSeconds(x, false);
      if (v < 0) {
        maxStaleInvalid = true;
      } else {
        maxStale = maxStale == ResponseDirectives.ABSENT ? v : Math.min(maxStale, v);
      }
    }
    if (maxStaleInvalid) {
      maxStale = ResponseDirectives.ABSENT;
    }
    long staleIfError = ResponseDirectives.ABSENT;
    for (CacheDirectives.Directive x : d.all("stale-if-error")) {
      long v = ResponseDirectives.deltaSeconds(x, false);
      if (v < 0) {
        staleIfError = ResponseDirectives.ABSENT;
        break;
      }
      staleIfError = staleIfError == ResponseDirectives.ABSENT ? v : Math.min(staleIfError, v);
    }
    return new RequestDirectives(maxAge, maxStale, minFresh, noCache, d.has("no-store"),
        d.has("only-if-cached"), d.has("no-transform"), staleIfError);
  }

  /** Whether the client constrains freshness at all (max-age, min-fresh or no-cache). */
  boolean constrainsFreshness() {
    return noCache || maxAge != ResponseDirectives.ABSENT || minFresh != ResponseDirectives.ABSENT;
  }
}
