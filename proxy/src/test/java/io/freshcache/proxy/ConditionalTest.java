package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** {@link Conditional}: RFC 9111 section 4.3.2 with RFC 9110 sections 13.1.2, 13.1.3, 13.2.2. */
class ConditionalTest {
  private static final Instant T = Instant.parse("2026-03-01T12:00:00Z");
  private static final String AT_T = HttpDate.format(T);
  private static final String BEFORE = HttpDate.format(T.minusSeconds(60));
  private static final String AFTER = HttpDate.format(T.plusSeconds(60));

  private static boolean notModified(Fields request, Fields stored) {
    return Conditional.notModified("GET", request, 200, stored, T.plusSeconds(5));
  }

  @Test
  void ifNoneMatch() {
    Fields stored = Fields.of("ETag", "\"abc\"");
    assertThat(notModified(Fields.of("If-None-Match", "\"abc\""), stored)).isTrue();
    assertThat(notModified(Fields.of("If-None-Match", "W/\"abc\""), stored)).isTrue(); // weak comparison
    assertThat(notModified(Fields.of("If-None-Match", "\"x\", \"abc\""), stored)).isTrue();
    assertThat(notModified(Fields.of("If-None-Match", "\"x\"", "If-None-Match", "\"abc\""), stored)).isTrue();
    assertThat(notModified(Fields.of("If-None-Match", "*"), stored)).isTrue();
    assertThat(notModified(Fields.of("If-None-Match", "\"x\""), stored)).isFalse();
    assertThat(notModified(Fields.of("If-None-Match", "abc"), stored)).isFalse(); // invalid: no match
  }

  @Test
  void ifNoneMatchWithoutAStoredETag() {
    assertThat(notModified(Fields.of("If-None-Match", "*"), Fields.EMPTY)).isTrue();
    assertThat(notModified(Fields.of("If-None-Match", "\"abc\""), Fields.EMPTY)).isFalse();
    assertThat(notModified(Fields.of("If-None-Match", "\"abc\""), Fields.of("ETag", "garbage"))).isFalse();
  }

  @Test
  void ifNoneMatchTakesPrecedenceOverIfModifiedSince() {
    Fields stored = Fields.of("ETag", "\"abc\"", "Last-Modified", BEFORE);
    assertThat(notModified(Fields.of("If-None-Match", "\"x\"", "If-Modified-Since", AFTER), stored)).isFalse();
    assertThat(notModified(Fields.of("If-None-Match", "\"abc\"", "If-Modified-Since", "garbage"), stored)).isTrue();
    // Even an invalid If-None-Match makes If-Modified-Since ignored.
    assertThat(notModified(Fields.of("If-None-Match", "nonsense", "If-Modified-Since", AFTER), stored)).isFalse();
  }

  @Test
  void ifModifiedSinceAgainstLastModified() {
    Fields stored = Fields.of("Last-Modified", AT_T, "Date", AFTER);
    assertThat(notModified(Fields.of("If-Modified-Since", AT_T), stored)).isTrue(); // equal
    assertThat(notModified(Fields.of("If-Modified-Since", AFTER), stored)).isTrue();
    assertThat(notModified(Fields.of("If-Modified-Since", BEFORE), stored)).isFalse();
    // Obsolete formats are HTTP-dates too.
    assertThat(notModified(Fields.of("If-Modified-Since", "Sun Mar  1 12:00:00 2026"), stored)).isTrue();
  }

  @Test
  void ifModifiedSinceFallsBackToDateThenToTheTimeReceived() {
    assertThat(notModified(Fields.of("If-Modified-Since", AT_T), Fields.of("Date", AT_T))).isTrue();
    assertThat(notModified(Fields.of("If-Modified-Since", BEFORE), Fields.of("Date", AT_T))).isFalse();
    assertThat(notModified(Fields.of("If-Modified-Since", AT_T), Fields.of("Last-Modified", "bad", "Date", AT_T))).isTrue();
    // Received at T+5 (whole seconds).
    assertThat(notModified(Fields.of("If-Modified-Since", HttpDate.format(T.plusSeconds(5))), Fields.EMPTY)).isTrue();
    assertThat(notModified(Fields.of("If-Modified-Since", HttpDate.format(T.plusSeconds(4))), Fields.EMPTY)).isFalse();
    assertThat(Conditional.notModified("GET", Fields.of("If-Modified-Since", HttpDate.format(T.plusSeconds(5))), 200,
        Fields.EMPTY, T.plusMillis(5_999))).isTrue();
  }

  @Test
  void invalidOrListIfModifiedSinceIsIgnored() {
    Fields stored = Fields.of("Last-Modified", BEFORE);
    assertThat(notModified(Fields.of("If-Modified-Since", "yesterday"), stored)).isFalse();
    assertThat(notModified(Fields.of("If-Modified-Since", AFTER + ", " + AFTER), stored)).isFalse();
    assertThat(notModified(Fields.of("If-Modified-Since", AFTER, "If-Modified-Since", AFTER), stored)).isFalse();
  }

  @Test
  void onlyGetAndHeadOnAStored200() {
    Fields request = Fields.of("If-None-Match", "*");
    Fields stored = Fields.of("ETag", "\"a\"");
    assertThat(Conditional.notModified("HEAD", request, 200, stored, T)).isTrue();
    assertThat(Conditional.notModified("POST", request, 200, stored, T)).isFalse();
    assertThat(Conditional.notModified("GET", request, 404, stored, T)).isFalse();
    assertThat(Conditional.notModified("GET", Fields.EMPTY, 200, stored, T)).isFalse();
  }

  @Test
  void ifMatchAndIfUnmodifiedSinceAreNotForACache() {
    Fields stored = Fields.of("ETag", "\"a\"", "Last-Modified", BEFORE);
    assertThat(notModified(Fields.of("If-Match", "\"zzz\""), stored)).isFalse();
    assertThat(notModified(Fields.of("If-Unmodified-Since", BEFORE), stored)).isFalse();
  }

  @Test
  void notModifiedFieldsPerRfc9110() {
    Fields stored = Fields.of("Content-Type", "text/html", "Content-Length", "12", "ETag", "\"a\"", "Date", AT_T,
        "Cache-Control", "max-age=60", "Vary", "Accept-Encoding", "Last-Modified", BEFORE, "Expires", AFTER,
        "Content-Location", "/a", "CDN-Cache-Control", "max-age=600", "X-Other", "1");
    assertThat(Conditional.notModifiedFields(stored).names()).containsExactly(
        "etag", "date", "cache-control", "vary", "expires", "content-location", "cdn-cache-control");
    // Without an ETag, Last-Modified is useful to the client.
    assertThat(Conditional.notModifiedFields(stored.without("ETag")).names()).contains("last-modified");
  }

  /** RFC 9110 section 13.2.1: the conditions are evaluated when the response would be 2xx, and only then. */
  @Test
  void aStored2xxIsEvaluatedAndAnythingElseIsNot() {
    Fields stored = Fields.of("ETag", "\"e\"");
    Fields request = Fields.of("If-None-Match", "\"e\"");
    for (int status : new int[] {200, 203, 204}) {
      assertThat(Conditional.notModified("GET", request, status, stored, T)).as("" + status).isTrue();
    }
    for (int status : new int[] {301, 404, 410}) {
      assertThat(Conditional.notModified("GET", request, status, stored, T)).as("" + status).isFalse();
    }
  }
}
