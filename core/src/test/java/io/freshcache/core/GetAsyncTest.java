package io.freshcache.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link Freshcache#getAsync}: single-flight without blocking, usable tests, previous entries, failures. */
class GetAsyncTest {
  private final Freshcache cache = Freshcache.builder().executor(Runnable::run).build();

  @AfterEach
  void close() {
    cache.close();
  }

  @Test
  void concurrentMissesShareOneRenderCompletedLater() {
    AtomicInteger renders = new AtomicInteger();
    CompletableFuture<Content> origin = new CompletableFuture<>();
    AsyncRenderer r = ctx -> {
      renders.incrementAndGet();
      return origin.thenApply(c -> {
        ctx.dependsOn("page:A");
        return c;
      });
    };
    List<CompletableFuture<Page>> callers = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      callers.add(cache.getAsync(CacheKey.of("/a"), r));
    }
    assertThat(callers).noneMatch(CompletableFuture::isDone);
    origin.complete(Content.html("A1").withAttachment("status=200"));
    for (CompletableFuture<Page> c : callers) {
      Page p = c.join();
      assertThat(new String(p.body())).isEqualTo("A1");
      assertThat(p.attachment()).isEqualTo("status=200");
      assertThat(p.tags()).containsExactly("page:A");
    }
    assertThat(renders).hasValue(1);
    assertThat(cache.stats().coalescedWaits()).isEqualTo(4);

