package io.freshcache.proxy;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A measurement, not a test (docs/live.md): origin requests per second during an invalidation storm.
 * 1,000 pages behind the proxy, all depending on one tag and all under the rebuild policy, are
 * invalidated at once; the origin's request rate is sampled every 100 ms until every page has been
 * fetched again. Run with the rate limit (the default, 50/s) and without it.
 *
 * <pre>{@code
 * mvn -q -B -pl proxy -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp proxy/target/test-classes:proxy/target/classes:$(cat proxy/target/cp.txt) \
 *     io.freshcache.proxy.RebuildStormMain [pages=1000] [originMillis=5]
 * }</pre>
 */
public final class RebuildStormMain {
  private RebuildStormMain() {}

  public static void main(String[] args) throws Exception {
    int pages = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int originMillis = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    System.out.printf(Locale.ROOT, "rebuild storm: %d pages invalidated at once, origin takes %d ms per page%n%n",
        pages, originMillis);
    System.out.println("| rebuild rate limit | concurrency | peak origin req/s (1 s window) | mean req/s | all rebuilt after |");
    System.out.println("|---|---:|---:|---:|---:|");
    for (double rate : new double[] {50, 1_000_000}) {
      run(pages, originMillis, rate);
    }
  }

  private static void run(int pages, int originMillis, double rate) throws Exception {
    try (TestOrigin origin = new TestOrigin()) {
      for (int i = 0; i < pages; i++) {
        origin.on("/p/" + i, TestOrigin.Reply.ok("page " + i).delay(originMillis)
            .header("Cache-Control", "public, s-maxage=3600").header("Cache-Tag", "storm, page:" + i));
      }
      ProxyConfig config = ProxyConfig.builder(origin.uri()).listen(new InetSocketAddress("127.0.0.1", 0))
          .accessLog(false).rebuild(List.of("/p/*")).rebuildRate(rate).rebuildConcurrency(8).build();
      try (FreshcacheProxy proxy = FreshcacheProxy.start(config)) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<?>> fills = new ArrayList<>();
        for (int i = 0; i < pages; i++) {
          URI u = URI.create("http://127.0.0.1:" + proxy.address().getPort() + "/p/" + i);
          fills.add(pool.submit(() -> client.send(HttpRequest.newBuilder(u).build(), HttpResponse.BodyHandlers.discarding())));
        }
        for (Future<?> f : fills) {
          f.get();
        }
        pool.shutdown();
        int before = total(origin, pages);
        long t0 = System.nanoTime();
        proxy.cache().invalidate("storm");
        List<Integer> samples = new ArrayList<>(); // cumulative origin requests every 100 ms
        long deadline = t0 + Duration.ofSeconds(120).toNanos();
        while (total(origin, pages) - before < pages && System.nanoTime() < deadline) {
          Thread.sleep(100);
          samples.add(total(origin, pages) - before);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        int peak = 0;
        for (int i = 0; i < samples.size(); i++) {
          int from = i >= 10 ? samples.get(i - 10) : 0;
          peak = Math.max(peak, samples.get(i) - from);
        }
        int done = total(origin, pages) - before;
        System.out.printf(Locale.ROOT, "| %s | 8 | %d | %.0f | %.1f s (%d of %d) |%n",
            rate >= 1_000_000 ? "none" : String.format(Locale.ROOT, "%.0f/s", rate), peak, done / seconds, seconds,
            done, pages);
      }
    }
  }

  private static int total(TestOrigin origin, int pages) {
    int n = 0;
    for (int i = 0; i < pages; i++) {
      n += origin.count("/p/" + i);
    }
    return n;
  }
}
