package io.freshcache.feeds.postgres;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshcache.core.Clock;
import io.freshcache.feeds.Backoff;
import io.freshcache.feeds.Change;
import io.freshcache.feeds.ChangeSink;
import io.freshcache.feeds.ChangeSource;
import io.freshcache.feeds.Checkpoints;
import io.freshcache.feeds.SourceLoop;
import io.freshcache.feeds.SourceSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the changes table written by the {@link PostgresInstaller} triggers and delivers each row
 * as a {@link Change}: topic = the table, kind = {@code insert|update|delete}, id = the change row's
 * id, payload = {@code {"op", "table", "old": {row}, "new": {row}}}, committedAt = when the row was
 * written.
 *
 * <h2>Order and the checkpoint</h2>
 * Rows are read in {@code (xid, id)} order, and only rows whose transaction is older than the
 * statement snapshot's {@code xmin}: every transaction below {@code xmin} has ended, and every
 * future one gets a larger xid, so the set of rows below it is final and a checkpoint {@code (xid,
 * id)} can never be overtaken by a late commit. Ordering by {@code id} alone would be wrong: ids
 * are drawn when a row is written, so a transaction that commits late leaves a lower id behind a
 * checkpoint that already passed it. The price: a transaction that stays open delays every row
 * written after it began (by anyone in the cluster) until it ends.
 *
 * <p>The checkpoint, {@code epoch/xid/id}, is saved after each batch has been delivered. The epoch
 * is a random id of the changes table installation, renewed on TRUNCATE.
 *
 * <h2>Gaps</h2>
 * Reported to the sink (which applies the gap policy) when the epoch changed (table re-created or
 * truncated), when the checkpoint is older than the prune mark (rows deleted by retention before
 * this reader got them), or when the checkpoint's xid is ahead of the database (a restore). The
 * reader then continues from the oldest retained row.
 *
 * <h2>Threads and connections</h2>
 * One thread and one dedicated connection per source: it LISTENs on {@value
 * PostgresInstaller#CHANNEL}, reads, and waits for a notification at most {@code pollInterval}.
 * Connection failures are retried with {@link Backoff} (logged at WARN each time).
 */
public final class PostgresSource implements ChangeSource {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresSource.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The keys of {@link #fromSettings}, besides {@link SourceSettings#COMMON_KEYS}. */
  private static final java.util.Set<String> SETTINGS = java.util.Set.of("jdbc", "schema", "batchSize",
      "pollInterval", "retention", "pruneInterval");

  private final String name;
  private final String jdbcUrl;
  private final Properties properties;
  private final String schema;
  private final Checkpoints checkpoints;
  private final int batchSize;
  private final Duration pollInterval;
  private final Duration retention;
  private final Duration pruneInterval;
  private final Backoff backoff;
  private final Clock clock;
  private final String query;

  // The reader thread and its running and crashed flags (crashed: set by kill(), nothing more
  // is saved or delivered, as after a crash).
  private final SourceLoop loop;
  // The reader thread's connection; volatile so kill() can abort it from another thread.
  private volatile Connection connection;
  private long lastPruneNanos;

  private PostgresSource(Builder b) {
    this.name = b.name;
    this.loop = new SourceLoop(name, LOG);
    this.jdbcUrl = b.jdbcUrl;
    this.properties = b.properties;
    this.schema = b.schema;
    this.checkpoints = b.checkpoints;
    this.batchSize = b.batchSize;
    this.pollInterval = b.pollInterval;
    this.retention = b.retention;
    this.pruneInterval = b.pruneInterval;
    this.backoff = new Backoff(b.backoffInitial, b.backoffMax);
    this.clock = b.clock;
    String s = PostgresInstaller.quote(schema, "schema");
    // One statement, one snapshot: the prune mark, the epoch, xmin and the next rows agree.
    this.query = """
        SELECT f.epoch, f.pruned_xid::text, f.pruned_id,
               pg_snapshot_xmin(pg_current_snapshot())::text,
               pg_snapshot_xmax(pg_current_snapshot())::text,
               c.id, c.xid::text, c.table_name, c.op, c."old"::text, c."new"::text, c.committed_at
        FROM %1$s.freshcache_feed f
        LEFT JOIN LATERAL (
          SELECT * FROM %1$s.freshcache_changes
          WHERE (xid, id) > (?::xid8, ?)
          ORDER BY xid, id LIMIT ?) c ON true
        ORDER BY c.xid, c.id
        """.formatted(s);
  }

  /**
   * A builder for a source named {@code name} reading the database at {@code jdbcUrl} (e.g. {@code
   * jdbc:postgresql://127.0.0.1:5432/app?user=app}).
   */
  public static Builder builder(String name, String jdbcUrl) {
    return new Builder(name, jdbcUrl);
  }

  /**
   * A source from the settings of a {@code sources:} entry of a rules file ({@code
   * Rules.sourceSettings()}, usually through {@link io.freshcache.feeds.Sources#fromSettings}):
   * {@code jdbc} (required), {@code schema}, {@code batchSize}, {@code pollInterval}, {@code
   * retention}, {@code pruneInterval} (durations as {@code 500ms}, {@code 10s}, {@code 5m}, {@code
   * 2h}, {@code 7d} or ISO-8601); {@code name}, {@code type} ({@code postgres}, if given) and
   * {@code gapPolicy} are accepted too.
   *
   * @throws IllegalArgumentException listing every problem, one per line, as {@code source
   *     '<name>': <key>: <reason> (expected: ...)}
   */
  public static PostgresSource fromSettings(JsonNode settings, Checkpoints checkpoints) {
    requireNonNull(checkpoints, "checkpoints");
    SourceSettings s = SourceSettings.of(settings, "postgres", SETTINGS);
    s.require("jdbc", "e.g. jdbc:postgresql://127.0.0.1:5432/app?user=app");
    // Without a jdbc key there is nothing to build (and the missing key is already reported).
    Builder b = s.create("jdbc", () -> s.has("jdbc") ? builder(s.name(), settings.path("jdbc").asText()) : null);
    b.checkpoints(checkpoints);
    s.text("schema", b::schema);
    s.integer("batchSize", b::batchSize);
    s.duration("pollInterval", b::pollInterval);
    s.duration("retention", b::retention);
    s.duration("pruneInterval", b::pruneInterval);
    return s.build(b::build);
  }

  /** {@link SourceSettings#parseDuration}. */
  static Duration duration(String text, String what) {
    return SourceSettings.parseDuration(text, what);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void start(ChangeSink sink) {
    requireNonNull(sink, "sink");
    loop.start(() -> run(sink));
  }

  @Override
  public void stop() {
    // The reader checks 'running' at least every pollInterval (its longest wait); stop() wakes it
    // from a backoff wait.
    Duration timeout = pollInterval.plusSeconds(10);
    if (!loop.stop(timeout)) {
      return;
    }
    if (loop.readerAlive()) {
      LOG.warn("feed {}: reader did not stop within {} ms; aborting its connection", name,
          timeout.toMillis());
      abortConnection();
    }
  }

  /**
   * Stops as abruptly as a crash: the connection is aborted, nothing more is delivered and no
   * checkpoint is saved from now on. For tests of the restart path.
   */
  void kill() {
    loop.crash();
    abortConnection();
    loop.interrupt(Duration.ofSeconds(30));
  }

  /** Whether the reader thread is running; for tests. */
  boolean isReaderAlive() {
    return loop.readerAlive();
  }

  private void abortConnection() {
    Connection c = connection;
    if (c != null) {
      try {
        c.abort(Runnable::run);
      } catch (SQLException | RuntimeException ignored) {
        // it is going away either way
      }
    }
  }

  // ---------------------------------------------------------------- the reader

  /** Where the reader is: the position after the last change delivered. */
  private record Position(String epoch, long xid, long id) {
    static final long NONE = -1;

    static Optional<Position> parse(String text) {
      String[] p = text.split("/");
      if (p.length != 3) {
        return Optional.empty();
      }
      try {
        return Optional.of(new Position(p[0], Long.parseUnsignedLong(p[1]), Long.parseLong(p[2])));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }

    boolean before(long otherXid, long otherId) {
      int c = Long.compareUnsigned(xid, otherXid);
      return c < 0 || (c == 0 && id < otherId);
    }

    @Override
    public String toString() {
      return epoch + "/" + Long.toUnsignedString(xid) + "/" + id;
    }
  }

  private void run(ChangeSink sink) {
    Position position = null;
    boolean reconnecting = false;
    long pendingDelayMillis = 1;
    long pendingSinceNanos = 0; // 0: nothing pending
    boolean pendingWarned = false;
    while (loop.running()) {
      try {
        if (connection == null) {
          connection = connect();
          if (reconnecting) {
            LOG.warn("feed {}: reconnected to {} after {} attempt(s)", name, redacted(), backoff.failures());
          } else {
            LOG.info("feed {}: connected to {}, schema {}", name, redacted(), schema);
          }
          reconnecting = false;
        }
        if (position == null) {
          position = checkpoints.load(name).map(t -> Position.parse(t).orElseGet(() -> {
            LOG.error("feed {}: unreadable checkpoint '{}'; treating it as a gap", name, t);
            return new Position("unreadable", Position.NONE, Position.NONE);
          })).orElse(null);
        }
        Batch batch = readBatch(position);
        Position before = position;
        position = handleGap(sink, position, batch);
        if (position != before) {
          save(position);
          continue; // re-read from the new position: rows read belong to the old one
        }
        int delivered = 0;
        for (Row r : batch.rows) {
          if (!loop.running()) {
            break;
          }
          sink.accept(r.change);
          if (loop.crashed()) {
            return;
          }
          position = r.position;
          delivered++;
        }
        if (delivered > 0) {
          save(position);
          backoff.reset();
          pendingDelayMillis = 1;
          pendingSinceNanos = 0;
          pendingWarned = false;
          continue;
        }
        pruneIfDue(position);
        if (batch.pending) {
          // A transaction older than the next rows is still open; it may end without notifying
          // us (it may not touch a watched table), so look again soon rather than at the poll.
          // After a couple of seconds it is a long transaction, not a commit in flight: look
          // less often, and say once who holds the feed back.
          long now = clock.nanoTime();
          if (pendingSinceNanos == 0) {
            pendingSinceNanos = now;
          }
          long pendingMillis = (now - pendingSinceNanos) / 1_000_000;
          if (pendingMillis > 10_000 && !pendingWarned) {
            pendingWarned = true;
            LOG.warn("feed {}: changes held back for {} s by an open transaction (xid {}); see"
                + " SELECT pid, state, xact_start FROM pg_stat_activity WHERE backend_xid = '{}'",
                name, pendingMillis / 1000, Long.toUnsignedString(batch.xmin),
                Long.toUnsignedString(batch.xmin & 0xFFFFFFFFL));
          }
          waitForNotification(Math.min(pendingDelayMillis, pollInterval.toMillis()));
          pendingDelayMillis = Math.min(pendingDelayMillis * 2, pendingMillis < 2_000 ? 8 : 100);
        } else {
          pendingSinceNanos = 0;
          pendingWarned = false;
          pendingDelayMillis = 1;
          waitForNotification(pollInterval.toMillis());
        }
      } catch (SQLException e) {
        if (!loop.running()) {
          break;
        }
        closeQuietly();
        reconnecting = true;
        Duration d = backoff.nextDelay();
        LOG.warn("feed {}: database error ({}: {}); reconnecting in {} ms (attempt {})", name,
            e.getSQLState(), e.getMessage(), d.toMillis(), backoff.failures());
        loop.sleep(d);
      } catch (RuntimeException e) {
        if (!loop.running()) {
          break;
        }
        // The sink (or the checkpoint store) failed: what was not applied is not checkpointed;
        // retry from the last applied change later.
        Duration d = backoff.nextDelay();
        LOG.error("feed {}: delivering or checkpointing failed; retrying from {} in {} ms (attempt {})", name,
            position, d.toMillis(), backoff.failures(), e);
        if (position != null && !loop.crashed()) {
          try {
            save(position);
          } catch (RuntimeException saveFailed) {
            LOG.error("feed {}: saving checkpoint {} failed", name, position, saveFailed);
          }
        }
        loop.sleep(d);
      }
    }
    if (!loop.crashed()) {
      closeQuietly();
    }
  }

  /** Checks the batch's bookkeeping against the position; returns the new position (same object if no gap). */
  private Position handleGap(ChangeSink sink, Position position, Batch b) {
    Position oldest = new Position(b.epoch, b.prunedXid, b.prunedId);
    if (position == null) {
      LOG.info("feed {}: no checkpoint; starting from the oldest retained change", name);
      return oldest;
    }
    String reason = null;
    if (!position.epoch.equals(b.epoch)) {
      reason = "the changes table is a new one (epoch " + position.epoch + ", now " + b.epoch
          + "): re-created or truncated";
    } else if (position.before(b.prunedXid, b.prunedId)) {
      reason = "checkpoint " + position + " is older than the retention: changes up to "
          + oldest + " were pruned";
    } else if (Long.compareUnsigned(position.xid, b.xmax) >= 0) {
      reason = "checkpoint " + position + " is ahead of the database (next xid " + Long.toUnsignedString(b.xmax)
          + "): restored from a backup or reset";
    }
    if (reason == null) {
      return position;
    }
    if (loop.crashed()) {
      return position;
    }
    sink.gap(name, reason);
    return oldest;
  }

  private record Row(Change change, Position position) {}

  private record Batch(String epoch, long prunedXid, long prunedId, long xmin, long xmax, List<Row> rows,
      boolean pending) {}

  private Batch readBatch(Position from) throws SQLException {
    Connection c = connection;
    try (PreparedStatement ps = c.prepareStatement(query)) {
      ps.setString(1, from == null ? "0" : Long.toUnsignedString(Math.max(0, from.xid)));
      ps.setLong(2, from == null ? 0 : from.id);
      ps.setInt(3, batchSize);
      List<Row> rows = new ArrayList<>();
      String epoch = null;
      long prunedXid = 0;
      long prunedId = 0;
      long xmin = 0;
      long xmax = 0;
      boolean pending = false;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          epoch = rs.getString(1);
          prunedXid = Long.parseUnsignedLong(rs.getString(2));
          prunedId = rs.getLong(3);
          xmin = Long.parseUnsignedLong(rs.getString(4));
          xmax = Long.parseUnsignedLong(rs.getString(5));
          String xidText = rs.getString(7);
          if (xidText == null || pending) {
            continue; // no rows (the LEFT JOIN's empty side), or past a pending one
          }
          long xid = Long.parseUnsignedLong(xidText);
          if (Long.compareUnsigned(xid, xmin) >= 0) {
            pending = true; // this and every later row may still gain rows before it
            continue;
          }
          long id = rs.getLong(6);
          rows.add(new Row(change(epoch, xid, id, rs), new Position(epoch, xid, id)));
        }
      }
      if (epoch == null) {
        throw new SQLException(schema + ".freshcache_feed is empty (expected: one row; run the installer)", "55000");
      }
      return new Batch(epoch, prunedXid, prunedId, xmin, xmax, rows, pending);
    }
  }

  private Change change(String epoch, long xid, long id, ResultSet rs) throws SQLException {
    String table = rs.getString(8);
    String op = rs.getString(9);
    ObjectNode payload = JSON.createObjectNode();
    payload.put("op", op);
    payload.put("table", table);
    payload.set("old", json(rs.getString(10)));
    payload.set("new", json(rs.getString(11)));
    Timestamp at = rs.getTimestamp(12);
    return new Change(name, table, op, Long.toString(id),
        epoch + "/" + Long.toUnsignedString(xid) + "/" + id, payload, at == null ? null : at.toInstant());
  }

  private static JsonNode json(String text) throws SQLException {
    if (text == null) {
      return JSON.nullNode();
    }
    try {
      return JSON.readTree(text);
    } catch (java.io.IOException e) {
      throw new SQLException("unparsable jsonb from the database: " + e.getMessage(), "22032", e);
    }
  }

  private void save(Position p) {
    if (loop.crashed()) {
      return; // a crashed process saves nothing
    }
    checkpoints.save(name, p.toString());
  }

  private void pruneIfDue(Position delivered) throws SQLException {
    if (retention == null || delivered == null) {
      return;
    }
    long now = clock.nanoTime();
    if (lastPruneNanos != 0 && now - lastPruneNanos < pruneInterval.toNanos()) {
      return;
    }
    lastPruneNanos = now;
    // Never past our own position: rows committed since our last read are not ours to delete.
    int n = PostgresInstaller.prune(connection, schema, retention, delivered.xid, delivered.id);
    if (n > 0) {
      LOG.info("feed {}: pruned {} change(s) older than {}", name, n, retention);
    }
  }

  private void waitForNotification(long millis) throws SQLException {
    // Any notification means "look again"; the payload (a schema) is not worth filtering on.
    connection.unwrap(PGConnection.class).getNotifications((int) Math.max(1, millis));
  }

  private Connection connect() throws SQLException {
    Properties p = new Properties();
    p.putAll(properties);
    p.putIfAbsent("connectTimeout", "10");
    p.putIfAbsent("tcpKeepAlive", "true");
    p.putIfAbsent("ApplicationName", "freshcache-feed-" + name);
    Connection c = DriverManager.getConnection(jdbcUrl, p);
    try {
      c.setAutoCommit(true);
      // Read-only and in autocommit, the reader never holds an xid: it does not hold back xmin.
      try (Statement st = c.createStatement()) {
        st.execute("LISTEN " + PostgresInstaller.CHANNEL);
      }
      return c;
    } catch (SQLException e) {
      c.close();
      throw e;
    }
  }

  private void closeQuietly() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // already broken
      }
    }
  }

  private String redacted() {
    return jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***");
  }

  /** Configures a {@link PostgresSource}; options are validated as they are set. */
  public static final class Builder {
    private final String name;
    private final String jdbcUrl;
    private final Properties properties = new Properties();
    private String schema = "public";
    private Checkpoints checkpoints;
    private int batchSize = 500;
    private Duration pollInterval = Duration.ofSeconds(1);
    private Duration retention;
    private Duration pruneInterval = Duration.ofMinutes(1);
    private Duration backoffInitial = Duration.ofMillis(100);
    private Duration backoffMax = Duration.ofSeconds(30);
    private Clock clock = Clock.system();

    private Builder(String name, String jdbcUrl) {
      requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("name: blank (expected: e.g. 'postgres-main')");
      }
      requireNonNull(jdbcUrl, "jdbcUrl");
      if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException("jdbcUrl: " + jdbcUrl + " (expected: jdbc:postgresql://host:port/db)");
      }
      this.name = name;
      this.jdbcUrl = jdbcUrl;
    }

    /** The schema of the changes table (as given to the installer); default {@code public}. */
    public Builder schema(String schema) {
      PostgresInstaller.quote(schema, "schema");
      this.schema = schema;
      return this;
    }

    /** Where the position is kept; required. */
    public Builder checkpoints(Checkpoints checkpoints) {
      this.checkpoints = requireNonNull(checkpoints, "checkpoints");
      return this;
    }

    /** A connection property (user, password, sslmode, ...). */
    public Builder property(String key, String value) {
      properties.setProperty(requireNonNull(key, "key"), requireNonNull(value, "value"));
      return this;
    }

    /** Rows read per query, and delivered between checkpoints; default 500. */
    public Builder batchSize(int rows) {
      if (rows < 1 || rows > 100_000) {
        throw new IllegalArgumentException("batchSize: " + rows + " (expected: 1..100000)");
      }
      this.batchSize = rows;
      return this;
    }

    /** The longest wait for a notification before reading anyway; default 1 s. */
    public Builder pollInterval(Duration interval) {
      requireNonNull(interval, "interval");
      if (interval.toMillis() < 1) {
        throw new IllegalArgumentException("pollInterval: " + interval + " (expected: >= 1ms)");
      }
      this.pollInterval = interval;
      return this;
    }

    /** Prunes changes older than this (every {@link #pruneInterval}); default: never. */
    public Builder retention(Duration retention) {
      requireNonNull(retention, "retention");
      if (retention.isNegative()) {
        throw new IllegalArgumentException("retention: " + retention + " (expected: >= 0)");
      }
      this.retention = retention;
      return this;
    }

    /** How often this source prunes when a {@link #retention} is set; default 1 min. */
    public Builder pruneInterval(Duration interval) {
      requireNonNull(interval, "interval");
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("pruneInterval: " + interval + " (expected: > 0)");
      }
      this.pruneInterval = interval;
      return this;
    }

    /** Reconnect backoff: first ceiling and largest ceiling (full jitter); default 100 ms .. 30 s. */
    public Builder backoff(Duration initial, Duration max) {
      new Backoff(initial, max); // validates
      this.backoffInitial = initial;
      this.backoffMax = max;
      return this;
    }

    /** The time source for prune scheduling. */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The source.
     *
     * @throws IllegalStateException if no {@link #checkpoints} were set
     */
    public PostgresSource build() {
      if (checkpoints == null) {
        throw new IllegalStateException("checkpoints: not set (expected: e.g."
            + " Checkpoints.directory(Path.of(\"var/checkpoints\")))");
      }
      return new PostgresSource(this);
    }
  }
}
