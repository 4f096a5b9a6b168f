package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.aayushatharva.brotli4j.decoder.Decoder;
import com.github.luben.zstd.Zstd;
import io.freshcache.core.Encoding;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Entries stored compressed by core are served as stored, in a coding derived from it once, or
 * decoded, as each client's Accept-Encoding allows (AcceptEncoding has the rules).
 */
class CompressionTest extends ProxyTestSupport {
  private static final String TEXT = "compress me ".repeat(500);

  @Test
  void gzipForThoseWhoAcceptItIdentityForTheOthers() throws IOException {
    origin.on("/z", TestOrigin.Reply.ok(TEXT).header("Cache-Control", "max-age=60").header("ETag", "\"z1\""));
    start();
    get("/z");
    HttpResponse<byte[]> gz = bytes("/z", "Accept-Encoding", "br;q=1, gzip;q=0.5");
    assertThat(header(gz, "Content-Encoding")).isEqualTo("gzip");
    assertThat(header(gz, "Vary")).containsIgnoringCase("accept-encoding");
    assertThat(header(gz, "ETag")).isEqualTo("W/\"z1\"");
    assertThat(Integer.parseInt(header(gz, "Content-Length"))).isLessThan(TEXT.length() / 4);
    assertThat(gunzip(gz.body())).isEqualTo(TEXT);

    HttpResponse<byte[]> plain = bytes("/z", "Accept-Encoding", "gzip;q=0, identity");
    assertThat(header(plain, "Content-Encoding")).isNull();
    assertThat(new String(plain.body(), StandardCharsets.UTF_8)).isEqualTo(TEXT);
    assertThat(header(plain, "Vary")).containsIgnoringCase("accept-encoding");

    HttpResponse<byte[]> none = bytes("/z");
    assertThat(header(none, "Content-Encoding")).isNull();
    assertThat(new String(none.body(), StandardCharsets.UTF_8)).isEqualTo(TEXT);

    HttpResponse<byte[]> weak = bytes("/z", "Accept-Encoding", "gzip", "If-None-Match", "W/\"z1\"");
    assertThat(weak.statusCode()).isEqualTo(304);
    assertThat(origin.count("/z")).isEqualTo(1);
  }

  @Test
  void zstdClientGetsZstdBytesThatDecodeToTheOriginBody() {
    origin.on("/z", TestOrigin.Reply.ok(TEXT).header("Cache-Control", "max-age=60").header("ETag", "\"z1\""));
    start();
    HttpResponse<byte[]> r = bytes("/z", "Accept-Encoding", "zstd");
    assertThat(header(r, "Content-Encoding")).isEqualTo("zstd");
    assertThat(header(r, "Vary")).containsIgnoringCase("accept-encoding");
    assertThat(header(r, "ETag")).isEqualTo("W/\"z1\"");
    assertThat(Integer.parseInt(header(r, "Content-Length"))).isEqualTo(r.body().length).isLessThan(TEXT.length() / 4);
    assertThat(unzstd(r.body(), TEXT.length())).isEqualTo(TEXT);
  }

  @Test
  void brClientGetsBrBytesThatDecodeToTheOriginBody() throws IOException {
    origin.on("/z", TestOrigin.Reply.ok(TEXT).header("Cache-Control", "max-age=60").header("ETag", "\"z1\""));
    start();
    HttpResponse<byte[]> r = bytes("/z", "Accept-Encoding", "BR");
    assertThat(header(r, "Content-Encoding")).isEqualTo("br");
    assertThat(header(r, "Vary")).containsIgnoringCase("accept-encoding");
    assertThat(header(r, "ETag")).isEqualTo("W/\"z1\"");
    assertThat(unbrotli(r.body())).isEqualTo(TEXT);
  }

  @Test
  void gzipRefusedAndBrAcceptedGetsBr() throws IOException {
    origin.on("/z", TestOrigin.Reply.ok(TEXT).header("Cache-Control", "max-age=60"));
    start();
    HttpResponse<byte[]> r = bytes("/z", "Accept-Encoding", "gzip;q=0, br");
    assertThat(header(r, "Content-Encoding")).isEqualTo("br");
    assertThat(unbrotli(r.body())).isEqualTo(TEXT);
  }

  @Test
  void identityOnlyGetsIdentity() {
    origin.on("/z", TestOrigin.Reply.ok(TEXT).header("Cache-Control", "max-age=60"));
    start();
    HttpResponse<byte[]> r = bytes("/z", "Accept-Encoding", "identity");
    assertThat(header(r, "Content-Encoding")).isNull();
    assertThat(header(r, "Vary")).containsIgnoringCase("accept-encoding");
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(TEXT);
  }

