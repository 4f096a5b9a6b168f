package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GETs with a Range answered from the cache (RFC 9110 section 14): the fill asks the origin for the
 * whole body, once; every range of it is then a 206 (or a 416) from the stored body, whatever coding
 * it is stored in. Ranges the proxy ignores get the whole body with a 200.
 */
class RangeRequestsTest extends ProxyTestSupport {
  private static final String TEXT = "0123456789abcdefghij"; // 20 bytes

  private void text() {
    origin.on("/t", TestOrigin.Reply.ok(TEXT).header("Cache-Control", "max-age=60").header("ETag", "\"v1\"")
        .header("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT"));
  }

  @Test
  void rangesOfACachedBodyAre206FromTheCacheAfterOneWholeFill() {
    text();
    start();
    HttpResponse<String> miss = get("/t", "Range", "bytes=2-5");
    assertThat(miss.statusCode()).isEqualTo(206);
    assertThat(miss.body()).isEqualTo("2345");
    assertThat(header(miss, "Content-Range")).isEqualTo("bytes 2-5/20");
    assertThat(header(miss, "Content-Length")).isEqualTo("4");
    assertThat(header(miss, "ETag")).isEqualTo("\"v1\"");
    assertThat(header(miss, "Cache-Status")).contains("fwd=uri-miss", "stored");
    assertThat(origin.last("/t").header("Range")).isNull();

    HttpResponse<String> suffix = get("/t", "Range", "bytes=-3");
    assertThat(suffix.statusCode()).isEqualTo(206);
    assertThat(suffix.body()).isEqualTo("hij");
    assertThat(header(suffix, "Content-Range")).isEqualTo("bytes 17-19/20");
    assertThat(header(suffix, "Cache-Status")).contains("hit");

    HttpResponse<String> open = get("/t", "Range", "bytes=15-");
    assertThat(open.body()).isEqualTo("fghij");
    HttpResponse<String> beyond = get("/t", "Range", "bytes=10-999");
    assertThat(beyond.body()).isEqualTo("abcdefghij");
    assertThat(header(beyond, "Content-Range")).isEqualTo("bytes 10-19/20");
    assertThat(origin.count("/t")).isEqualTo(1);
  }

  @Test
  void aRangeBeyondTheBodyIs416WithTheLength() {
    text();
    start();
    get("/t");
    for (String range : new String[] {"bytes=20-", "bytes=-0", "bytes=99-100"}) {
      HttpResponse<String> r = get("/t", "Range", range);
      assertThat(r.statusCode()).as(range).isEqualTo(416);
      assertThat(header(r, "Content-Range")).isEqualTo("bytes */20");
      assertThat(r.body()).isEmpty();
    }
  }

  /** Ranges the proxy does not act on: the whole body, 200. */
  @Test
  void invalidOtherUnitAndMultipleRangesGetTheWholeBody() {
    text();
    start();
    for (String range : new String[] {"bytes=5-2", "items=0-1", "bytes=0-1,4-5", "bytes=x-", "bytes", "bytes=-"}) {
      HttpResponse<String> r = get("/t", "Range", range);
      assertThat(r.statusCode()).as(range).isEqualTo(200);
      assertThat(r.body()).isEqualTo(TEXT);
      assertThat(header(r, "Content-Range")).isNull();
    }
    assertThat(origin.count("/t")).isEqualTo(1);
  }

  @Test
  void ifRangeAppliesTheRangeOnlyToTheSameRepresentation() {
    text();
    start();
    get("/t");
    assertThat(get("/t", "Range", "bytes=0-1", "If-Range", "\"v1\"").statusCode()).isEqualTo(206);
    assertThat(get("/t", "Range", "bytes=0-1", "If-Range", "Tue, 01 Dec 2026 10:00:00 GMT").statusCode())
        .isEqualTo(206);
    for (String other : new String[] {"\"v0\"", "W/\"v1\"", "Mon, 30 Nov 2026 10:00:00 GMT"}) {
      HttpResponse<String> r = get("/t", "Range", "bytes=0-1", "If-Range", other);
      assertThat(r.statusCode()).as(other).isEqualTo(200);
      assertThat(r.body()).isEqualTo(TEXT);
    }
  }

