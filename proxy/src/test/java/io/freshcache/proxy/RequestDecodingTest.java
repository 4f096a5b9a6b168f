package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * What reaches the proxy handler for each request shape: Netty 4.2's decoder plus our refusals
 * (StrictRequestDecoder, RequestValidator), checked with EmbeddedChannel. Records which rules Netty
 * already enforces, so an upgrade that changes them shows up here.
 */
class RequestDecodingTest {

  private static Object decode(String request) {
    return decode(request, Integer.MAX_VALUE);
  }

  /** The first message the decoder and validator pass on when {@code request} arrives in reads of at most {@code step} bytes. */
  private static Object decode(String request, int step) {
    EmbeddedChannel ch = new EmbeddedChannel(
        new StrictRequestDecoder(new HttpDecoderConfig().setMaxHeaderSize(1024).setMaxInitialLineLength(256)),
        new RequestValidator());
    byte[] bytes = request.getBytes(StandardCharsets.ISO_8859_1);
    for (int at = 0; at < bytes.length; at += step) {
      ch.writeInbound(Unpooled.wrappedBuffer(bytes, at, Math.min(step, bytes.length - at)));
    }
    Object first = ch.readInbound();
    Object m;
    while ((m = ch.readInbound()) != null) {
      ReferenceCountUtil.release(m);
    }
    ch.finishAndReleaseAll();
    return first;
  }

  private static int status(String request) {
    Object o = decode(request);
    if (o instanceof BadRequest b) {
      return b.status();
    }
    ReferenceCountUtil.release(o);
    return o instanceof HttpRequest ? 0 : -1;
  }

  @Test
  void goodRequestPasses() {
    assertThat(status("GET / HTTP/1.1\r\nHost: a\r\n\r\n")).isZero();
    assertThat(status("GET / HTTP/1.0\r\n\r\n")).isZero();
    assertThat(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")).isZero();
  }

  @Test
  void limits() {
    assertThat(status("GET /" + "a".repeat(300) + " HTTP/1.1\r\nHost: a\r\n\r\n")).isEqualTo(414);
    assertThat(status("GET / HTTP/1.1\r\nHost: a\r\nX: " + "b".repeat(2000) + "\r\n\r\n")).isEqualTo(431);
  }

  @Test
  void smuggling() {
    // Netty would drop Content-Length and go on; StrictRequestDecoder refuses.
    assertThat(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")).isEqualTo(400);
    // Netty refuses several Content-Length values itself.
    assertThat(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")).isEqualTo(400);
    // A final coding other than chunked: RequestValidator.
    assertThat(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n")).isEqualTo(400);
    // Another coding before chunked: not implemented, rather than gzip bytes sent on as plain ones.
    assertThat(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")).isEqualTo(501);
    // obs-fold: Netty unfolds; StrictRequestDecoder refuses.
    assertThat(status("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n")).isEqualTo(400);
    assertThat(status("GET / HTTP/1.1\r\n Host: a\r\n\r\n")).isEqualTo(400);
    // Netty refuses white space before the colon.
    assertThat(status("GET / HTTP/1.1\r\nHost : a\r\n\r\n")).isEqualTo(400);
  }

  /** RFC 9112 section 3.2: a Host that is not uri-host [":" port] MUST be answered 400. */
  @Test
  void invalidHostValues() {
    for (String host : new String[] {"a b/c", "a, b", "[::1", "x:99999999999", "x:8o", "a/b", "a@b", "[::1]x"}) {
      assertThat(status("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n")).as(host).isEqualTo(400);
    }
    for (String host : new String[] {"a", "example.com:8080", "[::1]:80", "127.0.0.1", "", "xn--bcher-kva.example"}) {
      assertThat(status("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n")).as(host).isZero();
    }
  }

  @Test
  void versions() {
    assertThat(status("GET / HTTP/1.1\r\n\r\n")).isEqualTo(400);
    assertThat(status("GET / HTTP/2.0\r\nHost: a\r\n\r\n")).isIn(400, 505);
    // RFC 9110 section 2.5: a later minor version is read as the highest we implement.
    Object later = decode("GET / HTTP/1.2\r\nHost: a\r\n\r\n");
    assertThat(later).isInstanceOf(HttpRequest.class);
    assertThat(((HttpRequest) later).protocolVersion()).isEqualTo(io.netty.handler.codec.http.HttpVersion.HTTP_1_1);
    ReferenceCountUtil.release(later);
    assertThat(status("GET / HTTP/1.9\r\n\r\n")).as("read as 1.1: Host is required").isEqualTo(400);
    // RFC 9112 section 2.3: HTTP-name is case-sensitive.
    for (String v : new String[] {"http/1.1", "Http/1.1", "HTTP/1.1", "HTTP/1.0"}) {
      assertThat(status("GET / " + v + "\r\nHost: a\r\n\r\n")).as(v).isEqualTo(v.startsWith("HTTP/") ? 0 : 400);
    }
  }

  @Test
  void obsFoldIsRefusedHoweverTheBytesArrive() {
    Object o = decode("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n", 1);
    ReferenceCountUtil.release(o);
    assertThat(o).isInstanceOf(BadRequest.class);
  }
}
