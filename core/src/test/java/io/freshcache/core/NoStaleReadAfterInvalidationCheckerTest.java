package io.freshcache.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * Guarantee 1 of DESIGN.md, checked under concurrency: <em>no read returns data older than a write
 * whose invalidation returned before that read began</em>.
 *
 * <p>A versioned data source holds {@value #GROUPS} x {@value #ITEMS} items, each with two aspects
 * ({@code title}, {@code text}) whose values only grow. Writers set a new value, invalidate the
 * matching tag ({@code d:G/I#title}, or every item of a group then {@code invalidatePrefix}), and
 * only then publish the value as <em>committed</em>. Readers note the committed values of what a page
 * shows <em>before</em> they call {@code get}, then parse the values the page shows and fail on any
 * value below the noted one. Pages mix exact tags, aspect tags and patterns ({@code d:G/*#title}),
 * nest static fragments three levels deep, and declare their tags sometimes before and sometimes
 * after reading (both are allowed). Renders yield between reads to widen race windows.
 *
 * <p>Defaults: 8 threads, 1,200,000 operations, about 10% writes (and a second run with 1%). Run longer with {@code
 * -Dfreshcache.checker.ops=20000000}; replay with {@code -Dfreshcache.checker.seed=S}.
 */
class NoStaleReadAfterInvalidationCheckerTest {
  static final int GROUPS = 8;
  static final int ITEMS = 8;
  static final int THREADS = Math.max(8, Integer.getInteger("freshcache.checker.threads", 8));
  static final long OPS = Long.getLong("freshcache.checker.ops", 1_200_000L);
  static final long SEED = Long.getLong("freshcache.checker.seed", System.nanoTime());
  /** Restricts reads to one page kind (0..3), to chase a failure; -1 mixes all. */
  static final int ONLY_KIND = Integer.getInteger("freshcache.checker.kind", -1);

  /** The data source: value of item (g, i), aspect a at [index(g, i, a)]. */
  final AtomicLongArray data = new AtomicLongArray(GROUPS * ITEMS * 2);
  /** Values whose invalidation has returned. */
  final AtomicLongArray committed = new AtomicLongArray(GROUPS * ITEMS * 2);
  final AtomicLong clock = new AtomicLong();
  final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
  final LongAdder reads = new LongAdder();
  final LongAdder writes = new LongAdder();
  final LongAdder checkedValues = new LongAdder();

  static int index(int g, int i, int aspect) {
    return (g * ITEMS + i) * 2 + aspect;
  }

  static String tag(int g, int i, int aspect) {
    return "d:" + g + "/" + i + (aspect == 0 ? "#title" : "#text");
  }

  /** Percentage of operations that write; the rest read. */
  private int writePercent = 9;
  /** When set, half the reads of pages without fragments go through getAsync, rendered on this pool. */
  private java.util.concurrent.ExecutorService asyncRenders;
  /** When set, pages are read by four users (user-scoped keys) and invalidated ones are pre-cached. */
  private boolean precaching;

  @Test
  void noReadIsOlderThanAnInvalidationThatReturnedBeforeIt() throws Exception {
    check();
  }

  /**
   * The same with 1% writes: most hits then find no invalidation in progress and take the fast path
   * (two counter reads instead of a read per tag state), which this holds to the same guarantee.
   */
  @Test
  void noStaleReadWhenWritesAreRareAndHitsTakeTheFastPath() throws Exception {
    writePercent = 1;
    check();
  }

  /**
   * The same through {@link Freshcache#getAsync}: half the reads of fragment-free pages are rendered
   * on another thread (the renderer reads and declares there, as the proxy's origin fetch does), and
   * one in ten of those refuses the entry it finds ({@code usable}), so renders that replace a current
   * entry race with invalidations too. Asynchronous and synchronous callers share flights.
   */
  @Test
  void noStaleReadThroughGetAsyncWithRefusedEntries() throws Exception {
    asyncRenders = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      check();
    } finally {
      asyncRenders.shutdownNow();
    }
  }

  /**
   * The same with predictive pre-caching: pages are user-scoped (four users), invalidated ones are
   * parked and rendered again in the background when their user comes back, so pre-cache renders
   * race with invalidations and with the users' own renders of the same keys.
   */
  @Test
  void noStaleReadWithPrecaching() throws Exception {
    precaching = true;
    check();
  }

  private void check() throws Exception {
    FreshcacheBuilder builder = Freshcache.builder().maximumBytes(8L << 20);
    if (precaching) {
      builder.precache(16).precacheVisitGap(java.time.Duration.ofMillis(1)).rebuildConcurrency(2);
    }
    try (Freshcache cache = builder.build()) {
      run(cache);
      CacheStats s = cache.stats();
      System.out.printf("checker: seed=%d threads=%d reads=%d writes=%d values checked=%d | hits=%d misses=%d"
              + " stale=%d renders=%d coalesced=%d precached=%d%n", SEED, THREADS, reads.sum(), writes.sum(),
          checkedValues.sum(), s.hits(), s.misses(), s.staleRejections(), s.renders(), s.coalescedWaits(), s.precached());
      assertThat(violations).as("stale reads (seed %d), first ones", SEED).isEmpty();
      assertThat(reads.sum() + writes.sum()).isGreaterThanOrEqualTo(OPS);
      assertThat(s.hits()).as("the workload must hit the cache, or it checks nothing").isGreaterThan(reads.sum() / 10);
      assertThat(s.staleRejections() + s.renders()).as("and must invalidate under it").isGreaterThan(writes.sum() / 10);
      assertThat(writes.sum()).as("writes").isGreaterThan(OPS * writePercent / 200);
      if (precaching) {
        assertThat(s.precached()).as("pre-cache renders must be queued while the rest runs").isGreaterThan(writes.sum() / 100);
      }
    }
  }

  private void run(Freshcache cache) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(THREADS);
    List<Thread> threads = new ArrayList<>();
    AtomicLong remaining = new AtomicLong(OPS);
    for (int t = 0; t < THREADS; t++) {
      SplittableRandom random = new SplittableRandom(SEED + 7919L * t);
      Thread thread = new Thread(() -> {
        try {
          while (remaining.getAndDecrement() > 0 && violations.size() < 20) {
            int op = random.nextInt(100);
            if (op < writePercent) {
              write(cache, random);
            } else if (op == writePercent && random.nextInt(20) == 0) {
              writeGroup(cache, random);
            } else {
              read(cache, random);
            }
          }
        } catch (Throwable e) {
          violations.add("thread failed: " + e);
          e.printStackTrace();
        } finally {
          done.countDown();
        }
      }, "checker-" + t);
      threads.add(thread);
      thread.start();
    }
    assertThat(done.await(10, TimeUnit.MINUTES)).as("checker finished").isTrue();
  }

  private void write(Freshcache cache, SplittableRandom random) {
    int g = random.nextInt(GROUPS);
    int i = random.nextInt(ITEMS);
    int a = random.nextInt(2);
    long v = clock.incrementAndGet();
    data.accumulateAndGet(index(g, i, a), v, Math::max);
    cache.invalidate(tag(g, i, a));
    committed.accumulateAndGet(index(g, i, a), v, Math::max);
    writes.increment();
  }

  private void writeGroup(Freshcache cache, SplittableRandom random) {
    int g = random.nextInt(GROUPS);
    long v = clock.incrementAndGet();
    for (int i = 0; i < ITEMS; i++) {
      for (int a = 0; a < 2; a++) {
        data.accumulateAndGet(index(g, i, a), v, Math::max);
      }
    }
    cache.invalidatePrefix("d:" + g + "/");
    for (int i = 0; i < ITEMS; i++) {
      for (int a = 0; a < 2; a++) {
        committed.accumulateAndGet(index(g, i, a), v, Math::max);
      }
    }
    writes.increment();
  }

  /**
   * Page kinds, by number: 0: one item's title and text (exact aspect tags); 1: the titles of a
   * group (pattern d:G/*#title); 2: an item's whole (tag d:G/I) shown through three nested static
   * fragments; 3: a group index whose fragment lists titles via the pattern, inside another fragment.
   */
  private void read(Freshcache cache, SplittableRandom random) {
    int kind = ONLY_KIND >= 0 ? ONLY_KIND : random.nextInt(4);
    int g = random.nextInt(GROUPS);
    int i = random.nextInt(ITEMS);
    // What the page will show, and the least value each must have: noted before the read begins.
    int[] shown = shownBy(kind, g, i);
    long[] required = new long[shown.length];
    for (int k = 0; k < shown.length; k++) {
      required[k] = committed.get(shown[k]);
    }
    CacheKey key = CacheKey.of("/p/" + kind + "/" + g + "/" + i);
    if (precaching) {
      key = key.withScope(Scope.user("u" + random.nextInt(4)));
    }
    boolean declareFirst = random.nextBoolean();
    Page page;
    if (asyncRenders != null && kind <= 1 && random.nextBoolean()) {
      Renderer sync = renderer(kind, g, i, declareFirst);
      boolean refuse = random.nextInt(10) == 0;
      page = cache.getAsync(key, p -> !refuse, ctx -> java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return sync.render(ctx);
        } catch (Exception e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      }, asyncRenders)).join();
    } else {
      page = cache.get(key, renderer(kind, g, i, declareFirst));
    }
    String body = new String(page.body(), java.nio.charset.StandardCharsets.UTF_8);
    for (int k = 0; k < shown.length; k++) {
      long seen = valueIn(body, shown[k]);
      if (seen < required[k]) {
        violations.add(diagnose(cache, page) + String.format("page %d/%d/%d shows item %d = %d, but %d had been committed and invalidated"
            + " before the read began; body: %s", kind, g, i, shown[k], seen, required[k], body));
      }
      checkedValues.increment();
    }
    reads.increment();
  }

  /** Where a stale page came from: each dependency's bound and current version. */
  private static String diagnose(Freshcache cache, Page page) {
    if (!(page instanceof Entry e)) {
      return "[composed] ";
    }
    StringBuilder out = new StringBuilder("[entry current=" + e.isCurrent() + " stored="
        + (cache.getIfPresent(e.key) == e) + " deps=");
    for (int i = 0; i < e.deps.length; i++) {
      out.append(e.deps[i].name).append(" bound=").append(e.boundOf(i)).append(" v=").append(e.deps[i].version)
          .append(e.deps[i].retired() ? " RETIRED" : "").append("; ");
    }
    return out.append("] ").toString();
  }

  private static int[] shownBy(int kind, int g, int i) {
    return switch (kind) {
      case 0, 2 -> new int[] {index(g, i, 0), index(g, i, 1)};
      default -> {
        int[] titles = new int[ITEMS];
        for (int j = 0; j < ITEMS; j++) {
          titles[j] = index(g, j, 0);
        }
        yield titles;
      }
    };
  }

  private Renderer renderer(int kind, int g, int i, boolean declareFirst) {
    return switch (kind) {
      case 0 -> ctx -> values(ctx, declareFirst, new String[] {tag(g, i, 0), tag(g, i, 1)},
          index(g, i, 0), index(g, i, 1));
      case 1 -> ctx -> groupTitles(ctx, g, declareFirst);
      case 2 -> ctx -> {
        ctx.dependsOn("d:layout");
        Content mid = ctx.include(CacheKey.of("/f/mid/" + g + "/" + i), c2 -> {
          Content leaf = c2.include(CacheKey.of("/f/leaf/" + g + "/" + i), c3 ->
              values(c3, declareFirst, new String[] {"d:" + g + "/" + i}, index(g, i, 0), index(g, i, 1)));
          return Content.html("<mid>" + leaf.bodyAsString() + "</mid>");
        });
        return Content.html("<page>" + mid.bodyAsString() + "</page>");
      };
      default -> ctx -> {
        Content outer = ctx.include(CacheKey.of("/f/index/" + g), c2 -> {
          Content list = c2.include(CacheKey.of("/f/titles/" + g), c3 -> groupTitles(c3, g, declareFirst));
          return Content.html("<index>" + list.bodyAsString() + "</index>");
        });
        return Content.html(outer.bodyAsString());
      };
    };
  }

  private Content groupTitles(RenderContext ctx, int g, boolean declareFirst) {
    int[] idx = new int[ITEMS];
    for (int j = 0; j < ITEMS; j++) {
      idx[j] = index(g, j, 0);
    }
    return values(ctx, declareFirst, new String[] {"d:" + g + "/*#title"}, idx);
  }

  /** Reads the values (yielding between reads) and renders them as "[index=value]". */
  private Content values(RenderContext ctx, boolean declareFirst, String[] tags, int... indexes) {
    if (declareFirst) {
      ctx.dependsOn(tags);
    }
    StringBuilder out = new StringBuilder();
    for (int idx : indexes) {
      out.append('[').append(idx).append('=').append(data.get(idx)).append(']');
      Thread.yield();
    }
    if (!declareFirst) {
      ctx.dependsOn(tags);
    }
    return Content.html(out.toString());
  }

  private static long valueIn(String body, int idx) {
    String marker = "[" + idx + "=";
    int at = body.indexOf(marker);
    if (at < 0) {
      throw new AssertionError("page does not show item " + idx + ": " + body);
    }
    int end = body.indexOf(']', at);
    return Long.parseLong(body.substring(at + marker.length(), end));
  }

  /**
   * The checker must be able to fail: the same workload against the textbook delete-on-write cache
   * (render, then store; a write deletes dependents) finds the race it has. Without this, a checker
   * that never looks would pass too.
   */
  @Test
  void checkerCatchesTheDeleteOnWriteRace() throws InterruptedException {
    ConcurrentHashMap<String, String> pages = new ConcurrentHashMap<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    Thread[] threads = new Thread[THREADS];
    for (int t = 0; t < THREADS; t++) {
      SplittableRandom random = new SplittableRandom(SEED + t);
      threads[t] = new Thread(() -> {
        while (violations.isEmpty() && System.nanoTime() < deadline) {
          int i = random.nextInt(4);
          if (random.nextInt(4) == 0) {
            long v = clock.incrementAndGet();
            data.accumulateAndGet(index(0, i, 0), v, Math::max);
            pages.remove("/p/" + i); // "invalidate": delete the dependent page
            committed.accumulateAndGet(index(0, i, 0), v, Math::max);
          } else {
            long required = committed.get(index(0, i, 0));
            String body = pages.get("/p/" + i);
            if (body == null) {
              body = "[" + index(0, i, 0) + "=" + data.get(index(0, i, 0)) + "]";
              Thread.yield(); // rendering takes a moment
              pages.put("/p/" + i, body);
            }
            if (valueIn(body, index(0, i, 0)) < required) {
              violations.add("stale: " + body + " < " + required);
            }
          }
        }
      });
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(violations).as("the naive cache must be caught serving stale data").isNotEmpty();
  }
}
