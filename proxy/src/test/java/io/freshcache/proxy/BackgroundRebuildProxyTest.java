package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The rebuild policy in the proxy (issue 4, part 1): invalidated public entries fetched again in the background. */
class BackgroundRebuildProxyTest extends ProxyTestSupport {

  @Test
  void anInvalidatedPageIsFetchedAgainWithoutAClientAndTheNextRequestHits() {
    AtomicInteger version = new AtomicInteger(1);
    origin.on("/wiki/A", r -> TestOrigin.Reply.ok("A v" + version.get())
        .header("Cache-Control", "public, s-maxage=3600").header("Cache-Tag", "page:A"));
    origin.on("/edit", r -> TestOrigin.Reply.status(204).header("Cache-Invalidate", "page:A"));
    start(b -> b.rebuild(List.of("/wiki/**")));
    assertThat(get("/wiki/A").body()).isEqualTo("A v1");
    version.set(2);
    send(java.net.http.HttpRequest.newBuilder(url("/edit")).POST(java.net.http.HttpRequest.BodyPublishers.noBody()));
    await(() -> origin.count("/wiki/A") == 2 && proxy.cache().rebuildsPending() == 0, "the background rebuild");
    HttpResponse<String> next = get("/wiki/A");
    assertThat(next.body()).isEqualTo("A v2");
    assertThat(header(next, "Cache-Status")).startsWith("Freshcache; hit");
    assertThat(origin.count("/wiki/A")).isEqualTo(2);
    assertThat(proxy.cache().stats().rebuilds()).isEqualTo(1);
  }

  @Test
  void theRebuildSendsNeitherTheClientsCookieNorItsConditions() {
    origin.on("/wiki/C", r -> TestOrigin.Reply.ok("C").header("Cache-Control", "public, s-maxage=3600")
        .header("Cache-Tag", "page:C"));
    start(b -> b.rebuild(List.of("/wiki/*")));
    get("/wiki/C", "Cookie", "session=secret", "Authorization", "Bearer t");
    proxy.cache().invalidate("page:C");
    await(() -> origin.count("/wiki/C") == 2, "the background rebuild");
    TestOrigin.Received rebuild = origin.last("/wiki/C");
    assertThat(rebuild.header("Cookie")).isNull();
    assertThat(rebuild.header("Authorization")).isNull();
  }

  @Test
  void pathsOutsideThePolicyAreOnlyEvicted() throws InterruptedException {
    origin.on("/other", r -> TestOrigin.Reply.ok("o").header("Cache-Control", "public, s-maxage=3600")
        .header("Cache-Tag", "t"));
    start(b -> b.rebuild(List.of("/wiki/**")));
    get("/other");
    proxy.cache().invalidate("t");
    Thread.sleep(300); // nothing should happen; a rebuild would have fetched by now
    assertThat(origin.count("/other")).isEqualTo(1);
    assertThat(header(get("/other"), "Cache-Status")).contains("fwd=");
  }

  @Test
  void withStaleWhileRebuildOtherClientsGetTheOldCopyButTheWriterWaits() {
    AtomicInteger version = new AtomicInteger(1);
    origin.on("/wiki/S", r -> TestOrigin.Reply.ok("S v" + version.get()).delay(version.get() == 2 ? 800 : 0)
        .header("Cache-Control", "public, s-maxage=3600").header("Cache-Tag", "page:S"));
    origin.on("/save", r -> TestOrigin.Reply.status(204).header("Cache-Invalidate", "page:S"));
    start(b -> b.rebuild(List.of("/wiki/**")).staleWhileRebuild(true).userCookie("who"));
    assertThat(get("/wiki/S", "Cookie", "who=bob").body()).isEqualTo("S v1");
    version.set(2);
    send(java.net.http.HttpRequest.newBuilder(url("/save")).POST(java.net.http.HttpRequest.BodyPublishers.noBody()),
        "Cookie", "who=alice");
    await(() -> proxy.cache().rebuildsPending() == 1 && origin.count("/wiki/S") == 2, "the rebuild to be running");
    // bob did not write: he may be served the invalidated copy while the (slow) rebuild runs
    HttpResponse<String> bob = get("/wiki/S", "Cookie", "who=bob");
    assertThat(bob.body()).isEqualTo("S v1");
    // alice wrote: she waits for the rebuild and reads her write
    HttpResponse<String> alice = get("/wiki/S", "Cookie", "who=alice");
    assertThat(alice.body()).isEqualTo("S v2");
  }
}
