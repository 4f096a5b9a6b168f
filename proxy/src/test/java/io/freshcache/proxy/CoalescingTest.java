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
}
