package io.freshcache.cli;

import io.freshcache.core.CacheEvent;
import io.freshcache.core.CacheKey;
import io.freshcache.core.CacheStats;
import io.freshcache.core.Freshcache;
import io.freshcache.core.Page;
import io.freshcache.core.Scope;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code freshcache demo}: a console demonstration of the library. A small wiki page is served
 * through the cache; the command prints each request's outcome (hit or miss, what was rendered),
 * its time and ETag, then shows that changing data invalidates exactly the entries that show it, and
 * that a per-user hole keeps the page itself shared. It ends with the cache's counters.
 *
 * <p>The page's "database" work is simulated with sleeps ({@code --render-ms}).
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    versionProvider = FreshcacheCommand.Version.class,
    description = {
      "Console demo: a small wiki page served through the cache, step by step.",
      "",
      "Prints each request's outcome (hit or miss), time and ETag: a first request that renders, "
          + "a hit, an invalidation of exactly what changed and the re-render, a change that leaves "
          + "the page cached, and a per-user bar (a hole) on a shared page. Ends with the cache's stats.",
      ""
    },
    usageHelpAutoWidth = true)
public final class DemoCommand implements Callable<Integer> {
  /** Upper bound of {@code --render-ms}. */
  static final int MAX_RENDER_MILLIS = 10_000;
  /** Unprinted runs of the scenario before the printed one: they mostly make the JVM load classes. */
  private static final int WARMUP_PASSES = 1;

  @Spec
  CommandSpec spec;

  private int renderMillis = 100;

  /** Creates the command; picocli sets its options. */
  public DemoCommand() {}

  @Option(
      names = "--render-ms",
      paramLabel = "N",
      defaultValue = "100",
      description = "Simulated database time of one full render of the page, in milliseconds "
          + "(0..10000, default: ${DEFAULT-VALUE}).")
  void setRenderMillis(int millis) {
    if (millis < 0 || millis > MAX_RENDER_MILLIS) {
      throw new ParameterException(spec.commandLine(), "Invalid value for option '--render-ms': "
          + millis + " (expected: 0.." + MAX_RENDER_MILLIS + " milliseconds)");
    }
    this.renderMillis = millis;
  }