    CompletableFuture<Page> hit = cache.getAsync(CacheKey.of("/a"), ctx -> {
      throw new AssertionError("a hit must not render");
    });
    assertThat(hit).isCompleted();
    assertThat(hit.join().attachment()).isEqualTo("status=200");
  }

  @Test
  void aRenderThatBeganBeforeAnInvalidationIsNotHandedToACallerThatBeganAfterIt() {
    CompletableFuture<Content> first = new CompletableFuture<>();
    AtomicInteger renders = new AtomicInteger();
    CompletableFuture<Page> early = cache.getAsync(CacheKey.of("/b"), ctx -> {
      renders.incrementAndGet();
      ctx.dependsOn("page:B");
      return first;
    });
    cache.invalidate("page:B"); // the data changed while the origin was answering
    CompletableFuture<Page> late = cache.getAsync(CacheKey.of("/b"), ctx -> {
      renders.incrementAndGet();
      ctx.dependsOn("page:B");
      return CompletableFuture.completedFuture(Content.html("new"));
    });
    first.complete(Content.html("old"));
    assertThat(new String(early.join().body())).isEqualTo("old"); // it began before the write
    assertThat(new String(late.join().body())).isEqualTo("new");
    assertThat(renders).hasValue(2);
    assertThat(new String(cache.getIfPresent(CacheKey.of("/b")).body())).isEqualTo("new");
  }

  @Test
  void aRefusedEntryIsRenderedAgainAndOfferedAsPrevious() {
    cache.getAsync(CacheKey.of("/c"), ctx -> CompletableFuture.completedFuture(
        Content.html("v1").withAttachment(1))).join();
    AtomicReference<Page> seen = new AtomicReference<>();
    Page p = cache.getAsync(CacheKey.of("/c"), page -> (Integer) page.attachment() >= 2, ctx -> {
      seen.set(ctx.previous());
      // revalidated: same body, new metadata
      return CompletableFuture.completedFuture(new Content(ctx.previous().body(), "text/html", 2));
    }).join();
    assertThat(seen.get()).isNotNull();
    assertThat(new String(seen.get().body())).isEqualTo("v1");
    assertThat(p.attachment()).isEqualTo(2);
    assertThat(p.etag()).isEqualTo(seen.get().etag()); // same bytes, same ETag
    assertThat(cache.getIfPresent(CacheKey.of("/c")).attachment()).isEqualTo(2);
  }

  @Test
  void anInvalidatedEntryIsOfferedAsPreviousWhileTheStoreStillHasIt() {
    cache.close(); // stops the background worker, which would otherwise soon remove the invalidated entry
    cache.getAsync(CacheKey.of("/d"), ctx -> {
      ctx.dependsOn("page:D");
      return CompletableFuture.completedFuture(Content.html("d1"));
    }).join();
    cache.invalidate("page:D");
    AtomicReference<Page> seen = new AtomicReference<>();
    cache.getAsync(CacheKey.of("/d"), ctx -> {
      seen.set(ctx.previous());
      ctx.dependsOn("page:D");
      return CompletableFuture.completedFuture(Content.html("d2"));
    }).join();
    assertThat(new String(seen.get().body())).isEqualTo("d1");
  }

  @Test
  void failuresReachEveryWaiterAndAreNotCached() {
    CompletableFuture<Content> origin = new CompletableFuture<>();
    CompletableFuture<Page> a = cache.getAsync(CacheKey.of("/e"), ctx -> origin);
    CompletableFuture<Page> b = cache.getAsync(CacheKey.of("/e"), ctx -> origin);
    origin.completeExceptionally(new java.io.IOException("origin refused"));
    for (CompletableFuture<Page> f : List.of(a, b)) {
      assertThatThrownBy(f::join).isInstanceOf(CompletionException.class)
          .hasCauseInstanceOf(RenderException.class).hasMessageContaining("origin refused");
    }
    assertThat(cache.getIfPresent(CacheKey.of("/e"))).isNull();
    Page ok = cache.getAsync(CacheKey.of("/e"), ctx -> CompletableFuture.completedFuture(Content.html("ok"))).join();
    assertThat(new String(ok.body())).isEqualTo("ok");
  }

  @Test
  void aRendererThatThrowsOrReturnsNullFailsTheFuture() {
    assertThatThrownBy(() -> cache.getAsync(CacheKey.of("/f"), ctx -> {
      throw new IllegalStateException("bug");
    }).join()).hasCauseInstanceOf(RenderException.class).hasMessageContaining("bug");
    assertThatThrownBy(() -> cache.getAsync(CacheKey.of("/f"), ctx -> null).join())
        .hasCauseInstanceOf(RenderException.class).hasMessageContaining("null stage");
    assertThatThrownBy(() -> cache.getAsync(CacheKey.of("/f"), ctx -> CompletableFuture.completedFuture(null)).join())
        .hasCauseInstanceOf(RenderException.class).hasMessageContaining("completed with null");
    assertThat(cache.stats().renderFailures()).isEqualTo(3);
  }

  @Test
  void aRenderThatNeverCompletesTimesOutAndDoesNotWedgeTheKey() throws Exception {
    try (Freshcache quick = Freshcache.builder().renderTimeout(Duration.ofMillis(200)).build()) {
      CompletableFuture<Page> stuck = quick.getAsync(CacheKey.of("/g"), ctx -> new CompletableFuture<>());
      CompletableFuture<Page> waiter = quick.getAsync(CacheKey.of("/g"), ctx -> new CompletableFuture<>());
      assertThatThrownBy(() -> stuck.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(RenderTimeoutException.class);
      assertThatThrownBy(() -> waiter.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(RenderException.class);
      Page p = quick.getAsync(CacheKey.of("/g"), ctx -> CompletableFuture.completedFuture(Content.html("g")))
          .get(5, TimeUnit.SECONDS);
      assertThat(new String(p.body())).isEqualTo("g");
    }
  }

  @Test
  void syncAndAsyncCallersShareAFlight() throws Exception {
    CompletableFuture<Content> origin = new CompletableFuture<>();
    CompletableFuture<Page> async = cache.getAsync(CacheKey.of("/h"), ctx -> origin);
    AtomicReference<Page> sync = new AtomicReference<>();
    Thread t = new Thread(() -> sync.set(cache.get(CacheKey.of("/h"), ctx -> Content.html("sync"))));
    t.start();
    Thread.sleep(50); // let it join the flight (if it does not, it renders "sync" and the test fails)
    origin.complete(Content.html("async"));
    t.join(5000);
    assertThat(new String(async.join().body())).isEqualTo("async");
    assertThat(new String(sync.get().body())).isEqualTo("async");
  }

  @Test
  void removeResourceWhileARenderRunsKeepsThatRenderOutOfTheCache() {
    CompletableFuture<Content> slow = new CompletableFuture<>();
    CompletableFuture<Page> early = cache.getAsync(CacheKey.of("/r"), ctx -> slow);
    cache.removeResource("/r"); // a POST to /r changed it while another client's GET was rendering
    CompletableFuture<Page> late = cache.getAsync(CacheKey.of("/r"),
        ctx -> CompletableFuture.completedFuture(Content.html("after")));
    slow.complete(Content.html("before"));
    assertThat(new String(early.join().body())).isEqualTo("before");
    assertThat(new String(late.join().body())).isEqualTo("after");
    assertThat(new String(cache.getIfPresent(CacheKey.of("/r")).body())).isEqualTo("after");
    // and an entry rendered before the removal is not current even if a store kept it
    cache.getAsync(CacheKey.of("/s"), ctx -> CompletableFuture.completedFuture(Content.html("s"))).join();
    Entry stored = (Entry) cache.getIfPresent(CacheKey.of("/s"));
    cache.registry.invalidateResource("/s");
    assertThat(stored.isCurrent(cache.registry)).isFalse();
    assertThat(stored.isCurrent()).as("its tags alone say nothing of the resource").isTrue();
  }

  @Test
  void badArgumentsAreRejected() {
    assertThatThrownBy(() -> cache.getAsync(null, ctx -> null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> cache.getAsync(CacheKey.of("/x"), null, ctx -> null))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("usable");
    assertThatThrownBy(() -> cache.getAsync(CacheKey.of("/x").withScope(Scope.VIEWER), ctx -> null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("VIEWER");
  }
}
