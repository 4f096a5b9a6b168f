package io.freshcache.feeds.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.freshcache.core.CacheKey;
import io.freshcache.core.Content;
import io.freshcache.core.Freshcache;
import io.freshcache.core.Page;
import io.freshcache.feeds.Change;
import io.freshcache.feeds.ChangeSink;
import io.freshcache.feeds.Checkpoints;
import io.freshcache.feeds.FeedStats;
import io.freshcache.feeds.Feeds;
import io.freshcache.feeds.Rules;
import io.freshcache.testkit.RequiresService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guarantee 6 under a crash: 10,000 row updates through the triggers, each to a different page;
 * every page's entry rendered first; the consumer killed midway (connection aborted, nothing more
 * delivered or checkpointed, the change in flight applied but not checkpointed) and a new one
 * started from the checkpoint file while the writers keep writing. Every entry must be
 * invalidated and re-rendered; none missed; duplicates (the replay) counted.
 */
@RequiresService(name = "PostgreSQL", address = "127.0.0.1:5432", env = TestDatabase.ADDRESS_ENV)
class PostgresKillRestartIT {
  private static final int PAGES = 10_000;
  private static final int WRITERS = 3;
  @TempDir Path dir;

  @Test
  void tenThousandChangesSurviveAKillAndRestart() throws Exception {
    long seed = Long.getLong("freshcache.property.seed", 0x5EEDL);
    Random random = new Random(seed);
    int killAt = 3_000 + random.nextInt(4_000);
    try (TestDatabase db = new TestDatabase("kill");
        Freshcache cache = Freshcache.builder().executor(Runnable::run).maximumBytes(64L << 20).build()) {
      db.exec("CREATE TABLE pages (id int PRIMARY KEY, version int NOT NULL)");
      db.exec("INSERT INTO pages SELECT g, 0 FROM generate_series(1, " + PAGES + ") g");
      PostgresInstaller.install(TestDatabase.URL, db.schema, List.of("pages"));

      // Every page rendered at version 0, depending on its tag.
      for (int i = 1; i <= PAGES; i++) {
        String tag = "page:" + i;
        cache.get(CacheKey.of("/page/" + i), ctx -> {
          ctx.dependsOn(tag);
          return Content.html("v0");
        });
      }
      assertThat(cache.stats().entryCount()).isEqualTo(PAGES);

      Feeds feeds = Feeds.builder(cache).rules(Rules.parse("""
          rules:
            - name: pages
              match: { table: pages, kind: update }
              invalidate: [ "page:{/new/id}" ]
          """, "test")).build();

      ConcurrentHashMap<Integer, Integer> seen = new ConcurrentHashMap<>();
      LongAdder delivered = new LongAdder();
      LongAdder gaps = new LongAdder();
      AtomicReference<PostgresSource> current = new AtomicReference<>();
      AtomicInteger deliveredBeforeKill = new AtomicInteger(-1);
      ChangeSink sink = new ChangeSink() {
        @Override
        public void accept(Change change) {
          feeds.sink().accept(change); // applied: the invalidation happened
          int page = change.payload().at("/new/id").asInt();
          seen.merge(page, 1, Integer::sum);
          delivered.increment();
          if (delivered.sum() == killAt && deliveredBeforeKill.compareAndSet(-1, killAt)) {
            // Crash now: after applying this change, before any checkpoint of its batch.
            PostgresSource victim = current.get();
            new Thread(victim::kill, "killer").start();
            try {
              Thread.sleep(60_000); // interrupted by kill()
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("killed");
          }
        }

        @Override
        public void gap(String source, String reason) {
          gaps.increment();
          feeds.sink().gap(source, reason);
        }
      };

      PostgresSource first = source(db, dir);
      current.set(first);
      first.start(sink);

      // Writers: each updates a shuffled share of the pages once, in transactions of 1..5 rows.
      List<Integer> ids = new ArrayList<>();
      for (int i = 1; i <= PAGES; i++) {
        ids.add(i);
      }
      Collections.shuffle(ids, random);
      List<Thread> writers = new ArrayList<>();
      AtomicReference<Throwable> writerFailure = new AtomicReference<>();
      for (int w = 0; w < WRITERS; w++) {
        List<Integer> share = ids.subList(w * PAGES / WRITERS, (w + 1) * PAGES / WRITERS);
        Random r = new Random(seed + w);
        Thread t = new Thread(() -> {
          try (Connection c = db.connect();
              PreparedStatement ps = c.prepareStatement("UPDATE pages SET version = version + 1 WHERE id = ?")) {
            c.setAutoCommit(false);
            int i = 0;
            while (i < share.size()) {
              int n = Math.min(1 + r.nextInt(5), share.size() - i);
              for (int k = 0; k < n; k++) {
                ps.setInt(1, share.get(i++));
                ps.executeUpdate();
              }
              c.commit();
            }
          } catch (Throwable e) {
            writerFailure.set(e);
          }
        }, "writer-" + w);
        writers.add(t);
        t.start();
      }

      await().atMost(Duration.ofMinutes(2)).until(() -> deliveredBeforeKill.get() > 0 && !isAlive(first));
      String checkpointAtKill = Files.readString(dir.resolve("pg-kill.checkpoint"), StandardCharsets.UTF_8).strip();
      Thread.sleep(200); // dead for a while: the writers go on
      PostgresSource second = source(db, dir); // a new process would build a new one from the file
      current.set(second);
      second.start(sink);

      for (Thread t : writers) {
        t.join(120_000);
      }
      assertThat(writerFailure.get()).isNull();
      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50))
          .until(() -> seen.size() == PAGES);
      second.stop();

      // Every affected entry invalidated, and each re-rendered with the new version.
      AtomicInteger rerenders = new AtomicInteger();
      List<Integer> stale = new ArrayList<>();
      for (int i = 1; i <= PAGES; i++) {
        if (cache.getIfPresent(CacheKey.of("/page/" + i)) != null) {
          stale.add(i);
        }
        String tag = "page:" + i;
        Page p = cache.get(CacheKey.of("/page/" + i), ctx -> {
          rerenders.incrementAndGet();
          ctx.dependsOn(tag);
          return Content.html("v1");
        });
        assertThat(new String(p.body(), StandardCharsets.UTF_8)).isEqualTo("v1");
      }
      assertThat(stale).as("entries never invalidated").isEmpty();
      assertThat(rerenders).hasValue(PAGES);

      int rows;
      try (Connection c = db.connect(); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*) FROM freshcache_changes")) {
        rs.next();
        rows = rs.getInt(1);
      }
      long duplicates = delivered.sum() - PAGES;
      FeedStats stats = feeds.stats();
      System.out.printf("[kill-restart] seed=%d changes written=%d, delivered=%d (distinct %d,"
              + " replayed after the kill %d), killed after %d (checkpoint then %s), gaps=%d,"
              + " feed stats=%s%n", seed, rows, delivered.sum(), seen.size(), duplicates,
          killAt, checkpointAtKill, gaps.sum(), stats);
      assertThat(rows).isEqualTo(PAGES);
      assertThat(seen).hasSize(PAGES);
      assertThat(duplicates).as("the change in flight at the kill is replayed").isPositive();
      assertThat(gaps.sum()).isZero();
      assertThat(stats.errors()).isZero();
      assertThat(stats.changes()).isEqualTo(delivered.sum());
    }
  }

  private static boolean isAlive(PostgresSource s) {
    return s.isReaderAlive();
  }

  private static PostgresSource source(TestDatabase db, Path dir) {
    return PostgresSource.builder("pg-kill", TestDatabase.URL).schema(db.schema)
        .checkpoints(Checkpoints.directory(dir)).pollInterval(Duration.ofMillis(200))
        .batchSize(500).build();
  }
}
