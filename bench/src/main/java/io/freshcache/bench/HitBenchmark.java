package io.freshcache.bench;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.freshcache.core.CacheKey;
import io.freshcache.core.CacheStats;
import io.freshcache.core.Content;
import io.freshcache.core.Freshcache;
import io.freshcache.core.Renderer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * The cost of a cache hit: Freshcache on an entry whose renderer declared five dependency tags,
 * against raw Caffeine {@code getIfPresent} on a cache of the same bound holding the same body
 * arrays. All methods run in the same JMH invocation so their ratio is not skewed by the machine's
 * mood between runs.
 *
 * <p>10,000 keys with 1 KiB bodies; each operation takes the next key from a precomputed random
 * sequence through a per-thread cursor, so lookups spread over the whole table (cache misses in the
 * CPU sense included) instead of hammering one hot key. Compression is off ({@code
 * compressionThreshold(Integer.MAX_VALUE)}) so a hit hands out the stored array as is, as Caffeine
 * does; a hit on a gzip-stored entry whose caller wants identity would measure gunzip instead.
 *
 * <p>The thread count is {@code @Threads(1)} here; {@code bench/run-core-benchmarks.sh} runs the
 * class again with {@code -t 2} (see docs/benchmarks.md for the exact commands).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Threads(1)
public class HitBenchmark {
  /** Distinct keys: enough that the working set is not one cache line, few enough to fill quickly. */
  static final int KEYS = 10_000;
  /** Body length: a small page or a typical fragment. */
  static final int BODY_BYTES = 1024;
  /** Length of the precomputed key sequence; a power of two so the cursor wraps with a mask. */
  static final int SEQUENCE_LENGTH = 1 << 16;
  /** Bound of both caches; well above what 10,000 entries weigh, so nothing is evicted. */
  static final long MAXIMUM_BYTES = 64L << 20;

  /** Passed on every measured lookup: a hit never calls it, so a call means the benchmark is wrong. */
  private static final Renderer MUST_HIT = ctx -> {
    throw new IllegalStateException("miss on " + ctx.key() + " during the hit benchmark");
  };

  private Freshcache freshcache;
  private Cache<String, byte[]> caffeine;
  private Cache<CacheKey, byte[]> caffeineByCacheKey;
  private Cache<String, RenderedPage> caffeinePages;

  /**
   * What an application caching rendered pages itself would keep: the body with its media type and
   * ETag. Reading the body dereferences the value, as any use of a cached page does.
   */
  record RenderedPage(byte[] body, String contentType, String etag) {}
  private CacheKey[] keys;
  private String[] resources;
  /** Indexes into {@link #keys}, uniformly random, fixed seed. */
  private int[] sequence;
  private CacheStats afterFill;

  /** A thread's position in the shared key sequence, so threads never contend on an index. */
  @State(Scope.Thread)
  public static class Cursor {
    private int next;

    /** Starts each thread at a different place in the sequence. */
    @Setup(Level.Trial)
    public void start(ThreadParams threads) {
      next = threads.getThreadIndex() * (SEQUENCE_LENGTH / threads.getThreadCount());
    }

    int next(int[] sequence) {
      return sequence[next++ & (SEQUENCE_LENGTH - 1)];
    }
  }

