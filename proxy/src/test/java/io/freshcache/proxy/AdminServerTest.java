package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.freshcache.core.CacheKey;
import io.freshcache.core.Content;
import io.freshcache.core.Freshcache;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The admin API over real sockets: an {@link AdminServer} on an ephemeral loopback port. */
class AdminServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "s3cret-token";
  /** A request body one tag over the admin API's limit. */
  private static final String OVERSIZED_JSON = "{\"tags\":[\"" + "a".repeat(AdminServer.MAX_BODY_BYTES) + "\"]}";

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Freshcache cache = Freshcache.builder().build();
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final FakeActions actions = new FakeActions();
  private AdminServer server;

  /** Records URLs; removes 2 entries per URL; its counters are fixed. */
  static final class FakeActions implements AdminActions {
    final List<String> urls = Collections.synchronizedList(new ArrayList<>());
    volatile RuntimeException failUrls;
    volatile RuntimeException failStats;

    @Override
    public int invalidateUrl(String url) {
      if (failUrls != null) {
        throw failUrls;
      }
      urls.add(url);
      return 2;
    }

    @Override
    public Map<String, Object> proxyStats() {
      if (failStats != null) {
        throw failStats;
      }
      return Map.of("requests", 42, "originErrors", 1);
    }
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    cache.close();
  }

  private AdminServer start(String token) {
    cache.bindTo(registry);
    ProxyConfig config = ProxyConfig.builder(URI.create("http://127.0.0.1:1"))
        .admin(new InetSocketAddress("127.0.0.1", 0))
        .adminToken(token)
        .build();
    server = new AdminServer(config, cache, registry, actions).start();
    return server;
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.localAddress().getPort() + path);
  }

  private HttpResponse<String> post(String path, String json, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET();
    if (headers.length > 0) {
      b.headers(headers);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Renders (or hits) a page depending on {@code tag}; counts renders. */
  private String page(String resource, String tag, AtomicInteger renders) {
    return new String(cache.get(CacheKey.of(resource), ctx -> {
      ctx.dependsOn(tag);
      return Content.text(resource + " #" + renders.incrementAndGet());
    }).body(), StandardCharsets.UTF_8);
  }

  private static String error(HttpResponse<String> r) throws IOException {
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode node = JSON.readTree(r.body());
    assertThat(node.size()).as("only an error field: %s", r.body()).isEqualTo(1);
    assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ");
    return node.get("error").asText();
  }

  // ---------------------------------------------------------------- invalidation

  @Test
  void tagInvalidationMakesTheEntryRenderAgain() throws Exception {
    start(null);
    AtomicInteger renders = new AtomicInteger();
    assertThat(page("/a", "page:A", renders)).isEqualTo("/a #1");
    assertThat(page("/a", "page:A", renders)).isEqualTo("/a #1"); // a hit

    HttpResponse<String> r = post("/invalidate", "{\"tags\":[\"page:A\"]}");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.get("tags").asInt()).isEqualTo(1);
    assertThat(body.get("prefixes").asInt()).isZero();
    assertThat(body.get("urls").asInt()).isZero();
    assertThat(body.get("removed").asInt()).isZero();
    assertThat(body.get("tookMicros").isIntegralNumber()).isTrue();
    assertThat(page("/a", "page:A", renders)).isEqualTo("/a #2");
  }

  @Test
  void prefixInvalidatesEveryTagBelowIt() throws Exception {
    start(null);
    AtomicInteger alpha = new AtomicInteger();
    AtomicInteger home = new AtomicInteger();
    page("/alpha", "page:Projects/Alpha", alpha);
    page("/home", "page:Home", home);

    HttpResponse<String> r = post("/invalidate", "{\"prefixes\":[\"page:Projects/\"]}");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(r.body()).get("prefixes").asInt()).isEqualTo(1);
    assertThat(page("/alpha", "page:Projects/Alpha", alpha)).isEqualTo("/alpha #2");
    assertThat(page("/home", "page:Home", home)).isEqualTo("/home #1");
  }

  @Test
  void urlsReachTheDataPathAndTheirRemovalsAreCounted() throws Exception {
    start(null);

    HttpResponse<String> r = post("/invalidate",
        "{\"urls\":[\"/wiki/Home?action=print\", \"http://example.org/wiki/Alpha\"], \"tags\":[], \"prefixes\":null}");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(actions.urls).containsExactly("/wiki/Home?action=print", "http://example.org/wiki/Alpha");
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.get("urls").asInt()).isEqualTo(2);
    assertThat(body.get("removed").asInt()).isEqualTo(4);
  }

  @Test
  void malformedTagIsRefusedAndNothingIsInvalidated() throws Exception {
    start(null);
    AtomicInteger renders = new AtomicInteger();
    page("/a", "page:A", renders);

    HttpResponse<String> r = post("/invalidate",
        "{\"tags\":[\"page:A\", \"page:has space\"], \"prefixes\":[\"page:\"], \"urls\":[\"/a\"]}");

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(error(r)).startsWith("tags[1]: ").contains("page:has space");
    assertThat(page("/a", "page:A", renders)).as("still cached").isEqualTo("/a #1");
    assertThat(actions.urls).isEmpty();
    assertThat(cache.stats().invalidations()).isZero();
  }

  /** A lone UTF-16 surrogate is no character: encoded it becomes '?', and two tags would become one. */
  @Test
  void tagsAndPrefixesWithALoneSurrogateAre400() throws Exception {
    start(null);
    HttpResponse<String> tag = post("/invalidate", "{\"tags\":[\"page:A\\ud800\"]}");
    assertThat(tag.statusCode()).isEqualTo(400);
    assertThat(error(tag))
        .isEqualTo("tags[0]: tag 'page:A?': unpaired surrogate U+D800 at 6 (expected: well-formed Unicode text)");
    HttpResponse<String> prefix = post("/invalidate", "{\"prefixes\":[\"page:\\udc00\"]}");
    assertThat(prefix.statusCode()).isEqualTo(400);
    assertThat(error(prefix)).startsWith("prefixes[0]: 'page:?' ");
    assertThat(post("/invalidate", "{\"tags\":[\"page:\\ud83d\\ude00\"]}").statusCode()).as("a pair is fine")
        .isEqualTo(200);
    assertThat(cache.stats().invalidations()).isEqualTo(1);
  }

  @Test
  void badUrlAfterGoodTagsInvalidatesNothing() throws Exception {
    start(null);
    AtomicInteger renders = new AtomicInteger();
    page("/a", "page:A", renders);

    HttpResponse<String> r = post("/invalidate", "{\"tags\":[\"page:A\"], \"urls\":[\"/ok\", \"ftp://x/y\"]}");

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(error(r)).startsWith("urls[1]: 'ftp://x/y'");
    assertThat(page("/a", "page:A", renders)).isEqualTo("/a #1");
    assertThat(actions.urls).isEmpty();
  }

  @Test
  void patternInTagsPointsToPrefixes() throws Exception {
    start(null);

    HttpResponse<String> r = post("/invalidate", "{\"tags\":[\"page:Projects/**\"]}");

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(error(r)).isEqualTo("tags[0]: 'page:Projects/**' is a pattern (expected: an exact tag; "
        + "to invalidate a subtree put 'page:Projects/' in \"prefixes\")");
  }

  @Test
  void badJsonIsA400() throws Exception {
    start(null);

    assertThat(error(post("/invalidate", "{\"tags\": [\"page:A\"")))
        .startsWith("body: not valid JSON: ").contains("line 1");
    assertThat(error(post("/invalidate", ""))).startsWith("body: empty");
    assertThat(error(post("/invalidate", "[\"page:A\"]"))).startsWith("body: a JSON array");
    assertThat(error(post("/invalidate", "{\"tags\":[]} {}"))).startsWith("body: not valid JSON");
    assertThat(error(post("/invalidate", "{\"tags\":[], \"tags\":[\"x\"]}"))).contains("Duplicate field 'tags'");
    assertThat(post("/invalidate", "{").statusCode()).isEqualTo(400);
  }

  @Test
  void unknownFieldsAndWrongTypesAre400() throws Exception {
    start(null);

    assertThat(error(post("/invalidate", "{\"tag\":[\"page:A\"]}")))
        .isEqualTo("unknown field 'tag' (expected: tags, prefixes, urls)");
    assertThat(error(post("/invalidate", "{\"tags\":\"page:A\"}")))
        .isEqualTo("tags: a JSON string (expected: an array of strings)");
    assertThat(error(post("/invalidate", "{\"tags\":[5]}"))).isEqualTo("tags[0]: a JSON number (expected: a string)");
    assertThat(error(post("/invalidate", "{\"urls\":[null]}"))).isEqualTo("urls[0]: a JSON null (expected: a string)");
    assertThat(error(post("/invalidate", "{\"prefixes\":{}}")))
        .isEqualTo("prefixes: a JSON object (expected: an array of strings)");
    assertThat(actions.urls).isEmpty();
    assertThat(cache.stats().invalidations()).isZero();
  }

  @Test
  void tooManyItemsIs413() throws Exception {
    start(null);
    StringBuilder json = new StringBuilder("{\"tags\":[");
    for (int i = 0; i <= AdminServer.MAX_ITEMS; i++) {
      json.append(i == 0 ? "" : ",").append("\"t").append(i % 10).append('"');
    }
    json.append("]}");
    assertThat(json.length()).isLessThan(AdminServer.MAX_BODY_BYTES);

    HttpResponse<String> r = post("/invalidate", json.toString());

    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(error(r)).startsWith("items: 10001 (expected: at most 10000 ");
    assertThat(cache.stats().invalidations()).isZero();
  }

  @Test
  void bodyOverTheLimitIs413WithAJsonError() throws Exception {
    start(null);

    HttpResponse<String> r = post("/invalidate", OVERSIZED_JSON);

    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(error(r)).startsWith("body: larger than 65536 bytes");
    // The connection (or a new one) still serves.
    assertThat(get("/health").statusCode()).isEqualTo(200);
  }

  /** The limit is only told to those allowed to send a body: without the token an oversized body is 401. */
  @Test
  void anOversizedBodyWithoutTheTokenIs401Not413() throws Exception {
    start(TOKEN);
    HttpResponse<String> anonymous = post("/invalidate", OVERSIZED_JSON);
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"freshcache-admin\"");
    assertThat(post("/invalidate", OVERSIZED_JSON, "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
    HttpResponse<String> allowed = post("/invalidate", OVERSIZED_JSON, "Authorization", "Bearer " + TOKEN);
    assertThat(allowed.statusCode()).isEqualTo(413);
    assertThat(error(allowed)).startsWith("body: larger than 65536 bytes");
  }

  /** RFC 9112 section 3.2: an HTTP/1.1 request without exactly one Host is 400, whatever its path. */
  @Test
  void anHttp11RequestWithoutExactlyOneHostIs400() throws Exception {
    start(null);
    assertThat(raw("GET /health HTTP/1.1\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 400 ")
        .contains("host: missing (expected: exactly one Host field in an HTTP/1.1 request)");
    assertThat(raw("GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
        .startsWith("HTTP/1.1 400 ").contains("host: 2 Host fields");
    assertThat(raw("GET /health HTTP/1.0\r\n\r\n")).as("HTTP/1.0 has no Host requirement").startsWith("HTTP/1.1 200 ");
    assertThat(raw("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 200 ");
  }

  @Test
  void invalidateNeedsJsonAndPost() throws Exception {
    start(null);

    HttpResponse<String> wrongType = client.send(HttpRequest.newBuilder(uri("/invalidate"))
        .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("{\"tags\":[\"page:A\"]}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(wrongType.statusCode()).isEqualTo(415);
    assertThat(error(wrongType)).isEqualTo("content-type: 'text/plain' (expected: application/json)");
    assertThat(post("/invalidate", "{}", "Content-Type", "application/json; charset=utf-8").statusCode())
        .isEqualTo(200);

    HttpResponse<String> viaGet = get("/invalidate");
    assertThat(viaGet.statusCode()).isEqualTo(405);
    assertThat(viaGet.headers().firstValue("Allow")).hasValue("POST");
    assertThat(error(viaGet)).isEqualTo("method: GET (expected: POST)");
  }

  @Test
  void failingDataPathIs500WithoutAStackTrace() throws Exception {
    start(null);
    actions.failUrls = new IllegalStateException("store on fire");

    HttpResponse<String> r = post("/invalidate", "{\"tags\":[\"page:A\"], \"urls\":[\"/a\"]}");

    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(error(r)).isEqualTo("urls[0]: failed (see the proxy's log); the tags, the prefixes and the 0 urls "
        + "before it were invalidated").doesNotContain("store on fire");
  }

  // ---------------------------------------------------------------- authorization

  @Test
  void tokenIsRequiredWhenConfigured() throws Exception {
    start(TOKEN);

    HttpResponse<String> none = post("/invalidate", "{\"tags\":[\"page:A\"]}");
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"freshcache-admin\"");
    assertThat(error(none)).startsWith("unauthorized");

    HttpResponse<String> wrong = post("/invalidate", "{\"tags\":[\"page:A\"]}", "Authorization", "Bearer nope");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.headers().firstValue("WWW-Authenticate")).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .startsWith("Bearer ").contains("error=\"invalid_token\"");
    assertThat(post("/invalidate", "{}", "Authorization", "Bearer " + TOKEN + "x").statusCode()).isEqualTo(401);
    assertThat(post("/invalidate", "{}", "Authorization", "Basic " + TOKEN).statusCode()).isEqualTo(401);
    assertThat(get("/stats").statusCode()).isEqualTo(401);
    assertThat(get("/metrics", "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
    assertThat(get("/nowhere").statusCode()).as("no route listing before authorization").isEqualTo(401);
    assertThat(cache.stats().invalidations()).isZero();

    assertThat(post("/invalidate", "{\"tags\":[\"page:A\"]}", "Authorization", "Bearer " + TOKEN).statusCode())
        .isEqualTo(200);
    assertThat(get("/stats", "Authorization", "bearer " + TOKEN).statusCode()).as("scheme is case-insensitive")
        .isEqualTo(200);
    assertThat(get("/health").statusCode()).as("health needs no token").isEqualTo(200);
  }

  @Test
  void withoutATokenOnlyLoopbackHostsAreServed() throws Exception {
    start(null);
    int port = server.localAddress().getPort();

    String rebound = raw("GET /stats HTTP/1.1\r\nHost: attacker.example:" + port + "\r\nConnection: close\r\n\r\n");
    assertThat(rebound).startsWith("HTTP/1.1 403 ").contains("\"error\":\"host: 'attacker.example:" + port + "'");
    assertThat(raw("GET /stats HTTP/1.1\r\nHost: localhost:" + port + "\r\nConnection: close\r\n\r\n"))
        .startsWith("HTTP/1.1 200 ");
    assertThat(raw("GET /stats HTTP/1.1\r\nHost: [::1]:" + port + "\r\nConnection: close\r\n\r\n"))
        .startsWith("HTTP/1.1 200 ");
  }

  @Test
  void nonLoopbackAdminNeedsAToken() {
    assertThatThrownBy(() -> ProxyConfig.builder(URI.create("http://127.0.0.1:3000"))
        .admin(new InetSocketAddress("0.0.0.0", 9090)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("admin: 0.0.0.0:9090 is not a loopback address and no admin token is set");
    ProxyConfig ok = ProxyConfig.builder(URI.create("http://127.0.0.1:3000"))
        .admin(new InetSocketAddress("0.0.0.0", 9090)).adminToken(TOKEN).build();
    assertThat(ok.adminToken()).isEqualTo(TOKEN);
  }

  // ---------------------------------------------------------------- reading

  @Test
  void statsAreJsonWithTheCacheAndTheProxyCounters() throws Exception {
    start(null);
    AtomicInteger renders = new AtomicInteger();
    page("/a", "page:A", renders);
    page("/a", "page:A", renders);

    HttpResponse<String> r = get("/stats");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    JsonNode stats = JSON.readTree(r.body());
    assertThat(stats.at("/cache/hits").asLong()).isEqualTo(1);
    assertThat(stats.at("/cache/misses").asLong()).isEqualTo(1);
    assertThat(stats.at("/cache/renders").asLong()).isEqualTo(1);
    assertThat(stats.at("/cache/entryCount").asLong()).isEqualTo(1);
    assertThat(stats.at("/cache/hitRate").asDouble()).isEqualTo(0.5);
    assertThat(stats.at("/proxy/requests").asInt()).isEqualTo(42);

    actions.failStats = new IllegalStateException("counters gone");
    JsonNode degraded = JSON.readTree(get("/stats").body());
    assertThat(degraded.at("/cache/hits").asLong()).isEqualTo(1);
    assertThat(degraded.get("proxy").size()).isZero();
  }

  @Test
  void metricsArePrometheusText() throws Exception {
    start(null);
    page("/a", "page:A", new AtomicInteger());

    HttpResponse<String> r = get("/metrics");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
    assertThat(r.body()).contains("freshcache_lookups").containsPattern("(?m)^freshcache_lookups_total\\{result=\"miss\"} 1");
  }

  @Test
  void healthUnknownPathsAndMethods() throws Exception {
    start(null);

    HttpResponse<String> health = get("/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("ok\n");

    HttpResponse<String> missing = get("/nowhere?x=1");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(error(missing)).startsWith("not found: /nowhere (expected: POST /invalidate");

    HttpResponse<String> postStats = post("/stats", "{}");
    assertThat(postStats.statusCode()).isEqualTo(405);
    assertThat(postStats.headers().firstValue("Allow")).hasValue("GET, HEAD");

    HttpResponse<Void> head = client.send(HttpRequest.newBuilder(uri("/health"))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue("Content-Length")).hasValue("3");
  }

  @Test
  void garbageIsA400AndCloses() throws Exception {
    start(null);

    assertThat(raw("BLAH\r\n\r\n")).startsWith("HTTP/1.1 400 ").contains("connection: close")
        .contains("{\"error\":\"request: not valid HTTP/1.1");
  }

  // ---------------------------------------------------------------- lifecycle

  @Test
  void busyPortIsNamedInTheError() {
    start(null);
    int port = server.localAddress().getPort();
    ProxyConfig taken = ProxyConfig.builder(URI.create("http://127.0.0.1:1"))
        .admin(new InetSocketAddress("127.0.0.1", port)).build();
    AdminServer second = new AdminServer(taken, cache, registry, actions);

    assertThatThrownBy(second::start).isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("admin: cannot listen on 127.0.0.1:" + port + ": ");
  }

  @Test
  void needsAnAdminAddress() {
    ProxyConfig none = ProxyConfig.builder(URI.create("http://127.0.0.1:1")).build();

    assertThatThrownBy(() -> new AdminServer(none, cache, registry, actions))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("admin: none (expected: an admin address in the ProxyConfig)");
  }

  @Test
  void closeStopsListening() throws Exception {
    start(null);
    int port = server.localAddress().getPort();

    server.close();

    assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(IOException.class);
    server = null;
  }

  /** Sends raw bytes, returns everything the server answers until it closes. */
  private String raw(String request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", server.localAddress().getPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      in.transferTo(buf);
      return buf.toString(StandardCharsets.UTF_8);
    }
  }
}
