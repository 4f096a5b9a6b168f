package io.freshcache.proxy;

import io.freshcache.core.ETag;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Conditional requests answered from the cache (RFC 9111 section 4.3.2, RFC 9110 sections 13.1 and
 * 13.2.2), and the fields of a 304 the cache generates (RFC 9110 section 15.4.5).
 *
 * <p>Only If-None-Match and If-Modified-Since are evaluated: If-Match and If-Unmodified-Since "are
 * not applicable to a cache" (RFC 9111 section 4.3.2), and the server forwards If-Range/Range
 * requests (we do not store partial content). Only a stored 2xx is evaluated (RFC 9110 section
 * 13.2.1), only for GET and HEAD.
 *
 * <ol>
 *   <li>If-None-Match present (any line, even an invalid one): it alone decides (RFC 9110 section
 *       13.2.2 step 3; section 13.1.3: "A recipient MUST ignore If-Modified-Since if the request
 *       contains an If-None-Match header field"). 304 if it is {@code *} or lists a tag that weakly
 *       matches the stored ETag ({@link ETag#notModified}); an invalid value never matches.
 *   <li>Else If-Modified-Since, if it is one valid HTTP-date (several lines or an invalid date: ignored,
 *       RFC 9110 section 13.1.3): 304 if the stored Last-Modified is at or before it; without a
 *       (valid) Last-Modified, if the stored Date is; without either, if the time the response was
 *       received is (RFC 9111 section 4.3.2, the three cases).
 *   <li>Else 200.
 * </ol>
 */
final class Conditional {

  /** The fields a 304 carries from the stored response (RFC 9110 section 15.4.5), lower-case, in order. */
  static final List<String> NOT_MODIFIED_FIELDS =
      List.of("cache-control", "cdn-cache-control", "content-location", "date", "etag", "expires", "vary");

  private Conditional() {}

  /**
   * Whether to answer 304 Not Modified instead of the stored response.
   *
   * @param method the request method
   * @param request the request's fields
   * @param storedStatus the stored response's status (only a 2xx is evaluated)
   * @param stored the stored response's fields
   * @param storedReceivedAt when the stored response was received (the third If-Modified-Since case)
   */
  static boolean notModified(String method, Fields request, int storedStatus, Fields stored, Instant storedReceivedAt) {
    // RFC 9110 section 13.2.1: evaluated when the response would otherwise be 2xx (200, 203, 204 are stored).
    if (storedStatus < 200 || storedStatus > 299 || !("GET".equals(method) || "HEAD".equals(method))) {
      return false;
    }
    List<String> ifNoneMatch = request.all("If-None-Match");
    if (!ifNoneMatch.isEmpty()) {
      String value = String.join(", ", ifNoneMatch);
      ETag current = parseETag(stored.first("ETag"));
      if (current == null) {
        // No (valid) stored tag: only "*" matches ("the condition is false if ... has a current representation").
        return Fields.trimOws(value).equals("*");
      }
      return ETag.notModified(value, current);
    }
    List<String> ifModifiedSince = request.all("If-Modified-Since");
    if (ifModifiedSince.size() != 1) {
      return false;
    }
    Instant since = HttpDate.parse(ifModifiedSince.get(0));
    if (since == null) {
      return false;
    }
    Instant modified = HttpDate.parse(stored.first("Last-Modified"));
    if (modified == null) {
      modified = HttpDate.parse(stored.first("Date"));
    }
    if (modified == null) {
      modified = storedReceivedAt.truncatedTo(ChronoUnit.SECONDS);
    }
    return !modified.isAfter(since);
  }

  /**
   * The fields of a 304 generated from a stored response (RFC 9110 section 15.4.5): those of {@link
   * #NOT_MODIFIED_FIELDS} it has, plus Last-Modified when it has no ETag ("might be useful if the
   * response does not have an ETag field"). The server adds Age and Cache-Status.
   */
  static Fields notModifiedFields(Fields stored) {
    boolean lastModified = !stored.contains("ETag");
    return stored.filter(f -> NOT_MODIFIED_FIELDS.contains(Fields.lower(f.name()))
        || lastModified && f.is("Last-Modified"));
  }

  /**
   * The entity tag in an ETag field's value, or null if there is none or it is not a valid
   * entity-tag: a stored response with a broken ETag is treated as having none.
   */
  static ETag parseETag(String value) {
    if (value == null) {
      return null;
    }
    try {
      return ETag.parse(value);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
