package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * A stored response counts toward the cache's byte bound with its header bytes: it used to weigh
 * nothing, so responses with small bodies and large header sections overran {@code maximumBytes}.
 */
class StoredResponseWeightTest extends ProxyTestSupport {
  private static final Instant T = Instant.parse("2026-12-01T10:00:00Z");

  private static StoredResponse stored(Fields fields) {
    return new StoredResponse(200, "OK", fields, Freshness.of(fields, T, T), Vary.of(fields), "", false);
  }

  @Test
  void theWeightIsTheEntrysOwnFieldLinesPlusTheObject() {
    // Date is rebuilt from the freshness inputs and Cache-Control is one of the shared lines: the
    // entry's own bytes are the ETag and X-Pad lines.
    Fields fields = Fields.of("Date", "Tue, 01 Dec 2026 10:00:00 GMT", "Cache-Control", "max-age=60",
        "ETag", "\"e1\"", "X-Pad", "p".repeat(1000));
    int lines = 0;
    for (Fields.Field f : fields.lines()) {
      if (!f.is("Date") && !StoredResponse.SHAREABLE.contains(Fields.lower(f.name()))) {
        lines += (f.name() + ": " + f.value() + "\r\n").getBytes(StandardCharsets.ISO_8859_1).length;
      }
    }
    assertThat(stored(fields).sizeInBytes()).isEqualTo(StoredResponse.OBJECT_BYTES + lines);
  }

  @Test
  void theStoredFieldsComeBackWithTheirDateWhateverPartIsShared() {
    Fields fields = Fields.of("Server", "nginx", "Date", "Tue, 01 Dec 2026 10:00:00 GMT", "Content-Type", "text/html",
        "Last-Modified", "Mon, 30 Nov 2026 10:00:00 GMT", "ETag", "\"e1\"", "Cache-Control", "max-age=60",
        "X-Page", "7", "Set-Cookie", "a=1", "Set-Cookie", "b=2", "Vary", "Accept-Language");
    Fields back = stored(fields).fields();
    assertThat(back.lines()).containsExactlyInAnyOrderElementsOf(fields.lines());
    assertThat(back.all("Set-Cookie")).containsExactly("a=1", "b=2");
  }

  @Test
  void lastModifiedAndExpiresInImfFixdateWeighNothingBeyondTheObject() {
    // Kept as epoch seconds (the object's size covers them), not as about 85 bytes of lines.
    Fields dates = Fields.of("Cache-Control", "max-age=60", "Last-Modified", "Mon, 30 Nov 2026 10:00:00 GMT",
        "Expires", "Tue, 01 Dec 2026 11:00:00 GMT");
    assertThat(stored(dates).sizeInBytes()).isEqualTo(StoredResponse.OBJECT_BYTES);
    Fields asText = Fields.of("Cache-Control", "max-age=60", "Last-Modified", "Monday, 30-Nov-26 10:00:00 GMT");
    assertThat(stored(asText).sizeInBytes())
        .isEqualTo(StoredResponse.OBJECT_BYTES + "Last-Modified: Monday, 30-Nov-26 10:00:00 GMT\r\n".length());
    assertThat(StoredResponse.compactDate(Fields.of("Expires", "Thu, 01 Jan 1970 00:00:00 GMT"), "Expires")).isZero();
    assertThat(StoredResponse.compactDate(Fields.of("Expires", "thu, 01 jan 1970 00:00:00 gmt"), "Expires"))
        .isEqualTo(StoredResponse.NO_DATE);
    assertThat(StoredResponse.compactDate(Fields.of("Expires", "Wed, 31 Dec 1969 23:59:59 GMT"), "Expires"))
        .isEqualTo(StoredResponse.NO_DATE);
    assertThat(StoredResponse.compactDate(Fields.of("Expires", "Sun, 07 Feb 2106 06:28:15 GMT"), "Expires"))
        .as("2^32 - 1 seconds is the marker").isEqualTo(StoredResponse.NO_DATE);
    assertThat(Integer.toUnsignedLong(StoredResponse.compactDate(Fields.of("Expires", "Sun, 07 Feb 2106 06:28:14 GMT"),
        "Expires"))).isEqualTo(0xFFFFFFFEL);
  }

