package io.freshcache.core;

import java.time.Duration;

/**
 * Something that happened to an entry, for the rebuild and push work that follows invalidation.
 * Delivered to {@link CacheListener}s.
 */
public sealed interface CacheEvent {

  /** The entry's key. */
  CacheKey key();

  /**
   * An entry was rendered.
   *
   * @param key the entry
   * @param etag its new ETag
   * @param changed false when the previous entry for this key had the same ETag (an identical
   *     rebuild, which should push nothing)
   * @param took how long the renderer ran
   * @param cached whether it was stored (false when invalidated while rendering)
   */
  record Rendered(CacheKey key, ETag etag, boolean changed, Duration took, boolean cached)
      implements CacheEvent {}

  /**
   * An entry was removed because a tag it depends on was invalidated.
   *
   * @param key the entry
   * @param etag the ETag it had
   */
  record Invalidated(CacheKey key, ETag etag) implements CacheEvent {}

  /**
   * An entry was removed for room, age or by an explicit call.
   *
   * @param key the entry
   * @param reason why
   */
  record Evicted(CacheKey key, Reason reason) implements CacheEvent {}

  /** Why an entry left the store other than by invalidation. */
  enum Reason {
    /** The store's byte bound. */
    SIZE,
    /** The maximum age. */
    EXPIRED,
    /** {@link Freshcache#removeResource} or {@link Freshcache#clear}. */
    REMOVED
  }
}
