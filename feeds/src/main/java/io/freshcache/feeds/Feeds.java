package io.freshcache.feeds;

import static java.util.Objects.requireNonNull;

import io.freshcache.core.Clock;
import io.freshcache.core.Freshcache;
import io.freshcache.core.Tag;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Change feeds driving a cache's invalidation: sources deliver changes, rules say which tags each
 * invalidates, and the feed applies them before the source may checkpoint.
 *
 * <pre>{@code
 * Rules rules = Rules.load(Path.of("feeds.yaml"));
 * Feeds feeds = Feeds.builder(cache)
 *     .rules(rules)
 *     .source(PostgresSource.builder("postgres-main", jdbcUrl)
 *         .checkpoints(Checkpoints.directory(Path.of("var/checkpoints"))).build())
 *     .build();
 * feeds.start();
 * ...
 * feeds.close();
 * }</pre>
 *
 * <h2>Guarantee</h2>
 * Nothing is lost: a change's invalidations are applied (the tag versions bumped) before {@link
 * ChangeSink#accept} returns, and sources checkpoint only after that, so a crash replays changes
 * rather than dropping them (at least once; duplicates cost a re-render). When a source detects a
 * gap, the source's {@link GapPolicy} applies: by default everything its rules could produce is
 * invalidated, and the gap is logged at ERROR either way.
 *
 * <p>Tags and prefixes a rule produces are validated one by one: a malformed one (a value that made
 * an invalid tag) is logged, counted in {@link FeedStats#skippedTags()} and skipped; it never stops
 * the feed. A rule that throws is logged and counted, and its {@link InvalidationRule#onGap()} is
 * applied instead.
 *
 * <h2>Threading</h2>
 * Thread-safe. Each source delivers from its own thread; the sink handles changes of different
 * sources concurrently.
 */
public final class Feeds implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Feeds.class);
  /** How many recent latency samples per source the median and p99 are computed from. */
  public static final int LATENCY_WINDOW = 8192;

  private final Freshcache cache;
  private final List<InvalidationRule> rules;
  private final Map<String, ChangeSource> sources;
  private final Map<String, GapPolicy> gapPolicies;
  private final Clock clock;
  private final MeterRegistry meterRegistry;
  // Wall clock in microseconds without a sub-millisecond wall source: the nano clock offset from
  // one wall reading. Drift over a process lifetime is far below the figures we report.
  private final long anchorMillis;
  private final long anchorNanos;
  private final ConcurrentHashMap<String, Counters> counters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, List<InvalidationRule>> rulesBySource = new ConcurrentHashMap<>();
  private final Sink sink = new Sink();
  // Guards start/close against each other; not on the delivery path.
  private final Object lifecycle = new Object();
  private boolean started;
  private boolean closed;

  private Feeds(Builder b) {
    this.cache = b.cache;
    this.rules = List.copyOf(b.rules);
    this.sources = Map.copyOf(b.sources);
    this.gapPolicies = Map.copyOf(b.gapPolicies);
    this.clock = b.clock;
    this.meterRegistry = b.meterRegistry;
    this.anchorMillis = clock.currentTimeMillis();
    this.anchorNanos = clock.nanoTime();
  }

  /** A builder for feeds invalidating {@code cache}. */
  public static Builder builder(Freshcache cache) {
    return new Builder(cache);
  }

  /** Starts every source. */
  public void start() {
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("feeds: closed (expected: not closed)");
      }
      if (started) {
        throw new IllegalStateException("feeds: started (expected: started once)");
      }
      started = true;
      for (ChangeSource s : sources.values()) {
        LOG.info("feed {}: starting ({} rule(s), gap policy {})", s.name(), rulesFor(s.name()).size(),
            gapPolicy(s.name()));
        s.start(sink);
      }
    }
  }

  /**
   * The sink the sources deliver to: for changes that arrive by other ways (an application's own
   * event, a webhook). Same contract as for sources.
   */
  public ChangeSink sink() {
    return sink;
  }

  /** Counters of all sources together. */
  public FeedStats stats() {
    long[] sum = new long[6];
    long[] window = new long[0];
    for (Counters c : counters.values()) {
      FeedStats s = c.snapshot();
      sum[0] += s.changes();
      sum[1] += s.invalidations();
      sum[2] += s.skippedTags();
      sum[3] += s.errors();
      sum[4] += s.gaps();
      sum[5] += s.latencySamples();
      long[] w = c.latencies();
      long[] merged = Arrays.copyOf(window, window.length + w.length);
      System.arraycopy(w, 0, merged, window.length, w.length);
      window = merged;
    }
    Arrays.sort(window);
    return new FeedStats(sum[0], sum[1], sum[2], sum[3], sum[4], sum[5],
        percentile(window, 0.50), percentile(window, 0.99));
  }

  /** Counters of one source (all zero if it delivered nothing yet). */
  public FeedStats stats(String source) {
    return counters(source).snapshot();
  }

  /** Stops every source (each saves its checkpoint). Idempotent. */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      for (ChangeSource s : sources.values()) {
        try {
          s.stop();
        } catch (RuntimeException e) {
          LOG.warn("feed {}: stop failed", s.name(), e);
        }
      }
    }
  }

  // ---------------------------------------------------------------- delivery

  private List<InvalidationRule> rulesFor(String source) {
    return rulesBySource.computeIfAbsent(source, s -> {
      List<InvalidationRule> matching = new ArrayList<>();
      for (InvalidationRule r : rules) {
        if (r.appliesTo(s)) {
          matching.add(r);
        }
      }
      return List.copyOf(matching);
    });
  }

  private GapPolicy gapPolicy(String source) {
    return gapPolicies.getOrDefault(source, GapPolicy.INVALIDATE_ALL);
  }

  private Counters counters(String source) {
    return counters.computeIfAbsent(source, s -> new Counters(s, meterRegistry));
  }

  private long wallMicros() {
    return anchorMillis * 1000 + (clock.nanoTime() - anchorNanos) / 1000;
  }

  private static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
  }

  private final class Sink implements ChangeSink {
    @Override
    public void accept(Change change) {
      requireNonNull(change, "change");
      Counters c = counters(change.source());
      Invalidations todo = Invalidations.none();
      for (InvalidationRule rule : rulesFor(change.source())) {
        Invalidations found;
        try {
          found = requireNonNull(rule.apply(change), "rule returned null");
        } catch (RuntimeException e) {
          c.errors.increment();
          LOG.error("feed {}: rule {} failed on {}; applying what it invalidates on a gap instead",
              change.source(), rule.name(), change, e);
          found = rule.onGap();
        }
        todo = todo.and(found);
      }
      apply(todo, c, change.toString());
      c.changes.increment();
      if (change.committedAt() != null) {
        c.recordLatency(Math.max(0, wallMicros() - micros(change.committedAt())));
      }
    }

    @Override
    public void gap(String source, String reason) {
      requireNonNull(source, "source");
      requireNonNull(reason, "reason");
      Counters c = counters(source);
      c.gaps.increment();
      GapPolicy policy = gapPolicy(source);
      if (policy == GapPolicy.LOG_ONLY) {
        LOG.error("feed {}: GAP: changes may have been lost ({}); gap policy log-only: NOTHING"
            + " invalidated, cached entries may be stale until they expire", source, reason);
        return;
      }
      Invalidations todo = Invalidations.none();
      for (InvalidationRule rule : rulesFor(source)) {
        todo = todo.and(rule.onGap());
      }
      LOG.error("feed {}: GAP: changes may have been lost ({}); gap policy invalidate-all:"
          + " invalidating {}", source, reason, todo.all() ? "the whole cache"
          : todo.tags().size() + " tag(s) " + todo.tags() + " and " + todo.prefixes().size()
              + " prefix(es) " + todo.prefixes());
      apply(todo, c, "gap of " + source);
    }
  }

  /** Applies {@code todo}: malformed tags and prefixes are logged and skipped, anything else thrown. */
  private void apply(Invalidations todo, Counters c, String what) {
    if (todo.isEmpty()) {
      return;
    }
    if (todo.all()) {
      cache.clear();
      c.invalidations.increment();
      LOG.warn("feed {}: cleared the whole cache for {}", c.source, what);
      return;
    }
    List<String> valid = new ArrayList<>(todo.tags().size());
    for (String t : todo.tags()) {
      try {
        if (Tag.parse(t).isPattern()) {
          throw new IllegalArgumentException("tag: " + t + " (expected: an exact tag, not a pattern)");
        }
        valid.add(t);
      } catch (IllegalArgumentException e) {
        c.skippedTags.increment();
        LOG.warn("feed {}: skipped tag from {}: {}", c.source, what, e.getMessage());
      }
    }
    try {
      if (!valid.isEmpty()) {
        cache.invalidate(valid.toArray(String[]::new));
        c.invalidations.add(valid.size());
      }
      for (String p : todo.prefixes()) {
        try {
          cache.invalidatePrefix(p);
          c.invalidations.increment();
        } catch (IllegalArgumentException e) {
          c.skippedTags.increment();
          LOG.warn("feed {}: skipped prefix from {}: {}", c.source, what, e.getMessage());
        }
      }
    } catch (RuntimeException e) {
      c.errors.increment();
      throw e;
    }
  }

  private static long percentile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  /** Per-source counters and the recent latency window. */
  private static final class Counters {
    final String source;
    final LongAdder changes = new LongAdder();
    final LongAdder invalidations = new LongAdder();
    final LongAdder skippedTags = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder gaps = new LongAdder();
    final Timer timer;
    // Guards window and samples: written by the source's one thread, read by stats().
    private final Object lock = new Object();
    private final long[] window = new long[LATENCY_WINDOW];
    private long samples;

    Counters(String source, MeterRegistry registry) {
      this.source = source;
      if (registry == null) {
        timer = null;
      } else {
        timer = Timer.builder("freshcache.feeds.latency").tag("source", source)
            .description("commit at the source to invalidation applied")
            .publishPercentiles(0.5, 0.99).register(registry);
        FunctionCounter.builder("freshcache.feeds.changes", changes, LongAdder::sum)
            .tag("source", source).register(registry);
        FunctionCounter.builder("freshcache.feeds.invalidations", invalidations, LongAdder::sum)
            .tag("source", source).register(registry);
        FunctionCounter.builder("freshcache.feeds.skipped.tags", skippedTags, LongAdder::sum)
            .tag("source", source).register(registry);
        FunctionCounter.builder("freshcache.feeds.errors", errors, LongAdder::sum)
            .tag("source", source).register(registry);
        FunctionCounter.builder("freshcache.feeds.gaps", gaps, LongAdder::sum)
            .tag("source", source).register(registry);
      }
    }

    void recordLatency(long micros) {
      synchronized (lock) {
        window[(int) (samples++ % LATENCY_WINDOW)] = micros;
      }
      if (timer != null) {
        timer.record(micros, TimeUnit.MICROSECONDS);
      }
    }

    long[] latencies() {
      synchronized (lock) {
        return Arrays.copyOf(window, (int) Math.min(samples, LATENCY_WINDOW));
      }
    }

    FeedStats snapshot() {
      long n;
      synchronized (lock) {
        n = samples;
      }
      long[] w = latencies();
      Arrays.sort(w);
      return new FeedStats(changes.sum(), invalidations.sum(), skippedTags.sum(), errors.sum(),
          gaps.sum(), n, percentile(w, 0.50), percentile(w, 0.99));
    }
  }

  /** Configures {@link Feeds}; options are validated as they are set. */
  public static final class Builder {
    private final Freshcache cache;
    private final List<InvalidationRule> rules = new ArrayList<>();
    private final Map<String, ChangeSource> sources = new LinkedHashMap<>();
    private final Map<String, GapPolicy> gapPolicies = new LinkedHashMap<>();
    private Clock clock = Clock.system();
    private MeterRegistry meterRegistry;

    private Builder(Freshcache cache) {
      this.cache = requireNonNull(cache, "cache");
    }

    /** Adds a rule. */
    public Builder rule(InvalidationRule rule) {
      rules.add(requireNonNull(rule, "rule"));
      return this;
    }

    /** Adds the rules and the gap policies of a loaded rules file. */
    public Builder rules(Rules loaded) {
      requireNonNull(loaded, "rules");
      rules.addAll(loaded.rules());
      loaded.gapPolicies().forEach(this::gapPolicy);
      return this;
    }

    /** Adds a source; its gap policy is {@link GapPolicy#INVALIDATE_ALL} unless set. */
    public Builder source(ChangeSource source) {
      requireNonNull(source, "source");
      if (sources.putIfAbsent(source.name(), source) != null) {
        throw new IllegalArgumentException(
            "source: " + source.name() + " added twice (expected: unique source names)");
      }
      return this;
    }

    /** What to do on a gap in the source named {@code source}. */
    public Builder gapPolicy(String source, GapPolicy policy) {
      gapPolicies.put(requireNonNull(source, "source"), requireNonNull(policy, "policy"));
      return this;
    }

    /** The time source for latencies (tests pass a fake one). */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /** Registers {@code freshcache.feeds.*} meters, tagged by source, as sources deliver. */
    public Builder meterRegistry(MeterRegistry registry) {
      this.meterRegistry = requireNonNull(registry, "registry");
      return this;
    }

    /** The feeds, not yet started. */
    public Feeds build() {
      return new Feeds(this);
    }
  }
}
