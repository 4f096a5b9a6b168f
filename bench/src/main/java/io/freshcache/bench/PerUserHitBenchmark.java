package io.freshcache.bench;

import io.freshcache.core.CacheKey;
import io.freshcache.core.Content;
import io.freshcache.core.Freshcache;
import io.freshcache.core.Page;
import io.freshcache.core.Renderer;
import io.freshcache.core.Scope;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A hit on a page cached per user, when many users have it: one resource ({@code /home}) with an
 * entry for each of N users, each hit for a random one of them. Beside it, the same lookups on N
 * resources of one entry each, the shape a public page has: a per-user hit should cost what that
 * costs, whatever N.
 *
 * <p>The store keeps a resource's entries together (so that a URL's every variant and user can be
 * removed at once); this measures what a large group of them costs a lookup.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PerUserHitBenchmark {
  static final int SEQUENCE_LENGTH = 1 << 16;
  static final byte[] BODY = new byte[512];

  /** How many users have their own entry of the page. */
  @Param({"4", "100", "10000"})
  public int users;

  private Freshcache cache;
  private CacheKey[] perUser;
  private CacheKey[] perResource;
  private int[] sequence;
  private int cursor;

  /** A hit never renders: a call means the benchmark measures misses. */
  private static final Renderer NEVER = ctx -> {
    throw new IllegalStateException("rendered on a measured lookup (expected: a hit)");
  };

  @Setup
  public void fill() {
    cache = Freshcache.builder().maximumBytes(1L << 30).compressionThreshold(Integer.MAX_VALUE).build();
    perUser = new CacheKey[users];
    perResource = new CacheKey[users];
    for (int u = 0; u < users; u++) {
      perUser[u] = CacheKey.of("/home").withScope(Scope.user("user-" + u));
      perResource[u] = CacheKey.of("/page/" + u);
      cache.get(perUser[u], ctx -> new Content(BODY, "text/html"));
      cache.get(perResource[u], ctx -> new Content(BODY, "text/html"));
    }
    SplittableRandom r = new SplittableRandom(42);
    sequence = new int[SEQUENCE_LENGTH];
    for (int i = 0; i < SEQUENCE_LENGTH; i++) {
      sequence[i] = r.nextInt(users);
    }
  }

  /** A hit on one of N users' entries of one resource. */
  @Benchmark
  public Page hitPerUser() {
    return cache.get(perUser[sequence[cursor++ & (SEQUENCE_LENGTH - 1)]], NEVER);
  }

  /** The peer: a hit on one of N resources with one entry each. */
  @Benchmark
  public Page hitPerResource() {
    return cache.get(perResource[sequence[cursor++ & (SEQUENCE_LENGTH - 1)]], NEVER);
  }

  @TearDown
  public void close() {
    cache.close();
  }
}
