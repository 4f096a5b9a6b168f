package io.freshcache.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * Predictive pre-caching for users: when a user comes back, renders in the background the pages of
 * theirs that were invalidated meanwhile and that they are most likely to open, so their next clicks
 * are hits rather than renders.
 *
 * <p>The model follows the wiki design this project started from (docs/precache.md):
 * <ul>
 *   <li>Per user, an exponentially decayed access count per key they requested (a moving average
 *       with a configurable half-life), so the model follows changing habits. At most {@link
 *       #TRACKED_KEYS_PER_USER} keys per user are tracked, the least used giving way.
 *   <li>When one of a user's tracked entries is invalidated and not rebuilt at once, its key and
 *       renderer are <em>parked</em>, not rendered: rendering every invalidated page of every user
 *       at once would mostly be wasted on users who do not come back soon.
 *   <li>At the user's next request, {@code X} pages are chosen: the smallest number of their most
 *       used pages whose share of their accesses reaches a coverage target, at most {@code
 *       pagesPerVisit}. A user who always reads the same five pages needs five; one who spreads
 *       their reading needs more for the same chance. The target grows with how often the user
 *       comes ({@link #coverage}): a regular gets more pages pre-cached than an occasional visitor.
 *       The parked keys among those X are handed to the rebuild workers (rate-limited, so a
 *       returning crowd cannot flatten the origin); the others stay parked.
 * </ul>
 *
 * <p>Only user-scoped keys are modelled: a shared page is one entry for everyone, and the rebuild
 * policy already re-renders the hot ones. Costs on a request of a user-scoped key: one lookup in a
 * bounded map of users and a short synchronized update of that user's model; planning (a sort of
 * at most {@value #TRACKED_KEYS_PER_USER} keys) happens only when something was parked since the
 * last plan.
 */
final class Precacher {
  /** Keys modelled per user; the least used is forgotten when a new one comes. */
  static final int TRACKED_KEYS_PER_USER = 64;
  /** Coverage a first-time user's pre-cached pages aim for, and the most any user gets. */
  static final double BASE_COVERAGE = 0.5;
  static final double MAX_COVERAGE = 0.95;
  /** Coverage added per (decayed) visit: about five recent visits reach the maximum. */
  static final double COVERAGE_PER_VISIT = 0.1;

  /** Renders one parked key in the background. */
  interface Submitter {
    Rebuilder.PrecacheOffer submit(CacheKey key, Object renderer);
  }

  private final int pagesPerVisit;
  private final double halfLifeMillis;
  private final long visitGapMillis;
  private final Clock clock;
  private final Submitter submitter;
  /** Whether the store holds a current entry of a key: a request for it now is a hit. */
  private final Predicate<CacheKey> current;
  private final Cache<Scope, UserModel> users;

  final LongAdder submitted = new LongAdder();
  final LongAdder used = new LongAdder();

  Precacher(int pagesPerVisit, long halfLifeMillis, long visitGapMillis, int maxUsers, Clock clock,
      Submitter submitter, Predicate<CacheKey> current) {
    this.pagesPerVisit = pagesPerVisit;
    this.halfLifeMillis = halfLifeMillis;
    this.visitGapMillis = visitGapMillis;
    this.clock = clock;
    this.submitter = submitter;
    this.current = current;
    this.users = Caffeine.newBuilder().maximumSize(maxUsers).build();
  }

  /** A request of {@code key} by its user (called for user-scoped keys before the lookup). */
  void requested(CacheKey key) {
    if (key.scope().kind() != Scope.Kind.USER) {
      return;
    }
    long now = clock.currentTimeMillis();
    UserModel m = users.get(key.scope(), s -> new UserModel());
    List<Parked> chosen;
    boolean wasPrecached;
    synchronized (m) {
      wasPrecached = m.precached.remove(key);
      m.record(key, now);
      m.parked.remove(key); // this request renders it
      chosen = m.planDue ? m.plan(now) : List.of();
    }
    if (wasPrecached && current.test(key)) {
      used.increment(); // a hit thanks to the pre-cache render (it stored a current entry)
    }
    for (Parked p : chosen) {
      switch (submitter.submit(p.key, p.renderer)) {
        case QUEUED -> submitted.increment();
        case ALREADY -> { } // a rebuild or an earlier pre-cache of it is under way
        case REFUSED -> {
          synchronized (m) { // the queue is full: keep it parked for a later plan
            m.precached.remove(p.key);
            if (m.counts.containsKey(p.key) && m.parked.putIfAbsent(p.key, p.renderer) == null) {
              m.planDue = true;
            }
          }
        }
      }
    }
  }

  /**
   * Parks an invalidated entry of a user's for their next visit if the model tracks its key and it
   * has a renderer; returns whether it did.
   */
  boolean park(Entry invalidated) {
    CacheKey key = invalidated.key;
    Object renderer = invalidated.renderer();
    if (key.scope().kind() != Scope.Kind.USER || renderer == null) {
      return false;
    }
    UserModel m = users.getIfPresent(key.scope());
    if (m == null) {
      return false;
    }
    synchronized (m) {
      if (!m.counts.containsKey(key)) {
        return false;
      }
      m.parked.put(key, renderer);
      m.precached.remove(key);
      m.planDue = true;
      return true;
    }
  }

  /**
   * Whether {@code key} is one of its user's modelled pages, so that its entry should keep its
   * renderer for a later pre-cache render (fragments and holes never are: they are not requested).
   */
  boolean tracks(CacheKey key) {
    if (key.scope().kind() != Scope.Kind.USER) {
      return false;
    }
    UserModel m = users.getIfPresent(key.scope());
    if (m == null) {
      return false;
    }
    synchronized (m) {
      return m.counts.containsKey(key);
    }
  }

  /**
   * The share of a user's accesses their pre-cached pages aim to cover, from their decayed number
   * of visits: {@value #BASE_COVERAGE} plus {@value #COVERAGE_PER_VISIT} a visit, at most {@value
   * #MAX_COVERAGE}.
   */
  static double coverage(double visits) {
    return Math.min(MAX_COVERAGE, BASE_COVERAGE + COVERAGE_PER_VISIT * visits);
  }

  /**
   * How many of the most used pages reach {@code coverage} of all accesses, at most {@code max}:
   * {@code weights} sorted from the largest.
   */
  static int pagesFor(double[] weightsDescending, double coverage, int max) {
    double total = 0;
    for (double w : weightsDescending) {
      total += w;
    }
    if (total <= 0) {
      return 0;
    }
    double covered = 0;
    int n = 0;
    while (n < weightsDescending.length && n < max && covered < coverage * total) {
      covered += weightsDescending[n++];
    }
    return n;
  }

  private record Parked(CacheKey key, Object renderer) {}

  /** A decayed count: {@code value} as of {@code at}. */
  private static final class Count {
    double value;
    long at;

    double valueAt(long now, double halfLifeMillis) {
      return value * Math.pow(0.5, Math.max(0, now - at) / halfLifeMillis);
    }
  }

  /** One user's model; guarded by its own monitor. */
  private final class UserModel {
    final Map<CacheKey, Count> counts = new HashMap<>();
    final Map<CacheKey, Object> parked = new HashMap<>();
    /** Keys rendered for this user in advance and not requested since. */
    final Set<CacheKey> precached = new HashSet<>();
    final Count visits = new Count();
    long lastRequest = Long.MIN_VALUE;
    boolean planDue;

    void record(CacheKey key, long now) {
      if (lastRequest == Long.MIN_VALUE || now - lastRequest > visitGapMillis) {
        bump(visits, now);
      }
      lastRequest = now;
      Count c = counts.get(key);
      if (c == null) {
        if (counts.size() >= TRACKED_KEYS_PER_USER) {
          forgetLeastUsed(now);
        }
        c = new Count();
        c.at = now;
        counts.put(key, c);
      }
      bump(c, now);
    }

    private void bump(Count c, long now) {
      c.value = c.valueAt(now, halfLifeMillis) + 1;
      c.at = now;
    }

    private void forgetLeastUsed(long now) {
      CacheKey least = null;
      double min = Double.MAX_VALUE;
      for (Map.Entry<CacheKey, Count> e : counts.entrySet()) {
        double v = e.getValue().valueAt(now, halfLifeMillis);
        if (v < min) {
          min = v;
          least = e.getKey();
        }
      }
      counts.remove(least);
      parked.remove(least);
      precached.remove(least);
    }

    /** The parked keys among the user's X most used pages; takes them out of the parked set. */
    List<Parked> plan(long now) {
      planDue = false;
      if (parked.isEmpty()) {
        return List.of();
      }
      List<Map.Entry<CacheKey, Double>> ranked = new ArrayList<>(counts.size());
      for (Map.Entry<CacheKey, Count> e : counts.entrySet()) {
        ranked.add(Map.entry(e.getKey(), e.getValue().valueAt(now, halfLifeMillis)));
      }
      ranked.sort(Map.Entry.<CacheKey, Double>comparingByValue().reversed());
      double[] weights = new double[ranked.size()];
      for (int i = 0; i < weights.length; i++) {
        weights[i] = ranked.get(i).getValue();
      }
      int x = pagesFor(weights, coverage(visits.valueAt(now, halfLifeMillis)), pagesPerVisit);
      List<Parked> chosen = new ArrayList<>();
      for (int i = 0; i < x; i++) {
        CacheKey k = ranked.get(i).getKey();
        Object renderer = parked.remove(k);
        if (renderer != null) {
          chosen.add(new Parked(k, renderer));
          precached.add(k);
        }
      }
      return chosen;
    }
  }
}
