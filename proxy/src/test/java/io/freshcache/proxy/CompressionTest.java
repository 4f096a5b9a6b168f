package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** Entries stored gzip-compressed by core are served as stored, or decoded for clients without gzip. */
class CompressionTest extends ProxyTestSupport {

  @Test
  void gzipForThoseWhoAcceptItIdentityForTheOthers() throws IOException {
    String text = "compress me ".repeat(500);
    origin.on("/z", TestOrigin.Reply.ok(text).header("Cache-Control", "max-age=60").header("ETag", "\"z1\""));
    start();
    get("/z");
    HttpResponse<byte[]> gz = bytes("/z", "Accept-Encoding", "br;q=1, gzip;q=0.5");
    assertThat(header(gz, "Content-Encoding")).isEqualTo("gzip");
    assertThat(header(gz, "Vary")).containsIgnoringCase("accept-encoding");
    assertThat(header(gz, "ETag")).isEqualTo("W/\"z1\"");
    assertThat(Integer.parseInt(header(gz, "Content-Length"))).isLessThan(text.length() / 4);
    assertThat(new String(new GZIPInputStream(new ByteArrayInputStream(gz.body())).readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo(text);

    HttpResponse<byte[]> plain = bytes("/z", "Accept-Encoding", "gzip;q=0, identity");
    assertThat(header(plain, "Content-Encoding")).isNull();
    assertThat(new String(plain.body(), StandardCharsets.UTF_8)).isEqualTo(text);
    assertThat(header(plain, "Vary")).containsIgnoringCase("accept-encoding");

    HttpResponse<byte[]> none = bytes("/z");
    assertThat(header(none, "Content-Encoding")).isNull();
    assertThat(new String(none.body(), StandardCharsets.UTF_8)).isEqualTo(text);

    HttpResponse<byte[]> weak = bytes("/z", "Accept-Encoding", "gzip", "If-None-Match", "W/\"z1\"");
    assertThat(weak.statusCode()).isEqualTo(304);
    assertThat(origin.count("/z")).isEqualTo(1);
  }

  @Test
  void acceptEncodingParsing() {
    assertThat(AcceptEncoding.acceptsGzip("gzip")).isTrue();
    assertThat(AcceptEncoding.acceptsGzip("GZIP;q=0.1")).isTrue();
    assertThat(AcceptEncoding.acceptsGzip("gzip;q=0")).isFalse();
    assertThat(AcceptEncoding.acceptsGzip("gzip; q=0.000")).isFalse();
    assertThat(AcceptEncoding.acceptsGzip("*")).isTrue();
    assertThat(AcceptEncoding.acceptsGzip("*, gzip;q=0")).isFalse();
    assertThat(AcceptEncoding.acceptsGzip("br, identity")).isFalse();
    assertThat(AcceptEncoding.acceptsGzip("")).isFalse();
    assertThat(AcceptEncoding.acceptsGzip(null)).isFalse();
  }

  private HttpResponse<byte[]> bytes(String path, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(url(path));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    try {
      return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