  @Test
  void aResponseWithoutAValidDateGetsTheTimeItWasReceived() {
    Fields fields = Fields.of("Date", "yesterday", "Cache-Control", "max-age=60");
    assertThat(stored(fields).fields().all("Date")).containsExactly("Tue, 01 Dec 2026 10:00:00 GMT");
    assertThat(stored(Fields.of("Cache-Control", "max-age=60")).fields().all("Date"))
        .containsExactly("Tue, 01 Dec 2026 10:00:00 GMT");
  }

  @Test
  void aVaryAndAnUpstreamCacheStatusAddTheirStrings() {
    Fields plain = Fields.of("Cache-Control", "max-age=60");
    Fields varied = plain.with("Vary", "Accept-Language");
    long base = stored(plain).sizeInBytes();
    long lineBytes = "Vary: Accept-Language\r\n".length();
    assertThat(stored(varied).sizeInBytes()).isGreaterThan(base + lineBytes);
    StoredResponse upstream = new StoredResponse(200, "OK", plain, Freshness.of(plain, T, T), Vary.NONE,
        "Other; hit", false);
    assertThat(upstream.sizeInBytes()).isGreaterThan(base + "Other; hit".length());
  }

  @Test
  void largeHeaderSectionsWithSmallBodiesAreBoundedByMaximumBytes() {
    // Each response: a 10-byte body and a 2 KB header field. Weighed as body + 200 B, 40 of them
    // (8.4 KB) fitted in a 20 KB bound while holding over 80 KB; now at most 20 KB / 2.2 KB stay.
    origin.onPrefix("/h/", r -> TestOrigin.Reply.ok("0123456789").header("Cache-Control", "max-age=60")
        .header("X-Pad", "p".repeat(2000)));
    start(b -> b.maximumBytes(20_000));
    for (int i = 0; i < 40; i++) {
      assertThat(get("/h/" + i).statusCode()).isEqualTo(200);
    }
    await(() -> proxy.cache().stats().entryCount() <= 20_000 / 2200, "eviction down to the byte bound");
    assertThat(proxy.cache().stats().evictions()).isGreaterThan(0);
  }

  @Test
  void formsKeptByLaterHitsCountTowardTheBound() throws Exception {
    // 12 KB pages of random words: stored gzip; an identity client's hit keeps a 12 KB decoded copy.
    Random r = new Random(3);
    String[] words = {"cache", "tag", "page", "origin", "proxy", "fresh", "stale", "hit", "miss", "entry"};
    StringBuilder text = new StringBuilder();
    while (text.length() < 12_000) {
      text.append(words[r.nextInt(words.length)]).append(r.nextInt(100)).append(' ');
    }
    String body = text.toString();
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(body.getBytes(StandardCharsets.UTF_8));
    }
    int pages = 20;
    long bound = pages * (gz.size() * 12L / 10 + 1_000); // every gzip-stored page fits; decoded copies do not
    origin.onPrefix("/k/", q -> TestOrigin.Reply.ok(body).header("Cache-Control", "max-age=60"));
    start(b -> b.maximumBytes(bound));
    for (int i = 0; i < pages; i++) {
      assertThat(get("/k/" + i, "Accept-Encoding", "gzip").statusCode()).isEqualTo(200);
    }
    assertThat(proxy.cache().stats().entryCount()).isEqualTo(pages);
    assertThat(proxy.cache().stats().evictions()).isZero();
    for (int i = 0; i < pages; i++) {
      assertThat(get("/k/" + i).body()).isEqualTo(body); // identity: keeps a decoded copy
    }
    // Each identity hit's copy is weighed at once: the 20 pages no longer fit and some are evicted
    // (without the re-weighing nothing would be: the bound would hold 20 copies it never saw).
    await(() -> proxy.cache().stats().evictions() > 0, "evictions once the decoded copies count");
    assertThat(proxy.cache().stats().entryCount()).isLessThan(pages);
  }
}
