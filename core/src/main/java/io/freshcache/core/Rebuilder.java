package io.freshcache.core;

import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-renders invalidated entries in the background (the {@code rebuild} policy), so that readers
 * find them rendered again rather than paying for the miss.
 *
 * <p>Bounded on every side, so an invalidation storm cannot flatten whatever the renderers read
 * (a database, the proxy's origin): at most {@code queueLimit} keys wait (beyond that an entry is
 * only evicted), at most {@code concurrency} renders run at once, and no more than {@code
 * ratePerSecond} start per second (a token bucket with a one-second burst). Waiting keys are
 * deduplicated and taken most-requested first: an entry's priority is the number of distinct
 * seconds in which it was requested ({@link Entry#touch}), and only entries requested within the
 * recency window are rebuilt at all.
 *
 * <p>While a key waits or renders, its invalidated copy is kept here, so callers that accept stale
 * copies ({@link Freshcache#getAsyncAllowingStale}) can be answered at once.
 */
final class Rebuilder {
  private static final Logger LOG = LoggerFactory.getLogger(Rebuilder.class);

  /** An invalidated entry to rebuild, or ({@code stale} null) a key to pre-cache with {@code renderer}. */
  private record Task(Entry stale, CacheKey key, Object renderer, int priority, long order) {}

  private final Predicate<CacheKey> policy;
  private final int queueLimit;
  /** How many pre-cache renders may wait or run: a quarter of the queue bound, at least one. */
  private final int precacheLimit;
  private final long recentMillis;
  private final Clock clock;
  private final Consumer<Entry> rebuild;
  private final BiConsumer<CacheKey, Object> precache;
  private final PriorityBlockingQueue<Task> queue = new PriorityBlockingQueue<>(64,
      Comparator.comparingInt((Task t) -> -t.priority()).thenComparingLong(Task::order));
  /** Keys waiting or rendering, with their invalidated copy. */
  private final ConcurrentHashMap<CacheKey, Entry> pending = new ConcurrentHashMap<>();
  /** Keys waiting for or being pre-cached (they have no invalidated copy to serve). */
  private final Set<CacheKey> precaching = ConcurrentHashMap.newKeySet();
  private final AtomicLong order = new AtomicLong();
  private final TokenBucket bucket;
  private final Thread[] workers;
  private volatile boolean stopped;

  final LongAdder rebuilt = new LongAdder();
  final LongAdder failed = new LongAdder();
  final LongAdder dropped = new LongAdder();

  Rebuilder(Predicate<CacheKey> policy, int concurrency, double ratePerSecond, int queueLimit,
      long recentMillis, Clock clock, Consumer<Entry> rebuild, BiConsumer<CacheKey, Object> precache) {
    this.policy = policy;
    this.queueLimit = queueLimit;
    this.precacheLimit = Math.max(1, queueLimit / 4);
    this.recentMillis = recentMillis;
    this.clock = clock;
    this.rebuild = rebuild;
    this.precache = precache;
    this.bucket = new TokenBucket(ratePerSecond);
    this.workers = new Thread[concurrency];
    for (int i = 0; i < concurrency; i++) {
      workers[i] = new Thread(this::work, "freshcache-rebuild-" + i);
      workers[i].setDaemon(true);
    }
  }

  void start() {
    for (Thread t : workers) {
      t.start();
    }
  }

  void stop() {
    stopped = true;
    for (Thread t : workers) {
      t.interrupt();
    }
  }

  /**
   * Queues the invalidated entry for a rebuild if the policy wants it; returns whether it is (or
   * already was) queued. False means the caller evicts as usual.
   */
  boolean offer(Entry stale) {
    if (stopped || stale.renderer() == null || !policy.test(stale.key)) {
      return false;
    }
    if (clock.currentTimeMillis() - stale.lastAccessMillis() > recentMillis) {
      return false;
    }
    if (pending.putIfAbsent(stale.key, stale) != null) {
      return true; // deduplicated: one rebuild serves every invalidation of the key so far
    }
    if (pending.size() > queueLimit) {
      pending.remove(stale.key, stale);
      dropped.increment();
      return false;
    }
    queue.add(new Task(stale, stale.key, null, stale.accessSeconds(), order.incrementAndGet()));
    return true;
  }

  /** What became of a pre-cache render offered to {@link #offerPrecache}. */
  enum PrecacheOffer {
    /** Queued now. */
    QUEUED,
    /** Already waiting or rendering, for a rebuild or a pre-cache: nothing more to do. */
    ALREADY,
    /** Not queued: stopped, or the pre-cache share of the queue is full. */
    REFUSED
  }

  /**
   * Queues a pre-cache render of {@code key} (the {@link Precacher}'s choice), behind every waiting
   * rebuild: an entry someone requested recently comes before a guess. Pre-cache renders may take
   * at most a quarter of the queue bound, so guesses waiting behind a stream of rebuilds never
   * crowd the rebuilds out.
   */
  PrecacheOffer offerPrecache(CacheKey key, Object renderer) {
    if (stopped) {
      return PrecacheOffer.REFUSED;
    }
    if (pending.containsKey(key)) {
      return PrecacheOffer.ALREADY;
    }
    if (!precaching.add(key)) {
      return PrecacheOffer.ALREADY;
    }
    if (precaching.size() > precacheLimit) {
      precaching.remove(key);
      dropped.increment();
      return PrecacheOffer.REFUSED;
    }
    queue.add(new Task(null, key, renderer, -1, order.incrementAndGet()));
    return PrecacheOffer.QUEUED;
  }

  /** The invalidated copy of a key that waits for or is being rebuilt, or null. */
  Entry staleCopy(CacheKey key) {
    return pending.get(key);
  }

  int queued() {
    return pending.size() + precaching.size();
  }

  private void work() {
    while (!stopped) {
      Task t;
      try {
        t = queue.take();
        bucket.acquire();
      } catch (InterruptedException e) {
        return;
      }
      try {
        if (t.stale() != null) {
          rebuild.accept(t.stale());
          rebuilt.increment();
        } else {
          precache.accept(t.key(), t.renderer());
        }
      } catch (RuntimeException e) {
        failed.increment();
        LOG.warn("background {} of {} failed: {}", t.stale() != null ? "rebuild" : "pre-cache", t.key(), e.toString());
      } finally {
        if (t.stale() != null) {
          pending.remove(t.key(), t.stale());
        } else {
          precaching.remove(t.key());
        }
      }
    }
  }

  /** Starts at most {@code rate} operations per second, with a burst of one second's worth. */
  static final class TokenBucket {
    private final double rate;
    private double tokens;
    private long last = System.nanoTime();

    TokenBucket(double rate) {
      this.rate = rate;
      this.tokens = Double.isInfinite(rate) ? 0 : rate;
    }

    // Real time, not the cache's clock: this paces real renders, and a fake clock would never let a
    // waiting worker go on.
    synchronized void acquire() throws InterruptedException {
      if (Double.isInfinite(rate)) {
        return;
      }
      while (true) {
        long now = System.nanoTime();
        tokens = Math.min(rate, tokens + (now - last) / 1e9 * rate);
        last = now;
        if (tokens >= 1) {
          tokens -= 1;
          return;
        }
        long waitNanos = (long) Math.ceil((1 - tokens) / rate * 1e9);
        java.util.concurrent.TimeUnit.NANOSECONDS.sleep(Math.max(waitNanos, 1000));
      }
    }
  }
}
