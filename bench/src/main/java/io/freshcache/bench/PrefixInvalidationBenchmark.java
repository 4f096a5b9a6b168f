package io.freshcache.bench;

import io.freshcache.core.CacheKey;
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
 * What {@code invalidatePrefix} costs its caller when the cache holds many tags but the prefix
 * covers few: the proxy calls it on its event loop for a {@code Cache-Invalidate: page:S7/**}, so
 * its time is every other connection's wait.
 *
 * <p>N entries, entry {@code i} depending on its own tag {@code page:S<i % 1000>/P<i>}: each of the
 * 1,000 subtrees {@code page:S<k>/} covers N / 1000 entries. Each iteration is one call ({@link
 * Mode#SingleShotTime}) on the next subtree; {@link #verify} then checks that every entry of that
 * subtree misses and one entry of another subtree is still served, and renders the subtree again so
 * the next call finds N tags.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 20)
@Measurement(iterations = 40)
public class PrefixInvalidationBenchmark {
  static final int SUBTREES = 1000;
  static final long MAXIMUM_BYTES = 2L << 30;

  /** How many entries (each with a tag of its own) the cache holds. */
  @Param({"100000", "1000000"})
  public int tags;

  private Freshcache cache;
  private CacheKey[] keys;
  private String[] ownTags;
  private int subtree = -1;

  /** Renders the N entries once; iterations only re-render the subtree they invalidated. */
  @Setup(Level.Trial)
  public void fill() {
    cache = Freshcache.builder().maximumBytes(MAXIMUM_BYTES).build();
    keys = new CacheKey[tags];
    ownTags = new String[tags];
    for (int i = 0; i < tags; i++) {
      keys[i] = CacheKey.of("/p/" + i);
      ownTags[i] = "page:S" + (i % SUBTREES) + "/P" + i;
      render(i);
    }
    System.gc();
  }

  private void render(int i) {
    String own = ownTags[i];
    cache.get(keys[i], ctx -> {
      ctx.dependsOn(own);
      return new Content(own.getBytes(StandardCharsets.UTF_8), "text/plain; charset=utf-8");
    });
  }

  /** Picks the next subtree before the measured call. */
  @Setup(Level.Iteration)
  public void next() {
    subtree = (subtree + 1) % SUBTREES;
  }

  /** The measured operation: one prefix covering N / 1000 of the N tags. */
  @Benchmark
  public void invalidateOneSubtree() {
    cache.invalidatePrefix("page:S" + subtree + "/");
  }

  /** The subtree's entries miss, another subtree's still hit; then the subtree is rendered again. */
  @TearDown(Level.Iteration)
  public void verify() {
    int other = (subtree + SUBTREES / 2) % SUBTREES;
    if (cache.getIfPresent(keys[other]) == null) {
      throw new IllegalStateException(keys[other] + " (" + ownTags[other] + ") was removed by invalidatePrefix(page:S"
          + subtree + "/) (expected: served, it is in another subtree)");
    }
    for (int i = subtree; i < tags; i += SUBTREES) {
      if (cache.getIfPresent(keys[i]) != null) {
        throw new IllegalStateException(keys[i] + " (" + ownTags[i] + ") still served after invalidatePrefix(page:S"
            + subtree + "/) returned (expected: a miss)");
      }
      render(i);
    }
  }

  /** Stops the cache's worker. */
  @TearDown(Level.Trial)
  public void close() {
    cache.close();
  }
}
