package io.freshcache.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.testkit.SeededProperty;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * {@link CaffeineEntryStore} keeps a resource's entries as one entry, an array, or beyond {@link
 * CaffeineEntryStore#LARGEST_ARRAY_GROUP} a hashed group, and moves between the forms as entries
 * come and go. Checked against a map of key to entry: every lookup, the entry and byte counts, the
 * removals reported to the listener (each entry once, with its cause), and the weight Caffeine
 * holds for the bound, which the hashed group keeps as a running sum, through replacements,
 * removals, attachments whose size changes and whole-resource removals, with the group size
 * crossing the threshold both ways.
 */
class ResourceGroupPropertyTest {
  private static final String CLASS = "ResourceGroupPropertyTest";
  private static final String[] RESOURCES = {"/home", "/other"};

  /** An attachment whose size the test changes, as the proxy's grows with a decoded copy. */
  private static final class Growing implements Weighable {
    volatile long bytes;

    Growing(long bytes) {
      this.bytes = bytes;
    }

    @Override
    public long sizeInBytes() {
      return bytes;
    }
  }

  private static Entry entry(CacheKey key, int bodyLength, Object attachment) {
    return new Entry(key, new byte[bodyLength], Encoding.IDENTITY, bodyLength, "text/plain", 0, 0,
        new TagState[0], 0, null, System.currentTimeMillis(), null, attachment, null);
  }

  @Test
  void groupsOfAnySizeAgreeWithAMapOfKeys() {
    SeededProperty.forAll(CLASS + "#groupsOfAnySizeAgreeWithAMapOfKeys", 10_000, 200, (r, trace) -> {
      CaffeineEntryStore store = new CaffeineEntryStore(1L << 40, null, Clock.system(), Runnable::run);
      Map<Entry, EntryStore.RemovalCause> removals = new HashMap<>();
      store.setRemovalListener((e, cause) -> assertThat(removals.put(e, cause))
          .as("%s reported removed twice", e.key).isNull());
      Map<CacheKey, Entry> model = new HashMap<>();
      int users = 1 + r.nextInt(3 * CaffeineEntryStore.LARGEST_ARRAY_GROUP);
      for (int step = 0; step < 200; step++) {
        String resource = RESOURCES[r.nextInt(4) == 0 ? 1 : 0];
        CacheKey key = CacheKey.of(resource, r.nextInt(5) == 0 ? "print" : CacheKey.DEFAULT_VARIANT)
            .withScope(Scope.user("u" + r.nextInt(users)));
        int op = r.nextInt(20);
        if (op < 9) {
          Entry e = entry(key, r.nextInt(300), r.nextBoolean() ? new Growing(r.nextInt(100)) : null);
          trace.add("put " + key + " weight " + CaffeineEntryStore.weight(e));
          store.put(e);
          Entry old = model.put(key, e);
          if (old != null) {
            assertThat(removals.remove(old)).as("replaced %s", key).isEqualTo(EntryStore.RemovalCause.REPLACED);
          }
        } else if (op < 15) {
          List<Entry> all = new ArrayList<>(model.values());
          if (all.isEmpty()) {
            continue;
          }
          Entry e = all.get(r.nextInt(all.size()));
          boolean stale = r.nextInt(4) == 0; // an entry already replaced: must not remove its successor
          Entry target = stale ? entry(e.key, 1, null) : e;
          trace.add("remove " + e.key + (stale ? " (an older entry of that key)" : ""));
          assertThat(store.remove(target)).as("remove %s", e.key).isEqualTo(!stale);
          if (!stale) {
            model.remove(e.key);
            assertThat(removals.remove(e)).as("removed %s", e.key).isEqualTo(EntryStore.RemovalCause.STALE);
          }
        } else if (op < 18) {
          List<Entry> growing = new ArrayList<>(model.values());
          growing.removeIf(e -> !(e.attachment instanceof Growing));
          if (growing.isEmpty()) {
            continue;
          }
          Entry e = growing.get(r.nextInt(growing.size()));
          ((Growing) e.attachment).bytes = r.nextInt(2_000);
          trace.add("reweigh " + e.key + " to " + CaffeineEntryStore.weight(e));
          store.reweigh(e);
        } else if (op == 18) {
          trace.add("removeResource " + resource);
          int expected = (int) model.keySet().stream().filter(k -> k.resource().equals(resource)).count();
          assertThat(store.removeResource(resource)).as("removeResource(%s)", resource).isEqualTo(expected);
          model.values().removeIf(e -> {
            if (!e.key.resource().equals(resource)) {
              return false;
            }
            assertThat(removals.remove(e)).as("removed with its resource: %s", e.key)
                .isEqualTo(EntryStore.RemovalCause.EXPLICIT);
            return true;
          });
        } else {
          trace.add("lookups");
        }
        assertThat(removals).as("removals reported that did not happen").isEmpty();
        for (int u = 0; u < users; u++) {
          for (String res : RESOURCES) {
            for (String variant : new String[] {CacheKey.DEFAULT_VARIANT, "print"}) {
              CacheKey k = CacheKey.of(res, variant).withScope(Scope.user("u" + u));
              assertThat(store.get(k)).as("get %s", k).isSameAs(model.get(k));
            }
          }
        }
        long bytes = model.values().stream().mapToLong(e -> e.body.length).sum();
        long weight = model.values().stream().mapToLong(CaffeineEntryStore::weight).sum();
        assertThat(store.entryCount()).as("entryCount").isEqualTo(model.size());
        assertThat(store.storedBytes()).as("storedBytes").isEqualTo(bytes);
        store.cleanUp();
        assertThat(store.weightedSize()).as("the weight Caffeine holds").isEqualTo(weight);
      }
    });
  }

  /**
   * Four threads put, replace, remove and look up the entries of 40 users of one page at once, so
   * the group crosses the threshold back and forth under contention. A lookup only ever returns an
   * entry of the key asked for (a scope never leaks), and afterwards the counts and the weight
   * Caffeine holds agree with what the store serves.
   */
  @Test
  void concurrentChangesKeepLookupsScopedAndTheWeightExact() throws Exception {
    CaffeineEntryStore store = new CaffeineEntryStore(1L << 40, null, Clock.system(), Runnable::run);
    CacheKey[] keys = new CacheKey[40];
    for (int u = 0; u < keys.length; u++) {
      keys[u] = CacheKey.of("/home").withScope(Scope.user("u" + u));
    }
    int threads = 4;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long seed = 17 + t;
        done.add(pool.submit(() -> {
          SplittableRandom r = new SplittableRandom(seed);
          start.await();
          for (int i = 0; i < 50_000; i++) {
            CacheKey k = keys[r.nextInt(keys.length)];
            int op = r.nextInt(10);
            if (op < 4) {
              store.put(entry(k, r.nextInt(100), null));
            } else if (op < 7) {
              Entry e = store.get(k);
              if (e != null) {
                store.remove(e);
              }
            } else {
              Entry e = store.get(k);
              assertThat(e == null || e.key.equals(k)).as("lookup of %s found %s", k, e == null ? null : e.key).isTrue();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    long count = 0;
    long weight = 0;
    for (CacheKey k : keys) {
      Entry e = store.get(k);
      if (e != null) {
        count++;
        weight += CaffeineEntryStore.weight(e);
      }
    }
    store.cleanUp();
    assertThat(store.entryCount()).as("entryCount").isEqualTo(count);
    assertThat(store.weightedSize()).as("the weight Caffeine holds").isEqualTo(weight);
  }
}
