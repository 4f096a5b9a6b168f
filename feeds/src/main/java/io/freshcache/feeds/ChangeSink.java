package io.freshcache.feeds;

/**
 * Where a {@link ChangeSource} delivers. Provided by {@link Feeds}; thread-safe.
 *
 * <p>Contract for sources: call {@link #accept} for each change in the source's order, from one
 * thread per source; checkpoint (or acknowledge) a change only after {@code accept} returned
 * normally. If it throws, do not checkpoint that change; retry it later (after a backoff).
 */
public interface ChangeSink {

  /**
   * Applies the invalidations {@code change} calls for; returns once they are applied (every lookup
   * that begins afterwards misses the affected entries).
   *
   * @throws RuntimeException if the invalidations could not be applied (the source must not
   *     checkpoint the change)
   */
  void accept(Change change);

  /**
   * Reports that changes of {@code source} may have been lost (checkpoint older than the source's
   * retention, sequence reset, ...). Applies the source's gap policy and logs loudly; returns once
   * applied. The source may then move its checkpoint past the gap.
   *
   * @param reason what was detected, for the log, e.g. {@code "checkpoint 12 < oldest retained 40"}
   */
  void gap(String source, String reason);
}
