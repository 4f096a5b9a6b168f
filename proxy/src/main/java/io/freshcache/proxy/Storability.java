package io.freshcache.proxy;

import java.util.Set;

/**
 * Whether this proxy (a shared cache) may store a response, RFC 9111 section 3, with the choices the
 * RFC leaves to the cache made conservatively.
 *
 * <p>Checked in this order; the first failing rule is the {@link Reason}:
 *
 * <ol>
 *   <li>{@link Reason#METHOD}: only GET responses are stored (a HEAD is answered from the stored GET
 *       response by the server; HEAD responses themselves carry no body to store).
 *   <li>{@link Reason#STATUS}: only status codes we "understand" ({@link #UNDERSTOOD}): the
 *       heuristically cacheable ones of RFC 9110 section 15.1 except 206 (we do not store partial
 *       content), plus 302 and 307 (storable with explicit freshness). 304 is never stored on its own
 *       (it freshens a stored response, see {@link StoredFields#freshen}); 1xx are not final.
 *   <li>{@link Reason#REQUEST_NO_STORE}: the request said no-store.
 *   <li>{@link Reason#NO_STORE}: the response said no-store, unless it also said must-understand
 *       (RFC 9111 section 5.2.2.3: a cache that understands the status code "SHOULD ignore the
 *       no-store directive"; rule 2 already guarantees we understand it).
 *   <li>{@link Reason#VARY_STAR}: {@code Vary: *} (or an unreadable Vary) never matches a later
 *       request.
 *   <li>{@link Reason#PRIVATE}: unqualified private, unless the proxy knows the request's user: then
 *       the response is stored in that user's scope ({@link Scope#USER}), where the proxy acts as the
 *       user's private cache.
 *   <li>{@link Reason#AUTHORIZATION}: the request had Authorization and the response has none of
 *       must-revalidate, public, s-maxage (RFC 9111 section 3.5), unless the user is known: then it
 *       is stored in the user's scope. The directives are those of the governing field, so a
 *       targeted field ({@code CDN-Cache-Control: public}) can allow it too.
 *   <li>{@link Reason#NO_EXPLICIT_FRESHNESS}: no s-maxage, max-age or applicable Expires. Heuristic
 *       freshness is off, so nothing else could make the response reusable ({@code public} alone
 *       only makes it heuristically cacheable).
 *   <li>{@link Reason#SET_COOKIE}: a Set-Cookie field, unless the origin names {@code set-cookie}
 *       in a qualified private or no-cache, in which case it is removed before storing. RFC 9111
 *       (section 7.3) lets caches store such responses, but replaying one user's cookie to everyone is
 *       the classic cache leak, and Varnish, nginx and most CDNs refuse by default; this holds for
 *       the per-user scope too (a replayed session cookie could roll a session back).
 *   <li>{@link Reason#NOT_REUSABLE}: it could never be reused without going back to the origin and
 *       has no validator to make that cheap: stale on arrival or unqualified no-cache, no
 *       ETag or Last-Modified, and no usable stale-while-revalidate or stale-if-error. Storing it
 *       would only displace useful entries (RFC 9111 section 3 notes caches need not store these).
 * </ol>
 *
 * Qualified private and no-cache fields ({@link ResponseDirectives#fieldsNotToStore()}) are reported
 * in {@link Decision#strip()}; {@link StoredFields#forStorage} removes them.
 */
final class Storability {

  /** Status codes this cache understands and stores (with explicit freshness). */
  static final Set<Integer> UNDERSTOOD = Set.of(200, 203, 204, 300, 301, 302, 307, 308, 404, 405, 410, 414, 501);

  /** Where a stored response lives. */
  enum Scope {
    /** Shared by every client. */
    SHARED,
    /** Only for the user the request came from (core {@code Scope.USER}). */
    USER
  }

  /** Why a response is (not) stored. */
  enum Reason {
    STORABLE,
    METHOD,
    STATUS,
    REQUEST_NO_STORE,
    NO_STORE,
    VARY_STAR,
    PRIVATE,
    AUTHORIZATION,
    NO_EXPLICIT_FRESHNESS,
    SET_COOKIE,
    NOT_REUSABLE
  }

  /**
   * A storage decision.
   *
   * @param store whether to store
   * @param reason {@link Reason#STORABLE}, or the first rule that failed
   * @param scope where to store (meaningless when not storing)
   * @param strip lower-case names of fields to remove before storing
   */
  record Decision(boolean store, Reason reason, Scope scope, Set<String> strip) {
    /** Copies the set. */
    Decision {
      strip = Set.copyOf(strip);
    }

    static Decision no(Reason reason) {
      return new Decision(false, reason, Scope.SHARED, Set.of());
    }
  }

  private Storability() {}

  /**
   * Decides whether a response may be stored.
   *
   * @param method the request method (case-sensitive, RFC 9110 section 9.1)
   * @param status the response status code
   * @param request the request's fields (Authorization, Cache-Control)
   * @param response the response's fields (Vary, Set-Cookie, ETag, Last-Modified)
   * @param freshness the response's freshness, computed with its governing directives
   * @param userKnown whether the proxy has an identity for the request's user (an identity source
   *     is configured and it recognised this request), so that a per-user entry is possible
   */
  static Decision decide(
      String method, int status, Fields request, Fields response, Freshness freshness, boolean userKnown) {
    ResponseDirectives d = freshness.directives();
    if (!"GET".equals(method)) {
      return Decision.no(Reason.METHOD);
    }
    if (!UNDERSTOOD.contains(status)) {
      return Decision.no(Reason.STATUS);
    }
    if (RequestDirectives.of(request).noStore()) {
      return Decision.no(Reason.REQUEST_NO_STORE);
    }
    if (d.noStore() && !d.mustUnderstand()) {
      return Decision.no(Reason.NO_STORE);
    }
    if (Vary.of(response).isStar()) {
      return Decision.no(Reason.VARY_STAR);
    }
    Scope scope = Scope.SHARED;
    if (d.isPrivate()) {
      if (!userKnown) {
        return Decision.no(Reason.PRIVATE);
      }
      scope = Scope.USER;
    }
    if (request.contains("Authorization") && !(d.mustRevalidate() || d.isPublic() || d.sMaxAge() != ResponseDirectives.ABSENT)) {
      if (!userKnown) {
        return Decision.no(Reason.AUTHORIZATION);
      }
      scope = Scope.USER;
    }
    if (!freshness.explicit()) {
      return Decision.no(Reason.NO_EXPLICIT_FRESHNESS);
    }
    Set<String> strip = d.fieldsNotToStore();
    if (response.contains("Set-Cookie") && !strip.contains("set-cookie")) {
      return Decision.no(Reason.SET_COOKIE);
    }
    boolean validator = response.contains("ETag") || response.contains("Last-Modified");
    boolean freshOnArrival = !d.noCache() && freshness.isFresh(freshness.responseTime());
    boolean staleUsable = !d.forbidsStale()
        && (d.staleWhileRevalidate() > 0 || d.staleIfError() > 0);
    if (!freshOnArrival && !validator && !staleUsable) {
      return Decision.no(Reason.NOT_REUSABLE);
    }
    return new Decision(true, Reason.STORABLE, scope, strip);
  }
}
