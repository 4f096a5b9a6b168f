package io.freshcache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.feeds.postgres.PostgresInstaller;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code freshcache feeds check} and {@code feeds install-postgres}. */
class FeedsCommandTest {
  private static final String NL = System.lineSeparator();

  @TempDir
  Path dir;

  private Path write(String name, String text) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, text);
    return f;
  }

  @Test
  void checkListsRulesAndSources() throws Exception {
    Path f = write("feeds.yaml", """
        sources:
          - { name: pg, jdbc: "jdbc:postgresql://127.0.0.1:5432/app", pollInterval: 250ms }
          - { name: bus, type: amqp, gapPolicy: log-only, uri: "amqp://127.0.0.1", exchange: amq.topic,
              queue: web1, bindingKeys: "wiki.#" }
        rules:
          - { name: pages, source: pg, match: { table: pages }, invalidate: ["page:{/new/id}"] }
          - { name: events, source: "bus|pg", invalidate: ["page:{/id}"] }
          - { name: orphan, source: couch, invalidate: ["x"] }
        """);

    Run r = Run.asJar("feeds", "check", f.toString());

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(f + ": 2 source(s), 3 rule(s)" + NL
        + "  source pg (postgres, gap policy invalidate-all)" + NL
        + "  source bus (amqp, gap policy log-only)" + NL
        + "  rule pages (sources: pg)" + NL
        + "  rule events (sources: pg, bus)" + NL
        + "  rule orphan (sources: none)" + NL
        + "warning: rule 'orphan' applies to none of the sources [pg, bus]" + NL);
    assertThat(r.err()).isEmpty();
  }

  @Test
  void checkListsEveryProblemOfRulesAndSources() throws Exception {
    Path f = write("bad.yaml", """
        sources:
          - { name: pg, type: postgres, jdbc: "jdbc:postgresql://h/db", pollIntervall: 1s }
          - { name: bus, type: amqp, uri: "amqp://h", exchange: x, queue: q, bindingKeys: "#", prefetch: 0 }
          - { name: k, type: kafka }
        rules:
          - { name: typo, match: { tabel: pages }, invalidate: ["page:{/new/id}"] }
          - { name: ok, invalidate: ["page:{/new/id}"] }
        """);

    Run r = Run.asJar("feeds", "check", f.toString());

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEqualTo("freshcache feeds check: " + f + ": 4 problem(s):" + NL
        + "  rules[0].match.tabel: rule 'typo': unknown key (expected: one of [kind, table, topic, type])" + NL
        + "  sources[0].pollIntervall: source 'pg': unknown key (expected: one of [batchSize, gapPolicy, jdbc,"
        + " name, pollInterval, pruneInterval, retention, schema, type])" + NL
        + "  sources[1].prefetch: source 'bus': 0 (expected: 1..65535)" + NL
        + "  sources[2].type: source 'k': 'kafka' (expected: one of [postgres, amqp, redis-stream, couchdb])" + NL);
  }

  @Test
  void checkOfAMissingOrBrokenFile() throws Exception {
    Run missing = Run.asJar("feeds", "check", dir.resolve("none.yaml").toString());
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("none.yaml: no such file");

    Run broken = Run.asJar("feeds", "check", write("b.yaml", "rules: [unclosed\n").toString());
    assertThat(broken.exitCode()).isEqualTo(2);
    assertThat(broken.err()).contains("b.yaml: not valid YAML").doesNotContain("\tat ");
  }

  @Test
  void printSql() {
    Run r = Run.asJar("feeds", "install-postgres", "--schema", "app", "--table", "pages", "--table", "users",
        "--print-sql");

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).isEqualTo(PostgresInstaller.sql("app", List.of("pages", "users")));
  }

  @Test
  void usageErrorsExit2() {
    Run noTable = Run.asJar("feeds", "install-postgres", "--print-sql");
    assertThat(noTable.exitCode()).isEqualTo(2);
    assertThat(noTable.err()).contains("Missing required option: '--table=TABLE'");

    Run noJdbc = Run.asJar("feeds", "install-postgres", "--table", "pages");
    assertThat(noJdbc.exitCode()).isEqualTo(2);
    assertThat(noJdbc.err()).contains("Missing required option: '--jdbc=URL' (expected: with it, or --print-sql)");

    Run badTable = Run.asJar("feeds", "install-postgres", "--table", "Pages", "--print-sql");
    assertThat(badTable.exitCode()).isEqualTo(2);
    assertThat(badTable.err()).contains("table: 'Pages' (expected: a lower-case SQL identifier");

    Run noSubcommand = Run.asJar("feeds");
    assertThat(noSubcommand.exitCode()).isEqualTo(2);
  }

  @Test
  void badOrUnreachableDatabaseIsOneLineAndExit1() {
    for (String url : new String[] {"postgres://127.0.0.1/db", "jdbc:postgresql://127.0.0.1:1/db?user=x&password=secret"}) {
      Run r = Run.asJar("feeds", "install-postgres", "--jdbc", url, "--table", "pages");

      assertThat(r.exitCode()).as(url).isEqualTo(1);
      assertThat(r.err()).as(url).startsWith("freshcache feeds install-postgres: ").hasLineCount(1)
          .doesNotContain("secret").doesNotContain("Exception").doesNotContain("\tat ");
    }
  }

  @Test
  void installIsIdempotentAndSaysWhatItDid() throws Exception {
    PostgresForTests.require();
    String schema = "fc_cli_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    try (Connection c = DriverManager.getConnection(PostgresForTests.URL); Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
      st.execute("CREATE TABLE " + schema + ".pages (id int PRIMARY KEY, title text)");
      try {
        for (int i = 0; i < 2; i++) {
          Run r = Run.asJar("feeds", "install-postgres", "--jdbc", PostgresForTests.URL, "--schema", schema,
              "--table", "pages");

          assertThat(r.exitCode()).as(r.err()).isZero();
          assertThat(r.out()).isEqualTo("freshcache feeds install-postgres: installed in " + PostgresForTests.URL
              + ": schema " + schema + " has freshcache_changes, freshcache_feed and freshcache_capture();"
              + " trigger freshcache_capture on " + schema + ".pages" + NL);
        }
        st.execute("INSERT INTO " + schema + ".pages VALUES (1, 'A')");
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + schema + ".freshcache_changes")) {
          rs.next();
          assertThat(rs.getInt(1)).isEqualTo(1);
        }
        Run missing = Run.asJar("feeds", "install-postgres", "--jdbc", PostgresForTests.URL, "--schema", schema,
            "--table", "nope");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).contains("nope").contains("does not exist").hasLineCount(1);
      } finally {
        st.execute("DROP SCHEMA " + schema + " CASCADE");
      }
    }
  }
}
