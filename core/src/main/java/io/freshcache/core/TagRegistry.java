package io.freshcache.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * Tag versions: the heart of the no-stale-read guarantee.
 *
 * <h2>Versions are sequence numbers</h2>
 * One global sequence counts invalidations. Invalidating a name sets its state's version to a fresh
 * sequence number {@code v}. A render reads the sequence {@code S} before the renderer runs; the
 * entry it produces is current while every state it depends on has {@code version <= S}. So a render
 * that overlapped a write can never be served after that write's invalidation returned: the
 * invalidation's {@code v} is greater than {@code S}. Because the bound is taken at the start, a
 * renderer may declare a dependency before or after reading the data; either is safe.
 *
 * <h2>States come and go</h2>
 * A name's state exists while some entry depends on it (or a render is about to). A new state starts
 * at the <em>floor</em> of its stripe: the highest version ever given to a name of that stripe that
 * had no state (invalidated while absent, or retired). That way a render that read data before an
 * invalidation of a then-absent name, and creates the state only afterwards, still sees a version
 * above its bound. The races between invalidate, create and retire are closed as follows:
 *
 * <ul>
 *   <li>invalidate vs create of the same name: an absent name is invalidated inside {@code
 *       ConcurrentHashMap.compute} for that name, which serializes with {@code computeIfAbsent};
 *   <li>invalidate vs retire: retire sets {@code retired} then reads the version into the floor;
 *       invalidate raises the version then reads {@code retired} and, if set, raises the floor and
 *       bumps whatever state now holds the name. With volatiles one of the two sees the other;
 *   <li>prefix invalidation vs create: creation runs under the read side of {@link #creationLock},
 *       the floor of every stripe ({@link #prefixFloor}) is raised under its write side, then the
 *       states are scanned, so a state is either published before the scan or created from a raised
 *       floor.
 * </ul>
 *
 * <h2>Prefixes are ranges</h2>
 * Besides the hash map that finds a name's state, {@link #ordered} holds the same states in name
 * order, so the names under a prefix are one range of it and a prefix invalidation visits only the
 * states it bumps, plus at most two ranges per {@code /} of the prefix for the patterns above it
 * ({@code page:P/**} when {@code page:P/A/} is invalidated). Scanning every state instead took 22 ms
 * with 100,000 states and 492 ms with 1,000,000 ({@code PrefixInvalidationBenchmark}, 2026-12-02),
 * on the thread that applied a {@code Cache-Invalidate: page:P/**}: the proxy's event loop. A
 * state enters {@link #ordered} before the hash map publishes it (inside {@code computeIfAbsent},
 * under the creation lock's read side) and leaves it after the hash map dropped it, by value, so a
 * successor of the same name is never removed and a prefix scan after the floor is raised finds
 * every state published before.
 */
final class TagRegistry {
  private static final int STRIPES = 4096;
  private static final int RESOURCE_STRIPES = 1 << 15;

  /** Counts invalidations started; the source of every version and render bound. */
  private final AtomicLong sequence = new AtomicLong();

  /** Counts invalidations whose bumps are all done; equal to {@link #sequence} when none is in progress. */
  private final AtomicLong completed = new AtomicLong();

  private final ConcurrentHashMap<String, TagState> states = new ConcurrentHashMap<>();

  /** The states of {@link #states} in name order, for prefix invalidation (see the class comment). */
  private final ConcurrentSkipListMap<String, TagState> ordered = new ConcurrentSkipListMap<>();

  /** Per stripe of names: the highest version given to a name while it had no state. */
  private final AtomicLongArray floors = new AtomicLongArray(STRIPES);

  /**
   * The floor of every stripe at once: the version of the last prefix invalidation, which reaches
   * every absent name. One field instead of raising 4,096 stripes per prefix (an origin may send
   * hundreds of patterns in one {@code Cache-Invalidate}); written under {@link #creationLock}'s
   * write side, read under its read side.
   */
  private volatile long prefixFloor;

  /**
   * Per stripe of resources: the sequence number of the last {@link #invalidateResource} of a
   * resource of that stripe. Striped rather than per resource so that it costs no memory per entry;
   * a collision only invalidates an unrelated resource early.
   */
  private final AtomicLongArray resourceVersions = new AtomicLongArray(RESOURCE_STRIPES);

  /** Read side: creating a state. Write side: raising every floor for a prefix invalidation. */
  private final ReentrantReadWriteLock creationLock = new ReentrantReadWriteLock();

  /** The bound for a render starting now. */
  long currentSequence() {
    return sequence.get();
  }

  /**
   * The sequence number up to which every invalidation has finished bumping its states, or -1 while
   * one is in progress. Reading {@link #completed} first and then {@link #sequence} and finding them
   * equal means that, when {@code completed} was read, every invalidation started so far had
   * finished. An entry valid through that number is then current without reading any state.
   */
  long quiescentSequence() {
    long done = completed.get();
    return sequence.get() == done ? done : -1;
  }

  /**
   * Invalidates every entry of a resource, whatever its tags: raises the resource's stripe version to
   * a fresh sequence number, so entries rendered before (and renders still running) are not current.
   */
  long invalidateResource(String resource) {
    long v = sequence.incrementAndGet();
    try {
      resourceVersions.accumulateAndGet(resourceStripe(resource), v, Math::max);
    } finally {
      completed.incrementAndGet();
    }
    return v;
  }

  /** The version of the resource's stripe: an entry of it rendered at bound {@code S} is stale if this exceeds S. */
  long resourceVersion(String resource) {
    return resourceVersions.get(resourceStripe(resource));
  }

  private static int resourceStripe(String resource) {
    int h = resource.hashCode() * 0x9E3779B9;
    return (h ^ (h >>> 15)) & (RESOURCE_STRIPES - 1);
  }

  int stateCount() {
    return states.size();
  }

  /** The names an entry depending on {@code tag} must hold states for. */
  static List<String> dependencyNames(Tag tag) {
    if (tag.aspect() == null) {
      return List.of(tag.toString());
    }
    return List.of(tag.toString(), tag.whole() + "#");
  }

  /** The state of a name, created from its stripe's floor if absent. */
  TagState state(String name) {
    while (true) {
      TagState s = states.get(name);
      if (s == null) {
        creationLock.readLock().lock();
        try {
          s = states.computeIfAbsent(name, n -> {
            TagState created = new TagState(n, Math.max(floors.get(stripe(n)), prefixFloor));
            ordered.put(n, created);
            return created;
          });
        } finally {
          creationLock.readLock().unlock();
        }
      }
      if (!s.retired()) {
        s.touch();
        return s;
      }
      Thread.onSpinWait(); // its retirer is about to remove it from the map
    }
  }

  /**
   * Invalidates an exact tag: its own name, the whole/aspect markers, and every pattern that can
   * match it, O(depth of the path). Returns the sequence number used.
   */
  long invalidate(Tag tag, Consumer<TagState> bumped) {
    if (tag.isPattern()) {
      throw new IllegalArgumentException(
          "tag: " + tag + " (expected: an exact tag; use invalidatePrefix for subtrees)");
    }
    long v = sequence.incrementAndGet();
    try {
      String path = tag.path();
      String aspect = tag.aspect();
      bumpTarget(path, aspect, v, bumped);
      int last = path.lastIndexOf('/');
      for (int i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
        if (i == 0 || i == path.length() - 1) { // no base before it, or a trailing '/' ends no segment
          continue;
        }
        String base = path.substring(0, i);
        bumpTarget(base + "/**", aspect, v, bumped);
        if (i == last) {
          bumpTarget(base + "/*", aspect, v, bumped);
        }
      }
    } finally {
      completed.incrementAndGet();
    }
    return v;
  }

  private void bumpTarget(String name, String aspect, long v, Consumer<TagState> bumped) {
    bumpName(name, v, bumped);
    bumpName(aspect == null ? name + "#" : name + "#" + aspect, v, bumped);
  }

  /**
   * Invalidates every name a tag under {@code prefix} could be depended on through: names that start
   * with it, and patterns whose base is above it ({@link #affectedByPrefix}). O(the states bumped +
   * the prefix's depth x log(number of states)).
   */
  long invalidatePrefix(String prefix, Consumer<TagState> bumped) {
    long v = sequence.incrementAndGet();
    try {
      creationLock.writeLock().lock();
      try {
        prefixFloor = Math.max(prefixFloor, v); // prefix invalidations may take the lock out of order
      } finally {
        creationLock.writeLock().unlock();
      }
      forEachAffectedByPrefix(prefix, s -> {
        s.bump(v);
        bumped.accept(s);
      });
    } finally {
      completed.incrementAndGet();
    }
    return v;
  }

  /**
   * Calls {@code action} once for each state whose name {@link #affectedByPrefix} holds for, found
   * by ranges of {@link #ordered} rather than by testing every name.
   */
  private void forEachAffectedByPrefix(String prefix, Consumer<TagState> action) {
    for (Map.Entry<String, TagState> e : ordered.tailMap(prefix, true).entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        break; // in name order, the names with a given prefix are contiguous
      }
      action.accept(e.getValue());
    }
    // Patterns above the prefix: "above/**" for every "above/" that starts it, and "above/*" for
    // the one that ends at its last '/', each also with an aspect. (A '/' after a '#' makes a base
    // no state has: aspects hold no '/'.)
    int last = prefix.lastIndexOf('/');
    for (int i = prefix.indexOf('/'); i >= 0; i = prefix.indexOf('/', i + 1)) {
      String above = prefix.substring(0, i + 1);
      forEachPatternNamed(above + "**", prefix, action);
      if (i == last) {
        forEachPatternNamed(above + "*", prefix, action);
      }
    }
  }

  /** The states named {@code base} or {@code base#aspect} that the prefix's own range did not have. */
  private void forEachPatternNamed(String base, String prefix, Consumer<TagState> action) {
    if (base.startsWith(prefix)) {
      return; // every name that starts with base starts with the prefix
    }
    for (Map.Entry<String, TagState> e : ordered.tailMap(base, true).entrySet()) {
      String name = e.getKey();
      if (!name.startsWith(base)) {
        break;
      }
      if ((name.length() == base.length() || name.charAt(base.length()) == '#') && !name.startsWith(prefix)) {
        action.accept(e.getValue());
      }
    }
  }

  /**
   * Whether a prefix invalidation must bump the state of {@code name}: the definition that {@link
   * #forEachAffectedByPrefix} finds by ranges (the property tests hold one to the other).
   */
  static boolean affectedByPrefix(String name, String prefix) {
    if (name.startsWith(prefix)) {
      return true; // also covers a prefix that reaches into an aspect, e.g. "page:A#ti"
    }
    int hash = name.indexOf('#');
    String base = hash >= 0 ? name.substring(0, hash) : name;
    if (base.startsWith(prefix)) {
      return true;
    }
    if (base.endsWith("/**")) {
      String above = base.substring(0, base.length() - 2); // keeps the '/'
      return prefix.startsWith(above);
    }
    if (base.endsWith("/*")) {
      String above = base.substring(0, base.length() - 1);
      return prefix.startsWith(above) && prefix.indexOf('/', above.length()) < 0;
    }
    return false;
  }

  private void bumpName(String name, long v, Consumer<TagState> bumped) {
    TagState s = states.get(name);
    while (true) {
      if (s == null) {
        TagState[] found = new TagState[1];
        states.compute(name, (n, cur) -> {
          if (cur == null) {
            raiseFloor(stripe(n), v);
          } else {
            cur.bump(v);
            found[0] = cur;
          }
          return cur;
        });
        s = found[0];
        if (s == null) {
          return;
        }
      } else {
        s.bump(v);
      }
      bumped.accept(s);
      if (!s.retired()) {
        return;
      }
      // Retired while we bumped: make sure its successor, or the floor it is created from, has v.
      raiseFloor(stripe(name), v);
      TagState next = states.get(name);
      if (next == s) {
        Thread.onSpinWait();
      }
      s = next;
    }
  }

  /** States that lost their last dependent, oldest first; see {@link #sweep}. */
  private final ConcurrentLinkedQueue<TagState> unused = new ConcurrentLinkedQueue<>();
  /** Those found unused by the previous sweep; guarded by this registry's monitor. */
  private List<TagState> unusedSinceLastSweep = new ArrayList<>();

  /**
   * Notes that a state has no dependents. It is retired by the second {@link #sweep} from now if it
   * still has none: a tag whose entry was invalidated is usually depended on again by the re-render
   * moments later, and keeping its state avoids raising the floor (which makes renders in flight
   * stale at birth) on every such cycle.
   */
  void retireLater(TagState s) {
    if (s.markRetireQueued()) {
      unused.add(s);
    }
  }

  /** Retires states that have been unused for a whole sweep period. Called periodically by one thread. */
  synchronized void sweep() {
    List<TagState> next = new ArrayList<>();
    for (TagState s : unusedSinceLastSweep) {
      if (s.untouch()) {
        next.add(s); // a render took it since: give it another period to link an entry
      } else {
        tryRetire(s);
      }
    }
    for (TagState s; (s = unused.poll()) != null; ) {
      s.clearRetireQueued();
      if (!s.retired() && s.dependentCount() == 0) {
        s.untouch();
        next.add(s);
      }
    }
    unusedSinceLastSweep = next;
  }

  /** Removes a state that has no dependents left, carrying its version into the floor. */
  void tryRetire(TagState s) {
    if (s.retireIfUnused()) {
      raiseFloor(stripe(s.name), s.version);
      states.remove(s.name, s);
      ordered.remove(s.name, s); // by value: a successor of the same name may be in it already
    }
  }

  /** For diagnostics and tests. */
  List<TagState> snapshotStates() {
    return new ArrayList<>(states.values());
  }

  private void raiseFloor(int stripe, long v) {
    long cur;
    do {
      cur = floors.get(stripe);
      if (cur >= v) {
        return;
      }
    } while (!floors.compareAndSet(stripe, cur, v));
  }

  private static int stripe(String name) {
    int h = name.hashCode() * 0x9E3779B9;
    return (h ^ (h >>> 16)) & (STRIPES - 1);
  }
}
