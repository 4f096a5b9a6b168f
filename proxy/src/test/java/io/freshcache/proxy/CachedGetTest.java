package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CachedGetTest extends ProxyTestSupport {

  @Test
  void missThenHit() {
    origin.on("/a", TestOrigin.Reply.ok("hello").header("Cache-Control", "max-age=60").header("Cache-Tag", "page:A"));
    start();
    HttpResponse<String> first = get("/a");
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.body()).isEqualTo("hello");
    assertThat(header(first, "Cache-Status")).isEqualTo("Freshcache; fwd=uri-miss; stored");
    assertThat(header(first, "Cache-Tag")).isNull();
    assertThat(header(first, "Via")).isEqualTo("1.1 freshcache");
    assertThat(header(first, "ETag")).startsWith("\"");

    HttpResponse<String> second = get("/a");
    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(second.body()).isEqualTo("hello");
    assertThat(header(second, "Cache-Status")).startsWith("Freshcache; hit; ttl=");
    assertThat(header(second, "Age")).isEqualTo("0");
    assertThat(header(second, "Content-Type")).isEqualTo("text/plain; charset=utf-8");
    assertThat(header(second, "ETag")).isEqualTo(header(first, "ETag"));
    assertThat(origin.count("/a")).isEqualTo(1);
    assertThat(proxy.stats()).containsEntry("hits", 1L).containsEntry("misses", 1L);
  }

  /** Both transports serve the same: nio is the default, epoll the option (nio where it is missing). */
  @ParameterizedTest
  @ValueSource(strings = {"nio", "epoll"})
  void eachTransportServesMissesAndHitsIncludingLargeBodies(String transport) {
    String big = "0123456789abcdef".repeat(8 * 1024); // 128 KiB: sent from a body file on a hit
    origin.on("/t", TestOrigin.Reply.ok(big).header("Cache-Control", "max-age=60"));
    start(b -> b.transport(transport));
    assertThat(get("/t").body()).isEqualTo(big);
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> hit = get("/t", "Accept-Encoding", "identity");
      assertThat(header(hit, "Cache-Status")).contains("hit");
      assertThat(hit.body()).isEqualTo(big);
    }
    assertThat(origin.count("/t")).isEqualTo(1);
  }

  @Test
  void anUnknownTransportIsRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> config().transport("kqueue").build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("transport: kqueue (expected: nio or epoll)");
  }

  /**
   * The cache key holds no Host, so nothing the client says about the host or URL it used may reach
   * the origin: an origin that built links from it would store the attacker's host for everyone.
   */
  @Test
  void forwardsTheOriginsHostAndNoneOfTheClientsRoutingFields() {
    origin.on("/h", TestOrigin.Reply.ok("x").header("Cache-Control", "max-age=60"));
    start();
    send(java.net.http.HttpRequest.newBuilder(url("/h")).GET(), "X-Forwarded-Host", "evil.example",
        "Forwarded", "host=evil.example", "X-Original-URL", "/admin", "X-Forwarded-Port", "1");
    TestOrigin.Received r = origin.last("/h");
    assertThat(r.header("Host")).isEqualTo(origin.uri().getAuthority());
    for (String field : new String[] {"X-Forwarded-Host", "Forwarded", "X-Original-URL", "X-Forwarded-Port"}) {
      assertThat(r.header(field)).as(field).isNull();
    }
    assertThat(r.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
    assertThat(r.header("Via")).isEqualTo("1.1 freshcache");
    assertThat(r.header("Accept-Encoding")).isEqualTo("identity");
  }

  /**
   * The cache key is the normalized path, so the origin must be asked for that path: were it sent
   * the target as written, whatever the origin answers for '/d/./x/../Home' would be stored as
   * '/d/Home' for everyone.
   */
  @Test
  void theOriginIsAskedForTheNormalizedPathTheEntryIsStoredUnder() {
    origin.on("/d/Home", TestOrigin.Reply.ok("home").header("Cache-Control", "max-age=60"));
    origin.onPrefix("/d/", r -> TestOrigin.Reply.ok("not home: " + r.uri()).header("Cache-Control", "max-age=60"));
    start();
    String raw = raw("GET /d/./x/../%48ome HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assertThat(raw).startsWith("HTTP/1.1 200").endsWith("\r\n\r\nhome");
    assertThat(origin.received).extracting(TestOrigin.Received::uri).containsExactly("/d/Home");
    assertThat(get("/d/Home").body()).isEqualTo("home");
    assertThat(header(get("/d/Home"), "Cache-Status")).contains("hit");
  }

  /** Java's HttpClient offers HTTP/2 by default ({@code Upgrade: h2c}); declining it must not bypass the cache. */
  @Test
  void anH2cUpgradeOfferIsDeclinedAndTheCacheStillServes() throws Exception {
    origin.on("/u", TestOrigin.Reply.ok("up").header("Cache-Control", "max-age=60"));
    start();
    java.net.http.HttpClient h2 = java.net.http.HttpClient.newHttpClient(); // HTTP_2 preferred: sends the offer
    for (int i = 0; i < 2; i++) {
      HttpResponse<String> r = h2.send(java.net.http.HttpRequest.newBuilder(url("/u")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_1_1);
      assertThat(r.body()).isEqualTo("up");
      assertThat(header(r, "Cache-Status")).startsWith(i == 0 ? "Freshcache; fwd=uri-miss" : "Freshcache; hit");
    }
    assertThat(origin.count("/u")).isEqualTo(1);
    assertThat(origin.last("/u").header("Upgrade")).isNull();
  }
}
