package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Concurrent misses on one key make one origin request. */
class CoalescingTest extends ProxyTestSupport {

  @Test
  void fiftyConcurrentMissesOneOriginRequest() {
    origin.on("/slow", TestOrigin.Reply.ok("shared").header("Cache-Control", "max-age=60").delay(500));
    start(b -> b.ioThreads(4));
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      all.add(CompletableFuture.supplyAsync(() -> get("/slow")));
    }
    List<String> statuses = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> f : all) {
      HttpResponse<String> r = f.join();
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("shared");
      statuses.add(header(r, "Cache-Status"));
    }
    assertThat(origin.count("/slow")).isEqualTo(1);
    assertThat(statuses).anyMatch(s -> s.contains("collapsed"));
  }

  /** A response that may not be shared is relayed to the leader only; each waiter asks on its own. */
  @Test
  void uncacheableResponseIsNotSharedWithWaiters() {
    AtomicInteger n = new AtomicInteger();
    origin.on("/mine", r -> TestOrigin.Reply.ok("for " + r.header("X-Who") + " " + n.incrementAndGet())
        .header("Cache-Control", "no-store").delay(300));
    start(b -> b.ioThreads(4));
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      String who = "u" + i;
      all.add(CompletableFuture.supplyAsync(() -> get("/mine", "X-Who", who)));
    }
    for (int i = 0; i < 10; i++) {
      assertThat(all.get(i).join().body()).startsWith("for u" + i + " ");
    }
    // Now it is marked hit-for-pass: no coalescing, straight to the origin.
    HttpResponse<String> later = get("/mine", "X-Who", "z");
    assertThat(header(later, "Cache-Status")).contains("fwd=bypass").contains("hit-for-pass");
  }

  /**
   * The fill asks the origin for identity whatever the client accepts, so an origin's Vary:
   * Accept-Encoding (nginx and Apache send it on nearly everything) selects nothing: one fetch and
   * one entry for every client, and the field is still sent on.
   */
  @Test
  void varyAcceptEncodingMakesOneEntryForEveryCodingAndAColdBurstOneFetch() {
    origin.on("/ae", TestOrigin.Reply.ok("x".repeat(2000)).header("Cache-Control", "max-age=60")
        .header("Vary", "Accept-Encoding").delay(300));
    start(b -> b.ioThreads(4));
    String[] codings = {"gzip", "br, gzip", "gzip, deflate, br, zstd", "identity", "zstd"};
    List<CompletableFuture<HttpResponse<byte[]>>> all = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String coding = codings[i % codings.length];
      all.add(CompletableFuture.supplyAsync(() -> getBytes("/ae", "Accept-Encoding", coding)));
    }
    for (CompletableFuture<HttpResponse<byte[]>> f : all) {
      HttpResponse<byte[]> r = f.join();
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(header(r, "Vary")).containsIgnoringCase("accept-encoding");
    }
    assertThat(origin.count("/ae")).isEqualTo(1);
    assertThat(header(getBytes("/ae", "Accept-Encoding", "deflate"), "Cache-Status")).contains("hit");
    assertThat(origin.count("/ae")).isEqualTo(1);
  }

  /**
   * The first response of a resource that varies teaches its Vary; the requests that waited on it
   * look up again under the key it implies and share one more fetch, rather than each going to the
   * origin.
   */
  @Test
  void aColdBurstOnAResourceThatVariesMakesTwoFetchesNotOnePerRequest() {
    AtomicInteger n = new AtomicInteger();
    origin.on("/lang", r -> TestOrigin.Reply.ok(r.header("Accept-Language") + " " + n.incrementAndGet())
        .header("Cache-Control", "max-age=60").header("Vary", "Accept-Language").delay(300));
    start(b -> b.ioThreads(4));
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      all.add(CompletableFuture.supplyAsync(() -> get("/lang", "Accept-Language", "fr")));
    }
    for (CompletableFuture<HttpResponse<String>> f : all) {
      assertThat(f.join().body()).startsWith("fr ");
    }
    assertThat(origin.count("/lang")).isEqualTo(2);
    assertThat(get("/lang", "Accept-Language", "de").body()).isEqualTo("de 3");
    assertThat(get("/lang", "Accept-Language", "fr").body()).isEqualTo("fr 2");
  }
}
