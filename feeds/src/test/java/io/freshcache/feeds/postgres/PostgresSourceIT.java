package io.freshcache.feeds.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.freshcache.core.CacheKey;
import io.freshcache.core.Content;
import io.freshcache.core.Freshcache;
import io.freshcache.feeds.Change;
import io.freshcache.feeds.Checkpoints;
import io.freshcache.feeds.Feeds;
import io.freshcache.feeds.Rules;
import io.freshcache.feeds.testing.RecordingSink;
import io.freshcache.testkit.RequiresService;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresService(name = "PostgreSQL", address = "127.0.0.1:5432", env = TestDatabase.ADDRESS_ENV)
class PostgresSourceIT {
  @TempDir Path dir;
  private TestDatabase db;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    db = new TestDatabase("src");
    db.exec("CREATE TABLE pages (id int PRIMARY KEY, title text, space text)");
    db.exec("CREATE TABLE other (id int PRIMARY KEY)");
    PostgresInstaller.install(TestDatabase.URL, db.schema, List.of("pages"));
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    db.close();
  }

  private PostgresSource.Builder source(String name) {
    return PostgresSource.builder(name, TestDatabase.URL).schema(db.schema)
        .checkpoints(Checkpoints.directory(dir)).pollInterval(Duration.ofMillis(200))
        .backoff(Duration.ofMillis(20), Duration.ofMillis(200));
  }

  @Test
  void installIsIdempotentAndTheSqlIsPrintable() throws Exception {
    PostgresInstaller.install(TestDatabase.URL, db.schema, List.of("pages", "other"));
    PostgresInstaller.install(TestDatabase.URL, db.schema, List.of("pages", "other"));
    assertThat(PostgresInstaller.sql("public", List.of("pages")))
        .contains("CREATE TABLE IF NOT EXISTS \"public\".freshcache_changes")
        .contains("CREATE TRIGGER freshcache_capture AFTER INSERT OR UPDATE OR DELETE ON \"public\".\"pages\"");
    db.exec("INSERT INTO other VALUES (1)");
    try (Connection c = db.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM freshcache_changes")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(1);
    }
  }

  @Test
  void rowChangesInvalidateThroughYamlRules() throws Exception {
    Freshcache cache = Freshcache.builder().executor(Runnable::run).build();
    closing.add(cache);
    Rules rules = Rules.parse("""
        rules:
          - name: pages
            source: pg-*
            match: { table: pages }
            invalidate: [ "page:{/new/title}", "page:{/old/title}" ]
        """, "test");
    Feeds feeds = Feeds.builder(cache).rules(rules).source(source("pg-main").build()).build();
    closing.add(feeds);
    for (String t : List.of("Alpha", "Beta", "Gamma")) {
      cache.get(CacheKey.of("/" + t), ctx -> {
        ctx.dependsOn("page:" + t);
        return Content.html(t);
      });
    }
    feeds.start();
    db.exec("INSERT INTO pages VALUES (1, 'Alpha', 'docs')");
    await().atMost(Duration.ofSeconds(10)).until(() -> cache.getIfPresent(CacheKey.of("/Alpha")) == null);
    db.exec("UPDATE pages SET title = 'Beta' WHERE id = 1");
    await().atMost(Duration.ofSeconds(10)).until(() -> feeds.stats().changes() == 2);
    assertThat(cache.getIfPresent(CacheKey.of("/Beta"))).isNull();
    assertThat(cache.getIfPresent(CacheKey.of("/Gamma"))).isNotNull();
    db.exec("DELETE FROM pages WHERE id = 1");
    await().atMost(Duration.ofSeconds(10)).until(() -> feeds.stats().changes() == 3);
    assertThat(feeds.stats().latencySamples()).isEqualTo(3);
    assertThat(feeds.stats().errors()).isZero();
  }

  /**
   * The bug an id-ordered reader has: T2 takes its xid first (it writes an unwatched table), T1
   * then writes a watched row (lower change id), T2 writes one (higher id) and commits; a reader
   * checkpointing "id 6" would never see T1's id 5 when T1 commits. Here both arrive.
   */
  @Test
  void transactionsCommittingOutOfOrderAreNotLost() throws Exception {
    RecordingSink rec = new RecordingSink();
    PostgresSource src = source("pg-order").build();
    closing.add(src);
    src.start(rec);
    try (Connection t1 = db.connect(); Connection t2 = db.connect()) {
      t1.setAutoCommit(false);
      t2.setAutoCommit(false);
      exec(t2, "INSERT INTO other VALUES (1)");           // T2 gets the lower xid
      exec(t1, "INSERT INTO pages VALUES (1, 'T1', 'x')"); // T1: lower change id
      exec(t2, "INSERT INTO pages VALUES (2, 'T2', 'x')"); // T2: higher change id
      t2.commit();
      await().atMost(Duration.ofSeconds(10)).until(() -> rec.changes.size() == 1);
      assertThat(rec.changes.get(0).payload().at("/new/title").asText()).isEqualTo("T2");
      Thread.sleep(300); // a poll or two with T1 still open: nothing more, nothing skipped
      assertThat(rec.changes).hasSize(1);
      t1.commit();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> rec.changes.size() == 2);
    Change late = rec.changes.get(1);
    assertThat(late.payload().at("/new/title").asText()).isEqualTo("T1");
    assertThat(Long.parseLong(late.id())).as("the late commit has the lower id")
        .isLessThan(Long.parseLong(rec.changes.get(0).id()));

    // And the opposite order: T1 holds the lower xid open, T2 commits; T2's row waits for T1.
    try (Connection t1 = db.connect(); Connection t2 = db.connect()) {
      t1.setAutoCommit(false);
      exec(t1, "INSERT INTO pages VALUES (3, 'T3', 'x')");
      exec(t2, "INSERT INTO pages VALUES (4, 'T4', 'x')"); // autocommit
      Thread.sleep(300);
      assertThat(rec.changes).hasSize(2);
      t1.commit();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> rec.changes.size() == 4);
    assertThat(rec.changes.stream().map(c -> c.payload().at("/new/title").asText()))
        .containsExactly("T2", "T1", "T3", "T4");
    assertThat(rec.gaps).isEmpty();
  }

  @Test
  void restartResumesFromTheCheckpoint() throws Exception {
    RecordingSink first = new RecordingSink();
    PostgresSource a = source("pg-resume").build();
    a.start(first);
    db.exec("INSERT INTO pages VALUES (1, 'A', 'x')");
    await().atMost(Duration.ofSeconds(10)).until(() -> first.changes.size() == 1);
    a.stop();
    db.exec("INSERT INTO pages VALUES (2, 'B', 'x')");
    RecordingSink second = new RecordingSink();
    PostgresSource b = source("pg-resume").build();
    closing.add(b);
    b.start(second);
    await().atMost(Duration.ofSeconds(10)).until(() -> second.changes.size() == 1);
    assertThat(second.changes.get(0).payload().at("/new/title").asText()).isEqualTo("B");
    assertThat(second.gaps).isEmpty();
  }

  @Test
  void checkpointOlderThanRetentionIsAGap() throws Exception {
    RecordingSink first = new RecordingSink();
    PostgresSource a = source("pg-gap").build();
    a.start(first);
    db.exec("INSERT INTO pages VALUES (1, 'A', 'x')");
    await().atMost(Duration.ofSeconds(10)).until(() -> first.changes.size() == 1);
    a.stop();
    db.exec("INSERT INTO pages VALUES (2, 'B', 'x')");
    db.exec("INSERT INTO pages VALUES (3, 'C', 'x')");
    try (Connection c = db.connect()) {
      assertThat(PostgresInstaller.prune(c, db.schema, Duration.ZERO)).isEqualTo(3);
    }
    db.exec("INSERT INTO pages VALUES (4, 'D', 'x')");
    RecordingSink second = new RecordingSink();
    PostgresSource b = source("pg-gap").build();
    closing.add(b);
    b.start(second);
    await().atMost(Duration.ofSeconds(10)).until(() -> second.changes.size() == 1);
    assertThat(second.gaps).singleElement().asString().contains("older than the retention");
    assertThat(second.changes.get(0).payload().at("/new/title").asText()).isEqualTo("D");
  }

  @Test
  void retentionPrunesDeliveredRows() throws Exception {
    RecordingSink rec = new RecordingSink();
    PostgresSource a = source("pg-prune").retention(Duration.ZERO).pruneInterval(Duration.ofMillis(10)).build();
    closing.add(a);
    a.start(rec);
    for (int i = 1; i <= 3; i++) {
      db.exec("INSERT INTO pages VALUES (" + i + ", 'P" + i + "', 'x')");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> rec.changes.size() == 3);
    await().atMost(Duration.ofSeconds(10)).until(() -> count("SELECT count(*) FROM freshcache_changes") == 0);
    assertThat(count("SELECT pruned_id FROM freshcache_feed"))
        .isEqualTo(Long.parseLong(rec.changes.get(2).id()));
    db.exec("INSERT INTO pages VALUES (4, 'P4', 'x')");
    await().atMost(Duration.ofSeconds(10)).until(() -> rec.changes.size() == 4);
    assertThat(rec.gaps).isEmpty();
  }

  private long count(String sql) throws SQLException {
    try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Guarantee 6 end to end: after a gap the feed errs towards invalidating too much, and says so. */
  @Test
  void gapInvalidatesEverythingTheRulesCouldProduce() throws Exception {
    Freshcache cache = Freshcache.builder().executor(Runnable::run).build();
    closing.add(cache);
    Rules rules = Rules.parse("""
        rules:
          - name: pages
            match: { table: pages }
            invalidate: [ "page:{/new/title}" ]
        """, "test");
    Feeds first = Feeds.builder(cache).rules(rules).source(source("pg-gap-e2e").build()).build();
    first.start();
    db.exec("INSERT INTO pages VALUES (1, 'A', 'x')");
    await().atMost(Duration.ofSeconds(10)).until(() -> first.stats().changes() == 1);
    first.close();
    db.exec("INSERT INTO pages VALUES (2, 'Lost', 'x')"); // pruned before anyone reads it
    try (Connection c = db.connect()) {
      PostgresInstaller.prune(c, db.schema, Duration.ZERO);
    }
    for (String tag : List.of("page:Lost", "page:Other", "user:1")) {
      cache.get(CacheKey.of("/" + tag), ctx -> {
        ctx.dependsOn(tag);
        return Content.html(tag);
      });
    }
    Feeds second = Feeds.builder(cache).rules(rules).source(source("pg-gap-e2e").build()).build();
    closing.add(second);
    second.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> second.stats().gaps() == 1);
    assertThat(cache.getIfPresent(CacheKey.of("/page:Lost"))).as("the lost change's page").isNull();
    assertThat(cache.getIfPresent(CacheKey.of("/page:Other"))).as("too much, on purpose").isNull();
    assertThat(cache.getIfPresent(CacheKey.of("/user:1"))).as("nothing a rule could produce").isNotNull();
  }

  @Test
  void truncateIsAGap() throws Exception {
    RecordingSink rec = new RecordingSink();
    PostgresSource a = source("pg-trunc").build();
    closing.add(a);
    a.start(rec);
    db.exec("INSERT INTO pages VALUES (1, 'A', 'x')");
    await().atMost(Duration.ofSeconds(10)).until(() -> rec.changes.size() == 1);
    db.exec("TRUNCATE freshcache_changes");
    db.exec("INSERT INTO pages VALUES (2, 'B', 'x')");
    await().atMost(Duration.ofSeconds(10)).until(() -> rec.changes.size() == 2);
    assertThat(rec.gaps).singleElement().asString().contains("re-created or truncated");
  }

  @Test
  void reconnectsAfterTheConnectionIsKilled() throws Exception {
    RecordingSink rec = new RecordingSink();
    PostgresSource a = source("pg-reconnect").build();
    closing.add(a);
    a.start(rec);
    db.exec("INSERT INTO pages VALUES (1, 'A', 'x')");
    await().atMost(Duration.ofSeconds(10)).until(() -> rec.changes.size() == 1);
    db.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        + " WHERE application_name = 'freshcache-feed-pg-reconnect'");
    db.exec("INSERT INTO pages VALUES (2, 'B', 'x')");
    await().atMost(Duration.ofSeconds(10)).until(() -> rec.changes.size() == 2);
    assertThat(rec.gaps).isEmpty();
  }

  private static void exec(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }
}