  /** Runs the demonstration; returns 0. */
  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    // Warm-up: the same scenario, unprinted, on a throwaway cache without database delay, so that the
    // printed timings show the cache rather than the JVM loading its classes.
    PrintWriter discard = new PrintWriter(Writer.nullWriter());
    for (int i = 0; i < WARMUP_PASSES; i++) {
      runSession(discard, new DemoWiki(0));
    }
    try {
      runSession(out, new DemoWiki(renderMillis));
    } finally {
      out.flush();
    }
    return 0;
  }

  private static void runSession(PrintWriter out, DemoWiki wiki) throws InterruptedException {
    List<CacheEvent> events = new CopyOnWriteArrayList<>();
    try (Freshcache cache = Freshcache.builder().listener(events::add).build()) {
      new Session(out, cache, wiki, events).run();
    }
  }

  /** One run of the demonstration: the requests, the data changes and what is printed. */
  private static final class Session {
    private static final String MICROS = microsUnit();
    private final PrintWriter out;
    private final Freshcache cache;
    private final DemoWiki wiki;
    private final List<CacheEvent> events;
    /** Per viewer ("public", "alice", ...): the last ETag and body served. */
    private final Map<String, Page> lastByViewer = new HashMap<>();
    private Page last;

    Session(PrintWriter out, Freshcache cache, DemoWiki wiki, List<CacheEvent> events) {
      this.out = out;
      this.cache = cache;
      this.wiki = wiki;
      this.events = events;
    }

    void run() throws InterruptedException {
      long t0 = System.nanoTime();
      out.println("Freshcache demo: a wiki page served through the cache");
      out.println();
      out.printf("  %-19s depends on page:Home; includes %s; leaves a hole for %s%n",
          DemoWiki.HOME.resource(), DemoWiki.SIDEBAR.resource(), DemoWiki.BAR.resource());
      out.printf("  %-19s depends on page:Projects/*#title (the titles of the projects)%n",
          DemoWiki.SIDEBAR.resource());
      out.printf("  %-19s scope VIEWER: filled per viewer, depends on user:<id>%n", DemoWiki.BAR.resource());
      out.printf("  %-19s %d ms per full render (page %d ms + sidebar %d ms), simulated%n", "database work",
          wiki.pageWorkMillis() + wiki.sidebarWorkMillis(), wiki.pageWorkMillis(), wiki.sidebarWorkMillis());
      out.printf("  %-19s measured after one unprinted warm-up run (the JVM loading classes)%n", "timings");

      step(1, "First request: the cache is empty");
      request(null);

      step(2, "The same request again");
      request(null);

      step(3, "Data change: project Alpha is renamed to \"Alpha Centauri\"");
      wiki.rename("Projects/Alpha", "Alpha Centauri");
      invalidate("page:Projects/Alpha#title");

      step(4, "The same request after the change");
      request(null);

      step(5, "Data change: Alpha's text is edited (the home page shows only titles)");
      wiki.edit("Projects/Alpha", "Alpha is our first project, now with a longer description.");
      invalidate("page:Projects/Alpha#text");
      request(null);

      step(6, "Signed-in users: the shared page with a per-user bar (a hole)");
      request(Scope.user("alice"));
      request(Scope.user("bob"));
      request(Scope.user("alice"));
      printEntries();

      printStats(cache.stats());
      out.println();
      out.printf("Done in %s.%n", duration(System.nanoTime() - t0));
    }

    private void step(int n, String title) {
      out.println();
      out.printf("%d. %s%n", n, title);
    }

    /** GET /wiki/Home for a user, or for the public when {@code user} is null. */
    private void request(Scope user) {
      int mark = events.size();
      long t0 = System.nanoTime();
      Page page = user == null
          ? cache.get(DemoWiki.HOME, wiki::renderHome)
          : cache.get(DemoWiki.HOME, user, wiki::renderHome);
      long took = System.nanoTime() - t0;

      List<CacheEvent.Rendered> rendered = new ArrayList<>();
      for (CacheEvent e : events.subList(mark, events.size())) {
        if (e instanceof CacheEvent.Rendered r) {
          rendered.add(r);
        }
      }
      boolean pageRendered = rendered.stream().anyMatch(r -> r.key().equals(DemoWiki.HOME));
      String viewer = user == null ? "public" : user.name();
      Page before = lastByViewer.get(viewer);
      String etagNote = before == null ? "new"
          : before.etag().equals(page.etag()) ? "same" : "changed";
      out.printf("    %-24s %-4s %9s   ETag %s  %s%n",
          "GET " + DemoWiki.HOME.resource() + (user == null ? "" : " as " + user.name()),
          pageRendered ? "MISS" : "HIT", duration(took), page.etag(), etagNote);
      if (!rendered.isEmpty()) {
        List<String> parts = new ArrayList<>();
        for (CacheEvent.Rendered r : rendered) {
          parts.add(label(r.key()) + " " + duration(r.took().toNanos()));
        }
        out.println("        rendered: " + String.join(", ", parts));
      }
      if (last == null) {
        out.println("        body:");
        for (String line : lines(page)) {
          out.println("        | " + line);
        }
      } else if (before == null || !before.etag().equals(page.etag())) {
        printDiff(before != null ? before : last, page);
      }
      lastByViewer.put(viewer, page);
      last = page;
    }

    private void invalidate(String tag) throws InterruptedException {
      int mark = events.size();
      long t0 = System.nanoTime();
      cache.invalidate(tag);
      long took = System.nanoTime() - t0;
      out.printf("    %-46s returned in %s%n", "cache.invalidate(\"" + tag + "\")", duration(took));
      // Entries are removed by a background worker; wait for it so the output is the same every run.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      while (!cache.invalidationsSettled() && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      Set<String> removed = new TreeSet<>(); // sorted: the worker's order varies from run to run
      for (CacheEvent e : events.subList(mark, events.size())) {
        if (e instanceof CacheEvent.Invalidated inv) {
          removed.add(label(inv.key()));
        }
      }
      out.println("        removed in the background: "
          + (removed.isEmpty() ? "nothing (no entry depends on it)" : String.join(", ", removed)));
    }

    /** The lines that differ between two bodies: removed ones with '-', added ones with '+'. */
    private void printDiff(Page before, Page after) {
      List<String> a = lines(before);
      List<String> b = lines(after);
      for (String line : a) {
        if (!b.contains(line)) {
          out.println("        - " + line.strip());
        }
      }
      for (String line : b) {
        if (!a.contains(line)) {
          out.println("        + " + line.strip());
        }
      }
    }

    /** What the store holds now, derived from the cache's events: entries per resource. */
    private void printEntries() {
      Set<CacheKey> stored = new LinkedHashSet<>();
      for (CacheEvent e : events) {
        if (e instanceof CacheEvent.Rendered r && r.cached()) {
          stored.add(r.key());
        } else if (e instanceof CacheEvent.Invalidated || e instanceof CacheEvent.Evicted) {
          stored.remove(e.key());
        }
      }
      Map<String, List<String>> byResource = new LinkedHashMap<>();
      for (CacheKey k : List.of(DemoWiki.HOME, DemoWiki.SIDEBAR, DemoWiki.BAR)) {
        byResource.put(k.resource(), new ArrayList<>());
      }
      for (CacheKey k : stored) {
        byResource.computeIfAbsent(k.resource(), r -> new ArrayList<>()).add(k.scope().toString());
      }
      out.println("    entries now (one shared page, one bar per viewer):");
      byResource.forEach((resource, scopes) ->
          out.printf("      %-19s %d  %s%n", resource, scopes.size(), String.join(", ", scopes)));
    }

    private void printStats(CacheStats s) {
      out.println();
      out.println("Cache stats");
      row("hits", s.hits(), "renders", s.renders());
      row("misses", s.misses(), "render failures", s.renderFailures());
      row("stale rejections", s.staleRejections(), "coalesced waits", s.coalescedWaits());
      row("invalidations", s.invalidations(), "invalidated entries", s.invalidatedEntries());
      row("entries", s.entryCount(), "evictions", s.evictions());
      out.printf("  %-20s %6s   %-20s %6s%n", "bytes stored", s.storedBytes(), "hit rate",
          String.format(Locale.ROOT, "%.0f%%", 100 * s.hitRate()));
    }

    private void row(String k1, long v1, String k2, long v2) {
      out.printf("  %-20s %6d   %-20s %6d%n", k1, v1, k2, v2);
    }

    private static List<String> lines(Page page) {
      String body = new String(page.body(), StandardCharsets.UTF_8);
      return List.of(body.strip().split("\n"));
    }

    private static String label(CacheKey key) {
      return key.scope().equals(Scope.PUBLIC) ? key.resource() : key.resource() + " (" + key.scope() + ")";
    }

    /** Microseconds below a millisecond, else milliseconds with one decimal. */
    static String duration(long nanos) {
      if (nanos < 1_000) {
        return "<1 " + MICROS;
      }
      if (nanos < 1_000_000) {
        return (nanos + 500) / 1_000 + " " + MICROS;
      }
      if (nanos < 10_000_000_000L) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
      }
      return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    /** "µs" when standard output can encode it, else "us". */
    private static String microsUnit() {
      String name = System.getProperty("stdout.encoding", System.getProperty("sun.stdout.encoding"));
      Charset cs;
      try {
        cs = name != null ? Charset.forName(name) : Charset.defaultCharset();
      } catch (RuntimeException e) {
        cs = Charset.defaultCharset();
      }
      return cs.newEncoder().canEncode('\u00b5') ? "\u00b5s" : "us";
    }
  }
}
