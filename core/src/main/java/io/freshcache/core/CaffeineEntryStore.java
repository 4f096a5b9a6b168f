package io.freshcache.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-memory store: a Caffeine cache bounded by total bytes, keyed by <em>resource</em>. The value
 * is the resource's only entry (the common case: no extra object), an array of its entries, one per
 * variant and scope, or, beyond {@link #LARGEST_ARRAY_GROUP} of them, a {@link LargeGroup} that finds
 * one by its key. Grouping by resource makes {@link #removeResource} a single removal and costs no
 * secondary index; an eviction drops a resource's entries together.
 *
 * <p>Why the large group: a page cached per user ({@code Cache-Control: private}) is one resource
 * with an entry per user. As an array, each hit scanned it and each new user's entry copied it:
 * with 10,000 users of one page a hit took about 0.1 ms and filling it was quadratic (2026-12-02,
 * docs/benchmarks.md). The array stays below the threshold, where a scan of a few keys is cheaper
 * than hashing one.
 *
 * <p>Caffeine's expiry applies to the group, so entries in groups of two or more are also checked
 * against the maximum age on read.
 */
final class CaffeineEntryStore implements EntryStore {
  private static final Logger LOG = LoggerFactory.getLogger(CaffeineEntryStore.class);

  /**
   * Added to each entry's weight for what core keeps beyond the body (measured; docs/benchmarks.md).
   * An attachment's own memory is added when it is {@link Weighable}.
   */
  static final int ENTRY_OVERHEAD_WEIGHT = 200;

  /** The most entries a resource keeps in an array; one more makes it a {@link LargeGroup}. */
  static final int LARGEST_ARRAY_GROUP = 8;

  private final Cache<String, Object> cache;
  private final Clock clock;
  private final long maxAgeMillis;
  private final LongAdder entries = new LongAdder();
  private final LongAdder storedBytes = new LongAdder();
  private final LongAdder identityBytes = new LongAdder();
  /** Set once before use. */
  private volatile RemovalListener listener = (e, c) -> { };

  CaffeineEntryStore(long maximumBytes, Duration maxAge, Clock clock, Executor executor) {
    this.clock = clock;
    this.maxAgeMillis = maxAge == null ? 0 : maxAge.toMillis();
    Caffeine<Object, Object> b = Caffeine.newBuilder()
        .maximumWeight(maximumBytes)
        .ticker(clock::nanoTime)
        .executor(executor);
    if (maxAge != null) {
      b.expireAfterWrite(maxAge);
    }
    this.cache = b.<String, Object>weigher((k, v) -> weigh(v))
        .removalListener((String k, Object v, com.github.benmanes.caffeine.cache.RemovalCause cause) -> {
          if (v != null && cause.wasEvicted()) {
            EntryStore.RemovalCause ours = cause == com.github.benmanes.caffeine.cache.RemovalCause.EXPIRED
                ? EntryStore.RemovalCause.EXPIRED : EntryStore.RemovalCause.SIZE;
            forEach(v, e -> dropped(e, ours));
          }
        })
        .build();
  }

  @Override
  public void setRemovalListener(RemovalListener listener) {
    this.listener = listener;
  }

  @Override
  public Entry get(CacheKey key) {
    Object v = cache.getIfPresent(key.resource());
    if (v instanceof Entry e) {
      return sameVariantAndScope(e.key, key) ? e : null;
    }
    if (v instanceof Entry[] group) {
      for (Entry e : group) {
        if (sameVariantAndScope(e.key, key)) {
          return notTooOld(e);
        }
      }
    } else if (v instanceof LargeGroup group) {
      LargeGroup.Weighed w = group.byKey.get(key);
      return w == null ? null : notTooOld(w.entry());
    }
    return null;
  }

  /** A group's entry unless it has outlived the maximum age (Caffeine's expiry sees only the group). */
  private Entry notTooOld(Entry e) {
    return maxAgeMillis > 0 && clock.currentTimeMillis() - e.createdAtMillis >= maxAgeMillis ? null : e;
  }

  @Override
  public void put(Entry entry) {
    List<Entry> replaced = new ArrayList<>(1);
    cache.asMap().compute(entry.key.resource(), (r, old) -> {
      if (old == null) {
        return entry;
      }
      if (old instanceof Entry e) {
        if (sameVariantAndScope(e.key, entry.key)) {
          replaced.add(e);
          return entry;
        }
        return new Entry[] {e, entry};
      }
      if (old instanceof LargeGroup large) {
        Entry previous = large.put(entry);
        if (previous != null) {
          replaced.add(previous);
        }
        return large; // the same value: Caffeine weighs it again
      }
      Entry[] group = (Entry[]) old;
      for (int i = 0; i < group.length; i++) {
        if (sameVariantAndScope(group[i].key, entry.key)) {
          replaced.add(group[i]);
          Entry[] copy = group.clone();
          copy[i] = entry;
          return copy;
        }
      }
      if (group.length == LARGEST_ARRAY_GROUP) {
        LargeGroup large = new LargeGroup();
        for (Entry e : group) {
          large.put(e);
        }
        large.put(entry);
        return large;
      }
      Entry[] grown = java.util.Arrays.copyOf(group, group.length + 1);
      grown[group.length] = entry;
      return grown;
    });
    added(entry);
    for (Entry e : replaced) {
      dropped(e, EntryStore.RemovalCause.REPLACED);
    }
  }

  @Override
  public void reweigh(Entry entry) {
    // A compute that returns the same value makes Caffeine call the weigher again (a group of
    // variants is weighed as a whole, so its weight follows the one that grew).
    cache.asMap().computeIfPresent(entry.key.resource(), (r, old) -> {
      if (old instanceof LargeGroup large) {
        large.reweigh(entry);
      }
      return old;
    });
  }

  @Override
  public boolean remove(Entry entry) {
    boolean[] removed = new boolean[1];
    cache.asMap().computeIfPresent(entry.key.resource(), (r, old) -> {
      if (old == entry) {
        removed[0] = true;
        return null;
      }
      if (old instanceof LargeGroup large) {
        if (!large.remove(entry)) {
          return old;
        }
        removed[0] = true;
        return large.byKey.size() > LARGEST_ARRAY_GROUP / 2 ? large : large.toArrayOrNull();
      }
      if (old instanceof Entry[] group) {
        for (int i = 0; i < group.length; i++) {
          if (group[i] == entry) {
            removed[0] = true;
            if (group.length == 2) {
              return group[1 - i];
            }
            Entry[] shrunk = new Entry[group.length - 1];
            System.arraycopy(group, 0, shrunk, 0, i);
            System.arraycopy(group, i + 1, shrunk, i, group.length - i - 1);
            return shrunk;
          }
        }
      }
      return old;
    });
    if (removed[0]) {
      dropped(entry, EntryStore.RemovalCause.STALE);
    }
    return removed[0];
  }

  @Override
  public int removeResource(String resource) {
    Object old = cache.asMap().remove(resource);
    if (old == null) {
      return 0;
    }
    int[] n = new int[1];
    forEach(old, e -> {
      n[0]++;
      dropped(e, EntryStore.RemovalCause.EXPLICIT);
    });
    return n[0];
  }

  @Override
  public void clear() {
    for (String resource : new ArrayList<>(cache.asMap().keySet())) {
      removeResource(resource);
    }
  }

  @Override
  public long entryCount() {
    return entries.sum();
  }

  @Override
  public long storedBytes() {
    return storedBytes.sum();
  }

  @Override
  public long identityBytes() {
    return identityBytes.sum();
  }

  /** Lets Caffeine run pending maintenance now (tests, benchmarks). */
  void cleanUp() {
    cache.cleanUp();
  }

  /** The weight Caffeine holds against the byte bound, after {@link #cleanUp} (tests). */
  long weightedSize() {
    return cache.policy().eviction().orElseThrow().weightedSize().orElseThrow();
  }

  private void added(Entry e) {
    entries.increment();
    storedBytes.add(e.body.length);
    identityBytes.add(e.identityLength);
  }

  private void dropped(Entry e, EntryStore.RemovalCause cause) {
    entries.decrement();
    storedBytes.add(-e.body.length);
    identityBytes.add(-e.identityLength);
    listener.onRemoval(e, cause);
  }

  private static boolean sameVariantAndScope(CacheKey a, CacheKey b) {
    // Callers that keep their keys (the common case on hits) pass the very key the entry was stored with.
    return a == b || a.variant().equals(b.variant()) && a.scope().equals(b.scope());
  }

  private static int weigh(Object v) {
    long w = 0;
    if (v instanceof Entry e) {
      w = weight(e);
    } else if (v instanceof Entry[] group) {
      for (Entry e : group) {
        w += weight(e);
      }
    } else if (v instanceof LargeGroup group) {
      w = group.weight;
    }
    return (int) Math.min(Integer.MAX_VALUE, w);
  }

  /** One entry's weight: body, core's overhead and a {@link Weighable} attachment's own size. */
  static long weight(Entry e) {
    long w = (long) e.body.length + ENTRY_OVERHEAD_WEIGHT;
    if (e.attachment instanceof Weighable a) {
      try {
        w += Math.max(0, a.sizeInBytes());
      } catch (RuntimeException ex) {
        // The caller's code, run inside the store's write: a bug there must not fail the put.
        LOG.warn("{}: attachment sizeInBytes() failed; weighed without it", e.key, ex);
      }
    }
    return w;
  }

  private static void forEach(Object v, java.util.function.Consumer<Entry> action) {
    if (v instanceof Entry e) {
      action.accept(e);
    } else if (v instanceof Entry[] group) {
      for (Entry e : group) {
        action.accept(e);
      }
    } else if (v instanceof LargeGroup group) {
      for (LargeGroup.Weighed w : group.byKey.values()) {
        action.accept(w.entry());
      }
    }
  }

  /**
   * The entries of a resource with more than {@link #LARGEST_ARRAY_GROUP} of them, by key, with
   * their total weight kept as they come and go (weighing them all on every change would make a
   * fill quadratic again). Changed only inside Caffeine's compute of its resource, whose lock
   * orders those changes and the weigher's read of {@link #weight} after them; looked up without
   * a lock.
   */
  static final class LargeGroup {
    /** An entry and the weight it was counted with, so a change of its weight is a difference. */
    record Weighed(Entry entry, long weight) {}

    final ConcurrentHashMap<CacheKey, Weighed> byKey = new ConcurrentHashMap<>();
    /** Sum of the weights in {@link #byKey}; guarded by the compute of this group's resource. */
    long weight;

    /** Adds or replaces the entry of its key; returns the one replaced, or null. */
    Entry put(Entry e) {
      Weighed now = new Weighed(e, weight(e));
      Weighed before = byKey.put(e.key, now);
      weight += now.weight() - (before == null ? 0 : before.weight());
      return before == null ? null : before.entry();
    }

    /** Removes this very entry (not a newer one of its key); whether it was here. */
    boolean remove(Entry e) {
      Weighed w = byKey.get(e.key);
      if (w == null || w.entry() != e) {
        return false;
      }
      byKey.remove(e.key); // under the resource's compute: nothing replaced it since the get
      weight -= w.weight();
      return true;
    }

    /** Counts this very entry's weight again, if it is still here. */
    void reweigh(Entry e) {
      Weighed w = byKey.get(e.key);
      if (w != null && w.entry() == e) {
        Weighed now = new Weighed(e, weight(e));
        byKey.put(e.key, now);
        weight += now.weight() - w.weight();
      }
    }

    /** The entries as the store keeps a few: one alone, an array, or null for none. */
    Object toArrayOrNull() {
      Entry[] entries = new Entry[byKey.size()];
      int i = 0;
      for (Weighed w : byKey.values()) {
        entries[i++] = w.entry();
      }
      return entries.length == 0 ? null : entries.length == 1 ? entries[0] : entries;
    }
  }
}
