package io.freshcache.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.freshcache.testkit.FakeClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The rebuild policy: invalidated entries rendered again in the background (issue 4, part 1). */
class BackgroundRebuildTest {
  private final List<CacheEvent> events = new CopyOnWriteArrayList<>();
  private final FakeClock clock = new FakeClock();
  private Freshcache cache;

  @AfterEach
  void close() {
    if (cache != null) {
      cache.close();
    }
  }

  private Freshcache build(FreshcacheBuilder b) {
    cache = b.clock(clock.as(Clock.class)).executor(Runnable::run).listener(events::add).build();
    return cache;
  }

  private List<CacheEvent> eventsOf(String resource, Class<? extends CacheEvent> type) {
    return events.stream().filter(e -> e.key().resource().equals(resource) && type.isInstance(e)).toList();
  }

  @Test
  void anInvalidatedEntryIsRenderedAgainWithoutAReaderAndTheNextReadHits() {
    build(Freshcache.builder().rebuild(k -> k.resource().startsWith("/wiki/")));
    AtomicInteger version = new AtomicInteger(1);
    AtomicInteger renders = new AtomicInteger();
    Renderer r = ctx -> {
      renders.incrementAndGet();
      ctx.dependsOn("page:A");
      return Content.html("A v" + version.get());
    };
    cache.get(CacheKey.of("/wiki/A"), r);
    version.set(2);
    cache.invalidate("page:A");
    await().atMost(Duration.ofSeconds(10)).until(() -> renders.get() == 2 && cache.rebuildsPending() == 0);
    Page p = cache.get(CacheKey.of("/wiki/A"), ctx -> {
      throw new AssertionError("the rebuild should have rendered it");
    });
    assertThat(new String(p.body())).isEqualTo("A v2");
    assertThat(eventsOf("/wiki/A", CacheEvent.Invalidated.class)).as("announced by its Rendered event").isEmpty();
    assertThat(eventsOf("/wiki/A", CacheEvent.Rendered.class)).extracting(e -> ((CacheEvent.Rendered) e).changed())
        .containsExactly(true, true);
    assertThat(cache.stats().rebuilds()).isEqualTo(1);
  }

  @Test
  void anIdenticalRebuildKeepsTheEtagAndAnnouncesNoChange() {
    build(Freshcache.builder().rebuild(k -> true));
    AtomicInteger renders = new AtomicInteger();
    Page before = cache.get(CacheKey.of("/same"), ctx -> {
      renders.incrementAndGet();
      ctx.dependsOn("page:S");
      return Content.html("same bytes");
    });
    cache.invalidate("page:S");
    await().atMost(Duration.ofSeconds(10)).until(() -> renders.get() == 2 && cache.rebuildsPending() == 0);
    Page after = cache.getIfPresent(CacheKey.of("/same"));
    assertThat(after.etag()).isEqualTo(before.etag());
    assertThat(eventsOf("/same", CacheEvent.Rendered.class)).extracting(e -> ((CacheEvent.Rendered) e).changed())
        .containsExactly(true, false);
    assertThat(eventsOf("/same", CacheEvent.Invalidated.class)).isEmpty();
  }

  @Test
  void entriesOutsideThePolicyOrNotRequestedRecentlyAreOnlyEvicted() {
    build(Freshcache.builder().rebuild(k -> k.resource().startsWith("/wiki/")).rebuildRecentWithin(Duration.ofMinutes(1)));
    AtomicInteger renders = new AtomicInteger();
    Renderer r = ctx -> {
      renders.incrementAndGet();
      ctx.dependsOn("t");
      return Content.html("x");
    };
    cache.get(CacheKey.of("/other"), r);
    cache.get(CacheKey.of("/wiki/old"), r);
    clock.advanceMillis(120_000); // not requested for two minutes
    cache.invalidate("t");
    await().atMost(Duration.ofSeconds(10)).until(() -> eventsOf("/other", CacheEvent.Invalidated.class).size() == 1
        && eventsOf("/wiki/old", CacheEvent.Invalidated.class).size() == 1);
    assertThat(renders).hasValue(2);
    assertThat(cache.getIfPresent(CacheKey.of("/other"))).isNull();
  }

