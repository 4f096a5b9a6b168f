package io.freshcache.bench;

import io.freshcache.core.CacheKey;
import io.freshcache.core.CacheStats;
import io.freshcache.core.Content;
import io.freshcache.core.Freshcache;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What {@code invalidate(tag)} costs its caller when N entries depend on the tag (guarantee 2: O(1)
 * on the caller's thread whatever N), and proof that afterwards all N miss.
 *
 * <p>Each iteration is one call ({@link Mode#SingleShotTime}): {@link #fill} renders N entries, each
 * with its own key and depending on the shared tag and a tag of its own; the measured method only
 * invalidates the shared tag; {@link #verify} then looks every key up and fails the run if a single
 * one is still served, waits for the background worker to remove them all, and checks the store is
 * empty before the next fill. The reported figure is the distribution over iterations (median,
 * p90, max), not a mean: one call is too short for a mean to hide anything but GC and scheduling.
 *
 * <p>Each iteration calls {@code invalidate} once, so JMH's warm-up alone never gets its code
 * compiled. {@link #codePath} therefore runs every case twice: {@code cold}, as the harness leaves it
 * (interpreted or barely compiled: a site that rarely invalidates), and {@code warm}, where the
 * trial first invalidates an unrelated tag 20,000 times so the path is JIT-compiled, and each
 * iteration repeats that 200 times after the fill's full GC (which clears inline caches): a site
 * that invalidates all the time. The warm-up tag has one entry of its own and none of the N.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
// 1M entries with their keys, tag states and index slots take several hundred MB; a fixed-size
// heap keeps resizing out of the measurement.
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g"})
@Warmup(iterations = 5)
@Measurement(iterations = 20)
public class InvalidationBenchmark {
  /** The tag every entry depends on; the one invalidated. */
  static final String SHARED_TAG = "site:nav";
  /** Large enough to hold 1M small entries (each weighs its body plus the store's per-entry overhead). */
  static final long MAXIMUM_BYTES = 2L << 30;

  /** How many entries depend on the invalidated tag. */
  @Param({"1000", "100000", "1000000"})
  public int dependents;

  /** {@code cold}: invalidate's code as JMH leaves it; {@code warm}: JIT-compiled beforehand. */
  @Param({"cold", "warm"})
  public String codePath;

  /** The unrelated tag invalidated to warm the path up, and the key of the one entry depending on it. */
  static final String WARMUP_TAG = "bench:warmup";
  static final CacheKey WARMUP_KEY = CacheKey.of("/bench/warmup");

  private Freshcache cache;
  private CacheKey[] keys;
  /** Each entry's own tag, made once so the fill does not spend its time building strings. */
  private String[] ownTags;
  private long fills;
  private long reRenders;

  /** Builds the cache and the keys once per parameter value; entries are rendered per iteration. */
  @Setup(Level.Trial)
  public void build() throws InterruptedException {
    cache = Freshcache.builder().maximumBytes(MAXIMUM_BYTES).build();
    if (warm()) {
      warmUp(20_000);
    }
    keys = new CacheKey[dependents];
    ownTags = new String[dependents];
    for (int i = 0; i < dependents; i++) {
      keys[i] = CacheKey.of("/item/" + i);
      ownTags[i] = "item:" + i;
    }
  }

  /** Renders all N entries (every one a miss: the previous iteration removed them). */
  @Setup(Level.Iteration)
  public void fill() throws InterruptedException {
    fills++;
    for (int pass = 0; ; pass++) {
      for (int i = 0; i < dependents; i++) {
        String own = ownTags[i];
        cache.get(keys[i], ctx -> {
          ctx.dependsOn(SHARED_TAG, own);
          return new Content(("<li>" + own + "</li>").getBytes(StandardCharsets.UTF_8), "text/html; charset=utf-8");
        });
      }
      long stored = cache.stats().entryCount();
      if (stored == dependents) {
        break;
      }
      // The core declines to store an entry whose fresh tag state it finds retired by the
      // background sweep at the moment of linking (a rare, documented race), so the states of the
      // previous iteration's entries can cost a few entries here; a second pass renders just those.
      reRenders += dependents - stored;
      if (pass == 3) {
        throw new IllegalStateException("fill: " + stored + " entries stored after 4 passes (expected: " + dependents + ")");
      }
    }
    // Collect the fill's garbage now, so the measured call does not pay for a pause it did not cause.
    System.gc();
    if (warm()) {
      warmUp(200);
    }
  }

  private boolean warm() {
    return codePath.equals("warm");
  }

  /**
   * Renders the warm-up entry and invalidates its tag, {@code rounds} times, then waits for the
   * worker so none of that work overlaps the measured call.
   */
  private void warmUp(int rounds) throws InterruptedException {
    for (int r = 0; r < rounds; r++) {
      cache.get(WARMUP_KEY, ctx -> {
        ctx.dependsOn(WARMUP_TAG);
        return Content.text("warm-up");
      });
      cache.invalidate(WARMUP_TAG);
    }
    awaitSettled();
  }

  private void awaitSettled() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!cache.invalidationsSettled()) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("the invalidation worker did not settle within 120 s");
      }
      Thread.sleep(1);
    }
  }

  /** The measured operation: one call, whatever the number of dependents. */
  @Benchmark
  public void invalidateOneTag() {
    cache.invalidate(SHARED_TAG);
  }

  /**
   * Every one of the N keys must miss right after {@code invalidate} returned, before the background
   * worker has necessarily removed anything; then wait for the worker so the next fill starts from
   * an empty store.
   */
  @TearDown(Level.Iteration)
  public void verify() throws InterruptedException {
    int served = 0;
    for (CacheKey key : keys) {
      if (cache.getIfPresent(key) != null) {
        served++;
      }
    }
    if (served != 0) {
      throw new IllegalStateException(served + " of " + dependents + " entries still served after invalidate(\""
          + SHARED_TAG + "\") returned (expected: none)");
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!cache.invalidationsSettled() || cache.stats().entryCount() != 0) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("entries left 120 s after the invalidation: " + cache.stats().entryCount());
      }
      Thread.sleep(1);
    }
  }

  /** Reports the run's totals on the JMH output, and stops the cache's worker. */
  @TearDown(Level.Trial)
  public void close() {
    CacheStats s = cache.stats();
    System.out.printf("%n[InvalidationBenchmark] codePath=%s dependents=%d fills=%d renders-incl-warm-up=%d re-renders=%d invalidated-by-worker=%d "
        + "stale-rejections=%d%n", codePath, dependents, fills, s.renders(), reRenders, s.invalidatedEntries(), s.staleRejections());
    cache.close();
  }
}
