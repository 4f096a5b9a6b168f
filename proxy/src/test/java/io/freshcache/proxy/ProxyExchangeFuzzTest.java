package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;

/**
 * Whole exchanges through a running proxy, chosen by a fuzzer: an origin ({@link TestOrigin}, a real
 * HTTP server) answers a fresh path with a status, fields (Cache-Control and its targeted forms,
 * Expires, Date, Age, Vary, ETag, tag and invalidation fields, Surrogate-Control...) and a body the
 * fuzzer picks, sometimes ESI with an include; a client sends two requests for it with request
 * fields the fuzzer picks (Cache-Control, conditionals, Range, Accept-Encoding, Authorization), the
 * second often conditional on the first's ETag. Oracles, for every response:
 *
 * <ul>
 *   <li>it is well-formed HTTP/1.1 (the JDK client reads it) and carries {@code Cache-Status};
 *   <li>no stack trace in it;
 *   <li>no 5xx unless the origin sent one, asked for ESI (whose errors are 502 by contract) or the
 *       request said only-if-cached (504 when nothing stored may serve it);
 *   <li>a 200 to a plain GET has the origin's body, byte for byte (gunzipped when gzip), and a 206
 *       the slice its Content-Range names.
 * </ul>
 *
 * <p>In {@code mvn test} this runs once per input under
 * {@code src/test/resources/io/freshcache/proxy/ProxyExchangeFuzzTestInputs/}; {@code bash
 * scripts/fuzz.sh} fuzzes it (docs/fuzzing.md).
 */
class ProxyExchangeFuzzTest {
  private static final String[] ORIGIN_FIELDS = EdgeParsersFuzzTest.RESPONSE_FIELDS;
  private static final int[] STATUSES = {200, 200, 200, 200, 203, 204, 301, 404, 410, 500, 503};
  private static final AtomicLong SEQUENCE = new AtomicLong();
  private static TestOrigin origin;
  private static FreshcacheProxy proxy;
  private static HttpClient client;

  private static synchronized void start() throws IOException {
    if (proxy != null) {
      return;
    }
    origin = new TestOrigin().quiet();
    proxy = FreshcacheProxy.start(ProxyConfig.builder(origin.uri())
        .listen(new java.net.InetSocketAddress("127.0.0.1", 0))
        .originConnectTimeout(Duration.ofSeconds(1))
        .originResponseTimeout(Duration.ofSeconds(2))
        .shutdownGrace(Duration.ofMillis(200))
        .userHeader("X-User")
        .ioThreads(1)
        .build());
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
  }

  @AfterAll
  static synchronized void stop() {
    if (proxy != null) {
      proxy.close();
      origin.close();
      proxy = null;
    }
    assertThat(LeakRecorder.collect()).as("Netty leak reports").isEmpty();
  }

  @FuzzTest(maxDuration = "5m")
  void anExchangeThroughTheProxy(FuzzedDataProvider data) throws Exception {
    start();
    String path = "/fz/" + SEQUENCE.incrementAndGet();
    int status = data.pickValue(STATUSES);
    Fields originFields = EdgeParsersFuzzTest.fields(data, ORIGIN_FIELDS);
    boolean esi = data.consumeBoolean();
    byte[] body = data.consumeBytes(data.consumeInt(0, 4096));
    if (esi) {
      body = (new String(body, StandardCharsets.ISO_8859_1) + "<esi:include src=\"" + path + "/inc\" onerror=\"continue\"/>")
          .getBytes(StandardCharsets.ISO_8859_1);
    }
    TestOrigin.Reply reply = TestOrigin.Reply.status(status).body(body);
    reply.header("Content-Type", "text/html");
    for (Fields.Field f : originFields.lines()) {
      reply.header(f.name(), f.value());
    }
    if (esi) {
      reply.header("Surrogate-Control", "content=\"ESI/1.0\"");
      origin.on(path + "/inc", TestOrigin.Reply.ok("included").header("Cache-Control", "max-age=60"));
    }
    origin.on(path, reply);
    boolean mayProcessEsi = esi || originFields.contains("Surrogate-Control");
    byte[] sent = body;

    HttpResponse<byte[]> first = null;
    for (int round = 0; round < 2; round++) {
      Fields requestFields = EdgeParsersFuzzTest.fields(data, EdgeParsersFuzzTest.REQUEST_FIELDS);
      boolean head = data.consumeInt(0, 7) == 0;
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.address().getPort() + path))
          .timeout(Duration.ofSeconds(10))
          .method(head ? "HEAD" : "GET", HttpRequest.BodyPublishers.noBody());
      for (Fields.Field f : requestFields.lines()) {
        b.header(f.name(), f.value());
      }
      if (data.consumeBoolean()) {
        b.header("X-User", data.pickValue(new String[] {"alice", "bob"}));
      }
      String etag = first == null ? null : first.headers().firstValue("ETag").orElse(null);
      if (etag != null && data.consumeBoolean()) {
        b.header("If-None-Match", etag);
      }
      HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      check(r, status, mayProcessEsi, sent, head, requestFields);
      if (first == null) {
        first = r;
      }
    }
  }

  private static void check(HttpResponse<byte[]> r, int originStatus, boolean mayProcessEsi, byte[] sent,
      boolean head, Fields request) throws IOException {
    String what = r.request().method() + " " + r.uri().getPath() + " -> " + r.statusCode() + " " + r.headers().map();
    assertThat(r.headers().firstValue("Cache-Status")).as("Cache-Status of %s", what).isPresent();
    String text = new String(r.body(), StandardCharsets.ISO_8859_1);
    assertThat(text).as("a stack trace in %s", what).doesNotContain("\tat io.").doesNotContain("\tat java.");
    // RFC 9111 section 5.2.1.7: only-if-cached with nothing stored to serve is answered 504.
    boolean onlyIfCached = RequestDirectives.of(request).onlyIfCached();
    if (originStatus < 500 && !mayProcessEsi && !(onlyIfCached && r.statusCode() == 504)) {
      assertThat(r.statusCode()).as("a 5xx the origin did not send: %s %s", what, text).isLessThan(500);
    }
    if (head || mayProcessEsi || request.contains("Range") && r.statusCode() != 206) {
      return;
    }
    String coding = r.headers().firstValue("Content-Encoding").orElse(null);
    byte[] got = r.body();
    if ("gzip".equals(coding)) {
      try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(got))) {
        got = in.readAllBytes();
      }
    } else if (coding != null) {
      return; // br and zstd: core's round-trip tests cover them
    }
    if (r.statusCode() == 200 && originStatus == 200) {
      assertThat(got).as("body of %s", what).isEqualTo(sent);
    } else if (r.statusCode() == 206 && coding == null) {
      String range = r.headers().firstValue("Content-Range").orElseThrow();
      String[] span = range.substring("bytes ".length(), range.indexOf('/')).split("-");
      int from = Integer.parseInt(span[0]);
      int to = Integer.parseInt(span[1]);
      assertThat(got).as("slice of %s", what).isEqualTo(Arrays.copyOfRange(sent, from, to + 1));
    }
  }
}
