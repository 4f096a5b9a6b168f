package io.freshcache.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.freshcache.testkit.FakeClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FreshcacheTest {
  private final List<CacheEvent> events = new CopyOnWriteArrayList<>();
  private final Freshcache cache = Freshcache.builder().executor(Runnable::run).listener(events::add).build();

  @AfterEach
  void close() {
    cache.close();
  }

  private static Renderer page(AtomicInteger renders, String body, String... tags) {
    return ctx -> {
      renders.incrementAndGet();
      ctx.dependsOn(tags);
      return Content.html(body);
    };
  }

  @Test
  void missThenHitThenInvalidatedThenMiss() {
    AtomicInteger renders = new AtomicInteger();
    CacheKey key = CacheKey.of("/wiki/Foo");
    assertThat(cache.get(key, page(renders, "v1", "page:Foo")).body()).asString().isEqualTo("v1");
    assertThat(cache.get(key, page(renders, "v2", "page:Foo")).body()).asString().isEqualTo("v1");
    assertThat(renders).hasValue(1);

    cache.invalidate("page:Foo");

    assertThat(cache.getIfPresent(key)).isNull();
    assertThat(cache.get(key, page(renders, "v2", "page:Foo")).body()).asString().isEqualTo("v2");
    assertThat(renders).hasValue(2);
    CacheStats s = cache.stats();
    assertThat(s.hits()).isEqualTo(1);
    assertThat(s.renders()).isEqualTo(2);
    assertThat(s.misses() + s.staleRejections()).isEqualTo(3);
  }

  @Test
  void unrelatedTagLeavesEntryAlone() {
    AtomicInteger renders = new AtomicInteger();
    CacheKey key = CacheKey.of("/wiki/Foo");
    cache.get(key, page(renders, "v1", "page:Foo"));
    cache.invalidate("page:Bar", "page:Foo#title", "page:Foobar");
    // page:Foo#title invalidates dependents of the whole page:Foo too
    assertThat(cache.getIfPresent(key)).isNull();

    cache.get(key, page(renders, "v1", "page:Foo"));
    cache.invalidate("page:Bar", "page:Foobar", "page:Foo/child");
    assertThat(cache.getIfPresent(key)).isNotNull();
  }

  @Test
  void aspectDependencyIgnoresOtherAspects() {
    AtomicInteger renders = new AtomicInteger();
    CacheKey linker = CacheKey.of("/wiki/Linker");
    cache.get(linker, page(renders, "links to Alpha", "page:Alpha#title"));

    cache.invalidate("page:Alpha#text");
    assertThat(cache.getIfPresent(linker)).as("text edit must not invalidate a title-only page").isNotNull();

    cache.invalidate("page:Alpha#title");
    assertThat(cache.getIfPresent(linker)).isNull();

    cache.get(linker, page(renders, "links to Alpha", "page:Alpha#title"));
    cache.invalidate("page:Alpha");
    assertThat(cache.getIfPresent(linker)).as("whole-tag invalidation covers every aspect").isNull();
  }

  @Test
  void patternsMatchChildrenOrSubtree() {
    AtomicInteger renders = new AtomicInteger();
    CacheKey children = CacheKey.of("/children");
    CacheKey subtree = CacheKey.of("/tree");
    cache.get(children, page(renders, "c", "page:Projects/*"));
    cache.get(subtree, page(renders, "t", "page:Projects/**"));

    cache.invalidate("page:Projects/Alpha/Notes");
    assertThat(cache.getIfPresent(children)).isNotNull();
    assertThat(cache.getIfPresent(subtree)).isNull();

    cache.get(subtree, page(renders, "t", "page:Projects/**"));
    cache.invalidate("page:Projects");
    assertThat(cache.getIfPresent(children)).isNotNull();
    assertThat(cache.getIfPresent(subtree)).isNotNull();

    cache.invalidate("page:Projects/Beta");
    assertThat(cache.getIfPresent(children)).isNull();
    assertThat(cache.getIfPresent(subtree)).isNull();
  }

  @Test
  void invalidatePrefixRemovesEverythingUnderIt() {
    AtomicInteger renders = new AtomicInteger();
    cache.get(CacheKey.of("/a"), page(renders, "a", "page:Projects/Alpha"));
    cache.get(CacheKey.of("/b"), page(renders, "b", "page:Projects/Beta/Notes#title"));
    cache.get(CacheKey.of("/c"), page(renders, "c", "page:Other"));
    cache.get(CacheKey.of("/d"), page(renders, "d", "page:Projects/*"));

    cache.invalidatePrefix("page:Projects/");

    assertThat(cache.getIfPresent(CacheKey.of("/a"))).isNull();
    assertThat(cache.getIfPresent(CacheKey.of("/b"))).isNull();
    assertThat(cache.getIfPresent(CacheKey.of("/d"))).isNull();
    assertThat(cache.getIfPresent(CacheKey.of("/c"))).isNotNull();
  }

  /**
   * A render that read its data before a prefix invalidation and only then declares a tag under the
   * prefix that nothing depended on yet (so it had no state to bump) is stale at birth: the state it
   * creates starts at the prefix invalidation's version, above the render's bound. Without that
   * floor the old page would be stored and served after the invalidation returned (guarantee 1).
   */
  @Test
  void aTagFirstDeclaredAfterAPrefixInvalidationOfItsSubtreeIsStaleAtBirth() throws Exception {
    AtomicInteger data = new AtomicInteger(1);
    CountDownLatch read = new CountDownLatch(1);
    CountDownLatch invalidated = new CountDownLatch(1);
    Renderer lateDeclaring = ctx -> {
      int seen = data.get();
      read.countDown();
      invalidated.await(10, TimeUnit.SECONDS);
      ctx.dependsOn("page:Projects/Gamma");
      return Content.html("v" + seen);
    };
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<Page> render = pool.submit(() -> cache.get(CacheKey.of("/gamma"), lateDeclaring));
      assertThat(read.await(10, TimeUnit.SECONDS)).isTrue();
      data.set(2);
      cache.invalidatePrefix("page:Projects/");
      invalidated.countDown();
      assertThat(render.get(10, TimeUnit.SECONDS).body()).asString().isEqualTo("v1");
    } finally {
      pool.shutdownNow();
    }
    assertThat(cache.getIfPresent(CacheKey.of("/gamma"))).as("the page rendered from data read before the invalidation")
        .isNull();
    assertThat(cache.get(CacheKey.of("/gamma"), ctx -> {
      ctx.dependsOn("page:Projects/Gamma");
      return Content.html("v" + data.get());
    }).body()).asString().isEqualTo("v2");
  }

  @Test
  void staticFragmentTagsPropagateThreeLevels() {
    AtomicInteger renders = new AtomicInteger();
    Renderer leaf = page(renders, "leaf", "data:leaf");
    Renderer middle = ctx -> {
      ctx.dependsOn("data:middle");
      return Content.html("[" + ctx.include(CacheKey.of("/frag/leaf"), leaf).bodyAsString() + "]");
    };
    Renderer top = ctx -> {
      ctx.dependsOn("data:top");
      return Content.html("<" + ctx.include(CacheKey.of("/frag/middle"), middle).bodyAsString() + ">");
    };
    Renderer outer = ctx -> Content.html("{" + ctx.include(CacheKey.of("/frag/top"), top).bodyAsString() + "}");
    CacheKey pageKey = CacheKey.of("/page");

    assertThat(cache.get(pageKey, outer).body()).asString().isEqualTo("{<[leaf]>}");
    assertThat(cache.getIfPresent(pageKey).tags()).containsExactlyInAnyOrder("data:top", "data:middle", "data:leaf");

    cache.invalidate("data:leaf");

    assertThat(cache.getIfPresent(pageKey)).isNull();
    assertThat(cache.getIfPresent(CacheKey.of("/frag/top"))).isNull();
    assertThat(cache.getIfPresent(CacheKey.of("/frag/middle"))).isNull();
    assertThat(cache.getIfPresent(CacheKey.of("/frag/leaf"))).isNull();
  }

  @Test
  void fragmentHitKeepsItsOlderSnapshotInTheParent() {
    AtomicInteger renders = new AtomicInteger();
    Renderer frag = page(renders, "frag", "data:frag");
    cache.get(CacheKey.of("/frag"), frag); // cached early
    cache.invalidate("data:unrelated");    // the sequence moves on
    Renderer parent = ctx -> {
      ctx.dependsOn("data:parent");
      return Content.html(ctx.include(CacheKey.of("/frag"), frag).bodyAsString());
    };
    cache.get(CacheKey.of("/parent"), parent);
    assertThat(cache.getIfPresent(CacheKey.of("/parent"))).isNotNull();
    cache.invalidate("data:frag");
    assertThat(cache.getIfPresent(CacheKey.of("/parent"))).isNull();
  }

  @Test
  void concurrentMissesRenderOnce() throws Exception {
    AtomicInteger renders = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    Renderer slow = ctx -> {
      renders.incrementAndGet();
      ctx.dependsOn("page:Slow");
      release.await(10, TimeUnit.SECONDS);
      return Content.html("slow");
    };
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Page>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(pool.submit(() -> cache.get(CacheKey.of("/slow"), slow)));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> cache.stats().coalescedWaits() == 7);
      release.countDown();
      for (Future<Page> f : results) {
        assertThat(f.get(10, TimeUnit.SECONDS).body()).asString().isEqualTo("slow");
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(renders).hasValue(1);
  }

  @Test
  void rendererExceptionReachesEveryWaiterAndIsNotCached() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger renders = new AtomicInteger();
    Renderer failing = ctx -> {
      renders.incrementAndGet();
      release.await(10, TimeUnit.SECONDS);
      throw new IOException("database down");
    };
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Page>> results = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        results.add(pool.submit(() -> cache.get(CacheKey.of("/fail"), failing)));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> cache.stats().coalescedWaits() == 3);
      release.countDown();
      for (Future<Page> f : results) {
        assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS))
            .cause().isInstanceOf(RenderException.class)
            .cause().isInstanceOf(IOException.class).hasMessage("database down");
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(renders).hasValue(1);
    assertThat(cache.getIfPresent(CacheKey.of("/fail"))).isNull();
    assertThat(cache.get(CacheKey.of("/fail"), ctx -> Content.html("ok")).body()).asString().isEqualTo("ok");
    assertThat(cache.stats().renderFailures()).isEqualTo(1);
  }

  @Test
  void waitingForAnotherRenderTimesOut() throws Exception {
    Freshcache quick = Freshcache.builder().renderTimeout(Duration.ofMillis(100)).build();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread leader = new Thread(() -> quick.get(CacheKey.of("/slow"), ctx -> {
      started.countDown();
      release.await(10, TimeUnit.SECONDS);
      return Content.html("late");
    }));
    leader.start();
    try {
      started.await(10, TimeUnit.SECONDS);
      assertThatThrownBy(() -> quick.get(CacheKey.of("/slow"), ctx -> Content.html("other")))
          .isInstanceOf(RenderTimeoutException.class).hasMessageContaining("/slow");
    } finally {
      release.countDown();
      leader.join(10_000);
      quick.close();
    }
  }

  @Test
  void rendererReturningNullIsAClearError() {
    assertThatThrownBy(() -> cache.get(CacheKey.of("/null"), ctx -> null))
        .isInstanceOf(RenderException.class)
        .hasMessageContaining("/null").hasMessageContaining("returned null");
    assertThat(cache.getIfPresent(CacheKey.of("/null"))).isNull();
  }

  @Test
  void includeCycleIsReported() {
    Renderer[] self = new Renderer[1];
    self[0] = ctx -> Content.html(ctx.include(CacheKey.of("/loop"), self[0]).bodyAsString());
    assertThatThrownBy(() -> cache.get(CacheKey.of("/loop"), self[0]))
        .isInstanceOf(RenderException.class).hasMessageContaining("cycle");
  }

  @Test
  void removeResourceDropsEveryVariantAndScope() {
    AtomicInteger renders = new AtomicInteger();
    CacheKey pub = CacheKey.of("/wiki/Foo");
    CacheKey print = pub.withVariant("print");
    CacheKey alice = pub.withScope(Scope.user("alice"));
    CacheKey staff = pub.withScope(Scope.group("staff"));
    CacheKey other = CacheKey.of("/wiki/Bar");
    for (CacheKey k : List.of(pub, print, alice, staff, other)) {
      cache.get(k, page(renders, k.toString(), "page:x"));
    }
    assertThat(cache.stats().entryCount()).isEqualTo(5);

    assertThat(cache.removeResource("/wiki/Foo")).isEqualTo(4);

    for (CacheKey k : List.of(pub, print, alice, staff)) {
      assertThat(cache.getIfPresent(k)).isNull();
    }
    assertThat(cache.getIfPresent(other)).isNotNull();
    assertThat(cache.stats().entryCount()).isEqualTo(1);
    assertThat(events.stream().filter(CacheEvent.Evicted.class::isInstance).map(CacheEvent.Evicted.class::cast))
        .extracting(CacheEvent.Evicted::key, CacheEvent.Evicted::reason)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(pub, CacheEvent.Reason.REMOVED),
            org.assertj.core.groups.Tuple.tuple(print, CacheEvent.Reason.REMOVED),
            org.assertj.core.groups.Tuple.tuple(alice, CacheEvent.Reason.REMOVED),
            org.assertj.core.groups.Tuple.tuple(staff, CacheEvent.Reason.REMOVED));
  }

  @Test
  void scopesAreSeparateEntries() {
    CacheKey alice = new CacheKey("/me", "show", Scope.user("alice"));
    CacheKey bob = new CacheKey("/me", "show", Scope.user("bob"));
    cache.get(alice, ctx -> Content.html("alice's page"));
    assertThat(cache.get(bob, ctx -> Content.html("bob's page")).body()).asString().isEqualTo("bob's page");
    assertThat(cache.getIfPresent(alice).body()).asString().isEqualTo("alice's page");
  }

  @Test
  void holesAreFilledPerViewerAndKeepTheirOwnTags() {
    AtomicInteger pageRenders = new AtomicInteger();
    AtomicInteger barRenders = new AtomicInteger();
    CacheKey barKey = new CacheKey("/_bar", "show", Scope.VIEWER);
    Renderer bar = ctx -> {
      barRenders.incrementAndGet();
      ctx.dependsOn("user:" + ctx.key().scope().name());
      return Content.html("Hello, " + ctx.key().scope().name());
    };
    Renderer home = ctx -> {
      pageRenders.incrementAndGet();
      ctx.dependsOn("page:Home");
      return Content.html("<nav>" + ctx.hole(barKey, bar) + "</nav><main>Home</main>");
    };
    CacheKey homeKey = CacheKey.of("/Home");

    Page forAlice = cache.get(homeKey, Scope.user("alice"), home);
    Page forBob = cache.get(homeKey, Scope.user("bob"), home);

    assertThat(forAlice.body()).asString().isEqualTo("<nav>Hello, alice</nav><main>Home</main>");
    assertThat(forBob.body()).asString().isEqualTo("<nav>Hello, bob</nav><main>Home</main>").doesNotContain("alice");
    assertThat(forAlice.etag()).isNotEqualTo(forBob.etag());
    assertThat(pageRenders).hasValue(1);
    assertThat(barRenders).hasValue(2);
    assertThat(forAlice.tags()).containsExactly("page:Home");

    cache.invalidate("user:alice"); // only alice's bar
    assertThat(cache.get(homeKey, Scope.user("alice"), home).body()).asString().contains("Hello, alice");
    assertThat(pageRenders).hasValue(1);
    assertThat(barRenders).hasValue(3);
    cache.get(homeKey, Scope.user("bob"), home);
    assertThat(barRenders).hasValue(3);
  }

  @Test
  void hiddenHoleOfAnIncludedFragmentIsStillFilled() {
    CacheKey barKey = new CacheKey("/_bar", "show", Scope.VIEWER);
    Renderer bar = ctx -> Content.html("hi " + ctx.key().scope().name());
    Renderer header = ctx -> Content.html("<header>" + ctx.hole(barKey, bar) + "</header>");
    Renderer home = ctx -> Content.html(ctx.include(CacheKey.of("/_header"), header).bodyAsString() + "<main/>");
    assertThat(cache.get(CacheKey.of("/"), Scope.user("carol"), home).body()).asString()
        .isEqualTo("<header>hi carol</header><main/>");
  }

  @Test
  void largeBodiesAreStoredCompressedAndServedEitherWay() {
    String big = "<p>Lorem ipsum dolor sit amet</p>\n".repeat(200);
    Page page = cache.get(CacheKey.of("/big"), ctx -> Content.html(big));
    Page hit = cache.getIfPresent(CacheKey.of("/big"));
    assertThat(hit.storedEncoding()).isEqualTo(Encoding.GZIP);
    assertThat(hit.storedBody().length).isLessThan(big.length() / 4);
    assertThat(hit.body(Encoding.GZIP)).isSameAs(hit.storedBody());
    assertThat(new String(page.body(), StandardCharsets.UTF_8)).isEqualTo(big);
    assertThat(cache.stats().compressionRatio()).isGreaterThan(4.0);
  }

  @Test
  void aRenderThatAsksForItIsStoredUncompressed() {
    String big = "<p>Lorem ipsum dolor sit amet</p>\n".repeat(200);
    cache.get(CacheKey.of("/asis"), ctx -> {
      ctx.storeUncompressed();
      return Content.html(big);
    });
    Page hit = cache.getIfPresent(CacheKey.of("/asis"));
    assertThat(hit.storedEncoding()).isEqualTo(Encoding.IDENTITY);
    assertThat(new String(hit.storedBody(), StandardCharsets.UTF_8)).isEqualTo(big);
  }

  @Test
  void identicalRebuildKeepsTheEtag() {
    CacheKey key = CacheKey.of("/same");
    ETag first = cache.get(key, page(new AtomicInteger(), "same", "t")).etag();
    cache.invalidate("t");
    ETag second = cache.get(key, page(new AtomicInteger(), "same", "t")).etag();
    cache.invalidate("t");
    ETag third = cache.get(key, page(new AtomicInteger(), "different", "t")).etag();

    assertThat(second).isEqualTo(first);
    assertThat(third).isNotEqualTo(first);
    assertThat(cache.getIfPresent(key).notModified(first.toString())).isFalse();
    assertThat(cache.getIfPresent(key).notModified(third.toString())).isTrue();
  }

  @Test
  void renderedEventSaysWhetherTheBytesChanged() {
    cache.close(); // no background removal: the stale entry is still there when the render replaces it
    CacheKey key = CacheKey.of("/same");
    cache.get(key, page(new AtomicInteger(), "same", "t"));
    cache.invalidate("t");
    cache.get(key, page(new AtomicInteger(), "same", "t"));
    cache.invalidate("t");
    cache.get(key, page(new AtomicInteger(), "different", "t"));
    List<CacheEvent.Rendered> rendered = events.stream()
        .filter(CacheEvent.Rendered.class::isInstance).map(CacheEvent.Rendered.class::cast).toList();
    assertThat(rendered).extracting(CacheEvent.Rendered::changed).containsExactly(true, false, true);
  }

  @Test
  void invalidationEventsNameTheRemovedEntries() {
    cache.get(CacheKey.of("/a"), page(new AtomicInteger(), "a", "t"));
    cache.get(CacheKey.of("/b"), page(new AtomicInteger(), "b", "t"));
    cache.get(CacheKey.of("/c"), page(new AtomicInteger(), "c", "u"));
    cache.invalidate("t");
    await().atMost(Duration.ofSeconds(5)).until(cache::invalidationsSettled);
    assertThat(events.stream().filter(CacheEvent.Invalidated.class::isInstance).map(CacheEvent::key))
        .containsExactlyInAnyOrder(CacheKey.of("/a"), CacheKey.of("/b"));
    assertThat(cache.stats().entryCount()).isEqualTo(1);
    assertThat(cache.stats().invalidatedEntries()).isEqualTo(2);
  }

  @Test
  void maxAgeIsAFallback() {
    FakeClock clock = new FakeClock();
    try (Freshcache aged = Freshcache.builder().clock(clock.as(Clock.class)).executor(Runnable::run)
        .maxAge(Duration.ofMinutes(5)).build()) {
      AtomicInteger renders = new AtomicInteger();
      aged.get(CacheKey.of("/x"), page(renders, "x", "t"));
      clock.advanceMillis(Duration.ofMinutes(4).toMillis());
      assertThat(aged.getIfPresent(CacheKey.of("/x"))).isNotNull();
      clock.advanceMillis(Duration.ofMinutes(2).toMillis());
      assertThat(aged.getIfPresent(CacheKey.of("/x"))).isNull();
    }
  }

  @Test
  void boundedByBytes() {
    try (Freshcache small = Freshcache.builder().executor(Runnable::run).maximumBytes(100_000)
        .compressionThreshold(Integer.MAX_VALUE).listener(events::add).build()) {
      byte[] body = new byte[1000];
      for (int i = 0; i < 1000; i++) {
        small.get(CacheKey.of("/p" + i), ctx -> new Content(body, "application/octet-stream"));
      }
      assertThat(small.stats().storedBytes()).isLessThanOrEqualTo(100_000);
      assertThat(small.stats().evictions()).isGreaterThan(0);
      assertThat(events).anyMatch(e -> e instanceof CacheEvent.Evicted ev && ev.reason() == CacheEvent.Reason.SIZE);
    }
  }

  @Test
  void metersAreRegistered() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    cache.bindTo(registry);
    cache.get(CacheKey.of("/m"), ctx -> Content.html("m"));
    cache.get(CacheKey.of("/m"), ctx -> Content.html("m"));
    assertThat(registry.get("freshcache.lookups").tag("result", "hit").functionCounter().count()).isEqualTo(1.0);
    assertThat(registry.get("freshcache.lookups").tag("result", "miss").functionCounter().count()).isEqualTo(1.0);
    assertThat(registry.get("freshcache.renders").tag("result", "ok").functionCounter().count()).isEqualTo(1.0);
    assertThat(registry.get("freshcache.entries").gauge().value()).isEqualTo(1.0);
    assertThat(registry.get("freshcache.bytes").tag("form", "stored").gauge().value()).isEqualTo(1.0);
  }

  @Test
  void badInputIsRejectedWithClearMessagesAndHarmsNothing() {
    AtomicInteger renders = new AtomicInteger();
    CacheKey key = CacheKey.of("/ok");
    cache.get(key, page(renders, "ok", "page:Ok"));

    assertThatThrownBy(() -> CacheKey.of(" ")).hasMessageContaining("resource: blank");
    assertThatThrownBy(() -> CacheKey.of(null)).isInstanceOf(NullPointerException.class).hasMessage("resource");
    assertThatThrownBy(() -> new CacheKey("/x", "", Scope.PUBLIC)).hasMessageContaining("variant: blank");
    assertThatThrownBy(() -> Scope.user("")).hasMessageContaining("name: blank");
    assertThatThrownBy(() -> cache.get(new CacheKey("/x", "show", Scope.VIEWER), ctx -> Content.html("")))
        .hasMessageContaining("VIEWER");
    assertThatThrownBy(() -> cache.invalidate("page:Pro*")).hasMessageContaining("page:Pro*");
    assertThatThrownBy(() -> cache.invalidate("page:Projects/*")).hasMessageContaining("expected: an exact tag");
    assertThatThrownBy(() -> cache.invalidate("x".repeat(Tag.MAX_LENGTH + 1))).hasMessageContaining("<= " + Tag.MAX_LENGTH);
    assertThatThrownBy(() -> cache.invalidatePrefix("")).hasMessageContaining("prefix: blank");
    assertThatThrownBy(() -> cache.get(CacheKey.of("/bad"), ctx -> {
      ctx.dependsOn("has space");
      return Content.html("never");
    })).isInstanceOf(RenderException.class).cause().hasMessageContaining("has space");

    // A bad tag in a list invalidates nothing, not even the good ones before it.
    assertThatThrownBy(() -> cache.invalidate("page:Ok", "bad tag")).isInstanceOf(IllegalArgumentException.class);
    assertThat(cache.getIfPresent(key)).isNotNull();
    assertThat(cache.getIfPresent(CacheKey.of("/bad"))).isNull();
    cache.invalidate("page:Ok");
    assertThat(cache.getIfPresent(key)).isNull();
  }

  @Test
  void builderRejectsNonsense() {
    assertThatThrownBy(() -> Freshcache.builder().maximumBytes(0)).hasMessage("maximumBytes: 0 (expected: > 0)");
    assertThatThrownBy(() -> Freshcache.builder().maxAge(Duration.ZERO)).hasMessageContaining("maxAge");
    assertThatThrownBy(() -> Freshcache.builder().renderTimeout(Duration.ofSeconds(-1))).hasMessageContaining("renderTimeout");
    assertThatThrownBy(() -> Freshcache.builder().compressionThreshold(-1)).hasMessageContaining("compressionThreshold");
  }

  @Test
  void listenerExceptionsAreContained() {
    try (Freshcache c = Freshcache.builder().listener(e -> {
      throw new IllegalStateException("listener bug");
    }).build()) {
      assertThat(c.get(CacheKey.of("/l"), ctx -> Content.html("fine")).body()).asString().isEqualTo("fine");
    }
  }

  @Test
  void tagStatesAreRetiredWhenNothingDependsOnThem() {
    for (int i = 0; i < 100; i++) {
      cache.get(CacheKey.of("/r" + i), page(new AtomicInteger(), "r", "one:" + i));
    }
    assertThat(cache.registry.stateCount()).isEqualTo(100);
    for (int i = 0; i < 100; i++) {
      cache.removeResource("/r" + i);
    }
    cache.get(CacheKey.of("/r0"), page(new AtomicInteger(), "r", "one:0")); // used again: kept
    cache.registry.sweep();
    cache.registry.sweep();
    assertThat(cache.registry.stateCount()).isEqualTo(1);
    cache.removeResource("/r0");
    cache.registry.sweep();
    cache.registry.sweep();
    assertThat(cache.registry.stateCount()).isZero();
  }
}
