package io.freshcache.feeds.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.core.CacheKey;
import io.freshcache.core.Content;
import io.freshcache.core.Freshcache;
import io.freshcache.feeds.Change;
import io.freshcache.feeds.ChangeSink;
import io.freshcache.feeds.ChangeSource;
import io.freshcache.feeds.Feeds;
import io.freshcache.feeds.Rules;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Measures one source's latency from "the producer starts writing a change" (publish, XADD, PUT)
 * to "its invalidation is applied" (the feed's sink returned), over changes sent one at a time,
 * each waiting for the previous one to be applied. Not run by default: the *LatencyIT classes are
 * tagged {@code manual}, run with {@code -Dfeeds.excludedGroups=none}. Prints median, p90, p99 and
 * max.
 */
public final class LatencyProbe {

  /** Writes change {@code i} (touching tag {@code item:<i>}) and returns the id its Change will have. */
  public interface Producer {
    String send(int i) throws Exception;
  }

  /** The figures, in microseconds. */
  public record Figures(int samples, long medianMicros, long p90Micros, long p99Micros,
      long maxMicros) {}

  private LatencyProbe() {}

  /**
   * Starts {@code source} feeding a real cache, sends {@code warmup} then {@code samples} changes
   * one at a time, and returns the figures of the latter.
   *
   * @param tagPointer the JSON pointer of i in a change's payload
   */
  public static Figures run(String label, ChangeSource source, String tagPointer,
      Producer producer, int warmup, int samples) throws Exception {
    Freshcache cache = Freshcache.builder().executor(Runnable::run).build();
    ConcurrentHashMap<String, CompletableFuture<Long>> applied = new ConcurrentHashMap<>();
    try {
      int total = warmup + samples;
      for (int i = 0; i < total; i++) {
        String tag = "item:" + i;
        cache.get(CacheKey.of("/item/" + i), ctx -> {
          ctx.dependsOn(tag);
          return Content.html(tag);
        });
      }
      Feeds feeds = Feeds.builder(cache).rules(Rules.parse("""
          rules:
            - name: items
              invalidate: [ "item:{%s}" ]
          """.formatted(tagPointer), "latency")).build();
      source.start(new ChangeSink() {
        @Override
        public void accept(Change change) {
          feeds.sink().accept(change);
          long now = System.nanoTime();
          applied.computeIfAbsent(change.id(), k -> new CompletableFuture<>()).complete(now);
        }

        @Override
        public void gap(String s, String reason) {
          feeds.sink().gap(s, reason);
        }
      });
      // Let the source connect (and create its group or queue) before the clock starts.
      Thread.sleep(1_000);
      long[] micros = new long[samples];
      for (int i = 0; i < total; i++) {
        long t0 = System.nanoTime();
        String id = producer.send(i);
        long t1 = applied.computeIfAbsent(id, k -> new CompletableFuture<>()).get(10, TimeUnit.SECONDS);
        if (i >= warmup) {
          micros[i - warmup] = (t1 - t0) / 1_000;
        }
      }
      for (int i = 0; i < total; i++) {
        assertThat(cache.getIfPresent(CacheKey.of("/item/" + i))).as("entry %d invalidated", i).isNull();
      }
      Arrays.sort(micros);
      Figures f = new Figures(samples, at(micros, 0.50), at(micros, 0.90), at(micros, 0.99),
          micros[micros.length - 1]);
      System.out.printf("[latency %s] %s: %d single changes, produce -> invalidation applied:"
          + " median %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n", LocalDate.now(), label,
          samples, f.medianMicros() / 1000.0, f.p90Micros() / 1000.0, f.p99Micros() / 1000.0,
          f.maxMicros() / 1000.0);
      return f;
    } finally {
      source.stop();
      cache.close();
    }
  }

  private static long at(long[] sorted, double q) {
    return sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1))];
  }
}
