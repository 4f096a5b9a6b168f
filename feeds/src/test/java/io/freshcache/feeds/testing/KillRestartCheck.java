package io.freshcache.feeds.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.core.CacheKey;
import io.freshcache.core.Content;
import io.freshcache.core.Freshcache;
import io.freshcache.feeds.Change;
import io.freshcache.feeds.ChangeSink;
import io.freshcache.feeds.ChangeSource;
import io.freshcache.feeds.FeedStats;
import io.freshcache.feeds.Feeds;
import io.freshcache.feeds.Rules;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The Must-show check for a source: N changes, each touching its own tag {@code item:<i>}, with
 * an entry depending on each tag rendered through a real {@link Freshcache} before; the consumer is
 * killed abruptly midway (from inside the sink, right after the change was applied and before it
 * was acknowledged or checkpointed) and restarted from its durable state while the producer goes
 * on. At the end every one of the N entries must have been invalidated (absent, and re-rendered on
 * the next get), the control entries untouched, no gap reported; the counts are printed.
 *
 * <p>One tag per change, and not a few tags shared by many changes, on purpose: with shared tags
 * an early change's invalidation would hide a later change that was lost.
 */
public final class KillRestartCheck {

  /** What the check needs from one kind of source. */
  public interface Driver {
    /** The JSON pointer, into a change's payload, of the number i of a produced change. */
    String tagPointer();

    /** Produces changes {@code from..to-1} (change i touches tag {@code item:<i>}). */
    void produce(int from, int to) throws Exception;

    /** A new consumer over the same durable state (queue, group, checkpoint) as the last one. */
    ChangeSource newSource();

    /** Kills {@code source} like a process kill: connections closed, nothing acked or saved. */
    void crash(ChangeSource source);
  }

  /** What happened, for the log line and assertions. */
  public record Result(int changes, long delivered, long duplicates, int invalidated,
      int reRendered, long feedInvalidations, long gaps, Duration took) {
    @Override
    public String toString() {
      return changes + " changes: delivered " + delivered + " (" + duplicates
          + " duplicates re-delivered after the kill), entries invalidated " + invalidated + "/"
          + changes + ", re-rendered on next get " + reRendered + ", tag invalidations applied "
          + feedInvalidations + ", gaps " + gaps + ", in " + took.toMillis() + " ms";
    }
  }

  private KillRestartCheck() {}

  /**
   * Runs the check with {@code changes} changes; asserts and returns the result.
   *
   * @param label printed with the counts, e.g. the source's kind
   */
  public static Result run(String label, Driver driver, int changes) throws Exception {
    long started = System.nanoTime();
    int controls = 100;
    Freshcache cache = Freshcache.builder().executor(Runnable::run).build();
    try {
      for (int i = 0; i < changes; i++) {
        render(cache, "/item/" + i, "item:" + i, null);
      }
      for (int i = 0; i < controls; i++) {
        render(cache, "/control/" + i, "control:" + i, null);
      }
      // Change i carries i at the driver's pointer; the rule makes the tag of it.
      Feeds feeds = Feeds.builder(cache).rules(Rules.parse("""
          rules:
            - name: items
              invalidate: [ "item:{%s}" ]
          """.formatted(driver.tagPointer()), "kill-restart")).build();

      Set<String> seen = ConcurrentHashMap.newKeySet();
      AtomicLong delivered = new AtomicLong();
      AtomicLong duplicates = new AtomicLong();
      AtomicReference<ChangeSource> current = new AtomicReference<>();
      AtomicBoolean killed = new AtomicBoolean();
      int killAt = changes / 2;
      ChangeSink counting = new ChangeSink() {
        @Override
        public void accept(Change change) {
          feeds.sink().accept(change);
          delivered.incrementAndGet();
          if (!seen.add(change.id())) {
            duplicates.incrementAndGet();
          }
          if (seen.size() >= killAt && killed.compareAndSet(false, true)) {
            // Applied but not yet acknowledged or checkpointed: the worst moment to die.
            driver.crash(current.get());
          }
        }

        @Override
        public void gap(String source, String reason) {
          feeds.sink().gap(source, reason);
        }
      };

      AtomicReference<Throwable> producerFailed = new AtomicReference<>();
      Thread producer = new Thread(() -> {
        try {
          int batch = 250;
          for (int i = 0; i < changes; i += batch) {
            driver.produce(i, Math.min(changes, i + batch));
            Thread.sleep(20);
          }
        } catch (Throwable t) {
          producerFailed.set(t);
        }
      }, "kill-restart-producer");
      producer.start();

      ChangeSource first = driver.newSource();
      current.set(first);
      first.start(counting);
      long deadline = System.nanoTime() + Duration.ofSeconds(25).toNanos();
      while (!killed.get() && System.nanoTime() < deadline && producerFailed.get() == null) {
        Thread.sleep(5);
      }
      assertThat(killed).as("consumer reached change %d of %d", killAt, changes).isTrue();
      // Down for a while: the producer goes on, the durable state must hold what it writes.
      Thread.sleep(300);
      long deliveredAtKill = delivered.get();
      first.stop();
      ChangeSource second = driver.newSource();
      current.set(second);
      second.start(counting);
      try {
        while (seen.size() < changes && System.nanoTime() < deadline && producerFailed.get() == null) {
          Thread.sleep(5);
        }
        producer.join(5_000);
      } finally {
        second.stop();
      }
      if (producerFailed.get() != null) {
        throw new AssertionError("producer failed", producerFailed.get());
      }

      List<Integer> stillCached = new ArrayList<>();
      for (int i = 0; i < changes; i++) {
        if (cache.getIfPresent(CacheKey.of("/item/" + i)) != null) {
          stillCached.add(i);
        }
      }
      AtomicInteger reRendered = new AtomicInteger();
      for (int i = 0; i < changes; i++) {
        render(cache, "/item/" + i, "item:" + i, reRendered);
      }
      int controlsCached = 0;
      for (int i = 0; i < controls; i++) {
        if (cache.getIfPresent(CacheKey.of("/control/" + i)) != null) {
          controlsCached++;
        }
      }
      FeedStats stats = feeds.stats();
      Result r = new Result(changes, delivered.get(), duplicates.get(),
          changes - stillCached.size(), reRendered.get(), stats.invalidations(), stats.gaps(),
          Duration.ofNanos(System.nanoTime() - started));
      System.out.println("[" + label + "] " + r + " (killed after " + deliveredAtKill
          + " deliveries)");
      assertThat(seen).as("distinct changes delivered").hasSize(changes);
      assertThat(stillCached).as("entries never invalidated (missed changes)").isEmpty();
      assertThat(reRendered.get()).as("entries re-rendered on the next get").isEqualTo(changes);
      assertThat(controlsCached).as("control entries, touched by no change").isEqualTo(controls);
      assertThat(stats.gaps()).as("gaps").isZero();
      assertThat(stats.errors()).as("errors").isZero();
      return r;
    } finally {
      cache.close();
    }
  }

  private static void render(Freshcache cache, String path, String tag, AtomicInteger renders) {
    cache.get(CacheKey.of(path), ctx -> {
      ctx.dependsOn(tag);
      if (renders != null) {
        renders.incrementAndGet();
      }
      return Content.html(path);
    });
  }
}
