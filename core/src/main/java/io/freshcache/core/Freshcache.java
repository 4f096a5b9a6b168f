package io.freshcache.core;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Predicate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A page and fragment cache that knows what each entry depends on.
 *
 * <pre>{@code
 * Freshcache cache = Freshcache.builder().maximumBytes(256 << 20).build();
 * Page page = cache.get(CacheKey.of("/wiki/Foo"), ctx -> {
 *   ctx.dependsOn("page:Foo");
 *   return Content.html(render(db.load("Foo")));
 * });
 * // later, after the data behind page:Foo changed:
 * cache.invalidate("page:Foo");   // every entry depending on it is gone, at once
 * }</pre>
 *
 * <h2>Design</h2>
 * Every tag has a version (see {@code TagRegistry}); an entry records the versions it was rendered
 * against, read <em>before</em> its renderer ran, and is served only while none has moved. That makes
 * invalidation race-free (a render overlapping a write is never served after the write's
 * invalidation returned) and O(1) on the caller's thread: {@link #invalidate} bumps a version per
 * name (the tag and each pattern that can match it) and returns; a background worker then walks the
 * reverse index (tag state to entries) and removes the stale entries, emitting {@link
 * CacheEvent.Invalidated} for the rebuild and push work that follows.
 *
 * <p>Misses are single-flight: concurrent callers of one key wait for one render. Nested {@link
 * RenderContext#include} calls are static fragments whose dependencies propagate to every
 * enclosing entry; {@link RenderContext#hole} leaves a placeholder filled at serve time from an entry
 * of its own scope.
 *
 * <h2>Threading</h2>
 * All methods are thread-safe. Renderers run on the calling thread. {@link #close} stops the
 * background worker.
 */
public final class Freshcache implements MeterBinder, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Freshcache.class);
  private static final Predicate<Page> ANY_PAGE = p -> true;
  private static final ThreadLocal<ArrayDeque<CacheKey>> RENDERING =
      ThreadLocal.withInitial(ArrayDeque::new);

  final TagRegistry registry = new TagRegistry();
  private final EntryStore store;
  private final ConcurrentHashMap<CacheKey, Flight> flights = new ConcurrentHashMap<>();
  private final InvalidationWorker worker;
  private final Clock clock;
  private final long renderTimeoutNanos;
  private final int compressionThreshold;
  /** The coding bodies are stored in: the configured one, or gzip when its native library did not load. */
  private final Encoding storedEncoding;
  private final int maxNestingDepth;
  final int maxHolesPerEntry;
  private final List<CacheListener> listeners;
  /** Null unless a rebuild policy or pre-caching is configured. */
  private final Rebuilder rebuilder;
  /** Null unless pre-caching is configured. */
  private final Precacher precacher;
  /** Whether every entry keeps its renderer (a rebuild policy), not only users' (pre-caching). */
  private final boolean rebuildPolicy;

  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder staleRejections = new LongAdder();
  private final LongAdder renders = new LongAdder();
  private final LongAdder renderFailures = new LongAdder();
  private final LongAdder coalescedWaits = new LongAdder();
  private final LongAdder invalidations = new LongAdder();
  private final LongAdder invalidatedEntries = new LongAdder();
  private final LongAdder evictions = new LongAdder();
  private final LongAdder staleServed = new LongAdder();

  Freshcache(FreshcacheBuilder b) {
    this.clock = b.clock;
    this.store = b.store != null ? b.store
        : new CaffeineEntryStore(b.maximumBytes, b.maxAge, b.clock, b.executor);
    this.renderTimeoutNanos = b.renderTimeout.toNanos();
    this.compressionThreshold = b.compressionThreshold;
    this.storedEncoding = storedEncoding(b.storedEncoding);
    this.maxNestingDepth = b.maxNestingDepth;
    this.maxHolesPerEntry = b.maxHolesPerEntry;
    this.listeners = List.copyOf(b.listeners);
    this.store.setRemovalListener(this::onRemoval);
    this.worker = new InvalidationWorker("freshcache-invalidator", this::removeInvalidated,
        registry::sweep, b.retireSweepInterval.toNanos());
    worker.start();
    this.rebuildPolicy = b.rebuildPolicy != null;
    if (b.rebuildPolicy != null || b.precachePagesPerVisit > 0) {
      rebuilder = new Rebuilder(b.rebuildPolicy != null ? b.rebuildPolicy : key -> false, b.rebuildConcurrency,
          b.rebuildRatePerSecond, b.rebuildQueueLimit, b.rebuildRecentWithin.toMillis(), clock, this::rebuild,
          this::precache);
      rebuilder.start();
    } else {
      rebuilder = null;
    }
    precacher = b.precachePagesPerVisit == 0 ? null
        : new Precacher(b.precachePagesPerVisit, b.precacheHalfLife.toMillis(), b.precacheVisitGap.toMillis(),
            b.precacheUsers, clock, rebuilder::offerPrecache, this::hasCurrent);
    if (b.meterRegistry != null) {
      bindTo(b.meterRegistry);
    }
  }

  private static Encoding storedEncoding(Encoding configured) {
    if (configured.isAvailable()) {
      return configured;
    }
    LOG.warn("storedEncoding: {} is unavailable here (its native library did not load); storing gzip instead",
        configured.token());
    return Encoding.GZIP;
  }

  /**
   * The coding bodies are stored in when compressing them pays: {@link FreshcacheBuilder#storedEncoding}'s,
   * or gzip if that one is unavailable here; identity when compression is off.
   */
  public Encoding storedEncoding() {
    return storedEncoding;
  }

  /** A builder with the defaults documented on each of its methods. */
  public static FreshcacheBuilder builder() {
    return new FreshcacheBuilder();
  }

  /**
   * The page for {@code key}: a current entry if there is one, otherwise rendered by {@code
   * renderer} (once, however many callers miss at the same time). Holes are filled for the viewer
   * implied by the key: its user for a user-scoped key, otherwise the public.
   *
   * @throws RenderException if the renderer threw or returned null (the cause says which); nothing
   *     is cached then
   * @throws RenderTimeoutException if another caller's render of the key took longer than the
   *     render timeout
   * @throws IllegalArgumentException if the key's scope is {@link Scope#VIEWER}
   */
  public Page get(CacheKey key, Renderer renderer) {
    return get(key, key.scope().kind() == Scope.Kind.USER ? key.scope() : Scope.PUBLIC, renderer);
  }

  /**
   * Like {@link #get(CacheKey, Renderer)}, filling holes whose key has the {@link Scope#VIEWER}
   * scope with {@code viewer}'s entries: a public page with a per-user bar is one shared entry plus
   * one small entry per user.
   */
  public Page get(CacheKey key, Scope viewer, Renderer renderer) {
    checkKey(key, "key");
    requireNonNull(viewer, "viewer");
    requireNonNull(renderer, "renderer");
    if (viewer.isViewer()) {
      throw new IllegalArgumentException("viewer: VIEWER (expected: PUBLIC, a user or a group)");
    }
    noteRequest(key);
    Entry e = entry(key, renderer);
    return e.holes() == null ? e : compose(e, viewer, 0);
  }

  /**
   * Like {@link #get(CacheKey, Renderer)} for renderers that wait on I/O: a current entry is returned
   * as an already completed future; on a miss the renderer's stage is awaited without blocking this
   * thread, and concurrent callers of the same key share one render (single-flight). Guarantees as
   * for {@code get}: a page whose render began before an invalidation returned is never handed to a
   * call that began after it. The future fails with a {@link RenderException} (or {@link
   * RenderTimeoutException}) as {@code get} would throw. Holes, if any, are filled synchronously.
   */
  public CompletableFuture<Page> getAsync(CacheKey key, AsyncRenderer renderer) {
    return getAsync(key, ANY_PAGE, renderer);
  }

  /**
   * Like {@link #getAsync(CacheKey, AsyncRenderer)}, but a current entry is only taken if {@code
   * usable} accepts it; otherwise it is rendered anew as on a miss, and the refused entry is offered
   * to the renderer as {@link RenderContext#previous()} (an HTTP proxy uses this for entries whose
   * freshness lifetime ran out: it revalidates them with the origin). {@code usable} must be cheap and
   * must not call the cache.
   */
  public CompletableFuture<Page> getAsync(CacheKey key, Predicate<? super Page> usable, AsyncRenderer renderer) {
    checkKey(key, "key");
    requireNonNull(usable, "usable");
    requireNonNull(renderer, "renderer");
    noteRequest(key);
    Entry found = store.get(key);
    if (found == null) {
      misses.increment();
    } else if (found.isCurrent(registry) && usable.test(found)) {
      hit(found);
      return CompletableFuture.completedFuture(page(found));
    } else {
      staleRejections.increment();
    }
    long myStart = registry.currentSequence();
    return flightAsync(key, usable, renderer, found, myStart, clock.nanoTime() + renderTimeoutNanos)
        .thenApply(this::page);
  }

  /**
   * Like {@link #get(CacheKey, Renderer)}, except that while the key's invalidated entry waits for or
   * undergoes a background rebuild (the {@link FreshcacheBuilder#rebuild rebuild policy}), its
   * invalidated copy is returned at once instead of rendering or waiting: stale-while-revalidate for
   * invalidations. This gives up guarantee 1 for this call, so never use it for a caller that has just
   * written (read your writes: call {@code get} for them). Without a pending rebuild it is {@code get}.
   */
  public Page getAllowingStale(CacheKey key, Renderer renderer) {
    Page stale = pendingStaleCopy(key);
    return stale != null ? stale : get(key, renderer);
  }

  /** The asynchronous twin of {@link #getAllowingStale}, with {@code usable} as in {@link #getAsync(CacheKey, Predicate, AsyncRenderer)}. */
  public CompletableFuture<Page> getAsyncAllowingStale(CacheKey key, Predicate<? super Page> usable,
      AsyncRenderer renderer) {
    Page stale = pendingStaleCopy(key);
    return stale != null ? CompletableFuture.completedFuture(stale) : getAsync(key, usable, renderer);
  }

  /** The invalidated copy of a key being rebuilt, if no current entry exists; counts it as served. */
  private Page pendingStaleCopy(CacheKey key) {
    checkKey(key, "key");
    if (rebuilder == null) {
      return null;
    }
    Entry pending = rebuilder.staleCopy(key);
    if (pending == null) {
      return null;
    }
    if (hasCurrent(key)) {
      return null; // rebuilt already: get() will hit
    }
    staleServed.increment();
    noteRequest(key);
    return page(pending);
  }

  /** How many invalidated entries wait for or undergo a background rebuild or pre-cache render now. */
  public int rebuildsPending() {
    return rebuilder == null ? 0 : rebuilder.queued();
  }

  /**
   * Weighs {@code page}'s entry again against the byte bound ({@link FreshcacheBuilder#maximumBytes}),
   * because its attachment, a {@link Weighable}, now holds more or less memory than when it was
   * stored (a form of the body it built and kept on a later use, say). Does nothing when the page
   * is no longer stored or is not one of this cache's entries. May evict other entries, on the
   * cache's executor as any insert does. Cheap enough for an occasional call; not for every hit.
   */
  public void reweigh(Page page) {
    if (page instanceof Entry e) {
      store.reweigh(e);
    }
  }

  /**
   * The current page for {@code key} without rendering, or null. Holes are filled only from current
   * entries; if one is missing, null is returned.
   */
  public Page getIfPresent(CacheKey key) {
    checkKey(key, "key");
    Entry e = lookup(key);
    if (e == null) {
      return null;
    }
    return e.holes() == null ? e : composeIfPresent(e, key.scope().kind() == Scope.Kind.USER ? key.scope() : Scope.PUBLIC, 0);
  }

  /**
   * Invalidates exact tags (with or without aspect): every entry depending on one of them, or on a
   * pattern matching one, is never served again. O(1) per tag on this thread whatever the number of
   * dependents (O(depth of the tag's path) for patterns); entries are removed in the background.
   * When this returns, no lookup that begins afterwards returns an entry rendered before.
   *
   * @throws IllegalArgumentException if a tag is malformed or is a pattern
   */
  public void invalidate(String... tags) {
    requireNonNull(tags, "tags");
    Tag[] parsed = new Tag[tags.length];
    for (int i = 0; i < tags.length; i++) {
      parsed[i] = Tag.parse(tags[i]);
      if (parsed[i].isPattern()) {
        throw new IllegalArgumentException("tag: " + tags[i]
            + " (expected: an exact tag; patterns are for dependencies, use invalidatePrefix for subtrees)");
      }
    }
    for (Tag t : parsed) {
      registry.invalidate(t, worker::enqueue);
      invalidations.increment();
    }
  }

  /**
   * Invalidates every entry that depends on a tag starting with {@code prefix} (for example {@code
   * page:Projects/}), or on a pattern that could match such a tag. A bulk operation: O(number of
   * distinct tags) on this thread.
   */
  public void invalidatePrefix(String prefix) {
    requireNonNull(prefix, "prefix");
    if (prefix.isBlank()) {
      throw new IllegalArgumentException("prefix: blank (expected: e.g. 'page:Projects/'; use clear() for everything)");
    }
    if (prefix.length() > Tag.MAX_LENGTH) {
      throw new IllegalArgumentException("prefix: " + prefix.length() + " characters (expected: <= " + Tag.MAX_LENGTH + ")");
    }
    registry.invalidatePrefix(prefix, worker::enqueue);
    invalidations.increment();
  }

  /**
   * Removes every entry of a resource, across variants and scopes (all users' copies of a page), with
   * the guarantee of {@link #invalidate}: a render of the resource still running when this is called
   * is neither stored nor handed to a lookup that begins after this returns. Returns how many entries
   * were removed.
   */
  public int removeResource(String resource) {
    requireNonNull(resource, "resource");
    if (resource.isBlank()) {
      throw new IllegalArgumentException("resource: blank (expected: a non-blank resource)");
    }
    registry.invalidateResource(resource);
    invalidations.increment();
    return store.removeResource(resource);
  }

  /** Removes every entry. */
  public void clear() {
    store.clear();
  }

  /** The counters now. */
  public CacheStats stats() {
    return new CacheStats(hits.sum(), misses.sum(), staleRejections.sum(), renders.sum(),
        renderFailures.sum(), coalescedWaits.sum(), invalidations.sum(), invalidatedEntries.sum(),
        evictions.sum(), store.entryCount(), store.storedBytes(), store.identityBytes(),
        rebuilder == null ? 0 : rebuilder.rebuilt.sum(), rebuilder == null ? 0 : rebuilder.failed.sum(),
        rebuilder == null ? 0 : rebuilder.dropped.sum(), staleServed.sum(),
        precacher == null ? 0 : precacher.submitted.sum(), precacher == null ? 0 : precacher.used.sum());
  }

  /**
   * Whether the background worker has removed the entries of every invalidation so far. Lookups
   * never depend on this; it is for tests and benchmarks that measure memory.
   */
  public boolean invalidationsSettled() {
    return worker.idle();
  }

  /** Registers the cache's counters and gauges under {@code freshcache.*}. */
  @Override
  public void bindTo(MeterRegistry registry) {
    FunctionCounter.builder("freshcache.lookups", hits, LongAdder::sum).tag("result", "hit")
        .description("lookups served from a current entry").register(registry);
    FunctionCounter.builder("freshcache.lookups", misses, LongAdder::sum).tag("result", "miss")
        .description("lookups that found no entry").register(registry);
    FunctionCounter.builder("freshcache.lookups", staleRejections, LongAdder::sum).tag("result", "stale")
        .description("lookups that found an entry behind its tags' versions").register(registry);
    FunctionCounter.builder("freshcache.renders", renders, LongAdder::sum).tag("result", "ok")
        .register(registry);
    FunctionCounter.builder("freshcache.renders", renderFailures, LongAdder::sum).tag("result", "failed")
        .register(registry);
    FunctionCounter.builder("freshcache.coalesced.waits", coalescedWaits, LongAdder::sum)
        .description("callers that waited for another caller's render").register(registry);
    FunctionCounter.builder("freshcache.invalidations", invalidations, LongAdder::sum).register(registry);
    FunctionCounter.builder("freshcache.invalidated.entries", invalidatedEntries, LongAdder::sum)
        .register(registry);
    FunctionCounter.builder("freshcache.evictions", evictions, LongAdder::sum).register(registry);
    FunctionCounter.builder("freshcache.rebuilds", this, c -> c.stats().rebuilds()).tag("result", "ok")
        .description("background rebuilds of invalidated entries").register(registry);
    FunctionCounter.builder("freshcache.rebuilds", this, c -> c.stats().rebuildFailures()).tag("result", "failed")
        .register(registry);
    FunctionCounter.builder("freshcache.rebuilds", this, c -> c.stats().rebuildsDropped()).tag("result", "dropped")
        .description("invalidated entries only evicted, or pre-cache renders not queued, because the rebuild queue was full")
        .register(registry);
    FunctionCounter.builder("freshcache.stale.served", staleServed, LongAdder::sum)
        .description("invalidated copies served while their rebuild was pending").register(registry);
    if (precacher != null) {
      FunctionCounter.builder("freshcache.precache", precacher.submitted, LongAdder::sum).tag("result", "queued")
          .description("invalidated user pages queued for rendering before their user asked again").register(registry);
      FunctionCounter.builder("freshcache.precache", precacher.used, LongAdder::sum).tag("result", "used")
          .description("pre-cached user pages their user then requested and hit").register(registry);
    }
    Gauge.builder("freshcache.rebuilds.pending", this, Freshcache::rebuildsPending).register(registry);
    Gauge.builder("freshcache.entries", store, EntryStore::entryCount).register(registry);
    Gauge.builder("freshcache.bytes", store, EntryStore::storedBytes).tag("form", "stored")
        .baseUnit("bytes").register(registry);
    Gauge.builder("freshcache.bytes", store, EntryStore::identityBytes).tag("form", "identity")
        .baseUnit("bytes").register(registry);
    Gauge.builder("freshcache.compression.ratio", this, c -> c.stats().compressionRatio())
        .description("identity bytes / stored bytes").register(registry);
  }

  /** Stops the background worker. Lookups keep working; invalidated entries are then only rejected. */
  @Override
  public void close() {
    worker.stop();
    if (rebuilder != null) {
      rebuilder.stop();
    }
  }

  // ---------------------------------------------------------------- lookup and render

  /** The entry as handed out: holes filled for the viewer its key implies. */
  private Page page(Entry e) {
    return e.holes() == null ? e : compose(e, e.key.scope().kind() == Scope.Kind.USER ? e.key.scope() : Scope.PUBLIC, 0);
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  void checkKey(CacheKey key, String what) {
    requireNonNull(key, what);
    if (key.scope().isViewer()) {
      throw new IllegalArgumentException(what + ": " + key
          + " (expected: a PUBLIC, user or group scope; VIEWER is only for hole keys)");
    }
  }

  /** A current entry, or null; counts the outcome and drops a stale one. */
  private Entry lookup(CacheKey key) {
    Entry e = store.get(key);
    if (e == null) {
      misses.increment();
      return null;
    }
    if (e.isCurrent(registry)) {
      hit(e);
      return e;
    }
    staleRejections.increment();
    store.remove(e);
    return null;
  }

  /** The current entry for the key, rendering it (single-flight) on a miss. */
  Entry entry(CacheKey key, Renderer renderer) {
    return entry(key, renderer, null);
  }

  /**
   * {@link #entry(CacheKey, Renderer)}, where {@code removed} (if not null) is an invalidated entry
   * of the key that the store no longer has: the render's previous entry, for comparing ETags.
   */
  private Entry entry(CacheKey key, Renderer renderer, Entry removed) {
    Entry stale = store.get(key);
    if (stale == null) {
      misses.increment();
    } else if (stale.isCurrent(registry)) {
      hit(stale);
      return stale;
    } else {
      staleRejections.increment(); // left in place: the render replaces it and compares ETags
    }
    // Read after this lookup began, so a render whose start sequence is greater began after it too.
    long myStart = registry.currentSequence();
    ArrayDeque<CacheKey> stack = RENDERING.get();
    if (stack.contains(key)) { // checked before joining a flight: this thread may be its leader
      throw new RenderException("cycle: " + key + " includes itself via " + stack, null);
    }
    long deadline = clock.nanoTime() + renderTimeoutNanos;
    while (true) {
      Flight mine = new Flight();
      Flight running = flights.putIfAbsent(key, mine);
      if (running == null) {
        try {
          Entry fresh = store.get(key);
          if (fresh == null || !fresh.isCurrent(registry)) {
            fresh = render(key, renderer, mine, fresh != null ? fresh : stale != null ? stale : removed);
          } else {
            mine.stored = true;
          }
          // Leave the map before completing, so a caller that comes after the outcome starts afresh
          // rather than joining a flight that is over (and, on failure, inheriting its exception).
          flights.remove(key, mine);
          mine.result.complete(fresh);
          return fresh;
        } catch (Throwable t) {
          flights.remove(key, mine);
          mine.result.completeExceptionally(t);
          throw t;
        }
      }
      coalescedWaits.increment();
      Entry shared = running.await(key, Math.max(0, deadline - clock.nanoTime()));
      // Take it if the render provably began after we did, or it was stored and nothing it depends
      // on has moved since. Strictly greater: invalidate() takes its sequence number before it bumps
      // the states, so a leader that read the same number may have started before those bumps.
      if (running.startSequence > myStart || (running.stored && shared.isCurrent(registry))) {
        return shared;
      }
      flights.remove(key, running); // done but too old for us; its leader may not have removed it yet
      Entry now = store.get(key);
      if (now != null && now.isCurrent(registry)) {
        return now;
      }
    }
  }

  /**
   * The asynchronous twin of {@link #entry}: lead a render or wait for the running one, taking its
   * result under the same rule (its render began after this lookup, or it was stored and is still
   * current and usable), otherwise going round again.
   */
  private CompletableFuture<Entry> flightAsync(CacheKey key, Predicate<? super Page> usable,
      AsyncRenderer renderer, Entry previous, long myStart, long deadline) {
    Flight mine = new Flight();
    Flight running = flights.putIfAbsent(key, mine);
    if (running == null) {
      Entry fresh = store.get(key);
      if (fresh != null && fresh.isCurrent(registry) && usable.test(fresh)) {
        mine.stored = true;
        flights.remove(key, mine);
        mine.result.complete(fresh);
        return mine.result;
      }
      return renderAsync(key, renderer, mine, fresh != null ? fresh : previous);
    }
    coalescedWaits.increment();
    long remaining = Math.max(0, deadline - clock.nanoTime());
    return running.result.copy().orTimeout(remaining, TimeUnit.NANOSECONDS)
        .handle((shared, err) -> {
          if (err != null) {
            Throwable cause = unwrap(err);
            if (cause instanceof TimeoutException) {
              throw new RenderTimeoutException("waited " + TimeUnit.NANOSECONDS.toMillis(remaining)
                  + " ms for another caller's render of " + key);
            }
            throw cause instanceof RenderException re ? new RenderException(re.getMessage(), re.getCause())
                : new RenderException("render of " + key + " failed: " + cause, cause);
          }
          return shared;
        })
        .thenCompose(shared -> {
          if (running.startSequence > myStart
              || (running.stored && shared.isCurrent(registry) && usable.test(shared))) {
            return CompletableFuture.completedFuture(shared);
          }
          flights.remove(key, running);
          Entry now = store.get(key);
          if (now != null && now.isCurrent(registry) && usable.test(now)) {
            return CompletableFuture.completedFuture(now);
          }
          return flightAsync(key, usable, renderer, now != null ? now : previous, myStart, deadline);
        });
  }

  private Entry render(CacheKey key, Renderer renderer, Flight flight, Entry previous) {
    ArrayDeque<CacheKey> stack = RENDERING.get();
    if (stack.size() >= maxNestingDepth) {
      throw new RenderException("nesting: " + key + " is " + (stack.size() + 1)
          + " levels deep (expected: <= " + maxNestingDepth + ")", null);
    }
    long start = registry.currentSequence();
    flight.startSequence = start;
    RenderScope scope = new RenderScope(this, key, start, previous);
    long t0 = clock.nanoTime();
    Content content;
    stack.push(key);
    try {
      content = renderer.render(scope);
      if (content == null) {
        throw new NullPointerException("renderer for " + key + " returned null (expected: a Content)");
      }
    } catch (RenderException e) {
      renderFailures.increment();
      release(scope.states());
      throw e;
    } catch (Exception e) {
      renderFailures.increment();
      release(scope.states());
      throw new RenderException("renderer for " + key + " failed: " + e, e);
    } finally {
      stack.pop();
    }
    return finish(key, scope, content, clock.nanoTime() - t0, flight, previous, renderer);
  }

  /**
   * The leader's side of an asynchronous miss: runs the renderer, and when its stage completes builds
   * and stores the entry and completes the flight (on the completing thread). The stage is bounded by
   * the render timeout, so a renderer that never completes cannot wedge the key.
   */
  private CompletableFuture<Entry> renderAsync(CacheKey key, AsyncRenderer renderer, Flight flight, Entry previous) {
    long start = registry.currentSequence();
    flight.startSequence = start;
    RenderScope scope = new RenderScope(this, key, start, previous);
    long t0 = clock.nanoTime();
    CompletableFuture<Content> bounded = new CompletableFuture<>();
    try {
      CompletionStage<Content> stage = renderer.render(scope);
      if (stage == null) {
        throw new NullPointerException("renderer for " + key + " returned a null stage (expected: a CompletionStage)");
      }
      stage.whenComplete((c, err) -> {
        if (err != null) {
          bounded.completeExceptionally(err);
        } else {
          bounded.complete(c);
        }
      });
    } catch (Exception e) {
      bounded.completeExceptionally(e);
    }
    bounded.orTimeout(renderTimeoutNanos, TimeUnit.NANOSECONDS).whenComplete((content, err) -> {
      Entry entry = null;
      Throwable failure = null;
      try {
        if (err == null && content == null) {
          err = new NullPointerException("renderer for " + key + " completed with null (expected: a Content)");
        }
        if (err != null) {
          renderFailures.increment();
          release(scope.states());
          Throwable cause = unwrap(err);
          failure = cause instanceof RenderException re ? re
              : cause instanceof TimeoutException
                  ? new RenderTimeoutException("render of " + key + " took longer than "
                      + TimeUnit.NANOSECONDS.toMillis(renderTimeoutNanos) + " ms")
                  : new RenderException("renderer for " + key + " failed: " + cause, cause);
        } else {
          entry = finish(key, scope, content, clock.nanoTime() - t0, flight, previous, renderer);
        }
      } catch (Throwable t) {
        failure = t;
      }
      flights.remove(key, flight); // before completing: see entry()
      if (failure != null) {
        flight.result.completeExceptionally(failure);
      } else {
        flight.result.complete(entry);
      }
    });
    return flight.result;
  }

  /** Builds the entry of a finished render, stores it if still current, and tells the listeners. */
  private Entry finish(CacheKey key, RenderScope scope, Content content, long took, Flight flight, Entry previous,
      Object renderer) {
    renders.increment();
    Holes[] holes = new Holes[1];
    byte[] identity = scope.extractHoles(content.body(), holes);
    long[] etag = holes[0] == null ? hash(identity) : hash(identity, holes[0]);
    byte[] stored = identity;
    Encoding encoding = Encoding.IDENTITY;
    if (holes[0] == null && !scope.uncompressed && identity.length >= compressionThreshold
        && storedEncoding != Encoding.IDENTITY) {
      Compression.Coded z = Compression.encodeIfSmaller(identity, storedEncoding);
      if (z != null) {
        stored = z.bytes();
        encoding = z.encoding();
      }
    }
    TagState[] deps = scope.states();
    Entry entry = new Entry(key, stored, encoding, identity.length, content.contentType(), etag[0], etag[1],
        deps, scope.start, scope.bounds(), clock.currentTimeMillis(), holes[0], content.attachment(),
        keepsRenderer(key) ? renderer : null);
    boolean cached = store(entry);
    flight.stored = cached;
    boolean changed = previous == null || previous.etagHigh != etag[0] || previous.etagLow != etag[1];
    publish(new CacheEvent.Rendered(key, entry.etag(), changed, Duration.ofNanos(took), cached));
    return entry;
  }

  /** Links the entry into the reverse index and stores it, unless it is already stale. */
  private boolean store(Entry entry) {
    if (!entry.isCurrent(registry)) {
      release(entry.deps);
      return false;
    }
    int linked = 0;
    for (TagState s : entry.deps) {
      if (!s.addDependent(entry)) {
        break;
      }
      linked++;
    }
    if (linked < entry.deps.length) { // a state retired under us: a rare race; just don't cache
      for (int i = 0; i < linked; i++) {
        unlink(entry.deps[i], entry);
      }
      release(entry.deps);
      return false;
    }
    store.put(entry);
    if (!entry.isCurrent(registry)) {
      // Invalidated between the check and the put; the worker may have walked the index before we
      // linked, so remove it here rather than leave it to the next lookup.
      removeInvalidated(entry);
    }
    return true;
  }

  /** Schedules for retirement the states that a failed or discarded render created and nothing depends on. */
  private void release(TagState[] states) {
    for (TagState s : states) {
      if (s.dependentCount() == 0) {
        registry.retireLater(s);
      }
    }
  }

  private void unlink(TagState s, Entry e) {
    if (s.removeDependent(e)) {
      registry.retireLater(s);
    }
  }

  private void removeInvalidated(Entry e) {
    if (store.remove(e)) {
      invalidatedEntries.increment();
      // An entry queued for a rebuild is announced by the Rendered event of its rebuild (changed or
      // not), so an identical rebuild pushes nothing.
      if (rebuilder == null || !rebuilder.offer(e)) {
        if (precacher != null) {
          precacher.park(e);
        }
        publish(new CacheEvent.Invalidated(e.key, e.etag()));
      }
    }
  }

  private void hit(Entry e) {
    hits.increment();
    if (rebuilder != null) {
      e.touch(clock.currentTimeMillis());
    }
  }

  /**
   * A background rebuild of an invalidated entry, with its own renderer, unless a caller has
   * rendered the key meanwhile. Runs on a rebuild thread.
   */
  private void rebuild(Entry stale) {
    try {
      renderInBackground(stale.key, stale.renderer(), stale, "rebuild");
    } catch (RenderException e) {
      publish(new CacheEvent.Invalidated(stale.key, stale.etag())); // its Rendered event will not come
      throw e;
    }
  }

  /**
   * A pre-cache render of a user's invalidated page ({@link Precacher}), unless a caller has rendered
   * the key meanwhile. Its Invalidated event went out when it was parked. Runs on a rebuild thread.
   */
  private void precache(CacheKey key, Object renderer) {
    renderInBackground(key, renderer, null, "pre-cache");
  }

  /** Renders {@code key} with {@code renderer} (a {@link Renderer} or an {@link AsyncRenderer}) unless it is current. */
  private void renderInBackground(CacheKey key, Object renderer, Entry previous, String what) {
    Entry now = store.get(key);
    if (now != null && now.isCurrent(registry)) {
      return;
    }
    try {
      if (renderer instanceof Renderer r) {
        entry(key, r, previous);
      } else {
        flightAsync(key, ANY_PAGE, (AsyncRenderer) renderer, now != null ? now : previous,
            registry.currentSequence(), clock.nanoTime() + renderTimeoutNanos)
            .get(renderTimeoutNanos, TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RenderException(what + " of " + key + " interrupted", e);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      Throwable cause = unwrap(e);
      throw cause instanceof RenderException re ? re : new RenderException(what + " of " + key + " failed: " + cause, cause);
    }
  }

  /** Whether an entry of {@code key} keeps its renderer: for a rebuild policy, or for pre-caching a user's page. */
  private boolean keepsRenderer(CacheKey key) {
    return rebuildPolicy || precacher != null && precacher.tracks(key);
  }

  /** Tells pre-caching, if on, that {@code key}'s user asked for it. */
  private void noteRequest(CacheKey key) {
    if (precacher != null) {
      precacher.requested(key);
    }
  }

  /** Whether the store holds a current entry of {@code key}. */
  private boolean hasCurrent(CacheKey key) {
    Entry e = store.get(key);
    return e != null && e.isCurrent(registry);
  }

  private void onRemoval(Entry e, EntryStore.RemovalCause cause) {
    for (TagState s : e.deps) {
      unlink(s, e);
    }
    switch (cause) {
      case SIZE -> {
        evictions.increment();
        publish(new CacheEvent.Evicted(e.key, CacheEvent.Reason.SIZE));
      }
      case EXPIRED -> {
        evictions.increment();
        publish(new CacheEvent.Evicted(e.key, CacheEvent.Reason.EXPIRED));
      }
      case EXPLICIT -> publish(new CacheEvent.Evicted(e.key, CacheEvent.Reason.REMOVED));
      case STALE, REPLACED -> { } // Invalidated / Rendered tell those stories
    }
  }

  private void publish(CacheEvent event) {
    for (CacheListener l : listeners) {
      try {
        l.onEvent(event);
      } catch (RuntimeException | Error err) {
        LOG.warn("cache listener {} failed on {}", l, event, err);
      }
    }
  }

  // ---------------------------------------------------------------- holes

  private Page compose(Entry e, Scope viewer, int depth) {
    if (depth >= maxNestingDepth) {
      throw new RenderException("holes: nested more than " + maxNestingDepth + " deep in " + e.key, null);
    }
    Holes h = e.holes();
    byte[] base = e.body;
    ByteArrayOutputStream out = new ByteArrayOutputStream(base.length + 256 * h.count());
    MessageDigest md = sha256();
    update(md, e.etagHigh, e.etagLow);
    int last = 0;
    for (int i = 0; i < h.count(); i++) {
      out.write(base, last, h.offsets()[i] - last);
      last = h.offsets()[i];
      CacheKey hk = h.keys()[i];
      if (hk.scope().isViewer()) {
        hk = hk.withScope(viewer);
      }
      Entry he = entry(hk, h.renderers()[i]);
      Page hp = he.holes() == null ? he : compose(he, viewer, depth + 1);
      out.writeBytes(hp.body());
      md.update(hp.etag().opaque().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }
    out.write(base, last, base.length - last);
    return new ComposedPage(e, out.toByteArray(), digestToLongs(md.digest()));
  }

  private Page composeIfPresent(Entry e, Scope viewer, int depth) {
    if (depth >= maxNestingDepth) {
      return null;
    }
    Holes h = e.holes();
    for (int i = 0; i < h.count(); i++) {
      CacheKey hk = h.keys()[i];
      Entry he = lookup(hk.scope().isViewer() ? hk.withScope(viewer) : hk);
      if (he == null || (he.holes() != null && composeIfPresent(he, viewer, depth + 1) == null)) {
        return null;
      }
    }
    return compose(e, viewer, depth);
  }

  // ---------------------------------------------------------------- hashing

  private static long[] hash(byte[] identity) {
    return digestToLongs(sha256().digest(identity));
  }

  private static long[] hash(byte[] identity, Holes holes) {
    MessageDigest md = sha256();
    md.update(identity);
    for (int i = 0; i < holes.count(); i++) {
      md.update((holes.offsets()[i] + ":" + holes.keys()[i]).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    return digestToLongs(md.digest());
  }

  private static void update(MessageDigest md, long high, long low) {
    for (int i = 56; i >= 0; i -= 8) {
      md.update((byte) (high >>> i));
    }
    for (int i = 56; i >= 0; i -= 8) {
      md.update((byte) (low >>> i));
    }
  }

  private static long[] digestToLongs(byte[] d) {
    long high = 0;
    long low = 0;
    for (int i = 0; i < 8; i++) {
      high = (high << 8) | (d[i] & 0xFF);
      low = (low << 8) | (d[8 + i] & 0xFF);
    }
    return new long[] {high, low};
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }

  /** A page with its holes filled, built per request. */
  private record ComposedPage(Entry entry, byte[] identity, long[] etagBits) implements Page {
    @Override
    public CacheKey key() {
      return entry.key;
    }

    @Override
    public String contentType() {
      return entry.contentType;
    }

    @Override
    public ETag etag() {
      return new ETag(Entry.etagText(etagBits[0], etagBits[1]), false);
    }

    @Override
    public long createdAtMillis() {
      return entry.createdAtMillis;
    }

    @Override
    public byte[] body() {
      return identity;
    }

    @Override
    public Encoding storedEncoding() {
      return Encoding.IDENTITY;
    }

    @Override
    public byte[] storedBody() {
      return identity;
    }

    @Override
    public byte[] body(Encoding encoding) {
      return Compression.transcode(identity, Encoding.IDENTITY, encoding, identity.length);
    }

    @Override
    public List<String> tags() {
      return entry.tags();
    }
  }
}