  @Test
  void mostRequestedEntriesAreRebuiltFirst() throws Exception {
    build(Freshcache.builder().rebuild(k -> true).rebuildConcurrency(1).rebuildRate(Double.POSITIVE_INFINITY));
    CountDownLatch blockerRunning = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger blockerRenders = new AtomicInteger();
    cache.get(CacheKey.of("/blocker"), ctx -> {
      ctx.dependsOn("blocker");
      if (blockerRenders.incrementAndGet() == 2) { // the rebuild: hold the only rebuild thread
        blockerRunning.countDown();
        release.await(10, TimeUnit.SECONDS);
      }
      return Content.html("b");
    });
    List<String> order = new CopyOnWriteArrayList<>();
    AtomicInteger phase = new AtomicInteger();
    for (String name : List.of("rare", "hot", "warm")) {
      cache.get(CacheKey.of("/" + name), ctx -> {
        ctx.dependsOn("shared");
        if (phase.get() == 1) {
          order.add(name);
        }
        return Content.html(name + phase.get());
      });
    }
    // Requests in distinct seconds: hot 5, warm 3, rare 1 (its render).
    for (int s = 0; s < 5; s++) {
      clock.advanceMillis(1000);
      cache.getIfPresent(CacheKey.of("/hot"));
      if (s < 2) {
        cache.getIfPresent(CacheKey.of("/warm"));
      }
    }
    cache.invalidate("blocker");
    assertThat(blockerRunning.await(10, TimeUnit.SECONDS)).isTrue();
    phase.set(1);
    cache.invalidate("shared");
    await().atMost(Duration.ofSeconds(10)).until(() -> cache.rebuildsPending() == 4); // blocker + three queued
    release.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> order.size() == 3);
    assertThat(order).containsExactly("hot", "warm", "rare");
  }

  @Test
  void theRateLimitBoundsHowManyRebuildsStartPerSecond() throws Exception {
    build(Freshcache.builder().rebuild(k -> true).rebuildConcurrency(4).rebuildRate(5));
    AtomicInteger rebuildsStarted = new AtomicInteger();
    AtomicInteger phase = new AtomicInteger();
    for (int i = 0; i < 40; i++) {
      cache.get(CacheKey.of("/storm/" + i), ctx -> {
        ctx.dependsOn("storm");
        if (phase.get() == 1) {
          rebuildsStarted.incrementAndGet();
        }
        return Content.html("s");
      });
    }
    phase.set(1);
    long t0 = System.nanoTime();
    cache.invalidate("storm");
    Thread.sleep(1000);
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    // A burst of 5, then 5 per second: an upper bound that holds however slow the machine is.
    assertThat(rebuildsStarted.get()).isLessThanOrEqualTo(5 + (int) Math.ceil(5 * elapsedMillis / 1000.0) + 1);
    assertThat(cache.rebuildsPending()).isGreaterThan(0);
  }

  @Test
  void aReaderThatAcceptsStaleGetsTheInvalidatedCopyWhileItsRebuildIsPending() throws Exception {
    build(Freshcache.builder().rebuild(k -> true).rebuildConcurrency(1));
    CountDownLatch rebuilding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger version = new AtomicInteger(1);
    Renderer r = ctx -> {
      ctx.dependsOn("page:P");
      int v = version.get();
      if (v == 2) {
        rebuilding.countDown();
        release.await(10, TimeUnit.SECONDS);
      }
      return Content.html("P v" + v);
    };
    cache.get(CacheKey.of("/p"), r);
    version.set(2);
    cache.invalidate("page:P");
    assertThat(rebuilding.await(10, TimeUnit.SECONDS)).isTrue();
    Page stale = cache.getAllowingStale(CacheKey.of("/p"), r);
    assertThat(new String(stale.body())).isEqualTo("P v1");
    assertThat(cache.stats().staleServed()).isEqualTo(1);
    // A writer (read your writes) calls get: it joins the rebuild and sees the new version.
    AtomicReference<Page> writer = new AtomicReference<>();
    Thread t = new Thread(() -> writer.set(cache.get(CacheKey.of("/p"), r)));
    t.start();
    release.countDown();
    t.join(10_000);
    assertThat(new String(writer.get().body())).isEqualTo("P v2");
  }

  @Test
  void asyncEntriesAreRebuiltWithTheirAsyncRendererAndFailuresAreAnnounced() {
    build(Freshcache.builder().rebuild(k -> true));
    AtomicInteger calls = new AtomicInteger();
    AsyncRenderer r = ctx -> {
      int n = calls.incrementAndGet();
      ctx.dependsOn("page:Q");
      return n == 2
          ? CompletableFuture.failedFuture(new java.io.IOException("origin down"))
          : CompletableFuture.completedFuture(Content.html("q" + n));
    };
    cache.getAsync(CacheKey.of("/q"), r).join();
    cache.invalidate("page:Q");
    await().atMost(Duration.ofSeconds(10)).until(() -> cache.stats().rebuildFailures() == 1);
    assertThat(eventsOf("/q", CacheEvent.Invalidated.class)).hasSize(1);
    assertThat(new String(cache.getAsync(CacheKey.of("/q"), r).join().body())).isEqualTo("q3");
  }
}
