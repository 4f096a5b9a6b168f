package io.freshcache.bench;

import io.freshcache.core.CacheKey;
import io.freshcache.core.CacheStats;
import io.freshcache.core.Clock;
import io.freshcache.core.Content;
import io.freshcache.core.Freshcache;
import io.freshcache.core.FreshcacheBuilder;
import io.freshcache.core.Renderer;
import io.freshcache.core.Scope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;
import java.util.function.UnaryOperator;

/**
 * A wiki's logged-in readers and editors over four simulated weeks, replayed against the same cache
 * with pre-caching off, on at several {@code pagesPerVisit}, and with the rebuild policy (entries
 * requested in the last 10 minutes, its default, and every entry): how many of the users' requests
 * are hits, and how many renders (database work) each costs.
 *
 * <p>The population (seeded, the same for every variant):
 * <ul>
 *   <li>1,000 pages; 2,000 users, each reading 40 pages of their own choosing (drawn by the pages'
 *       popularity, Zipf 1.0), with their own preference over them: Zipf with an exponent drawn from
 *       0.6 (scattered reading) to 1.6 (the same few pages);
 *   <li>visits: regulars (30%, every day on average), occasional (40%, every 3 days) and rare (30%,
 *       every 10 days), with exponential gaps; a visit reads 1 + geometric(mean 6) pages, 30
 *       seconds apart;
 *   <li>edits: 300 a day, Poisson, pages by popularity; each invalidates the page's tag, so every
 *       user's view of it.
 * </ul>
 * The first two weeks train the models; the last two are measured. A user's page is one user-scoped
 * entry ({@code /wiki/N} for that user), as in the wiki design pre-caching comes from. Renders take no
 * time here: the question is which pages are ready when asked, and at what render cost, not how
 * fast a render is.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar io.freshcache.bench.PrecacheSimulation
 * OUT.md OUT.svg} (bench/run-precache-simulation.sh).
 */
public final class PrecacheSimulation {
  private static final int PAGES = 1_000;
  private static final int USERS = 2_000;
  private static final int PAGES_PER_USER = 40;
  private static final long DAY = Duration.ofDays(1).toMillis();
  private static final long DAYS = 28;
  private static final long MEASURE_FROM = 14 * DAY;
  private static final double EDITS_PER_DAY = 300;
  private static final long READ_GAP = Duration.ofSeconds(30).toMillis();
  private static final long SEED = 20261202L;

  private PrecacheSimulation() {}

  /** One variant: its name and how it configures the cache. */
  private record Variant(String name, UnaryOperator<FreshcacheBuilder> config) {}

  /** What one variant measured in the last two weeks. */
  private record Result(String name, long requests, long hits, long followUps, long followUpHits, long renders,
      long precached, long precacheUsed) {
    double hitRatio() {
      return (double) hits / requests;
    }

    double followUpHitRatio() {
      return (double) followUpHits / followUps;
    }

    double rendersPer100() {
      return 100.0 * renders / requests;
    }
  }

  private record User(int[] pages, double[] cdf, double meanGapDays) {}

  /** A clock whose wall time the simulation sets; durations (render timeouts) stay real. */
  private static final class SimulatedClock implements Clock {
    volatile long millis = 1_700_000_000_000L;

    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public long currentTimeMillis() {
      return millis;
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: PrecacheSimulation OUT.md OUT.svg");
      System.exit(2);
    }
    List<Variant> variants = List.of(
        new Variant("evict (off)", b -> b),
        new Variant("pre-cache 1", b -> b.precache(1)),
        new Variant("pre-cache 3", b -> b.precache(3)),
        new Variant("pre-cache 5", b -> b.precache(5)),
        new Variant("pre-cache 10", b -> b.precache(10)),
        new Variant("pre-cache 20", b -> b.precache(20)),
        new Variant("rebuild recent", b -> b.rebuild(k -> true)),
        new Variant("rebuild all", b -> b.rebuild(k -> true).rebuildRecentWithin(Duration.ofDays(365))));
    List<Result> results = new ArrayList<>();
    for (Variant v : variants) {
      long t0 = System.nanoTime();
      Result r = run(v);
      results.add(r);
      System.err.printf(Locale.ROOT, "%-14s %,d requests, follow-up hit ratio %.3f, %.1f renders per 100 requests (%.1f s)%n",
          v.name(), r.requests(), r.followUpHitRatio(), r.rendersPer100(), (System.nanoTime() - t0) / 1e9);
    }
    Files.writeString(Path.of(args[0]), table(results), StandardCharsets.UTF_8);
    Files.writeString(Path.of(args[1]), svg(results), StandardCharsets.UTF_8);
  }

