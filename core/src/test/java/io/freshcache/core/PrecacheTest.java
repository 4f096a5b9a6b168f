package io.freshcache.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.freshcache.testkit.FakeClock;
import io.freshcache.testkit.SeededProperty;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Predictive pre-caching of users' invalidated pages ({@link Precacher}, docs/precache.md). */
class PrecacheTest {
  private final FakeClock clock = new FakeClock();
  /** Renders per user and resource, "alice /wiki/A". */
  private final Map<String, AtomicInteger> renders = new ConcurrentHashMap<>();
  private Freshcache cache;

  @AfterEach
  void close() {
    if (cache != null) {
      cache.close();
    }
  }

  private Freshcache build(FreshcacheBuilder b) {
    cache = b.clock(clock.as(Clock.class)).executor(Runnable::run).rebuildRate(Double.POSITIVE_INFINITY).build();
    return cache;
  }

  private static CacheKey key(String user, String page) {
    return CacheKey.of("/wiki/" + page).withScope(Scope.user(user));
  }

  /** A user's view of a page: depends on the page's tag, renders "page for user". */
  private Page view(String user, String page) {
    return cache.get(key(user, page), ctx -> {
      renders.computeIfAbsent(user + " " + page, k -> new AtomicInteger()).incrementAndGet();
      ctx.dependsOn("page:" + page);
      return Content.html(page + " for " + user);
    });
  }

  private int rendersOf(String user, String page) {
    AtomicInteger n = renders.get(user + " " + page);
    return n == null ? 0 : n.get();
  }

  private void settle() {
    await().atMost(Duration.ofSeconds(10)).until(() -> cache.invalidationsSettled() && cache.rebuildsPending() == 0);
  }

  @Test
  void aReturningUsersMostUsedInvalidatedPagesAreRenderedBeforeTheyAskAgain() {
    build(Freshcache.builder().precache(10));
    for (int i = 0; i < 8; i++) {
      view("alice", "Home");
    }
    for (int i = 0; i < 4; i++) {
      view("alice", "Projects");
    }
    view("alice", "Rarely");
    cache.invalidate("page:Home", "page:Projects", "page:Rarely");
    settle();
    assertThat(cache.getIfPresent(key("alice", "Home"))).as("invalidated").isNull();
    assertThat(rendersOf("alice", "Home")).as("nothing rendered while she is away").isEqualTo(1);

    clock.advance(Duration.ofHours(5));
    view("alice", "Other"); // she is back
    settle();
    // Her second visit: coverage 0.7 of her 14 accesses, which Home (8) and Projects (4) reach.
    assertThat(rendersOf("alice", "Home")).isEqualTo(2);
    assertThat(rendersOf("alice", "Projects")).isEqualTo(2);
    assertThat(rendersOf("alice", "Rarely")).as("beyond her coverage").isEqualTo(1);
    long hits = cache.stats().hits();
    assertThat(new String(view("alice", "Home").body())).isEqualTo("Home for alice");
    assertThat(cache.stats().hits()).as("a hit").isEqualTo(hits + 1);
    assertThat(rendersOf("alice", "Home")).isEqualTo(2);
    assertThat(cache.stats().precached()).isEqualTo(2);
    assertThat(cache.stats().precacheUsed()).isEqualTo(1);
  }

  @Test
  void usersWhoDoNotComeBackCostNoRenders() {
    build(Freshcache.builder().precache(10));
    view("alice", "Home");
    view("bob", "Home");
    cache.invalidate("page:Home");
    settle();
    view("alice", "Other");
    settle();
    assertThat(rendersOf("alice", "Home")).isEqualTo(2);
    assertThat(rendersOf("bob", "Home")).as("bob has not come back").isEqualTo(1);
    assertThat(cache.getIfPresent(key("bob", "Home"))).isNull();
    assertThat(cache.getIfPresent(key("alice", "Home"))).as("rendered for alice only, in her scope").isNotNull();
  }

  @Test
  void aRegularVisitorGetsMorePagesThanAnOccasionalOne() {
    build(Freshcache.builder().precache(10).precacheVisitGap(Duration.ofMinutes(30)));
    String[] pages = {"P1", "P2", "P3", "P4", "P5"};
    // Both read the five pages equally often; the regular in six visits, the occasional in one.
    for (int visit = 0; visit < 6; visit++) {
      for (String p : pages) {
        view("regular", p);
        if (visit == 0) {
          for (int i = 0; i < 6; i++) {
            view("occasional", p);
          }
        }
      }
      clock.advance(Duration.ofHours(1));
    }
    cache.invalidate(Arrays.stream(pages).map(p -> "page:" + p).toArray(String[]::new));
    settle();
    view("regular", "Other");
    view("occasional", "Other");
    settle();
    long regular = Arrays.stream(pages).filter(p -> rendersOf("regular", p) == 2).count();
    long occasional = Arrays.stream(pages).filter(p -> rendersOf("occasional", p) == 2).count();
    // Regular: seven visits decayed little, coverage 0.95 of 30 accesses (+1 for Other): all five.
    // Occasional: two visits, coverage 0.7: four of the five pages.
    assertThat(regular).isEqualTo(5);
    assertThat(occasional).isEqualTo(4);
  }

