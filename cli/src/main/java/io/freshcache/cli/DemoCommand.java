package io.freshcache.cli;

import io.freshcache.demo.DemoOptions;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code freshcache demo}: the demo wiki served through the Freshcache proxy, on the embedded
 * defaults (no external service). Prints the URL, fetches the home page twice through the proxy to
 * show a miss and a hit with their timings, lists three things to try, and serves until stopped.
 * {@code --check} stops after the two fetches instead (exit 1 if the second was not a hit).
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    versionProvider = FreshcacheCommand.Version.class,
    description = {
      "The demo wiki, served through the Freshcache proxy (no external service needed).",
      "",
      "Pages with includes, children and tree listings, recent changes, per-user bars, edit forms "
          + "and a live dashboard; every page cached with its exact dependencies and updated in open "
          + "browsers when it changes.",
      ""
    },
    usageHelpAutoWidth = true)
public final class DemoCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--port", paramLabel = "N", defaultValue = "8080",
      description = "Port of the proxy on --host (default: ${DEFAULT-VALUE}; 0 for any free port).")
  int port;

  @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1",
      description = "Address the proxy listens on (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--ticker", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Simulated dashboard events every few seconds (default: on).")
  boolean ticker;

  @Option(names = "--access-log", negatable = true, defaultValue = "false", fallbackValue = "true",
      description = "One log line per request (default: off).")
  boolean accessLog;

  @Option(names = "--check",
      description = "Start, fetch the home page twice through the proxy, print the outcome and stop.")
  boolean check;

  /** Creates the command; picocli fills in its fields. */
  public DemoCommand() {}

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (port < 0 || port > 65535) {
      err.println("freshcache demo: --port " + port + " (expected: 0..65535)");
      return 2;
    }
    DemoOptions options = DemoOptions.defaults();
    if (!ticker) {
      options = options.withTickInterval(Duration.ZERO);
    }
    DemoServer demo;
    try {
      demo = DemoServer.start(new InetSocketAddress(host, port), options, accessLog);
    } catch (RuntimeException e) {
      err.println("freshcache demo: cannot start: " + e.getMessage()
          + (port != 0 ? " (try another port: ./freshcache demo --port 8090)" : ""));
      return 1;
    }
    try {
      URI base = demo.uri();
      out.println("Freshcache demo: the wiki is served through the proxy at " + base);
      out.println("  (origin application on " + demo.wiki.uri() + "; users alice, bob and carol; "
          + (check ? "--check: stopping after two requests)" : "Ctrl-C to stop)"));
      out.println();
      boolean hit = walkthrough(base, out);
      out.println();
      if (check) {
        out.println(hit ? "check: ok (the second request was a hit)" : "check: FAILED (the second request was not a hit)");
        return hit ? 0 : 1;
      }
      printThingsToTry(base, out);
      out.flush();
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        demo.close();
        stopped.countDown();
      }, "freshcache-demo-shutdown"));
      stopped.await();
      return 0;
    } finally {
      if (check) {
        demo.close();
      }
    }
  }

  /** Two GETs of the home page through the proxy; returns whether the second was a hit. */
  private static boolean walkthrough(URI base, PrintWriter out) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    boolean secondHit = false;
    for (int i = 0; i < 2; i++) {
      long t0 = System.nanoTime();
      HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(base).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      double ms = (System.nanoTime() - t0) / 1e6;
      String status = r.headers().firstValue("Cache-Status").orElse("(no Cache-Status)");
      out.printf(Locale.ROOT, "  GET %-4s %d  %6.1f ms  %,7d bytes  Cache-Status: %s%n", base.getPath(),
          r.statusCode(), ms, r.body().length, status);
      if (i == 1) {
        secondHit = status.contains("; hit") && r.statusCode() == 200;
      }
    }
    out.flush();
    return secondHit;
  }

  private static void printThingsToTry(URI base, PrintWriter out) {
    out.println("Three things to try:");
    out.println("  1. Open " + base.resolve("Projects/Alpha") + " in two browser windows. In one, log in as alice");
    out.println("     and edit Projects/Alpha/Roadmap (included in Alpha): the other window updates in place,");
    out.println("     without a reload. Each page's footer lists the tags it depends on and its Cache-Status.");
    out.println("  2. Edit only the text of a page: pages that merely link to it stay cached (their footer");
    out.println("     keeps saying hit). Rename it (change its title): exactly the pages showing the title change.");
    out.println("  3. Open " + base.resolve("Dashboard") + ": its widgets are cached fragments of their own that");
    out.println("     change by themselves as simulated events arrive; the bar at the top is a per-user entry");
    out.println("     (log in as bob in another browser: he never sees alice's bar).");
    out.flush();
  }
}