  /** Fills both caches with the same 10,000 body arrays and checks every key hits in each. */
  @Setup(Level.Trial)
  public void fill() {
    freshcache = Freshcache.builder()
        .maximumBytes(MAXIMUM_BYTES)
        .compressionThreshold(Integer.MAX_VALUE)
        .build();
    // Bounded by the same number of bytes with a byte weigher, so Caffeine keeps the same
    // size-based eviction bookkeeping on reads that Freshcache's store does.
    caffeine = Caffeine.newBuilder()
        .maximumWeight(MAXIMUM_BYTES)
        .<String, byte[]>weigher((k, v) -> v.length)
        .build();
    caffeineByCacheKey = Caffeine.newBuilder()
        .maximumWeight(MAXIMUM_BYTES)
        .<CacheKey, byte[]>weigher((k, v) -> v.length)
        .build();
    caffeinePages = Caffeine.newBuilder()
        .maximumWeight(MAXIMUM_BYTES)
        .<String, RenderedPage>weigher((k, v) -> v.body().length)
        .build();
    keys = new CacheKey[KEYS];
    resources = new String[KEYS];
    for (int i = 0; i < KEYS; i++) {
      int n = i;
      byte[] body = Bodies.page(n, BODY_BYTES);
      keys[i] = CacheKey.of("/wiki/Page_" + n);
      resources[i] = keys[i].resource();
      // Five tags the way a page declares them: its own, two shared by groups of pages, and two
      // shared by every page (navigation and layout).
      freshcache.get(keys[i], ctx -> {
        ctx.dependsOn("page:" + n, "user:" + (n % 1000), "cat:" + (n % 100), "site:nav", "layout");
        return new Content(body, "text/html; charset=utf-8");
      });
      caffeine.put(resources[i], body);
      caffeineByCacheKey.put(keys[i], body);
      caffeinePages.put(resources[i], new RenderedPage(body, "text/html; charset=utf-8", "\"" + n + "\""));
    }
    SplittableRandom random = new SplittableRandom(42);
    sequence = new int[SEQUENCE_LENGTH];
    for (int i = 0; i < SEQUENCE_LENGTH; i++) {
      sequence[i] = random.nextInt(KEYS);
    }
    for (int i = 0; i < KEYS; i++) {
      byte[] fc = freshcache.get(keys[i], MUST_HIT).body();
      if (fc != caffeine.getIfPresent(resources[i]) || fc != caffeineByCacheKey.getIfPresent(keys[i])
          || freshcache.get(keys[i], MUST_HIT).tags().size() != 5) {
        throw new IllegalStateException("setup: " + keys[i] + " is not the same entry in every cache");
      }
    }
    afterFill = freshcache.stats();
  }

  /** Fails the run if any measured Freshcache lookup missed (a miss would be a different benchmark). */
  @TearDown(Level.Trial)
  public void check() {
    CacheStats now = freshcache.stats();
    long missed = now.misses() - afterFill.misses() + now.staleRejections() - afterFill.staleRejections();
    if (missed != 0 || now.entryCount() != KEYS) {
      throw new IllegalStateException("the hit benchmark missed " + missed + " times; entries: "
          + now.entryCount() + " (expected: 0 misses, " + KEYS + " entries)");
    }
    long caffeineSize = caffeine.estimatedSize();
    if (caffeineSize != KEYS) {
      throw new IllegalStateException("raw Caffeine holds " + caffeineSize + " entries (expected: " + KEYS + ")");
    }
    freshcache.close();
  }

  /** The everyday call: {@code get(key, renderer)} on a current entry, then its body. */
  @Benchmark
  public void freshcacheGet(Cursor cursor, Blackhole bh) {
    bh.consume(freshcache.get(keys[cursor.next(sequence)], MUST_HIT).body());
  }

  /** {@code getIfPresent(key)} on a current entry, then its body. */
  @Benchmark
  public void freshcacheGetIfPresent(Cursor cursor, Blackhole bh) {
    bh.consume(freshcache.getIfPresent(keys[cursor.next(sequence)]).body());
  }

  /**
   * The baseline: Caffeine keyed by the resource string, which is how Freshcache's own store keys
   * Caffeine, so the difference is exactly what Freshcache adds on top.
   */
  @Benchmark
  public void caffeineGetIfPresent(Cursor cursor, Blackhole bh) {
    bh.consume(caffeine.getIfPresent(resources[cursor.next(sequence)]));
  }

  /**
   * A third baseline: Caffeine holding page objects (body, media type, ETag), and the body read from
   * the value, as an application caching its rendered pages would.
   */
  @Benchmark
  public void caffeinePageObjectBody(Cursor cursor, Blackhole bh) {
    bh.consume(caffeinePages.getIfPresent(resources[cursor.next(sequence)]).body());
  }

  /**
   * A second baseline: Caffeine keyed by the {@link CacheKey} record, as an application would key it
   * if it cached variants and scopes itself (the record's hashCode and equals are not cached).
   */
  @Benchmark
  public void caffeineByCacheKeyGetIfPresent(Cursor cursor, Blackhole bh) {
    bh.consume(caffeineByCacheKey.getIfPresent(keys[cursor.next(sequence)]));
  }
}