  private static Result run(Variant variant) throws InterruptedException {
    SplittableRandom random = new SplittableRandom(SEED);
    double[] popularity = zipfCdf(PAGES, 1.0);
    User[] users = new User[USERS];
    for (int u = 0; u < USERS; u++) {
      LinkedHashSet<Integer> chosen = new LinkedHashSet<>();
      while (chosen.size() < PAGES_PER_USER) {
        chosen.add(sample(popularity, random));
      }
      int[] mine = chosen.stream().mapToInt(Integer::intValue).toArray();
      double exponent = 0.6 + random.nextDouble();
      double kind = random.nextDouble();
      double meanGap = kind < 0.3 ? 1 : kind < 0.7 ? 3 : 10;
      users[u] = new User(mine, zipfCdf(PAGES_PER_USER, exponent), meanGap);
    }
    SimulatedClock clock = new SimulatedClock();
    long start = clock.millis;
    LongAdder renders = new LongAdder();
    Freshcache cache = variant.config().apply(Freshcache.builder()
        .clock(clock).maximumBytes(1L << 30).rebuildRate(Double.POSITIVE_INFINITY)).build();
    try {
      // Events: a user's next read (user >= 0) or an edit (user -1), by time.
      PriorityQueue<long[]> events = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
      for (int u = 0; u < USERS; u++) {
        events.add(new long[] {start + exponential(random, users[u].meanGapDays() * DAY), u, readsInVisit(random), 0});
      }
      events.add(new long[] {start + exponential(random, DAY / EDITS_PER_DAY), -1, 0, 0});
      long end = start + DAYS * DAY;
      long requests = 0;
      long hits = 0;
      long followUps = 0;
      long followUpHits = 0;
      CacheStats atMeasure = null;
      long rendersAtMeasure = 0;
      int day = 0;
      while (!events.isEmpty()) {
        long[] e = events.poll();
        if (e[0] >= end) {
          break;
        }
        clock.millis = e[0];
        boolean measuring = e[0] - start >= MEASURE_FROM;
        if (measuring && atMeasure == null) {
          atMeasure = cache.stats();
          rendersAtMeasure = renders.sum();
        }
        int d = (int) ((e[0] - start) / DAY);
        if (d != day && d % 7 == 0) {
          System.err.printf(Locale.ROOT, "  %s: day %d of %d%n", variant.name(), d, DAYS);
        }
        day = d;
        if (e[1] < 0) {
          cache.invalidate("page:" + sample(popularity, random));
          events.add(new long[] {e[0] + exponential(random, DAY / EDITS_PER_DAY), -1, 0, 0});
        } else {
          User user = users[(int) e[1]];
          int page = user.pages()[sample(user.cdf(), random)];
          String id = "u" + e[1];
          long before = cache.stats().hits();
          cache.get(CacheKey.of("/wiki/" + page).withScope(Scope.user(id)), render(page, id, renders));
          boolean hit = cache.stats().hits() > before;
          if (measuring) {
            requests++;
            hits += hit ? 1 : 0;
            if (e[3] > 0) {
              followUps++;
              followUpHits += hit ? 1 : 0;
            }
          }
          long left = e[2] - 1;
          events.add(left > 0
              ? new long[] {e[0] + READ_GAP, e[1], left, e[3] + 1}
              : new long[] {e[0] + exponential(random, user.meanGapDays() * DAY), e[1], readsInVisit(random), 0});
        }
        // Background work (invalidation, rebuilds, pre-cache renders) finishes before the next
        // event, as it would in the seconds between a user's clicks.
        while (!cache.invalidationsSettled() || cache.rebuildsPending() > 0) {
          Thread.onSpinWait();
        }
      }
      CacheStats s = cache.stats();
      return new Result(variant.name(), requests, hits, followUps, followUpHits, renders.sum() - rendersAtMeasure,
          s.precached() - atMeasure.precached(), s.precacheUsed() - atMeasure.precacheUsed());
    } finally {
      cache.close();
    }
  }