  @Test
  void aConcentratedReaderNeedsFewerPagesThanAScatteredOne() {
    build(Freshcache.builder().precache(20));
    for (int i = 0; i < 10; i++) {
      view("focused", "Main");
    }
    for (int i = 0; i < 10; i++) {
      view("focused", "Side" + i % 5);
    }
    for (int i = 0; i < 20; i++) {
      view("scattered", "Page" + i);
    }
    cache.invalidate("page:Main", "page:Side0", "page:Side1", "page:Side2", "page:Side3", "page:Side4");
    for (int i = 0; i < 20; i++) {
      cache.invalidate("page:Page" + i);
    }
    settle();
    long before = cache.stats().precached();
    view("focused", "Main");
    settle();
    long focused = cache.stats().precached() - before;
    view("scattered", "Page0");
    settle();
    long scattered = cache.stats().precached() - before - focused;
    // focused, one visit, coverage 0.6 of 21 accesses: Main (11, which she renders herself) and
    // one side page.
    assertThat(focused).isEqualTo(1);
    // scattered: 0.6 of 21 takes Page0 (2, hers to render) and 11 of the pages read once.
    assertThat(scattered).isEqualTo(11);
  }

  @Test
  void pagesPerVisitBoundsIt() {
    build(Freshcache.builder().precache(3));
    for (int i = 0; i < 20; i++) {
      view("alice", "Page" + i % 10);
    }
    for (int i = 0; i < 10; i++) {
      cache.invalidate("page:Page" + i);
    }
    settle();
    view("alice", "Other");
    settle();
    assertThat(cache.stats().precached()).isEqualTo(3);
  }

  @Test
  void aPageTheUserAsksForFirstIsNotRenderedTwice() {
    build(Freshcache.builder().precache(10));
    view("alice", "Home");
    cache.invalidate("page:Home");
    settle();
    view("alice", "Home");
    settle();
    assertThat(rendersOf("alice", "Home")).isEqualTo(2);
    assertThat(cache.stats().precached()).isZero();
  }

  @Test
  void publicPagesAreNotModelled() {
    build(Freshcache.builder().precache(10));
    AtomicInteger n = new AtomicInteger();
    Renderer r = ctx -> {
      n.incrementAndGet();
      ctx.dependsOn("page:Pub");
      return Content.html("pub");
    };
    cache.get(CacheKey.of("/pub"), r);
    cache.invalidate("page:Pub");
    settle();
    view("alice", "Other");
    cache.get(CacheKey.of("/other"), r);
    settle();
    assertThat(n.get()).isEqualTo(2);
    assertThat(cache.stats().precached()).isZero();
  }

  @Test
  void aFailingPrecacheRenderIsCountedAndTheUsersNextRequestRendersAsUsual() {
    build(Freshcache.builder().precache(10));
    AtomicInteger calls = new AtomicInteger();
    Renderer flaky = ctx -> {
      ctx.dependsOn("page:F");
      if (calls.incrementAndGet() == 2) {
        throw new IllegalStateException("database down");
      }
      return Content.html("f" + calls.get());
    };
    cache.get(key("alice", "F"), flaky);
    cache.invalidate("page:F");
    settle();
    view("alice", "Other");
    settle();
    assertThat(calls.get()).isEqualTo(2);
    assertThat(cache.stats().rebuildFailures()).isEqualTo(1);
    assertThat(new String(cache.get(key("alice", "F"), flaky).body())).isEqualTo("f3");
    assertThat(cache.stats().precacheUsed()).as("only a hit counts as used").isZero();
  }

