package io.freshcache.core;

/**
 * Receives {@link CacheEvent}s. Called on the thread where the event happened (a rendering caller,
 * the invalidation worker, the store's maintenance thread): keep it quick and hand heavy work to your
 * own executor. What it throws is logged and otherwise ignored.
 */
@FunctionalInterface
public interface CacheListener {

  /** Handles one event. */
  void onEvent(CacheEvent event);
}
