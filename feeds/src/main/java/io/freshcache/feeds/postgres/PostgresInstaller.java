package io.freshcache.feeds.postgres;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Installs (idempotently) what {@link PostgresSource} reads: in a schema, the changes table {@code
 * freshcache_changes}, its one-row bookkeeping table {@code freshcache_feed} (epoch and prune
 * mark), the trigger function {@code freshcache_capture()} and one trigger per watched table. The
 * CLI's {@code freshcache feeds install-postgres} calls {@link #install(String, String, List)};
 * {@link #sql} prints the same SQL for DBAs who apply it by hand.
 *
 * <p>Each change row records the writing transaction's id ({@code xid8}): the reader needs it to
 * read in an order where a late commit can never slip behind its checkpoint.
 */
public final class PostgresInstaller {
  /** The NOTIFY channel: its payload is the schema of the changes table that got rows. */
  public static final String CHANNEL = "freshcache_changes";
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private PostgresInstaller() {}

  /**
   * The installation SQL for {@code schema} and {@code tables} (unqualified names are in {@code
   * schema}; {@code other.table} names another schema). Safe to run again: nothing is dropped but
   * the triggers it re-creates.
   *
   * @throws IllegalArgumentException if a name is not a lower-case SQL identifier
   */
  public static String sql(String schema, List<String> tables) {
    String s = quote(schema, "schema");
    requireNonNull(tables, "tables");
    StringBuilder b = new StringBuilder();
    b.append("CREATE SCHEMA IF NOT EXISTS ").append(s).append(";\n");
    b.append("""
        CREATE TABLE IF NOT EXISTS %1$s.freshcache_changes (
          id           bigserial   PRIMARY KEY,
          xid          xid8        NOT NULL DEFAULT pg_current_xact_id(),
          table_name   text        NOT NULL,
          op           text        NOT NULL,
          "old"        jsonb,
          "new"        jsonb,
          committed_at timestamptz NOT NULL DEFAULT clock_timestamp()
        );
        CREATE INDEX IF NOT EXISTS freshcache_changes_xid_id ON %1$s.freshcache_changes (xid, id);
        CREATE INDEX IF NOT EXISTS freshcache_changes_committed_at ON %1$s.freshcache_changes (committed_at);
        CREATE TABLE IF NOT EXISTS %1$s.freshcache_feed (
          singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
          epoch      text    NOT NULL DEFAULT gen_random_uuid()::text,
          pruned_xid xid8    NOT NULL DEFAULT '0',
          pruned_id  bigint  NOT NULL DEFAULT 0
        );
        INSERT INTO %1$s.freshcache_feed DEFAULT VALUES ON CONFLICT DO NOTHING;
        CREATE OR REPLACE FUNCTION %1$s.freshcache_capture() RETURNS trigger
        LANGUAGE plpgsql AS $fc$
        BEGIN
          INSERT INTO %1$s.freshcache_changes (table_name, op, "old", "new")
          VALUES (TG_TABLE_NAME, lower(TG_OP),
                  CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
                  CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
          -- Only wakes readers (delivered at commit, identical ones folded); they read the table.
          PERFORM pg_notify('%2$s', '%3$s');
          RETURN NULL;
        END $fc$;
        -- TRUNCATE loses rows without a prune mark: a new epoch makes readers see the gap.
        CREATE OR REPLACE FUNCTION %1$s.freshcache_truncated() RETURNS trigger
        LANGUAGE plpgsql AS $fc$
        BEGIN
          UPDATE %1$s.freshcache_feed SET epoch = gen_random_uuid()::text, pruned_xid = '0', pruned_id = 0;
          RETURN NULL;
        END $fc$;
        DROP TRIGGER IF EXISTS freshcache_truncated ON %1$s.freshcache_changes;
        CREATE TRIGGER freshcache_truncated AFTER TRUNCATE ON %1$s.freshcache_changes
          FOR EACH STATEMENT EXECUTE FUNCTION %1$s.freshcache_truncated();
        """.formatted(s, CHANNEL, schema));
    for (String t : tables) {
      String table = qualified(schema, t);
      b.append("DROP TRIGGER IF EXISTS freshcache_capture ON ").append(table).append(";\n");
      b.append("CREATE TRIGGER freshcache_capture AFTER INSERT OR UPDATE OR DELETE ON ").append(table)
          .append("\n  FOR EACH ROW EXECUTE FUNCTION ").append(s).append(".freshcache_capture();\n");
    }
    return b.toString();
  }

  /**
   * Runs {@link #sql} in one transaction, serialized with other installers by an advisory lock.
   *
   * @throws SQLException if the database refused (e.g. a table does not exist)
   */
  public static void install(String jdbcUrl, String schema, List<String> tables) throws SQLException {
    requireNonNull(jdbcUrl, "jdbcUrl");
    String text = sql(schema, tables);
    try (Connection c = DriverManager.getConnection(jdbcUrl)) {
      install(c, text);
    }
  }

  /** {@link #install(String, String, List)} into schema {@code public}. */
  public static void install(String jdbcUrl, String... tables) throws SQLException {
    install(jdbcUrl, "public", List.of(tables));
  }

  private static void install(Connection c, String text) throws SQLException {
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.execute("SELECT pg_advisory_xact_lock(hashtext('freshcache install'))");
      st.execute(text);
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }

  /**
   * Deletes the changes committed more than {@code retention} ago (only of finished transactions)
   * and raises the prune mark to the newest deleted, so a reader whose checkpoint is older knows it
   * missed changes. Returns how many rows were deleted.
   */
  public static int prune(Connection c, String schema, Duration retention) throws SQLException {
    return prune(c, schema, retention, Long.MAX_VALUE, Long.MAX_VALUE);
  }

  /**
   * {@link #prune(Connection, String, Duration)}, deleting only rows at or before {@code (upToXid,
   * upToId)}: a source prunes only what it has delivered itself.
   */
  static int prune(Connection c, String schema, Duration retention, long upToXid, long upToId)
      throws SQLException {
    String s = quote(schema, "schema");
    requireNonNull(retention, "retention");
    if (retention.isNegative()) {
      throw new IllegalArgumentException("retention: " + retention + " (expected: >= 0)");
    }
    String sql = """
        WITH d AS (
          DELETE FROM %1$s.freshcache_changes
          WHERE committed_at < clock_timestamp() - make_interval(secs => ?)
            AND xid < pg_snapshot_xmin(pg_current_snapshot())
            AND (xid, id) <= (?::xid8, ?)
          RETURNING xid, id),
        m AS (SELECT xid, id FROM d ORDER BY xid DESC, id DESC LIMIT 1),
        u AS (UPDATE %1$s.freshcache_feed f SET pruned_xid = m.xid, pruned_id = m.id FROM m
              WHERE (m.xid, m.id) > (f.pruned_xid, f.pruned_id))
        SELECT count(*) FROM d
        """.formatted(s);
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setDouble(1, retention.toMillis() / 1000.0);
      // xid8 is unsigned 64-bit; Long.MAX_VALUE is beyond any xid a cluster will reach
      ps.setString(2, Long.toUnsignedString(upToXid));
      ps.setLong(3, upToId);
      try (var rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  static String quote(String identifier, String what) {
    requireNonNull(identifier, what);
    if (!IDENTIFIER.matcher(identifier).matches()) {
      throw new IllegalArgumentException(what + ": '" + identifier
          + "' (expected: a lower-case SQL identifier, [a-z_][a-z0-9_]*, at most 63 characters)");
    }
    return "\"" + identifier + "\"";
  }

  private static String qualified(String schema, String table) {
    requireNonNull(table, "table");
    int dot = table.indexOf('.');
    if (dot < 0) {
      return quote(schema, "schema") + "." + quote(table, "table");
    }
    return quote(table.substring(0, dot), "table schema") + "." + quote(table.substring(dot + 1), "table");
  }
}