  @Test
  void aPageTheFullQueueRefusesStaysParkedForTheNextPlan() throws Exception {
    // A queue bound of 4 leaves pre-cache renders one place: while A renders, B is refused.
    build(Freshcache.builder().precache(10).rebuildQueueLimit(4));
    CountDownLatch rendering = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    AtomicInteger aCalls = new AtomicInteger();
    Renderer slowA = ctx -> {
      ctx.dependsOn("page:A");
      if (aCalls.incrementAndGet() == 2) {
        rendering.countDown();
        proceed.await();
      }
      return Content.html("A");
    };
    for (int i = 0; i < 4; i++) {
      cache.get(key("alice", "A"), slowA);
    }
    for (int i = 0; i < 3; i++) {
      view("alice", "B");
    }
    cache.invalidate("page:A", "page:B");
    settle();
    view("alice", "Other"); // plans A (4 of 8 accesses), then B: A is queued and starts, B finds no room
    assertThat(rendering.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(cache.stats().precached()).isEqualTo(1);
    assertThat(rendersOf("alice", "B")).isEqualTo(1);
    proceed.countDown();
    settle();
    view("alice", "Other"); // the next plan takes B
    settle();
    assertThat(rendersOf("alice", "B")).isEqualTo(2);
    assertThat(cache.stats().precached()).isEqualTo(2);
    long hits = cache.stats().hits();
    view("alice", "B");
    assertThat(cache.stats().hits()).isEqualTo(hits + 1);
    assertThat(cache.stats().precacheUsed()).isEqualTo(1);
  }

  @Test
  void anInvalidationDuringThePrecacheRenderIsNotLost() throws Exception {
    build(Freshcache.builder().precache(10));
    AtomicInteger version = new AtomicInteger(1);
    CountDownLatch rendering = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    Renderer r = ctx -> {
      ctx.dependsOn("page:R");
      int v = version.get();
      if (calls.incrementAndGet() == 2) {
        rendering.countDown();
        proceed.await();
      }
      return Content.html("v" + v);
    };
    cache.get(key("alice", "R"), r);
    cache.invalidate("page:R");
    settle();
    view("alice", "Other");
    assertThat(rendering.await(10, TimeUnit.SECONDS)).isTrue();
    version.set(3);
    cache.invalidate("page:R"); // while the pre-cache render that read v1 runs
    proceed.countDown();
    settle();
    assertThat(new String(cache.get(key("alice", "R"), r).body())).as("guarantee 1").isEqualTo("v3");
  }

  @Test
  void theOptionsAreValidated() {
    assertThatThrownBy(() -> Freshcache.builder().precache(0)).hasMessageContaining("1..1000");
    assertThatThrownBy(() -> Freshcache.builder().precache(1001)).hasMessageContaining("1..1000");
    assertThatThrownBy(() -> Freshcache.builder().precacheHalfLife(Duration.ofMillis(10))).hasMessageContaining(">= 1 s");
    assertThatThrownBy(() -> Freshcache.builder().precacheVisitGap(Duration.ZERO)).hasMessageContaining("> 0");
    assertThatThrownBy(() -> Freshcache.builder().precacheUsers(0)).hasMessageContaining(">= 1");
  }

  /**
   * {@link Precacher#pagesFor}: the fewest top pages whose weight reaches the coverage, unless the
   * bound stops it first; checked against its definition on random weight lists.
   */
  @Test
  void pagesForIsTheFewestTopPagesThatReachTheCoverage() {
    SeededProperty.forAll("PrecacheTest#pagesForIsTheFewestTopPagesThatReachTheCoverage", 20_000, 1, (random, trace) -> {
      int n = random.nextInt(0, 40);
      double[] w = new double[n];
      for (int i = 0; i < n; i++) {
        w[i] = random.nextInt(4) == 0 ? 0 : random.nextDouble(0.001, 50);
      }
      Arrays.sort(w);
      for (int i = 0; i < n / 2; i++) {
        double t = w[i];
        w[i] = w[n - 1 - i];
        w[n - 1 - i] = t;
      }
      double coverage = Precacher.coverage(random.nextDouble(0, 10));
      int max = random.nextInt(1, 50);
      trace.add("weights " + Arrays.toString(w) + ", coverage " + coverage + ", max " + max);
      int x = Precacher.pagesFor(w, coverage, max);
      double total = Arrays.stream(w).sum();
      assertThat(x).isBetween(0, Math.min(max, n));
      if (total == 0) {
        assertThat(x).isZero();
        return;
      }
      double covered = Arrays.stream(w, 0, x).sum();
      if (x < max && x < n) {
        assertThat(covered).as("reaches the coverage").isGreaterThanOrEqualTo(coverage * total);
      }
      if (x > 0) {
        double fewer = Arrays.stream(w, 0, x - 1).sum();
        assertThat(fewer).as("one page fewer falls short").isLessThan(coverage * total);
      }
    });
  }

  @Test
  void coverageGrowsWithVisitsWithinItsBounds() {
    assertThat(Precacher.coverage(0)).isEqualTo(Precacher.BASE_COVERAGE);
    assertThat(Precacher.coverage(1)).isGreaterThan(Precacher.coverage(0));
    assertThat(Precacher.coverage(1000)).isEqualTo(Precacher.MAX_COVERAGE);
  }
}
