package io.freshcache.core;

/**
 * A snapshot of a cache's counters. Lookups: {@code hits + misses + staleRejections}.
 *
 * @param hits lookups served from a current entry
 * @param misses lookups that found no entry
 * @param staleRejections lookups that found an entry whose snapshot was behind (or which had
 *     expired) and rendered anew instead
 * @param renders renderer runs that returned content
 * @param renderFailures renderer runs that threw or returned null
 * @param coalescedWaits callers that waited for another caller's render of the same key
 * @param invalidations invalidate, invalidatePrefix and removeResource calls
 * @param invalidatedEntries entries removed in the background after an invalidation
 * @param evictions entries removed for room or age
 * @param entryCount entries now stored
 * @param storedBytes body bytes now stored (compressed where compressed)
 * @param identityBytes the same bodies' uncompressed size
 * @param rebuilds background rebuilds of invalidated entries that completed
 * @param rebuildFailures background rebuilds and pre-cache renders whose renderer failed
 * @param rebuildsDropped invalidated entries only evicted, or pre-cache renders not queued, because
 *     the rebuild queue was full
 * @param staleServed invalidated copies served while their rebuild was pending
 * @param precached invalidated user pages queued for rendering before their user asked again
 *     ({@link FreshcacheBuilder#precache})
 * @param precacheUsed pre-cached user pages their user then requested and hit (the pre-cache render
 *     had stored a current entry)
 */
public record CacheStats(
    long hits,
    long misses,
    long staleRejections,
    long renders,
    long renderFailures,
    long coalescedWaits,
    long invalidations,
    long invalidatedEntries,
    long evictions,
    long entryCount,
    long storedBytes,
    long identityBytes,
    long rebuilds,
    long rebuildFailures,
    long rebuildsDropped,
    long staleServed,
    long precached,
    long precacheUsed) {

  /** {@code identityBytes / storedBytes}; 1 when nothing is stored. */
  public double compressionRatio() {
    return storedBytes == 0 ? 1.0 : (double) identityBytes / storedBytes;
  }

  /** {@code hits / (hits + misses + staleRejections)}; 0 before any lookup. */
  public double hitRate() {
    long lookups = hits + misses + staleRejections;
    return lookups == 0 ? 0.0 : (double) hits / lookups;
  }
}
