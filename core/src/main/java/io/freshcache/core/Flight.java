package io.freshcache.core;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** One render in progress for a key; callers that miss meanwhile wait on it. */
final class Flight {
  final CompletableFuture<Entry> result = new CompletableFuture<>();
  /**
   * The render bound of the leader: a waiter that began before it may take the result as is. Stays
   * at the minimum when the leader found a stored entry instead of rendering, so waiters then check
   * the entry themselves.
   */
  volatile long startSequence = Long.MIN_VALUE;
  /**
   * Whether the result was stored, i.e. linked into the reverse index. Only then does {@link
   * Entry#isCurrent()} mean anything to a waiter: an unstored result may hold tag states that were
   * retired and no longer receive invalidations.
   */
  volatile boolean stored;

  Entry await(CacheKey key, long timeoutNanos) {
    try {
      return result.get(timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new RenderTimeoutException("waited " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
          + " ms for another caller's render of " + key);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RenderException("interrupted while waiting for the render of " + key, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RenderException re) {
        throw new RenderException(re.getMessage(), re.getCause());
      }
      throw new RenderException("render of " + key + " failed: " + cause, cause);
    }
  }
}
