package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Origin failures, client limits, and request shapes that must never reach the origin. */
class ErrorsAndLimitsTest extends ProxyTestSupport {

  @Test
  void originDownIs502() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    proxy = FreshcacheProxy.start(config().origin(URI.create("http://127.0.0.1:" + port)).build());
    HttpResponse<String> r = get("/x");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).isEqualTo("origin unreachable\n");
    // RFC 9211: detail is a String or a Token, and a Token does not start with a digit.
    assertThat(header(r, "Cache-Status")).isEqualTo("Freshcache; detail=error-502");
  }

  @Test
  void slowOriginIs504() {
    origin.on("/slow", TestOrigin.Reply.ok("late").header("Cache-Control", "max-age=60").delay(3000));
    start(b -> b.originResponseTimeout(java.time.Duration.ofMillis(300)));
    HttpResponse<String> r = get("/slow");
    assertThat(r.statusCode()).isEqualTo(504);
  }

  @Test
  void portInUseIsAClearError() {
    start();
    ProxyConfig again = config().listen(proxy.address()).build();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> FreshcacheProxy.start(again))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("listen: cannot bind");
  }

  @Test
  void hugeHeaderIs431() {
    start();
    String big = "x".repeat(20_000);
    assertThat(raw("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + big + "\r\n\r\n")).startsWith("HTTP/1.1 431 ");
  }

  @Test
  void hugeRequestLineIs414() {
    start();
    assertThat(raw("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: a\r\n\r\n")).startsWith("HTTP/1.1 414 ");
  }

  @Test
  void smugglingShapesAre400AndNeverReachTheOrigin() {
    origin.on("/s", TestOrigin.Reply.ok("x"));
    start();
    String[] shapes = {
      "POST /s HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "POST /s HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
      "POST /s HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nabcd",
      "POST /s HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\nabcd",
      "GET /s HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  folded\r\n\r\n",
      "GET /s HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\tfolded\r\n\r\n",
      "GET /s HTTP/1.1\r\n\r\n",
      "GET /s HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
      "GET /s HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n",
    };
    for (String shape : shapes) {
      String answer = raw(shape);
      assertThat(answer).as(shape).startsWith("HTTP/1.1 400 ");
      assertThat(answer).as(shape).containsIgnoringCase("Connection: close").doesNotContain("Exception");
    }
    assertThat(origin.count("/s")).isZero();
  }

  /**
   * obs-fold split from the line before it, in two TCP segments: the decoder has consumed the
   * complete lines when the fold arrives, so a check of the bytes at hand alone would miss it.
   */
  @Test
  void obsFoldInALaterSegmentIs400AndNeverReachesTheOrigin() throws Exception {
    origin.on("/s", TestOrigin.Reply.ok("x"));
    start();
    for (String[] parts : new String[][] {
        {"GET /s HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n", " folded\r\nConnection: close\r\n\r\n"},
        {"GET /s HTTP/1.1\r\nHost: a\r\nX-A: 1\r", "\n\tfolded\r\nConnection: close\r\n\r\n"},
        {"GET /s HTTP/1.1\r\nConnection: close\r\n", " Host: a\r\n\r\n"}}) {
      try (java.net.Socket s = new java.net.Socket()) {
        s.connect(proxy.address(), 2000);
        s.setSoTimeout(3000);
        s.setTcpNoDelay(true);
        java.io.OutputStream out = s.getOutputStream();
        out.write(parts[0].getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        out.flush();
        Thread.sleep(100); // the proxy reads the first segment on its own
        out.write(parts[1].getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        out.flush();
        String answer = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(answer).as(parts[0] + "|" + parts[1]).startsWith("HTTP/1.1 400 ");
      }
    }
    assertThat(origin.count("/s")).isZero();
  }

  @Test
  void requestBodyOverTheLimitIs413() {
    origin.on("/up", TestOrigin.Reply.ok("ok"));
    start(b -> b.maxRequestBodyBytes(1000));
    HttpResponse<String> r = send(HttpRequest.newBuilder(url("/up")).POST(HttpRequest.BodyPublishers.ofByteArray(new byte[5000])));
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(raw("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + "a".repeat(2048) + "\r\n0\r\n\r\n"))
        .startsWith("HTTP/1.1 413 ");
    assertThat(origin.count("/up")).isZero();
  }

  @Test
  void requestBodiesStreamToTheOrigin() {
    origin.on("/echo", r -> TestOrigin.Reply.ok("got " + r.body().length));
    start();
    byte[] body = new byte[3_000_000];
    Arrays.fill(body, (byte) 'z');
    HttpResponse<String> r = send(HttpRequest.newBuilder(url("/echo")).POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    assertThat(r.body()).isEqualTo("got 3000000");
    assertThat(raw("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"))
        .startsWith("HTTP/1.1 200 ").endsWith("got 5");
  }

  @Test
  void bodyOverTheCacheLimitStreamsThroughUncached() {
    byte[] big = new byte[200_000];
    Arrays.fill(big, (byte) 'b');
    origin.on("/big", TestOrigin.Reply.ok("").body(big).header("Cache-Control", "max-age=60"));
    origin.on("/bigchunked", TestOrigin.Reply.ok("").body(big).header("Cache-Control", "max-age=60").chunked());
    start(b -> b.maxCacheableBodyBytes(50_000));
    for (String path : new String[] {"/big", "/bigchunked"}) {
      HttpResponse<String> r = get(path);
      assertThat(r.body()).hasSize(200_000);
      assertThat(header(r, "Cache-Status")).contains("detail=too-large");
      assertThat(get(path).body()).hasSize(200_000);
      assertThat(origin.count(path)).isEqualTo(2);
    }
  }

  @Test
  void http10AndKeepAliveAndPipelining() {
    origin.on("/k", TestOrigin.Reply.ok("kk").header("Cache-Control", "max-age=60"));
    start();
    get("/k");
    String ten = raw("GET /k HTTP/1.0\r\n\r\n");
    assertThat(ten).startsWith("HTTP/1.1 200 ").endsWith("kk");
    String pipelined = raw("GET /k HTTP/1.1\r\nHost: a\r\n\r\nGET /k HTTP/1.1\r\nHost: a\r\n\r\nGET /k HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assertThat(pipelined.split("HTTP/1.1 200 ", -1)).hasSize(4);
    assertThat(pipelined).endsWith("kk");
  }

  @Test
  void unexpectedOriginGarbageIs502() throws Exception {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      Thread t = new Thread(() -> {
        try (var c = s.accept()) {
          c.getInputStream().read(new byte[1000]);
          c.getOutputStream().write("garbage\r\n\r\n".getBytes());
        } catch (IOException e) {
          // test ends
        }
      });
      t.start();
      proxy = FreshcacheProxy.start(config().origin(URI.create("http://127.0.0.1:" + s.getLocalPort())).build());
      HttpResponse<String> r = get("/x");
      assertThat(r.statusCode()).isEqualTo(502);
      assertThat(r.body()).isEqualTo("bad response from origin\n");
      t.join(2000);
    }
  }

  /** A chunked body the decoder cannot read is the client's error, answered at once, not the origin's wait. */
  @Test
  void aMalformedChunkedRequestBodyIs400AtOnceAndTheOriginCallIsAbandoned() {
    origin.on("/echo", TestOrigin.Reply.ok("ok"));
    start(b -> b.originResponseTimeout(java.time.Duration.ofSeconds(30)));
    for (String body : new String[] {"zz\r\nabc\r\n0\r\n\r\n", "-3\r\nabc\r\n0\r\n\r\n", "3 x\r\nabc\r\n0\r\n\r\n",
        "3\r\nabcdef\r\n0\r\n\r\n"}) {
      long t0 = System.nanoTime();
      String raw = raw("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
      assertThat(raw).as(body).startsWith("HTTP/1.1 400");
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - t0)).as(body).isLessThan(java.time.Duration.ofSeconds(2));
    }
  }

  /**
   * A status no client could act on, or a 101 to a request that offered no upgrade (after which the
   * origin's bytes would be read as the next response on the client's connection), is a bad
   * response: 502, for a cache fill and a pass alike, not a hang nor a relay.
   */
  @Test
  void statusesOutOfRangeAndAnUnaskedSwitchAre502() throws Exception {
    for (String answer : new String[] {"HTTP/1.1 2000 X\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 000 X\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"}) {
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress("127.0.0.1", 0));
        Thread t = new Thread(() -> {
          for (int i = 0; i < 2; i++) {
            try (var c = s.accept()) {
              c.getInputStream().read(new byte[1000]);
              c.getOutputStream().write(answer.getBytes(StandardCharsets.ISO_8859_1));
              c.getOutputStream().flush();
              Thread.sleep(200);
            } catch (IOException | InterruptedException e) {
              return;
            }
          }
        });
        t.start();
        proxy = FreshcacheProxy.start(config().origin(URI.create("http://127.0.0.1:" + s.getLocalPort()))
            .originResponseTimeout(java.time.Duration.ofSeconds(2)).build());
        String get = raw("GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        assertThat(get).as(answer).startsWith("HTTP/1.1 502").doesNotContain("evil");
        String post = raw("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx");
        assertThat(post).as(answer).startsWith("HTTP/1.1 502").doesNotContain("evil");
        proxy.close();
        proxy = null;
        t.join(2000);
      }
    }
  }

  /** "OPTIONS *" (RFC 9112 section 3.2.4) is a question for the server: the origin answers it; "GET *" is malformed. */
  @Test
  void anAsteriskFormOptionsRequestGoesToTheOrigin() throws Exception {
    try (ScriptedOrigin o = new ScriptedOrigin(head -> "HTTP/1.1 200 OK\r\nAllow: GET, HEAD, POST, OPTIONS\r\n"
        + "Content-Length: 0\r\nConnection: close\r\n\r\n")) {
      start(b -> b.origin(o.uri()));
      String r = raw("OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      assertThat(r).startsWith("HTTP/1.1 200 OK\r\n").contains("Allow: GET, HEAD, POST, OPTIONS", "fwd=method");
      assertThat(o.requests).singleElement().asString().startsWith("OPTIONS * HTTP/1.1\r\n");
      assertThat(raw("GET * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 400 ");
      assertThat(o.requests).hasSize(1);
    }
  }

  /** RFC 9110 section 15.5.15: a target longer than the server will interpret is 414, not a malformed request. */
  @Test
  void aTargetLongerThanAKeyIs414() {
    start();
    String target = "/q?" + "a".repeat(io.freshcache.core.CacheKey.MAX_RESOURCE_LENGTH);
    assertThat(raw("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n")).startsWith("HTTP/1.1 414");
    assertThat(raw("GET /a\u0001b HTTP/1.1\r\nHost: a\r\n\r\n")).startsWith("HTTP/1.1 400");
  }

  @Test
  void counters() {
    AtomicInteger n = new AtomicInteger();
    origin.on("/c", r -> TestOrigin.Reply.ok("" + n.incrementAndGet()).header("Cache-Control", "max-age=60"));
    start();
    get("/c");
    get("/c");
    assertThat(proxy.stats()).containsEntry("requests", 2L).containsEntry("hits", 1L)
        .containsEntry("misses", 1L).containsEntry("originRequests", 1L).containsKey("bytesOut");
    assertThat(proxy.invalidateUrl("http://example/c")).isEqualTo(1);
  }
}