  /** RFC 9110 section 13.2.2: If-None-Match is evaluated before Range. */
  @Test
  void aMatchingIfNoneMatchIs304EvenWithARange() {
    text();
    start();
    get("/t");
    assertThat(get("/t", "Range", "bytes=0-1", "If-None-Match", "\"v1\"").statusCode()).isEqualTo(304);
  }

  /** Section 14.2: ranges are defined for GET only. */
  @Test
  void aHeadsRangeIsIgnored() {
    text();
    start();
    get("/t");
    HttpResponse<String> r = send(HttpRequest.newBuilder(url("/t")).method("HEAD", HttpRequest.BodyPublishers.noBody()),
        "Range", "bytes=0-1");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(header(r, "Content-Length")).isEqualTo("20");
  }

  /** A body stored gzip: the range is of the identity body, sent without Content-Encoding. */
  @Test
  void aRangeOfACompressedEntryIsOfTheIdentityBody() {
    String page = "<p>compressible</p>\n".repeat(200);
    origin.on("/c", TestOrigin.Reply.ok(page).header("Cache-Control", "max-age=60"));
    start();
    assertThat(header(getBytes("/c", "Accept-Encoding", "gzip"), "Content-Encoding")).isEqualTo("gzip");
    HttpResponse<String> r = get("/c", "Accept-Encoding", "gzip", "Range", "bytes=100-199");
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(header(r, "Content-Encoding")).isNull();
    assertThat(header(r, "Vary")).containsIgnoringCase("accept-encoding");
    assertThat(r.body()).isEqualTo(page.substring(100, 200));
    assertThat(header(r, "Content-Range")).isEqualTo("bytes 100-199/" + page.length());
  }

  /**
   * Large bodies of hot entries are sent from files (a range is a region of the file), or without
   * files from a direct copy (a range is a slice of it).
   */
  @ParameterizedTest
  @ValueSource(strings = {"auto", "off"})
  void rangesOfALargeBodyAreTheRightBytes(String bodyFileDir) {
    byte[] big = new byte[300_000];
    new Random(11).nextBytes(big);
    origin.on("/big", TestOrigin.Reply.ok("").body(big).header("Content-Type", "application/octet-stream")
        .header("Cache-Control", "max-age=60"));
    start(b -> b.bodyFileDir(bodyFileDir));
    for (int i = 0; i < 3; i++) {
      assertThat(getBytes("/big").body()).isEqualTo(big); // makes the entry hot
    }
    for (int[] range : new int[][] {{0, 9}, {123_456, 234_567}, {299_990, 299_999}}) {
      HttpResponse<byte[]> r = getBytes("/big", "Range", "bytes=" + range[0] + "-" + range[1]);
      assertThat(r.statusCode()).isEqualTo(206);
      assertThat(r.body()).isEqualTo(Arrays.copyOfRange(big, range[0], range[1] + 1));
    }
    assertThat(origin.count("/big")).isEqualTo(1);
  }

  /**
   * What may not be stored is forwarded with its Range, and the origin's 206 relayed: at once for a
   * resource known to be uncacheable, and for the first range of one found to be so by the fill.
   */
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void anUncacheableResourcesRangeIsTheOrigins(boolean knownFirst) {
    origin.on("/n", r -> {
      String range = r.header("Range");
      TestOrigin.Reply reply = range == null ? TestOrigin.Reply.ok(TEXT)
          : TestOrigin.Reply.status(206).body("01").header("Content-Range", "bytes 0-1/20");
      return reply.header("Cache-Control", "no-store");
    });
    start();
    if (knownFirst) {
      get("/n");
    }
    HttpResponse<String> r = get("/n", "Range", "bytes=0-1");
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.body()).isEqualTo("01");
    assertThat(header(r, "Content-Range")).isEqualTo("bytes 0-1/20");
    assertThat(origin.last("/n").header("Range")).isEqualTo("bytes=0-1");
    assertThat(header(r, "Cache-Status")).contains("fwd-status=206", knownFirst ? "detail=hit-for-pass" : "detail=no-store");
  }
}
