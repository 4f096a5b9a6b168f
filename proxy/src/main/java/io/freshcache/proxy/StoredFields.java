package io.freshcache.proxy;

import io.freshcache.core.ETag;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The header section of a stored response: what to store (RFC 9111 section 3.1) and how a 304
 * updates it (sections 3.2 and 4.3.4).
 */
final class StoredFields {

  /** Proxy-specific fields that must not be stored (RFC 9111 section 3.1), lower-case. */
  static final Set<String> PROXY_SPECIFIC =
      Set.of("proxy-authenticate", "proxy-authentication-info", "proxy-authorization");

  /**
   * Fields a 304 does not update, lower-case, besides hop-by-hop and proxy-specific ones:
   *
   * <ul>
   *   <li>{@code content-length}: named by RFC 9111 section 3.2 (a 304 has no content; its
   *       Content-Length, if any, describes nothing we hold);
   *   <li>{@code content-encoding}: "header fields that the cache's stored response depends upon":
   *       we store the content bytes as received, so their coding cannot change without new bytes;
   *   <li>{@code content-range}: "automatically processed" (section 3.2); meaningless for a stored
   *       complete response.
   * </ul>
   *
   * {@code ETag} is updated, as RFC 9111 says: {@link #identifies} has already checked that the 304
   * names the stored response, so it can only refresh the same tag.
   */
  static final Set<String> NOT_UPDATED = Set.of("content-length", "content-encoding", "content-range");

  private StoredFields() {}

  /**
   * The fields to store for a response: without hop-by-hop fields ({@link HopByHop}), proxy-specific
   * fields, and {@code strip} (the qualified private / no-cache fields, {@link
   * Storability.Decision#strip()}); with a {@code Date} of {@code receivedAt} appended if it has none
   * (RFC 9110 section 6.6.1: a recipient with a clock MUST do so when it caches a response without
   * Date).
   */
  static Fields forStorage(Fields response, Set<String> strip, Instant receivedAt) {
    Set<String> remove = new LinkedHashSet<>(HopByHop.names(response));
    remove.addAll(PROXY_SPECIFIC);
    remove.addAll(strip);
    Fields stored = response.withoutAll(remove);
    return stored.contains("Date") ? stored : stored.with("Date", HttpDate.format(receivedAt));
  }

  /**
   * Whether a 304 response identifies the stored response (RFC 9111 section 4.3.4, for a cache that
   * keeps one response per key): a strong ETag in the 304 must strongly match the stored ETag; a weak
   * one must weakly match it; without ETag, a Last-Modified must equal the stored one; a 304 without
   * any validator identifies only a stored response without one. When this is false the 304 must not
   * update anything; the server then fetches the response again without conditions.
   */
  static boolean identifies(Fields stored, Fields notModified) {
    String newTag = notModified.first("ETag");
    if (newTag != null) {
      ETag fresh = Conditional.parseETag(newTag);
      ETag old = Conditional.parseETag(stored.first("ETag"));
      if (fresh == null || old == null) {
        return false;
      }
      return fresh.weak() ? fresh.weakMatch(old) : fresh.strongMatch(old);
    }
    String newModified = notModified.first("Last-Modified");
    if (newModified != null) {
      Instant fresh = HttpDate.parse(newModified);
      return fresh != null && fresh.equals(HttpDate.parse(stored.first("Last-Modified")));
    }
    return !stored.contains("ETag") && !stored.contains("Last-Modified");
  }

  /**
   * The stored fields updated by a 304 (RFC 9111 sections 3.2 and 4.3.4): every field the 304
   * carries replaces all lines of that field in the stored response, except hop-by-hop fields (of
   * the 304), proxy-specific fields, and {@link #NOT_UPDATED}. Two additions, both so that the age of
   * the freshened response is computed from this validation (the caller also takes new request and
   * response times for its {@link Freshness}):
   *
   * <ul>
   *   <li>a stored {@code Age} is dropped when the 304 has none: it described the old response;
   *   <li>a 304 without {@code Date} gets {@code receivedAt} as Date (RFC 9110 section 6.6.1), so the
   *       stored Date does not make the freshened response look old.
   * </ul>
   *
   * The result is then stripped of the fields its (possibly new) qualified private / no-cache
   * directives name. Check {@link #identifies} first.
   *
   * @param stored the stored fields
   * @param notModified the 304's fields
   * @param receivedAt when the 304 was received
   */
  static Fields freshen(Fields stored, Fields notModified, Instant receivedAt) {
    Set<String> skip = new LinkedHashSet<>(HopByHop.names(notModified));
    skip.addAll(PROXY_SPECIFIC);
    skip.addAll(NOT_UPDATED);
    Fields update = notModified.withoutAll(skip);
    if (!update.contains("Date")) {
      update = update.with("Date", HttpDate.format(receivedAt));
    }
    Set<String> replaced = new LinkedHashSet<>(update.names());
    if (!update.contains("Age")) {
      replaced.add("age");
    }
    Fields merged = stored.withoutAll(replaced);
    for (Fields.Field f : update.lines()) {
      merged = merged.with(f.name(), f.value());
    }
    return merged.withoutAll(ResponseDirectives.of(merged).fieldsNotToStore());
  }
}