  private static Renderer render(int page, String user, LongAdder renders) {
    return ctx -> {
      renders.increment();
      ctx.dependsOn("page:" + page);
      return Content.html("<h1>Page " + page + "</h1><p>as " + user + " sees it</p>");
    };
  }

  private static long readsInVisit(SplittableRandom random) {
    long n = 1;
    while (random.nextDouble() < 6.0 / 7.0) { // geometric with mean 6 beyond the first
      n++;
    }
    return n;
  }

  private static long exponential(SplittableRandom random, double mean) {
    return Math.max(1, (long) (-Math.log(1 - random.nextDouble()) * mean));
  }

  private static double[] zipfCdf(int n, double exponent) {
    double[] cdf = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += 1 / Math.pow(i + 1, exponent);
      cdf[i] = sum;
    }
    for (int i = 0; i < n; i++) {
      cdf[i] /= sum;
    }
    return cdf;
  }

  private static int sample(double[] cdf, SplittableRandom random) {
    int i = Arrays.binarySearch(cdf, random.nextDouble());
    return Math.min(cdf.length - 1, i >= 0 ? i : -i - 1);
  }

  private static String table(List<Result> results) {
    StringBuilder sb = new StringBuilder();
    sb.append("| variant | requests | hit ratio | hit ratio after a visit's first page | renders per 100 requests "
        + "| pre-cache renders | of them then hit |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for (Result r : results) {
      sb.append(String.format(Locale.ROOT, "| %s | %,d | %.3f | %.3f | %.1f | %,d | %,d |%n", r.name(), r.requests(),
          r.hitRatio(), r.followUpHitRatio(), r.rendersPer100(), r.precached(), r.precacheUsed()));
    }
    return sb.toString();
  }

  /** Two bar charts side by side: hit ratio after a visit's first page, and renders per 100 requests. */
  private static String svg(List<Result> results) {
    int barW = 34;
    int gap = 14;
    int panelW = results.size() * (barW + gap) + 60;
    int h = 300;
    int top = 40;
    int plotH = 180;
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "font-family=\"sans-serif\" font-size=\"11\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n",
        2 * panelW + 20, h));
    // Rebuilding every entry costs an order of magnitude more than the rest: its bar is cut off
    // (marked with an arrow) so that the others stay readable.
    double maxRenders = 1.15 * results.stream().filter(r -> !r.name().equals("rebuild all"))
        .mapToDouble(Result::rendersPer100).max().orElse(1);
    panel(sb, results, 10, top, plotH, barW, gap, "hit ratio after a visit's first page", 1.0,
        Result::followUpHitRatio, "%.2f");
    panel(sb, results, panelW + 20, top, plotH, barW, gap, "renders per 100 requests", maxRenders * 1.1,
        Result::rendersPer100, "%.1f");
    sb.append("</svg>\n");
    return sb.toString();
  }

  private static void panel(StringBuilder sb, List<Result> results, int x0, int top, int plotH, int barW, int gap,
      String title, double max, ToDoubleFunction<Result> value, String format) {
    sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"13\" font-weight=\"bold\">%s</text>%n",
        x0 + 40, title));
    int base = top + plotH;
    sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
        x0 + 40, base, x0 + 40 + results.size() * (barW + gap), base));
    for (int i = 0; i < results.size(); i++) {
      Result r = results.get(i);
      double v = value.applyAsDouble(r);
      int bh = (int) Math.round(plotH * Math.min(v, max) / max);
      int x = x0 + 40 + gap / 2 + i * (barW + gap);
      String fill = r.name().startsWith("pre-cache") ? "#2b7bb9" : r.name().startsWith("rebuild") ? "#c0504d" : "#888888";
      sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>%n",
          x, base - bh, barW, bh, fill));
      sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
          x + barW / 2, base - bh - 4, String.format(Locale.ROOT, format, v) + (v > max ? " \u2191" : "")));
      sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" transform=\"rotate(-35 %d %d)\">%s</text>%n",
          x + barW / 2, base + 14, x + barW / 2, base + 14, r.name()));
    }
  }
}
