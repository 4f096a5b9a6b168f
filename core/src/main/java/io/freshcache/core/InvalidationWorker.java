package io.freshcache.core;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the entries of invalidated tag states off the caller's thread. {@code invalidate} only
 * bumps versions and enqueues each state once ({@link TagState#markQueued}); this worker walks each
 * state's dependents and removes those no longer current. Correctness never waits on it: a stale
 * entry is rejected on lookup whether or not it has been removed yet.
 */
final class InvalidationWorker implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(InvalidationWorker.class);
  private static final TagState STOP = new TagState("", 0);

  private final LinkedBlockingQueue<TagState> queue = new LinkedBlockingQueue<>();
  private final Consumer<Entry> removeIfStale;
  private final Thread thread;
  /** States taken from the queue and fully processed; for tests and {@code awaitQuiescence}. */
  private volatile long processed;
  private volatile long enqueued;

  private final Runnable sweep;
  private final long sweepIntervalNanos;

  InvalidationWorker(String name, Consumer<Entry> removeIfStale, Runnable sweep, long sweepIntervalNanos) {
    this.removeIfStale = removeIfStale;
    this.sweep = sweep;
    this.sweepIntervalNanos = sweepIntervalNanos;
    this.thread = new Thread(this, name);
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  void enqueue(TagState s) {
    if (s.markQueued()) {
      synchronized (this) {
        enqueued++;
      }
      queue.add(s);
    }
  }

  /** Whether every state enqueued so far has been processed. */
  boolean idle() {
    synchronized (this) {
      return processed == enqueued;
    }
  }

  void stop() {
    queue.add(STOP);
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // The sweep period is real time spent waiting on the queue, hence System.nanoTime() rather than
  // the cache's Clock (a fake clock in tests would never let the wait end).
  @Override
  public void run() {
    long nextSweep = System.nanoTime() + sweepIntervalNanos;
    while (true) {
      TagState s;
      try {
        long wait = nextSweep - System.nanoTime();
        s = wait > 0 ? queue.poll(wait, java.util.concurrent.TimeUnit.NANOSECONDS) : null;
      } catch (InterruptedException e) {
        return;
      }
      if (s == null || System.nanoTime() - nextSweep >= 0) {
        nextSweep = System.nanoTime() + sweepIntervalNanos;
        try {
          sweep.run();
        } catch (RuntimeException e) {
          LOG.error("sweeping unused tag states failed", e);
        }
        if (s == null) {
          continue;
        }
      }
      if (s == STOP) {
        return;
      }
      // Cleared before reading the dependents, so a bump after this point enqueues the state again.
      s.clearQueued();
      try {
        for (Entry e : s.dependents()) {
          if (!e.isCurrent()) {
            removeIfStale.accept(e);
          }
        }
      } catch (RuntimeException e) {
        LOG.error("removing the dependents of {} failed; they stay until looked up or evicted", s.name, e);
      } finally {
        synchronized (this) {
          processed++;
        }
      }
    }
  }
}
