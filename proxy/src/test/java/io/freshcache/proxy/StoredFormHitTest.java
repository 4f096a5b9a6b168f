package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.core.CacheKey;
import io.freshcache.core.Page;
import io.freshcache.core.Scope;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * Hits on the stored form of a small body write their ETag, Content-Length and Via lines per
 * request and keep nothing per entry (memory per object, docs/benchmarks.md); the response must be
 * the same as the one a kept {@code Hit} wrote.
 */
class StoredFormHitTest extends ProxyTestSupport {
  /** Under {@link ProxyConfig#DEFAULT_COMPRESSION_MIN_BYTES}: stored as it came. */
  private static final String BODY = "x".repeat(1000);

  private StoredResponse stored(String path) {
    Page p = proxy.cache().getIfPresent(new CacheKey(path, Vary.NO_VARY, Scope.PUBLIC));
    assertThat(p).as("cached: " + path).isNotNull();
    return (StoredResponse) p.attachment();
  }

  /** A GET from a client that accepts gzip, its body as sent. */
  private HttpResponse<byte[]> getGzip(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(url(path)).header("Accept-Encoding", "gzip").build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void hitsOfASmallBodySendTheOriginsFieldsAndKeepNothing() {
    origin.on("/small", TestOrigin.Reply.ok(BODY).header("Cache-Control", "max-age=60").header("ETag", "\"v1\"")
        .header("Server", "origin/1").header("Last-Modified", "Tue, 01 Dec 2026 09:00:00 GMT"));
    start(b -> { });
    assertThat(get("/small").body()).isEqualTo(BODY);
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> hit = get("/small");
      assertThat(header(hit, "Cache-Status")).startsWith("Freshcache; hit; ttl=");
      assertThat(hit.body()).isEqualTo(BODY);
      assertThat(header(hit, "ETag")).isEqualTo("\"v1\"");
      assertThat(header(hit, "Content-Length")).isEqualTo("1000");
      assertThat(header(hit, "Server")).isEqualTo("origin/1");
      assertThat(header(hit, "Content-Type")).isEqualTo("text/plain; charset=utf-8");
      assertThat(header(hit, "Last-Modified")).isEqualTo("Tue, 01 Dec 2026 09:00:00 GMT");
      assertThat(header(hit, "Via")).isEqualTo("1.1 freshcache");
      assertThat(header(hit, "Age")).isNotNull();
      assertThat(header(hit, "Date")).isNotNull();
      assertThat(hit.headers().allValues("Date")).hasSize(1);
      assertThat(hit.headers().allValues("Vary")).isEmpty();
    }
    HttpResponse<String> head = send(HttpRequest.newBuilder(url("/small")).method("HEAD", HttpRequest.BodyPublishers.noBody()));
    assertThat(head.body()).isEmpty();
    assertThat(header(head, "Content-Length")).isEqualTo("1000");
    assertThat(stored("/small").keptHits()).isZero();
    assertThat(origin.count("/small")).isEqualTo(1);
  }

  @Test
  void withoutAnOriginETagHitsSendCoresStrongOne() {
    origin.on("/plain", TestOrigin.Reply.ok(BODY).header("Cache-Control", "max-age=60"));
    start(b -> { });
    get("/plain");
    String etag = header(get("/plain"), "ETag");
    assertThat(etag).startsWith("\"").endsWith("\"");
    assertThat(header(get("/plain"), "ETag")).isEqualTo(etag);
    HttpResponse<String> notModified = get("/plain", "If-None-Match", etag);
    assertThat(notModified.statusCode()).isEqualTo(304);
    assertThat(stored("/plain").keptHits()).isZero();
  }

  @Test
  void bodiesFromTheCompressionMinimumOnAreStoredCompressedAndAMinimumAboveKeepsThemAsTheyCame() throws Exception {
    String page = "x".repeat(ProxyConfig.DEFAULT_COMPRESSION_MIN_BYTES);
    origin.on("/page", TestOrigin.Reply.ok(page).header("Cache-Control", "max-age=60"));
    start(b -> { });
    get("/page");
    assertThat(proxy.cache().getIfPresent(new CacheKey("/page", Vary.NO_VARY, Scope.PUBLIC)).storedEncoding())
        .isEqualTo(io.freshcache.core.Encoding.GZIP);
    HttpResponse<byte[]> gz = getGzip("/page");
    assertThat(header(gz, "Content-Encoding")).isEqualTo("gzip");
    assertThat(gz.body().length).isLessThan(page.length() / 4);
    assertThat(gunzip(gz.body())).isEqualTo(page);
    assertThat(stored("/page").keptHits()).as("gzip clients get the stored bytes").isZero();
    HttpResponse<String> identity = get("/page");
    assertThat(identity.body()).isEqualTo(page);
    assertThat(header(identity, "Vary")).isEqualTo("Accept-Encoding");
    assertThat(stored("/page").keptHits()).as("the identity copy, kept once hit").isEqualTo(1);
    proxy.close();

    start(b -> b.compressionMinBytes(4096));
    get("/page");
    assertThat(proxy.cache().getIfPresent(new CacheKey("/page", Vary.NO_VARY, Scope.PUBLIC)).storedEncoding())
        .isEqualTo(io.freshcache.core.Encoding.IDENTITY);
    HttpResponse<String> asItCame = get("/page", "Accept-Encoding", "gzip");
    assertThat(header(asItCame, "Content-Encoding")).isNull();
    assertThat(asItCame.body()).isEqualTo(page);
  }

