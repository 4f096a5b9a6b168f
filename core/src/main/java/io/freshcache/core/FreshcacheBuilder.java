package io.freshcache.core;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * Configures a {@link Freshcache}. Each option is validated as it is set; defaults:
 *
 * <table>
 *   <caption>Options</caption>
 *   <tr><th>option</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@link #maximumBytes}</td><td>64 MiB</td><td>bound of the in-memory store: bodies as
 *       stored plus a fixed per-entry overhead</td></tr>
 *   <tr><td>{@link #maxAge}</td><td>none</td><td>fallback maximum age of an entry, whatever its
 *       tags</td></tr>
 *   <tr><td>{@link #compressionThreshold}</td><td>1024 bytes</td><td>bodies at least this long are
 *       stored compressed when that saves an eighth or more</td></tr>
 *   <tr><td>{@link #storedEncoding}</td><td>gzip</td><td>the one coding compressed bodies are stored
 *       in</td></tr>
 *   <tr><td>{@link #renderTimeout}</td><td>30 s</td><td>how long a caller waits for another
 *       caller's render of the same key</td></tr>
 *   <tr><td>{@link #maxNestingDepth}</td><td>16</td><td>static fragments and holes nested deeper
 *       fail the render</td></tr>
 *   <tr><td>{@link #maxHolesPerEntry}</td><td>256</td><td>holes one render may leave</td></tr>
 * </table>
 */
public final class FreshcacheBuilder {
  long maximumBytes = 64L << 20;
  Duration maxAge;
  int compressionThreshold = 1024;
  Encoding storedEncoding = Encoding.GZIP;
  Duration renderTimeout = Duration.ofSeconds(30);
  int maxNestingDepth = 16;
  int maxHolesPerEntry = 256;
  /** Not public: how often unused tag states are swept; tests shorten it. */
  Duration retireSweepInterval = Duration.ofSeconds(1);
  Clock clock = Clock.system();
  Executor executor = ForkJoinPool.commonPool();
  EntryStore store;
  MeterRegistry meterRegistry;
  final List<CacheListener> listeners = new ArrayList<>();
  java.util.function.Predicate<CacheKey> rebuildPolicy;
  int rebuildConcurrency = 2;
  double rebuildRatePerSecond = 100;
  int rebuildQueueLimit = 10_000;
  Duration rebuildRecentWithin = Duration.ofMinutes(10);
  int precachePagesPerVisit;
  Duration precacheHalfLife = Duration.ofDays(7);
  Duration precacheVisitGap = Duration.ofMinutes(30);
  int precacheUsers = 10_000;

  FreshcacheBuilder() {}

  /**
   * Bounds the in-memory store by total weight: each entry's stored body bytes, plus a per-entry
   * overhead, plus its attachment's {@link Weighable#sizeInBytes()} when the attachment is {@link
   * Weighable}.
   */
  public FreshcacheBuilder maximumBytes(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("maximumBytes: " + bytes + " (expected: > 0)");
    }
    this.maximumBytes = bytes;
    return this;
  }

  /** A fallback maximum age: entries older than this are not served, whatever their tags. */
  public FreshcacheBuilder maxAge(Duration age) {
    requireNonNull(age, "age");
    if (age.isNegative() || age.isZero()) {
      throw new IllegalArgumentException("maxAge: " + age + " (expected: > 0)");
    }
    this.maxAge = age;
    return this;
  }

  /** Bodies at least this long are stored compressed when that pays; {@code Integer.MAX_VALUE} turns it off. */
  public FreshcacheBuilder compressionThreshold(int bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("compressionThreshold: " + bytes + " (expected: >= 0)");
    }
    this.compressionThreshold = bytes;
    return this;
  }

  /**
   * The coding compressed bodies are stored in: one per entry, so memory holds one copy of each body.
   * gzip (the default) is accepted by nearly every client that accepts a coding at all, so most of
   * their requests get the stored bytes as they are; br and zstd are usually smaller and need their
   * native library (brotli4j, zstd-jni): where it does not load, the cache logs a warning when built
   * and stores gzip. {@link Encoding#IDENTITY} turns compression off, like a {@link
   * #compressionThreshold} of {@code Integer.MAX_VALUE}.
   */
  public FreshcacheBuilder storedEncoding(Encoding encoding) {
    this.storedEncoding = requireNonNull(encoding, "encoding");
    return this;
  }

  /** How long a caller waits for another caller's render of the same key. */
  public FreshcacheBuilder renderTimeout(Duration timeout) {
    requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("renderTimeout: " + timeout + " (expected: > 0)");
    }
    this.renderTimeout = timeout;
    return this;
  }

  /** How deep static fragments and holes may nest. */
  public FreshcacheBuilder maxNestingDepth(int depth) {
    if (depth < 1 || depth > 256) {
      throw new IllegalArgumentException("maxNestingDepth: " + depth + " (expected: 1..256)");
    }
    this.maxNestingDepth = depth;
    return this;
  }

  /** How many holes one render may leave. */
  public FreshcacheBuilder maxHolesPerEntry(int holes) {
    if (holes < 0 || holes > 0xFFFF) {
      throw new IllegalArgumentException("maxHolesPerEntry: " + holes + " (expected: 0..65535)");
    }
    this.maxHolesPerEntry = holes;
    return this;
  }

  /** The time source (tests pass a fake one). */
  public FreshcacheBuilder clock(Clock clock) {
    this.clock = requireNonNull(clock, "clock");
    return this;
  }

  /** Where the in-memory store runs its maintenance and removal notifications. */
  public FreshcacheBuilder executor(Executor executor) {
    this.executor = requireNonNull(executor, "executor");
    return this;
  }

  /** A store other than the in-memory default; {@link #maximumBytes} and {@link #maxAge} then do not apply. */
  public FreshcacheBuilder store(EntryStore store) {
    this.store = requireNonNull(store, "store");
    return this;
  }

  /** Registers the cache's meters with this registry at build time. */
  public FreshcacheBuilder meterRegistry(MeterRegistry registry) {
    this.meterRegistry = requireNonNull(registry, "registry");
    return this;
  }

  /** Adds a listener for {@link CacheEvent}s. */
  public FreshcacheBuilder listener(CacheListener listener) {
    listeners.add(requireNonNull(listener, "listener"));
    return this;
  }

  /**
   * The rebuild policy: entries whose key {@code which} accepts are, once invalidated, rendered again
   * in the background with the renderer that made them (if they were requested within {@link
   * #rebuildRecentWithin}), instead of only being evicted. Readers meanwhile render or wait as on a
   * miss ({@link Freshcache#get}), or get the invalidated copy at once ({@link
   * Freshcache#getAllowingStale}). Default: no entry is rebuilt (evict).
   */
  public FreshcacheBuilder rebuild(java.util.function.Predicate<CacheKey> which) {
    this.rebuildPolicy = requireNonNull(which, "which");
    return this;
  }

  /** How many background rebuilds may run at once; default 2. */
  public FreshcacheBuilder rebuildConcurrency(int threads) {
    if (threads < 1 || threads > 256) {
      throw new IllegalArgumentException("rebuildConcurrency: " + threads + " (expected: 1..256)");
    }
    this.rebuildConcurrency = threads;
    return this;
  }

  /**
   * How many background rebuilds may start per second (a one-second burst allowed); default 100;
   * {@code Double.POSITIVE_INFINITY} for no limit.
   */
  public FreshcacheBuilder rebuildRate(double perSecond) {
    if (!(perSecond > 0)) {
      throw new IllegalArgumentException("rebuildRate: " + perSecond + " (expected: > 0, or infinity)");
    }
    this.rebuildRatePerSecond = perSecond;
    return this;
  }

  /** How many invalidated entries may wait for a rebuild; beyond it they are only evicted. Default 10,000. */
  public FreshcacheBuilder rebuildQueueLimit(int entries) {
    if (entries < 1) {
      throw new IllegalArgumentException("rebuildQueueLimit: " + entries + " (expected: >= 1)");
    }
    this.rebuildQueueLimit = entries;
    return this;
  }

  /** Only entries requested within this window are rebuilt; default 10 minutes. */
  public FreshcacheBuilder rebuildRecentWithin(Duration window) {
    requireNonNull(window, "window");
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("rebuildRecentWithin: " + window + " (expected: > 0)");
    }
    this.rebuildRecentWithin = window;
    return this;
  }

  /**
   * Turns on predictive pre-caching of users' pages: a user-scoped entry invalidated while not
   * rebuilt is remembered (its key and renderer, not its body) if its user has requested it. At
   * that user's next request, a plan takes the fewest of their most used pages (invalidated or not)
   * whose accesses cover half of all theirs, up to 95% for a user who comes often, at most {@code
   * pagesPerVisit}; the invalidated ones among them are rendered in the background by the rebuild
   * workers (same concurrency and rate; at most a quarter of the queue bound). A plan runs at the
   * first request after something of the user's was parked, so a visit during which pages keep
   * changing can have several. The renderer of such entries is kept and run again later, so it must
   * not depend on the request that first rendered it beyond the key (as for {@link #rebuild}).
   * docs/precache.md has the model and measurements. Default: off.
   */
  public FreshcacheBuilder precache(int pagesPerVisit) {
    if (pagesPerVisit < 1 || pagesPerVisit > 1000) {
      throw new IllegalArgumentException("precache: " + pagesPerVisit + " pages per visit (expected: 1..1000)");
    }
    this.precachePagesPerVisit = pagesPerVisit;
    return this;
  }

  /** Half-life of the moving averages of users' accesses that pre-caching ranks pages by; default 7 days. */
  public FreshcacheBuilder precacheHalfLife(Duration halfLife) {
    requireNonNull(halfLife, "halfLife");
    if (halfLife.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("precacheHalfLife: " + halfLife + " (expected: >= 1 s)");
    }
    this.precacheHalfLife = halfLife;
    return this;
  }

  /**
   * A user's request after this long without one starts a new visit; visits count towards how many
   * pages a user gets pre-cached. Default 30 minutes.
   */
  public FreshcacheBuilder precacheVisitGap(Duration gap) {
    requireNonNull(gap, "gap");
    if (gap.isNegative() || gap.isZero()) {
      throw new IllegalArgumentException("precacheVisitGap: " + gap + " (expected: > 0)");
    }
    this.precacheVisitGap = gap;
    return this;
  }

  /**
   * How many users' access models pre-caching keeps; beyond it, a Caffeine size bound drops the
   * models of users seldom seen (their parked pages are then only evicted). Default 10,000.
   */
  public FreshcacheBuilder precacheUsers(int users) {
    if (users < 1) {
      throw new IllegalArgumentException("precacheUsers: " + users + " (expected: >= 1)");
    }
    this.precacheUsers = users;
    return this;
  }

  /** Builds the cache and starts its background worker. */
  public Freshcache build() {
    return new Freshcache(this);
  }
}
