package io.freshcache.feeds.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.core.CacheKey;
import io.freshcache.core.Content;
import io.freshcache.core.Freshcache;
import io.freshcache.feeds.Change;
import io.freshcache.feeds.ChangeSink;
import io.freshcache.feeds.Checkpoints;
import io.freshcache.feeds.FeedStats;
import io.freshcache.feeds.Feeds;
import io.freshcache.feeds.Rules;
import io.freshcache.testkit.RequiresService;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A measurement, not a test: commits changes one at a time (autocommit UPDATEs through the
 * trigger) and measures, per change, the time from the commit being acknowledged to the writer to
 * its invalidation applied in the cache; also from just before the statement was sent. Tagged
 * {@code manual}, so the build skips it. Run by hand:
 *
 * <pre>
 * mvn -B -o -pl feeds -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dit.test=PostgresFeedLatencyIT -Dfeeds.excludedGroups=none -Dfeeds.latency.changes=5000
 * </pre>
 */
@Tag("manual")
@RequiresService(name = "PostgreSQL", address = "127.0.0.1:5432", env = TestDatabase.ADDRESS_ENV)
class PostgresFeedLatencyIT {
  @TempDir Path dir;

  @Test
  void commitToInvalidationApplied() throws Exception {
    int n = Integer.getInteger("feeds.latency.changes", 5000);
    int warmup = Math.min(500, n / 5);
    try (TestDatabase db = new TestDatabase("lat");
        Freshcache cache = Freshcache.builder().build()) {
      db.exec("CREATE TABLE pages (id int PRIMARY KEY, seq bigint NOT NULL)");
      db.exec("INSERT INTO pages SELECT g, 0 FROM generate_series(1, 100) g");
      PostgresInstaller.install(TestDatabase.URL, db.schema, List.of("pages"));
      Feeds feeds = Feeds.builder(cache).rules(Rules.parse("""
          rules:
            - name: pages
              match: { table: pages }
              invalidate: [ "page:{/new/id}" ]
          """, "latency")).build();
      SynchronousQueue<long[]> applied = new SynchronousQueue<>();
      ChangeSink sink = new ChangeSink() {
        @Override
        public void accept(Change change) {
          feeds.sink().accept(change);
          long at = System.nanoTime();
          try {
            applied.put(new long[] {change.payload().at("/new/seq").asLong(), at});
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }

        @Override
        public void gap(String source, String reason) {
          feeds.sink().gap(source, reason);
        }
      };
      PostgresSource src = PostgresSource.builder("pg-latency", TestDatabase.URL).schema(db.schema)
          .checkpoints(Checkpoints.directory(dir)).build();
      src.start(sink);
      long[] fromAck = new long[n - warmup];
      long[] fromSend = new long[n - warmup];
      try (Connection c = db.connect();
          PreparedStatement ps = c.prepareStatement("UPDATE pages SET seq = ? WHERE id = ?")) {
        for (int i = 1; i <= n; i++) {
          int page = 1 + (i % 100);
          cache.get(CacheKey.of("/p/" + page), ctx -> {
            ctx.dependsOn("page:" + page);
            return Content.html("x");
          });
          ps.setLong(1, i);
          ps.setInt(2, page);
          long sent = System.nanoTime();
          ps.executeUpdate(); // autocommit: returns once committed
          long acked = System.nanoTime();
          long[] got = applied.poll(10, TimeUnit.SECONDS);
          assertThat(got).as("change %d applied", i).isNotNull();
          assertThat(got[0]).isEqualTo(i);
          assertThat(cache.getIfPresent(CacheKey.of("/p/" + page))).isNull();
          if (i > warmup) {
            fromAck[i - warmup - 1] = got[1] - acked;
            fromSend[i - warmup - 1] = got[1] - sent;
          }
          Thread.sleep(0, ThreadLocalRandom.current().nextInt(500_000)); // de-synchronize from the poll
        }
      } finally {
        src.stop();
      }
      FeedStats stats = feeds.stats();
      System.out.printf("[latency] %s, %d changes (after %d warm-up), one at a time, loopback:%n"
              + "  commit acknowledged -> invalidation applied: median %s, p99 %s, max %s%n"
              + "  statement sent      -> invalidation applied: median %s, p99 %s, max %s%n"
              + "  Feeds stats (row written at the server -> applied, last %d): median %.3f ms, p99 %.3f ms%n",
          LocalDate.now(), n - warmup, warmup,
          ms(fromAck, 0.5), ms(fromAck, 0.99), ms(fromAck, 1.0),
          ms(fromSend, 0.5), ms(fromSend, 0.99), ms(fromSend, 1.0),
          Math.min(stats.latencySamples(), Feeds.LATENCY_WINDOW),
          stats.latencyMedianMicros() / 1000.0, stats.latencyP99Micros() / 1000.0);
    }
  }

  private static String ms(long[] nanos, double q) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    int i = Math.max(0, Math.min(s.length - 1, (int) Math.ceil(q * s.length) - 1));
    return String.format("%.3f ms", s[i] / 1e6);
  }
}
