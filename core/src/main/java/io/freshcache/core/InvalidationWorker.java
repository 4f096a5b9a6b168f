package io.freshcache.core;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
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

  /**
   * Polled, never waited on: {@code invalidate} must not wake this thread itself. Waking it made the
   * scheduler run it on the caller's core now and then (the caller then waited about a millisecond,
   * the worker walking the dependents meanwhile); the worker finds new work on its own within {@link
   * #MAX_IDLE_NANOS}. Correctness never waits on it.
   */
  private final ConcurrentLinkedQueue<TagState> queue = new ConcurrentLinkedQueue<>();
  private static final long MIN_IDLE_NANOS = 100_000;
  /**
   * The longest park once idle: the parks double from {@link #MIN_IDLE_NANOS} after the last work
   * (0.1, 0.2, 0.4 ms...), so a burst of invalidations is followed closely while an idle cache wakes
   * this thread 20 times a second rather than 500 (each wake-up took the core from the proxy's
   * event loop on a pinned server). Only how soon stale entries are removed depends on it.
   */
  static final long MAX_IDLE_NANOS = 50_000_000;
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
    LockSupport.unpark(thread);
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
    long idle = MIN_IDLE_NANOS;
    while (true) {
      if (System.nanoTime() - nextSweep >= 0) { // also while busy: a steady stream must not starve it
        nextSweep = System.nanoTime() + sweepIntervalNanos;
        try {
          sweep.run();
        } catch (RuntimeException e) {
          LOG.error("sweeping unused tag states failed", e);
        }
      }
      TagState s = queue.poll();
      if (s == null) {
        if (Thread.interrupted()) {
          return;
        }
        LockSupport.parkNanos(this, idle);
        idle = Math.min(idle * 2, MAX_IDLE_NANOS);
        continue;
      }
      idle = MIN_IDLE_NANOS;
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
