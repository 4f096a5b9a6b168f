package io.freshcache.core;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** One render in progress for a key; callers that miss meanwhile wait on it. */
final class Flight {
  final CompletableFuture<Entry> result = new CompletableFuture<>();
  /** The render bound of the leader: a waiter that began before it may take the result as is. */
  volatile long startSequence = Long.MAX_VALUE;

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
