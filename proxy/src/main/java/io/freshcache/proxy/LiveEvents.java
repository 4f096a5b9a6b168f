package io.freshcache.proxy;

import static java.util.Objects.requireNonNull;

import io.freshcache.core.CacheEvent;
import io.freshcache.core.CacheKey;
import io.freshcache.core.CacheListener;
import io.freshcache.core.Clock;
import io.freshcache.core.Scope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub that pushes cache changes to browsers: a {@link CacheListener} that turns cache events
 * into Server-Sent Events frames for the pages subscribed to the changed fragments. Transport-free:
 * {@link LiveHandler} serves it over Netty, and any other server can call {@link #subscribe} with a
 * sink that writes the frames to its response stream (docs/live.md shows the JDK HttpServer).
 *
 * <pre>{@code
 * LiveEvents live = LiveEvents.builder().build();
 * Freshcache cache = Freshcache.builder().listener(live).build();
 * }</pre>
 *
 * <h2>What is pushed</h2>
 * A fragment's id is its key's {@linkplain CacheKey#resource() resource}: the normalized path and
 * query a page fetches it with. Every variant of a resource maps to the same id.
 *
 * <ul>
 *   <li>{@link CacheEvent.Rendered} with {@code changed} and {@code cached}: event {@code changed}
 *       carrying the new ETag. An identical rebuild pushes nothing (guarantee 5): neither one
 *       core reports as unchanged nor one whose ETag equals the last pushed for the same key (core
 *       reports a rebuild after invalidation as changed, since the old entry is gone by then).
 *   <li>{@link CacheEvent.Rendered} that was not cached (invalidated while rendering): event {@code
 *       invalidated}, since whoever fetched that rendering now shows something already stale.
 *   <li>{@link CacheEvent.Invalidated}: event {@code invalidated}.
 *   <li>{@link CacheEvent.Evicted}: nothing for {@code SIZE} and {@code EXPIRED} (not changes: the
 *       page still shows what the origin would send); {@code invalidated} for {@code REMOVED}, an
 *       explicit purge, which is done because the resource changed.
 * </ul>
 *
 * <h2>Scopes never leak</h2>
 * An event of a {@code PUBLIC} key goes to every subscriber of its id; an event of a {@code USER} or
 * {@code GROUP} key only to subscribers whose audience holds that very scope; {@code VIEWER} keys
 * are never stored and push nothing.
 *
 * <h2>Nothing missed across a reconnect</h2>
 * Event ids are {@code EPOCH-SEQ}: a sequence number that grows by one per event, prefixed by a
 * random epoch per hub so that ids from before a restart are recognised. The last {@code maxEvents}
 * events of the last {@code maxAge} are kept in a ring; a subscriber that gives the last id it saw
 * gets every later event for its ids (only the newest per id: the older ones are superseded), then
 * live events. If that id is from another epoch or older than the ring, events may have been lost,
 * so it gets {@code reset} instead (the page reloads). Heartbeats carry the current id, so a client
 * whose fragments are quiet still resumes from a recent id.
 *
 * <h2>Threading</h2>
 * All methods are thread-safe. Events are numbered and handed to sinks under one lock, so each sink
 * sees frames in id order and a subscription never misses or repeats an event that raced its
 * creation. That lock is not on the request path: events come from renders (misses) and from the
 * invalidation worker, and a fan-out costs one non-blocking sink call per matching subscriber.
 */
public final class LiveEvents implements CacheListener {
  private static final Logger LOG = LoggerFactory.getLogger(LiveEvents.class);

  /** Default number of events kept for replay. */
  public static final int DEFAULT_MAX_EVENTS = 10_000;

  /** Default age of the oldest event kept for replay. */
  public static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(5);

  /** Default limit on the ids of one subscription. */
  public static final int DEFAULT_MAX_IDS = 64;

  /** Default limit on the characters of one id. */
  public static final int DEFAULT_MAX_ID_LENGTH = 2048;

  private final Clock clock;
  private final int maxEvents;
  private final long maxAgeNanos;
  private final int maxIds;
  private final int maxIdLength;
  private final UnaryOperator<String> normalizer;
  private final String epoch;

  /** Guards ring, head and index: event numbering, replay and fan-out happen in one order. */
  private final ReentrantLock lock = new ReentrantLock();

  private final Event[] ring;
  private int ringStart;
  private int ringSize;
  /** The sequence number of the newest event; 0 before the first. */
  private long head;
  private final HashMap<String, Set<Sub>> index = new HashMap<>();
  /** The newest {@code changed} event per key still in the ring. */
  private final HashMap<CacheKey, Event> lastChanged = new HashMap<>();
  private int subscriptions;

  private LiveEvents(Builder b) {
    this.clock = b.clock;
    this.maxEvents = b.maxEvents;
    this.maxAgeNanos = b.maxAge.toNanos();
    this.maxIds = b.maxIds;
    this.maxIdLength = b.maxIdLength;
    this.normalizer = b.normalizer;
    this.epoch = b.epoch != null ? b.epoch
        : Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36, 36L * 36 * 36 * 36 * 36 * 36), 36);
    this.ring = new Event[maxEvents];
  }

  /** A builder with the defaults named on each method. */
  public static Builder builder() {
    return new Builder();
  }

  /** An open subscription: close it when its stream ends. */
  public interface Subscription extends AutoCloseable {

    /** The normalized ids, in the order they were given. */
    List<String> ids();

    /**
     * Sends a heartbeat frame (a comment and the current event id) to the sink, in order with the
     * events: a client that resumes from it misses nothing.
     */
    void heartbeat();

    /** Stops delivery; idempotent. */
    @Override
    void close();
  }

  /**
   * Subscribes {@code sink} to the events of {@code ids} as seen by {@code user}.
   *
   * @param user the {@linkplain Scope#user user id} of the subscriber (the same opaque, usually
   *     hashed, name the cache keys use), or null for an anonymous subscriber who sees only public
   *     events
   * @see #subscribe(Collection, Set, String, Consumer)
   */
  public Subscription subscribe(Collection<String> ids, String user, String lastEventId, Consumer<String> sink) {
    return subscribe(ids, user == null ? Set.of() : Set.of(Scope.user(user)), lastEventId, sink);
  }

  /**
   * Subscribes {@code sink} to the events of {@code ids}. Before this returns the sink has been
   * given, in order: the replay (events after {@code lastEventId} for these ids, newest per id) or a
   * {@code reset} frame, then a {@code ready} frame whose data lists the normalized ids in the given
   * order. Live frames follow, from the thread that published them.
   *
   * <p>The sink gets complete SSE frames (each ends with a blank line), one call at a time and in id
   * order; it must not block (queue the write) and must not call this hub. If it throws, the
   * subscription is closed.
   *
   * @param ids fragment ids, each starting with {@code /}; 1 to {@code maxIds} of them
   * @param audience the non-public scopes the subscriber may see (its user, its groups)
   * @param lastEventId the id of the last event the client saw, or null for a first connect
   * @throws IllegalArgumentException if the ids break the limits (the message says which)
   */
  public Subscription subscribe(Collection<String> ids, Set<Scope> audience, String lastEventId, Consumer<String> sink) {
    List<String> normalized = checkIds(ids);
    requireNonNull(audience, "audience");
    requireNonNull(sink, "sink");
    Sub sub = new Sub(normalized, Set.copyOf(audience), sink);
    lock.lock();
    try {
      prune();
      replay(sub, lastEventId);
      sub.send(frame(head, "ready", readyData(normalized)));
      if (sub.closed) {
        return sub;
      }
      for (String id : sub.ids) {
        index.computeIfAbsent(id, k -> new HashSet<>(2)).add(sub);
      }
      sub.registered = true;
      subscriptions++;
    } finally {
      lock.unlock();
    }
    return sub;
  }

  /**
   * Validates subscription ids and returns them normalized.
   *
   * @throws IllegalArgumentException naming the first id that breaks a limit
   */
  public List<String> checkIds(Collection<String> ids) {
    requireNonNull(ids, "ids");
    if (ids.isEmpty() || ids.size() > maxIds) {
      throw new IllegalArgumentException("ids: " + ids.size() + " (expected: 1 to " + maxIds + ")");
    }
    List<String> out = new ArrayList<>(ids.size());
    int i = 0;
    for (String id : ids) {
      if (id == null || !id.startsWith("/")) {
        throw new IllegalArgumentException("ids[" + i + "]: '" + abbreviate(id) + "' (expected: a path starting with '/')");
      }
      if (id.length() > maxIdLength) {
        throw new IllegalArgumentException("ids[" + i + "]: " + id.length() + " characters (expected: <= " + maxIdLength + ")");
      }
      out.add(requireNonNull(normalizer.apply(id), "normalizer returned null"));
      i++;
    }
    return List.copyOf(out);
  }

  @Override
  public void onEvent(CacheEvent event) {
    String name;
    String etag = null;
    if (event instanceof CacheEvent.Rendered r) {
      if (!r.cached()) {
        name = "invalidated";
      } else if (r.changed()) {
        name = "changed";
        etag = r.etag().toString();
      } else {
        return; // identical rebuild: invisible
      }
    } else if (event instanceof CacheEvent.Invalidated) {
      name = "invalidated";
    } else if (event instanceof CacheEvent.Evicted e && e.reason() == CacheEvent.Reason.REMOVED) {
      name = "invalidated";
    } else {
      return;
    }
    if (event.key().scope().isViewer()) {
      return;
    }
    publish(event.key(), name, etag);
  }

  /** Numbers one event, keeps it for replay and hands it to the matching subscribers. */
  void publish(CacheKey key, String name, String etag) {
    List<Sub> failed = null;
    lock.lock();
    try {
      prune();
      if (etag != null) {
        // Core reports a render after invalidation as changed (the old entry is gone), even when
        // the bytes are the same: compare with the ETag last pushed for this key (guarantee 5).
        Event last = lastChanged.get(key);
        if (last != null && last.etag.equals(etag)) {
          return;
        }
      }
      Event ev = new Event(++head, key, name, etag, clock.nanoTime());
      if (ringSize == maxEvents) {
        drop();
      }
      ring[(ringStart + ringSize) % maxEvents] = ev;
      ringSize++;
      if (etag != null) {
        lastChanged.put(key, ev);
      }
      Set<Sub> subs = index.get(ev.id);
      if (subs == null) {
        return;
      }
      String frame = null;
      for (Sub s : subs) {
        if (!s.sees(ev.scope)) {
          continue;
        }
        if (frame == null) {
          frame = ev.frame();
        }
        s.send(frame);
        if (s.closed) {
          failed = failed == null ? new ArrayList<>() : failed;
          failed.add(s);
        }
      }
      if (failed != null) {
        for (Sub s : failed) {
          unregister(s);
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** Drops the oldest event of the ring; called with the lock held. */
  private void drop() {
    Event old = ring[ringStart];
    ring[ringStart] = null;
    ringStart = (ringStart + 1) % maxEvents;
    ringSize--;
    if (old.etag != null && lastChanged.get(old.key) == old) {
      lastChanged.remove(old.key); // keeps that map as bounded as the ring
    }
  }

  /** The id of the newest event, as a client would send it back. */
  public String lastEventId() {
    lock.lock();
    try {
      return epoch + "-" + head;
    } finally {
      lock.unlock();
    }
  }

  /** How many subscriptions are open. */
  public int subscriptionCount() {
    lock.lock();
    try {
      return subscriptions;
    } finally {
      lock.unlock();
    }
  }

  /** How many events are kept for replay now. */
  int retainedEvents() {
    lock.lock();
    try {
      prune();
      return ringSize;
    } finally {
      lock.unlock();
    }
  }

  /** Sends the replay or a reset; called with the lock held. */
  private void replay(Sub sub, String lastEventId) {
    if (lastEventId == null || lastEventId.isEmpty()) {
      return; // a first connect starts from now
    }
    long seq = parseSeq(lastEventId);
    long first = ringSize == 0 ? head + 1 : ring[ringStart].seq;
    if (seq < 0 || seq > head) {
      sub.send(frame(head, "reset", "{\"reason\":\"unknown-id\"}"));
      return;
    }
    if (seq < first - 1) {
      sub.send(frame(head, "reset", "{\"reason\":\"too-old\"}"));
      return;
    }
    // Newest event per id only: an older one for the same id is superseded. Re-inserting keeps the
    // map in order of each id's newest event, so the last frame sent carries the highest id.
    LinkedHashMap<String, Event> newest = new LinkedHashMap<>();
    for (int i = (int) (seq + 1 - first); i < ringSize; i++) {
      Event ev = ring[(ringStart + i) % maxEvents];
      if (sub.wants(ev.id) && sub.sees(ev.scope)) {
        newest.remove(ev.id);
        newest.put(ev.id, ev);
      }
    }
    for (Map.Entry<String, Event> e : newest.entrySet()) {
      sub.send(e.getValue().frame());
    }
  }

  /** The sequence number in an id of this epoch, or -1. */
  private long parseSeq(String lastEventId) {
    int dash = lastEventId.lastIndexOf('-');
    if (dash <= 0 || !lastEventId.regionMatches(0, epoch, 0, dash) || dash != epoch.length()) {
      return -1;
    }
    try {
      return Long.parseLong(lastEventId, dash + 1, lastEventId.length(), 10);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Drops events older than maxAge; called with the lock held. */
  private void prune() {
    long now = clock.nanoTime();
    while (ringSize > 0 && now - ring[ringStart].nanos > maxAgeNanos) {
      drop();
    }
  }

  private void unregister(Sub sub) {
    if (!sub.registered) {
      return;
    }
    sub.registered = false;
    subscriptions--;
    for (String id : sub.ids) {
      Set<Sub> subs = index.get(id);
      if (subs != null && subs.remove(sub) && subs.isEmpty()) {
        index.remove(id);
      }
    }
  }

  private String frame(long seq, String name, String data) {
    return "id: " + epoch + "-" + seq + "\nevent: " + name + "\ndata: " + data + "\n\n";
  }

  private static String readyData(List<String> ids) {
    StringBuilder sb = new StringBuilder(16 + ids.size() * 16).append("{\"ids\":[");
    for (int i = 0; i < ids.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      json(sb, ids.get(i));
    }
    return sb.append("]}").toString();
  }

  /** Appends {@code s} as a JSON string; never emits a line break, which would end an SSE field. */
  static StringBuilder json(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"');
  }

  private static String abbreviate(String s) {
    return s == null ? "null" : s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  /** One numbered event kept for replay. */
  private final class Event {
    final long seq;
    final CacheKey key;
    final String id;
    final Scope scope;
    final String name;
    final String etag;
    final long nanos;

    Event(long seq, CacheKey key, String name, String etag, long nanos) {
      this.seq = seq;
      this.key = key;
      this.id = key.resource();
      this.scope = key.scope();
      this.name = name;
      this.etag = etag;
      this.nanos = nanos;
    }

    String frame() {
      StringBuilder data = new StringBuilder(32 + id.length()).append("{\"id\":");
      json(data, id);
      if (etag != null) {
        json(data.append(",\"etag\":"), etag);
      }
      return LiveEvents.this.frame(seq, name, data.append('}').toString());
    }
  }

  /** One subscriber; its mutable fields are guarded by the hub's lock. */
  private final class Sub implements Subscription {
    final List<String> ids;
    final Set<Scope> audience;
    final Consumer<String> sink;
    boolean registered;
    boolean closed;

    Sub(List<String> ids, Set<Scope> audience, Consumer<String> sink) {
      this.ids = ids;
      this.audience = audience;
      this.sink = sink;
    }

    boolean wants(String id) {
      return ids.contains(id);
    }

    boolean sees(Scope scope) {
      return scope.kind() == Scope.Kind.PUBLIC || audience.contains(scope);
    }

    /** Hands a frame to the sink; a sink that throws closes its subscription. */
    void send(String frame) {
      if (closed) {
        return;
      }
      try {
        sink.accept(frame);
      } catch (RuntimeException e) {
        LOG.debug("live sink failed, closing its subscription to {}", ids, e);
        closed = true;
      }
    }

    @Override
    public List<String> ids() {
      return ids;
    }

    @Override
    public void heartbeat() {
      lock.lock();
      try {
        send(": hb\nid: " + epoch + "-" + head + "\n\n");
        if (closed) {
          unregister(this);
        }
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void close() {
      lock.lock();
      try {
        closed = true;
        unregister(this);
      } finally {
        lock.unlock();
      }
    }
  }

  /** Options of a {@link LiveEvents}, validated as they are set. */
  public static final class Builder {
    private Clock clock = Clock.system();
    private int maxEvents = DEFAULT_MAX_EVENTS;
    private Duration maxAge = DEFAULT_MAX_AGE;
    private int maxIds = DEFAULT_MAX_IDS;
    private int maxIdLength = DEFAULT_MAX_ID_LENGTH;
    private UnaryOperator<String> normalizer = UnaryOperator.identity();
    private String epoch;

    private Builder() {}

    /** The time source for the replay window; default the system clock. */
    public Builder clock(Clock value) {
      clock = requireNonNull(value, "clock");
      return this;
    }

    /** How many events are kept for replay; default {@value #DEFAULT_MAX_EVENTS}. */
    public Builder maxEvents(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("maxEvents: " + value + " (expected: >= 1)");
      }
      maxEvents = value;
      return this;
    }

    /** How old the oldest event kept for replay may be; default 5 minutes. */
    public Builder maxAge(Duration value) {
      requireNonNull(value, "maxAge");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("maxAge: " + value + " (expected: > 0)");
      }
      maxAge = value;
      return this;
    }

    /** The most ids one subscription may name; default {@value #DEFAULT_MAX_IDS}. */
    public Builder maxIds(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("maxIds: " + value + " (expected: >= 1)");
      }
      maxIds = value;
      return this;
    }

    /** The most characters of one id; default {@value #DEFAULT_MAX_ID_LENGTH}. */
    public Builder maxIdLength(int value) {
      if (value < 2) {
        throw new IllegalArgumentException("maxIdLength: " + value + " (expected: >= 2)");
      }
      maxIdLength = value;
      return this;
    }

    /**
     * Turns a subscribed id into the resource of the cache keys, e.g. the proxy's own path and query
     * normalization; default the identity. Must be the same function the keys are made with, or
     * events will not reach their pages.
     */
    public Builder normalizer(UnaryOperator<String> value) {
      normalizer = requireNonNull(value, "normalizer");
      return this;
    }

    /** Fixes the epoch prefix of event ids, for tests. */
    Builder epoch(String value) {
      if (value.isEmpty() || value.indexOf('-') >= 0 || value.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("epoch: '" + value + "' (expected: non-empty, no '-' or newline)");
      }
      epoch = value;
      return this;
    }

    /** A hub with these options. */
    public LiveEvents build() {
      return new LiveEvents(this);
    }
  }
}