  @Test
  void nothingAcceptableGetsIdentity() {
    origin.on("/z", TestOrigin.Reply.ok(TEXT).header("Cache-Control", "max-age=60"));
    start();
    for (String field : new String[] {"*;q=0", "identity;q=0, *;q=0", "gzip;q=0, br;q=0, zstd;q=0, identity;q=0"}) {
      HttpResponse<byte[]> r = bytes("/z", "Accept-Encoding", field);
      assertThat(r.statusCode()).as(field).isEqualTo(200);
      assertThat(header(r, "Content-Encoding")).as(field).isNull();
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).as(field).isEqualTo(TEXT);
    }
  }

  @Test
  void aDerivedFormIsComputedOnceForFiftyRequests() throws IOException {
    origin.on("/z", TestOrigin.Reply.ok(TEXT).header("Cache-Control", "max-age=60"));
    start();
    for (int i = 0; i < 50; i++) { // the first is the miss
      HttpResponse<byte[]> r = bytes("/z", "Accept-Encoding", "br");
      assertThat(header(r, "Content-Encoding")).isEqualTo("br");
      assertThat(unbrotli(r.body())).isEqualTo(TEXT);
    }
    assertThat(origin.count("/z")).isEqualTo(1);
    assertThat(proxy.stats().get("transcodes")).isEqualTo(1L);
    for (int i = 0; i < 10; i++) { // the stored form: nothing to convert
      assertThat(gunzip(bytes("/z", "Accept-Encoding", "gzip").body())).isEqualTo(TEXT);
    }
    assertThat(proxy.stats().get("transcodes")).isEqualTo(1L);
  }

  @Test
  void storedZstdServesGzipClientsCorrectly() throws IOException {
    origin.on("/z", TestOrigin.Reply.ok(TEXT).header("Cache-Control", "max-age=60").header("ETag", "\"z1\""));
    start(b -> b.compression(Encoding.ZSTD));
    assertThat(proxy.cache().storedEncoding()).isEqualTo(Encoding.ZSTD);
    HttpResponse<byte[]> z = bytes("/z", "Accept-Encoding", "gzip, deflate, br, zstd");
    assertThat(header(z, "Content-Encoding")).isEqualTo("zstd");
    assertThat(unzstd(z.body(), TEXT.length())).isEqualTo(TEXT);
    assertThat(proxy.stats().get("transcodes")).as("the stored bytes").isEqualTo(0L);

    for (int i = 0; i < 3; i++) {
      HttpResponse<byte[]> gz = bytes("/z", "Accept-Encoding", "gzip, deflate");
      assertThat(header(gz, "Content-Encoding")).isEqualTo("gzip");
      assertThat(header(gz, "ETag")).isEqualTo("W/\"z1\"");
      assertThat(header(gz, "Vary")).containsIgnoringCase("accept-encoding");
      assertThat(Integer.parseInt(header(gz, "Content-Length"))).isEqualTo(gz.body().length);
      assertThat(gunzip(gz.body())).isEqualTo(TEXT);
    }
    assertThat(proxy.stats().get("transcodes")).as("gzip derived once").isEqualTo(1L);

    HttpResponse<byte[]> plain = bytes("/z");
    assertThat(header(plain, "Content-Encoding")).isNull();
    assertThat(header(plain, "ETag")).isEqualTo("\"z1\"");
    assertThat(new String(plain.body(), StandardCharsets.UTF_8)).isEqualTo(TEXT);
    assertThat(origin.count("/z")).isEqualTo(1);
  }

  @Test
  void headAndNotModifiedSendTheHeadersOfTheChosenCoding() {
    origin.on("/z", TestOrigin.Reply.ok(TEXT).header("Cache-Control", "max-age=60").header("ETag", "\"z1\""));
    start();
    for (String coding : new String[] {"br", "zstd", "gzip", "identity"}) {
      HttpResponse<byte[]> get = bytes("/z", "Accept-Encoding", coding);
      HttpResponse<byte[]> head = send("HEAD", "/z", "Accept-Encoding", coding);
      assertThat(head.statusCode()).isEqualTo(200);
      assertThat(head.body()).isEmpty();
      for (String name : new String[] {"Content-Encoding", "Content-Length", "ETag", "Vary", "Content-Type"}) {
        assertThat(header(head, name)).as("%s of HEAD, %s", name, coding).isEqualTo(header(get, name));
      }
      HttpResponse<byte[]> notModified = bytes("/z", "Accept-Encoding", coding, "If-None-Match", header(get, "ETag"));
      assertThat(notModified.statusCode()).as(coding).isEqualTo(304);
      assertThat(header(notModified, "ETag")).as("ETag of 304, %s", coding).isEqualTo(header(get, "ETag"));
      assertThat(header(notModified, "Vary")).as("Vary of 304, %s", coding).isEqualTo(header(get, "Vary"));
    }
    assertThat(origin.count("/z")).isEqualTo(1);
  }

  @Test
  void smallBodiesAreStoredAndServedIdentityWithoutVary() {
    origin.on("/s", TestOrigin.Reply.ok("small ".repeat(100)).header("Cache-Control", "max-age=60"));
    start();
    get("/s");
    HttpResponse<byte[]> r = bytes("/s", "Accept-Encoding", "zstd, br, gzip");
    assertThat(header(r, "Content-Encoding")).isNull();
    assertThat(header(r, "Vary")).isNull();
    assertThat(proxy.stats().get("transcodes")).isEqualTo(0L);
  }

  // ------------------------------------------------------------------ negotiation rules

  @Test
  void qValues() {
    assertThat(AcceptEncoding.q("gzip", Encoding.GZIP)).isEqualTo(1000);
    assertThat(AcceptEncoding.q("GZIP;q=0.1", Encoding.GZIP)).isEqualTo(100);
    assertThat(AcceptEncoding.q("x-gzip ; Q=0.5", Encoding.GZIP)).isEqualTo(500);
    assertThat(AcceptEncoding.q("gzip;q=0", Encoding.GZIP)).isZero();
    assertThat(AcceptEncoding.q("gzip; q=0.000", Encoding.GZIP)).isZero();
    assertThat(AcceptEncoding.q("gzip;q=0.001", Encoding.GZIP)).isEqualTo(1);
    assertThat(AcceptEncoding.q("gzip;q=1.000", Encoding.GZIP)).isEqualTo(1000);
    assertThat(AcceptEncoding.q("gzip, gzip;q=0", Encoding.GZIP)).as("the lower of two").isZero();
    assertThat(AcceptEncoding.q("*", Encoding.BR)).isEqualTo(1000);
    assertThat(AcceptEncoding.q("*;q=0.3, br;q=0.7", Encoding.BR)).isEqualTo(700);
    assertThat(AcceptEncoding.q("*;q=0.3, br;q=0.7", Encoding.ZSTD)).isEqualTo(300);
    assertThat(AcceptEncoding.q("br", Encoding.ZSTD)).isZero();
    assertThat(AcceptEncoding.q("br", Encoding.IDENTITY)).as("identity unless excluded").isEqualTo(1000);
    assertThat(AcceptEncoding.q("", Encoding.IDENTITY)).isEqualTo(1000);
    assertThat(AcceptEncoding.q("", Encoding.GZIP)).isZero();
    assertThat(AcceptEncoding.q("identity;q=0", Encoding.IDENTITY)).isZero();
    assertThat(AcceptEncoding.q("*;q=0", Encoding.IDENTITY)).isZero();
    assertThat(AcceptEncoding.q("*;q=0, identity", Encoding.IDENTITY)).isEqualTo(1000);
    assertThat(AcceptEncoding.q(" ,, zstd\t;\tq=0.9 ,", Encoding.ZSTD)).isEqualTo(900);
    // malformed weights: the element is ignored
    for (String bad : new String[] {"gzip;q=2", "gzip;q=1.5", "gzip;q=0.0001", "gzip;q=", "gzip;q=abc",
        "gzip;q=0.5;level=1", "gzip;foo=1", "gzip foo", "gzip;q=.5", "gzip;q=-0"}) {
      assertThat(AcceptEncoding.q(bad, Encoding.GZIP)).as(bad).isZero();
      assertThat(AcceptEncoding.q(bad + ", *;q=0.2", Encoding.GZIP)).as(bad + ", *").isEqualTo(200);
    }
  }

  @Test
  void choice() {
    Encoding gzip = Encoding.GZIP;
    assertThat(AcceptEncoding.choose(null, gzip)).as("no field").isEqualTo(Encoding.IDENTITY);
    assertThat(AcceptEncoding.choose("", gzip)).as("empty field").isEqualTo(Encoding.IDENTITY);
    assertThat(AcceptEncoding.choose("gzip, deflate, br, zstd", gzip)).as("stored first").isEqualTo(gzip);
    assertThat(AcceptEncoding.choose("br;q=1, gzip;q=0.1", gzip)).isEqualTo(gzip);
    assertThat(AcceptEncoding.choose("br, zstd", gzip)).as("zstd before br").isEqualTo(Encoding.ZSTD);
    assertThat(AcceptEncoding.choose("br;q=1, zstd;q=0.1", gzip)).isEqualTo(Encoding.ZSTD);
    assertThat(AcceptEncoding.choose("gzip;q=0, br", gzip)).isEqualTo(Encoding.BR);
    assertThat(AcceptEncoding.choose("*", Encoding.BR)).isEqualTo(Encoding.BR);
    assertThat(AcceptEncoding.choose("*, br;q=0", Encoding.BR)).isEqualTo(Encoding.ZSTD);
    assertThat(AcceptEncoding.choose("gzip", Encoding.ZSTD)).isEqualTo(gzip);
    assertThat(AcceptEncoding.choose("identity", Encoding.ZSTD)).isEqualTo(Encoding.IDENTITY);
    assertThat(AcceptEncoding.choose("*;q=0", gzip)).isEqualTo(Encoding.IDENTITY);
    assertThat(AcceptEncoding.choose("deflate, compress", gzip)).isEqualTo(Encoding.IDENTITY);
    assertThat(AcceptEncoding.choose("zstd, br, gzip", Encoding.IDENTITY)).as("stored identity")
        .isEqualTo(Encoding.IDENTITY);
  }

  // ------------------------------------------------------------------ helpers

  /**
   * RFC 9110 section 7.7: an intermediary must not transform the content of a response that says
   * no-transform, so such an entry is stored and sent as the origin sent it, to every client; a
   * no-transform in Cache-Control counts even when a targeted field governs this cache.
   */
  @ParameterizedTest
  @ValueSource(strings = {"Cache-Control: max-age=60, no-transform",
      "Freshcache-Cache-Control: max-age=60|Cache-Control: no-transform"})
  void aNoTransformResponseIsSentAsTheOriginSentIt(String fields) {
    TestOrigin.Reply reply = TestOrigin.Reply.ok(TEXT).header("ETag", "\"n1\"");
    for (String field : fields.split("\\|")) {
      reply.header(field.substring(0, field.indexOf(':')), field.substring(field.indexOf(':') + 1).trim());
    }
    origin.on("/n", reply);
    start();
    for (String acceptEncoding : new String[] {"gzip", "br, zstd", "gzip", "identity"}) {
      HttpResponse<byte[]> r = bytes("/n", "Accept-Encoding", acceptEncoding);
      assertThat(header(r, "Content-Encoding")).as(acceptEncoding).isNull();
      assertThat(header(r, "ETag")).isEqualTo("\"n1\"");
      assertThat(header(r, "Vary")).isNull();
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(TEXT);
    }
    assertThat(header(bytes("/n", "Accept-Encoding", "gzip"), "Cache-Status")).contains("hit");
    assertThat(origin.count("/n")).isEqualTo(1);
    assertThat(proxy.stats()).containsEntry("transcodes", 0L);
  }

  /** The entry a 304 freshens is stored again, still as the origin sent it. */
  @Test
  void aNoTransformEntryRevalidatedWithA304StaysAsSent() {
    origin.on("/n", r -> "\"n1\"".equals(r.header("If-None-Match"))
        ? TestOrigin.Reply.status(304).header("ETag", "\"n1\"").header("Cache-Control", "max-age=60, no-cache, no-transform")
        : TestOrigin.Reply.ok(TEXT).header("ETag", "\"n1\"").header("Cache-Control", "max-age=60, no-cache, no-transform"));
    start();
    for (int i = 0; i < 3; i++) {
      HttpResponse<byte[]> r = bytes("/n", "Accept-Encoding", "gzip");
      assertThat(header(r, "Content-Encoding")).as("request %d", i).isNull();
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(TEXT);
    }
    assertThat(origin.requests("/n")).hasSize(3);
    assertThat(origin.last("/n").header("If-None-Match")).isEqualTo("\"n1\"");
  }

  /** A client's no-transform (RFC 9111 section 5.2.1.6) gets the identity body of a compressed entry. */
  @Test
  void aClientsNoTransformGetsTheIdentityBody() {
    origin.on("/z", TestOrigin.Reply.ok(TEXT).header("Cache-Control", "max-age=60"));
    start();
    assertThat(header(bytes("/z", "Accept-Encoding", "gzip"), "Content-Encoding")).isEqualTo("gzip");
    HttpResponse<byte[]> r = bytes("/z", "Accept-Encoding", "gzip", "Cache-Control", "no-transform");
    assertThat(header(r, "Content-Encoding")).isNull();
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(TEXT);
    assertThat(header(r, "Cache-Status")).contains("hit");
  }

  private static String unzstd(byte[] b, int length) {
    return new String(Zstd.decompress(b, length), StandardCharsets.UTF_8);
  }

  private static String unbrotli(byte[] b) throws IOException {
    return new String(Decoder.decompress(b, 0, b.length), StandardCharsets.UTF_8);
  }

  private HttpResponse<byte[]> bytes(String path, String... headers) {
    return send("GET", path, headers);
  }

  private HttpResponse<byte[]> send(String method, String path, String... headers) {
    return send(HttpRequest.newBuilder(url(path)).method(method, HttpRequest.BodyPublishers.noBody()),
        HttpResponse.BodyHandlers.ofByteArray(), headers);
  }
}
