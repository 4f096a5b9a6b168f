package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Tags from the origin, Cache-Invalidate, and invalidation by unsafe methods (RFC 9111 section 4.4). */
class InvalidationHeadersTest extends ProxyTestSupport {

  @Test
  void cacheInvalidateOnAnyResponseInvalidatesTaggedEntries() {
    AtomicInteger version = new AtomicInteger(1);
    origin.on("/wiki/Alpha", r -> TestOrigin.Reply.ok("alpha v" + version.get())
        .header("Cache-Control", "max-age=600").header("Surrogate-Key", "page:Alpha page:Projects/Alpha"));
    origin.on("/edit", r -> {
      version.incrementAndGet();
      return TestOrigin.Reply.ok("saved").header("Cache-Invalidate", "page:Alpha, not a tag!!, page:Other/**");
    });
    start();
    assertThat(get("/wiki/Alpha").body()).isEqualTo("alpha v1");
    assertThat(get("/wiki/Alpha").body()).isEqualTo("alpha v1");
    HttpResponse<String> post = send(HttpRequest.newBuilder(url("/edit")).POST(HttpRequest.BodyPublishers.ofString("x")));
    assertThat(post.body()).isEqualTo("saved");
    assertThat(header(post, "Cache-Invalidate")).isNull();
    assertThat(get("/wiki/Alpha").body()).isEqualTo("alpha v2");
  }

  /** More tags than one response may depend on are still all invalidated: none is dropped. */
  @Test
  void aCacheInvalidateNamingThreeHundredTagsInvalidatesEveryOne() {
    AtomicInteger version = new AtomicInteger(1);
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      int n = i;
      origin.on("/m/" + i, r -> TestOrigin.Reply.ok("m" + n + " v" + version.get())
          .header("Cache-Control", "max-age=600").header("Cache-Tag", "t" + n));
      all.append(i == 0 ? "" : ", ").append("t").append(i);
    }
    origin.on("/bulk-edit", r -> {
      version.incrementAndGet();
      return TestOrigin.Reply.ok("saved").header("Cache-Invalidate", all.toString());
    });
    start();
    for (int i = 0; i < 300; i++) {
      assertThat(get("/m/" + i).body()).isEqualTo("m" + i + " v1");
    }
    send(HttpRequest.newBuilder(url("/bulk-edit")).POST(HttpRequest.BodyPublishers.ofString("x")));
    for (int i = 0; i < 300; i++) {
      assertThat(get("/m/" + i).body()).as("/m/" + i).isEqualTo("m" + i + " v2");
    }
  }

  @Test
  void prefixInvalidation() {
    AtomicInteger version = new AtomicInteger(1);
    origin.on("/wiki/Projects/Beta", r -> TestOrigin.Reply.ok("beta v" + version.get())
        .header("Cache-Control", "max-age=600").header("Cache-Tag", "page:Projects/Beta"));
    origin.on("/rename", r -> {
      version.incrementAndGet();
      return TestOrigin.Reply.ok("ok").header("Cache-Invalidate", "page:Projects/**");
    });
    start();
    assertThat(get("/wiki/Projects/Beta").body()).isEqualTo("beta v1");
    send(HttpRequest.newBuilder(url("/rename")).POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(get("/wiki/Projects/Beta").body()).isEqualTo("beta v2");
  }

  @Test
  void successfulUnsafeMethodInvalidatesTargetAndLocation() {
    AtomicInteger version = new AtomicInteger(1);
    origin.on("/doc", r -> {
      if (r.method().equals("PUT")) {
        version.incrementAndGet();
        return TestOrigin.Reply.status(204).header("Location", "/doc/list");
      }
      return TestOrigin.Reply.ok("doc v" + version.get()).header("Cache-Control", "max-age=600");
    });
    origin.on("/doc/list", r -> TestOrigin.Reply.ok("list v" + version.get()).header("Cache-Control", "max-age=600"));
    start();
    assertThat(get("/doc").body()).isEqualTo("doc v1");
    assertThat(get("/doc/list").body()).isEqualTo("list v1");
    send(HttpRequest.newBuilder(url("/doc")).PUT(HttpRequest.BodyPublishers.ofString("new")));
    assertThat(get("/doc").body()).isEqualTo("doc v2");
    assertThat(get("/doc/list").body()).isEqualTo("list v2");
  }

  @Test
  void failedUnsafeMethodDoesNotInvalidate() {
    origin.on("/keep", r -> r.method().equals("POST") ? TestOrigin.Reply.status(403).body("no")
        : TestOrigin.Reply.ok("kept").header("Cache-Control", "max-age=600"));
    start();
    get("/keep");
    send(HttpRequest.newBuilder(url("/keep")).POST(HttpRequest.BodyPublishers.ofString("x")));
    assertThat(header(get("/keep"), "Cache-Status")).contains("hit");
  }

  /**
   * Guarantee 3 (read your writes) under load: while 8 threads hammer the page, a writer's POST
   * (answered with Cache-Invalidate, or a plain POST to the page itself) followed at once by its
   * GET sees the new content, 100 times out of 100.
   */
  @Test
  void writerSeesItsChangeUnderConcurrentLoad() throws Exception {
    AtomicInteger version = new AtomicInteger();
    origin.on("/page", r -> {
      if (r.method().equals("POST")) {
        int v = version.incrementAndGet();
        return TestOrigin.Reply.ok("saved " + v);
      }
      return TestOrigin.Reply.ok("v" + version.get())
          .header("Cache-Control", "max-age=600, stale-while-revalidate=600").header("Cache-Tag", "page:P");
    });
    origin.on("/save", r -> {
      int v = version.incrementAndGet();
      return TestOrigin.Reply.ok("saved " + v).header("Cache-Invalidate", "page:P");
    });
    start(b -> b.ioThreads(4));
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> readers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      readers.add(pool.submit(() -> {
        while (!stop.get()) {
          get("/page");
        }
      }));
    }
    try {
      for (int i = 0; i < 100; i++) {
        HttpResponse<String> w = i % 2 == 0
            ? send(HttpRequest.newBuilder(url("/save")).POST(HttpRequest.BodyPublishers.ofString("x")))
            : send(HttpRequest.newBuilder(url("/page")).POST(HttpRequest.BodyPublishers.ofString("x")));
        String written = w.body().substring("saved ".length());
        String read = get("/page").body();
        assertThat(Integer.parseInt(read.substring(1))).as("try %d", i).isGreaterThanOrEqualTo(Integer.parseInt(written));
      }
    } finally {
      stop.set(true);
      pool.shutdown();
      for (Future<?> f : readers) {
        f.get();
      }
    }
  }
}
