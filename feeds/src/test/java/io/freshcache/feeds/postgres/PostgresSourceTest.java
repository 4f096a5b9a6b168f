package io.freshcache.feeds.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshcache.feeds.Checkpoints;
import io.freshcache.feeds.Rules;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Configuration and SQL generation; no database. */
class PostgresSourceTest {

  @Test
  void settingsFromTheRulesFile() {
    Rules rules = Rules.parse("""
        sources:
          - name: postgres-main
            type: postgres
            jdbc: jdbc:postgresql://127.0.0.1:5432/app
            schema: app
            pollInterval: 250ms
            retention: 7d
        rules: []
        """, "feeds.yaml");
    PostgresSource s = PostgresSource.fromSettings(rules.sourceSettings().get("postgres-main"),
        Checkpoints.inMemory());
    assertThat(s.name()).isEqualTo("postgres-main");
  }

  @Test
  void badSettingsSayWhatWasExpected() {
    Rules rules = Rules.parse("""
        sources:
          - { name: a, jdbc: "jdbc:postgresql://h/db", pollIntervall: 1s }
          - { name: b }
          - { name: c, jdbc: "jdbc:postgresql://h/db", retention: a week }
        rules: []
        """, "feeds.yaml");
    assertThatThrownBy(() -> PostgresSource.fromSettings(rules.sourceSettings().get("a"), Checkpoints.inMemory()))
        .hasMessageStartingWith("source 'a': pollIntervall: unknown key (expected: one of [batchSize,");
    assertThatThrownBy(() -> PostgresSource.fromSettings(rules.sourceSettings().get("b"), Checkpoints.inMemory()))
        .hasMessageStartingWith("source 'b': jdbc: missing");
    assertThatThrownBy(() -> PostgresSource.fromSettings(rules.sourceSettings().get("c"), Checkpoints.inMemory()))
        .hasMessage("source 'c': retention: 'a week' (expected: e.g. 500ms, 10s, 5m, 2h, 7d)");
  }

  @Test
  void unreachableDatabaseIsRetriedAndStopCutsTheBackoffShort() throws Exception {
    PostgresSource s = PostgresSource.builder("down", "jdbc:postgresql://127.0.0.1:1/none")
        .checkpoints(Checkpoints.inMemory()).backoff(Duration.ofSeconds(20), Duration.ofSeconds(20))
        .build();
    s.start(new io.freshcache.feeds.ChangeSink() {
      @Override public void accept(io.freshcache.feeds.Change change) {}
      @Override public void gap(String source, String reason) {}
    });
    Thread.sleep(300); // refused at once, now waiting out up to 20 s of backoff
    long t0 = System.nanoTime();
    s.stop();
    assertThat((System.nanoTime() - t0) / 1_000_000).as("stop took (ms)").isLessThan(2_000);
    assertThat(s.isReaderAlive()).isFalse();
  }

  @Test
  void durations() {
    assertThat(PostgresSource.duration("500ms", "x")).isEqualTo(Duration.ofMillis(500));
    assertThat(PostgresSource.duration("10s", "x")).isEqualTo(Duration.ofSeconds(10));
    assertThat(PostgresSource.duration("7d", "x")).isEqualTo(Duration.ofDays(7));
    assertThat(PostgresSource.duration("PT2H", "x")).isEqualTo(Duration.ofHours(2));
  }

  @Test
  void builderValidates() {
    assertThatThrownBy(() -> PostgresSource.builder("x", "jdbc:mysql://h/db"))
        .hasMessage("jdbcUrl: jdbc:mysql://h/db (expected: jdbc:postgresql://host:port/db)");
    assertThatThrownBy(() -> PostgresSource.builder("x", "jdbc:postgresql://h/db").build())
        .hasMessageStartingWith("checkpoints: not set");
    assertThatThrownBy(() -> PostgresSource.builder("x", "jdbc:postgresql://h/db").batchSize(0))
        .hasMessage("batchSize: 0 (expected: 1..100000)");
    assertThatThrownBy(() -> PostgresSource.builder("x", "jdbc:postgresql://h/db").schema("Bad-Name"))
        .hasMessageStartingWith("schema: 'Bad-Name' (expected: a lower-case SQL identifier");
  }

  @Test
  void installerQuotesAndRejectsIdentifiers() {
    assertThat(PostgresInstaller.sql("app", List.of("pages", "wiki.revisions")))
        .contains("ON \"app\".\"pages\"").contains("ON \"wiki\".\"revisions\"");
    assertThatThrownBy(() -> PostgresInstaller.sql("app", List.of("pages; DROP TABLE x")))
        .hasMessageStartingWith("table: 'pages; DROP TABLE x' (expected: a lower-case SQL identifier");
  }
}