  @Test
  void aNonStandardReasonPhraseAndStatusAreKept() {
    origin.on("/gone", TestOrigin.Reply.status(404).body("no such page").header("Cache-Control", "max-age=60"));
    start(b -> { });
    assertThat(raw("GET /gone HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 404 Not Found\r\n");
    String hit = raw("GET /gone HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertThat(hit).startsWith("HTTP/1.1 404 Not Found\r\n").contains("Cache-Status: Freshcache; hit").endsWith("no such page");
  }

  @Test
  void aCompressedBodyKeepsOnlyTheDecodedFormIdentityClientsAsked() throws Exception {
    String big = "lorem ipsum dolor sit amet ".repeat(400); // 10.8 KB: stored gzip
    origin.on("/big", TestOrigin.Reply.ok(big).header("Cache-Control", "max-age=60").header("ETag", "\"b1\""));
    start(b -> { });
    get("/big");
    for (int i = 0; i < 3; i++) {
      HttpResponse<byte[]> gz = getGzip("/big");
      assertThat(header(gz, "Content-Encoding")).isEqualTo("gzip");
      assertThat(header(gz, "ETag")).isEqualTo("W/\"b1\"");
      assertThat(header(gz, "Vary")).isEqualTo("Accept-Encoding");
      assertThat(header(gz, "Content-Length")).isEqualTo(String.valueOf(gz.body().length));
      assertThat(gunzip(gz.body())).isEqualTo(big);
    }
    assertThat(stored("/big").keptHits()).as("the stored (gzip) form keeps nothing").isZero();
    HttpResponse<String> identity = get("/big");
    assertThat(identity.body()).isEqualTo(big);
    assertThat(header(identity, "ETag")).isEqualTo("\"b1\"");
    assertThat(stored("/big").keptHits()).as("the decoded copy for identity clients").isEqualTo(1);
  }

  @Test
  void datesKeptAsNumbersAreSentAsTheOriginSentThemAndOthersAsText() {
    // Canonical IMF-fixdates are kept as epoch seconds and rewritten by each hit; anything else
    // (an obsolete format, "0", a repeated field) is kept and relayed as text, byte for byte.
    origin.on("/canonical", TestOrigin.Reply.ok(BODY).header("Cache-Control", "max-age=60")
        .header("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT").header("Expires", "Fri, 31 Dec 9999 23:59:59 GMT"));
    origin.on("/other", TestOrigin.Reply.ok(BODY).header("Cache-Control", "max-age=60")
        .header("Last-Modified", "Sunday, 06-Nov-94 08:49:37 GMT").header("Expires", "0"));
    origin.on("/twice", TestOrigin.Reply.ok(BODY).header("Cache-Control", "max-age=60")
        .header("Expires", "Sun, 06 Nov 1994 08:49:37 GMT").header("Expires", "Mon, 07 Nov 1994 08:49:37 GMT"));
    start(b -> { });
    for (String path : new String[] {"/canonical", "/other", "/twice"}) {
      assertThat(get(path).body()).isEqualTo(BODY);
    }
    String hit = raw("GET /canonical HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertThat(hit).contains("Freshcache; hit").contains("\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n")
        .contains("\r\nExpires: Fri, 31 Dec 9999 23:59:59 GMT\r\n");
    hit = raw("GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    // (The test origin, the JDK's server, sends its own case of the names: "Last-modified".)
    assertThat(hit).contains("Freshcache; hit").containsIgnoringCase("\r\nLast-Modified: Sunday, 06-Nov-94 08:49:37 GMT\r\n")
        .contains("Sunday, 06-Nov-94 08:49:37 GMT").contains("\r\nExpires: 0\r\n");
    hit = raw("GET /twice HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertThat(hit).contains("Freshcache; hit")
        .contains("\r\nExpires: Sun, 06 Nov 1994 08:49:37 GMT\r\nExpires: Mon, 07 Nov 1994 08:49:37 GMT\r\n");
    // The stored Last-Modified still answers If-Modified-Since (without it the stored Date, 2026,
    // would decide, and the answer would be 200).
    assertThat(send(HttpRequest.newBuilder(url("/canonical")).header("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"))
        .statusCode()).isEqualTo(304);
    assertThat(send(HttpRequest.newBuilder(url("/canonical")).header("If-Modified-Since", "Sun, 06 Nov 1994 08:49:36 GMT"))
        .statusCode()).isEqualTo(200);
    for (String path : new String[] {"/canonical", "/other", "/twice"}) {
      assertThat(origin.count(path)).as(path).isEqualTo(1);
    }
  }
}
