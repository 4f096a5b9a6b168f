package io.freshcache.core;

/**
 * Where entries live. The cache decides what is current; a store only keeps, finds and drops
 * entries, and reports those it drops on its own (size, age) so the reverse index stays true.
 *
 * <p>The default is {@link FreshcacheBuilder#maximumBytes in memory, on Caffeine}. Implementations
 * must be thread-safe; every method may be called concurrently, and removals are by identity, so a
 * newer entry for the same key is never removed by mistake.
 */
public interface EntryStore {

  /** Called once by the cache before first use. */
  void setRemovalListener(RemovalListener listener);

  /** The entry stored under the key, current or not, or null. */
  Entry get(CacheKey key);

  /** Stores the entry under its key, replacing any other (reported as {@code replaced}). */
  void put(Entry entry);

  /** Removes this very entry if it is still stored; returns whether it was. */
  boolean remove(Entry entry);

  /**
   * Weighs this very entry again, if it is still stored, because its attachment's {@link
   * Weighable#sizeInBytes()} changed; the default does nothing (a store without a byte bound).
   */
  default void reweigh(Entry entry) {
  }

  /** Removes every entry of the resource, across variants and scopes; returns how many. */
  int removeResource(String resource);

  /** Removes everything. */
  void clear();

  /** Entries stored now. */
  long entryCount();

  /** Body bytes stored now, as stored. */
  long storedBytes();

  /** The same bodies' identity size. */
  long identityBytes();

  /** Told of each entry a store drops, whatever the reason. */
  @FunctionalInterface
  interface RemovalListener {

    /**
     * One entry left the store.
     *
     * @param entry the entry
     * @param cause why
     */
    void onRemoval(Entry entry, RemovalCause cause);
  }

  /** Why an entry left a store. */
  enum RemovalCause {
    /** A newer entry for the same key took its place. */
    REPLACED,
    /** {@link #remove}: the cache calls it only for entries that are no longer current. */
    STALE,
    /** {@link #removeResource} or {@link #clear}. */
    EXPLICIT,
    /** The byte bound. */
    SIZE,
    /** The maximum age. */
    EXPIRED
  }
}
