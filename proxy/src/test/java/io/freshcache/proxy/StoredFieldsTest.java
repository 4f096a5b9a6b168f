package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link StoredFields}: storing (RFC 9111 section 3.1) and freshening with a 304 (sections 3.2, 4.3.4). */
class StoredFieldsTest {
  private static final Instant T = Instant.parse("2026-03-01T12:00:00Z");
  private static final Instant LATER = T.plusSeconds(600);

  @Test
  void forStorageDropsHopByHopProxySpecificAndNamedFields() {
    Fields response = Fields.of("Connection", "close, X-Conn", "X-Conn", "1", "Keep-Alive", "timeout=5",
        "Transfer-Encoding", "chunked", "Proxy-Authenticate", "Basic", "Proxy-Authentication-Info", "x",
        "Set-Cookie", "a=b", "Content-Type", "text/html", "Date", HttpDate.format(T), "X-Keep", "1");
    Fields stored = StoredFields.forStorage(response, Set.of("set-cookie"), LATER);
    assertThat(stored.names()).containsExactly("content-type", "date", "x-keep");
    assertThat(stored.first("Date")).isEqualTo(HttpDate.format(T));
  }

  @Test
  void forStorageAddsADateWhenThereIsNone() {
    Fields stored = StoredFields.forStorage(Fields.of("Content-Type", "text/plain"), Set.of(), T);
    assertThat(stored.first("Date")).isEqualTo("Sun, 01 Mar 2026 12:00:00 GMT");
  }

  @Test
  void identifiesByStrongThenWeakETagThenLastModified() {
    Fields stored = Fields.of("ETag", "\"v1\"", "Last-Modified", HttpDate.format(T));
    assertThat(StoredFields.identifies(stored, Fields.of("ETag", "\"v1\""))).isTrue();
    assertThat(StoredFields.identifies(stored, Fields.of("ETag", "\"v2\""))).isFalse();
    assertThat(StoredFields.identifies(stored, Fields.of("ETag", "W/\"v1\""))).isTrue();
    assertThat(StoredFields.identifies(Fields.of("ETag", "W/\"v1\""), Fields.of("ETag", "\"v1\""))).isFalse(); // strong needs strong
    assertThat(StoredFields.identifies(stored, Fields.of("ETag", "junk"))).isFalse();
    assertThat(StoredFields.identifies(stored, Fields.of("Last-Modified", HttpDate.format(T)))).isTrue();
    assertThat(StoredFields.identifies(stored, Fields.of("Last-Modified", HttpDate.format(LATER)))).isFalse();
    assertThat(StoredFields.identifies(stored, Fields.EMPTY)).isFalse();
    assertThat(StoredFields.identifies(Fields.of("Content-Type", "x"), Fields.EMPTY)).isTrue();
    assertThat(StoredFields.identifies(Fields.of("Content-Type", "x"), Fields.of("ETag", "\"v1\""))).isFalse();
  }

  @Test
  void freshenReplacesEveryFieldThe304CarriesAndKeepsTheRest() {
    Fields stored = Fields.of("Content-Type", "text/html", "Content-Length", "1234", "Content-Encoding", "gzip",
        "ETag", "\"v1\"", "Cache-Control", "max-age=60", "X-Multi", "a", "X-Multi", "b", "Date", HttpDate.format(T),
        "Age", "30", "X-Old", "kept");
    Fields notModified = Fields.of("Cache-Control", "max-age=120", "X-Multi", "c", "Content-Length", "0",
        "Content-Encoding", "br", "ETag", "\"v1\"", "Date", HttpDate.format(LATER), "Connection", "X-Hop",
        "X-Hop", "1", "Keep-Alive", "x", "Proxy-Authenticate", "Basic", "X-New", "n");
    Fields merged = StoredFields.freshen(stored, notModified, LATER);
    assertThat(merged.all("Cache-Control")).containsExactly("max-age=120");
    assertThat(merged.all("X-Multi")).containsExactly("c"); // all instances replaced
    assertThat(merged.first("Content-Length")).isEqualTo("1234"); // never updated
    assertThat(merged.first("Content-Encoding")).isEqualTo("gzip"); // the stored bytes depend on it
    assertThat(merged.first("Content-Type")).isEqualTo("text/html");
    assertThat(merged.first("X-Old")).isEqualTo("kept");
    assertThat(merged.first("X-New")).isEqualTo("n");
    assertThat(merged.all("Date")).containsExactly(HttpDate.format(LATER));
    assertThat(merged.contains("Age")).isFalse(); // the old Age described the old response
    assertThat(merged.contains("X-Hop")).isFalse();
    assertThat(merged.contains("Keep-Alive")).isFalse();
    assertThat(merged.contains("Connection")).isFalse();
    assertThat(merged.contains("Proxy-Authenticate")).isFalse();
  }

  @Test
  void freshenKeepsThe304sAgeAndDatesA304WithoutDate() {
    Fields stored = Fields.of("Date", HttpDate.format(T), "Age", "30", "ETag", "\"v1\"");
    Fields withAge = StoredFields.freshen(stored, Fields.of("Age", "5", "ETag", "\"v1\""), LATER);
    assertThat(withAge.all("Age")).containsExactly("5");
    assertThat(withAge.all("Date")).containsExactly(HttpDate.format(LATER));
  }

  @Test
  void freshenAppliesTheNewQualifiedDirectives() {
    Fields stored = Fields.of("Cache-Control", "max-age=60", "X-Secret", "s", "ETag", "\"v1\"");
    Fields merged = StoredFields.freshen(stored, Fields.of("Cache-Control", "max-age=60, private=\"X-Secret\""), LATER);
    assertThat(merged.contains("X-Secret")).isFalse();
    Fields merged2 = StoredFields.freshen(stored,
        Fields.of("Cache-Control", "max-age=60, no-cache=\"X-Token\"", "X-Token", "t"), LATER);
    assertThat(merged2.contains("X-Token")).isFalse();
  }

  @Test
  void freshenedResponseIsFreshAgain() {
    Fields stored = Fields.of("Cache-Control", "max-age=60", "Date", HttpDate.format(T), "ETag", "\"v1\"");
    Freshness before = Freshness.of(stored, T, T);
    assertThat(before.isFresh(LATER)).isFalse();
    Fields merged = StoredFields.freshen(stored, Fields.of("ETag", "\"v1\""), LATER);
    Freshness after = Freshness.of(merged, LATER, LATER);
    assertThat(after.isFresh(LATER.plusSeconds(59))).isTrue();
    assertThat(List.copyOf(merged.names())).contains("cache-control", "etag", "date");
  }
}
