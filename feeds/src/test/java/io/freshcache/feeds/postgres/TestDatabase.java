package io.freshcache.feeds.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A unique schema in the test database, dropped on close, so reruns and parallel runs are clean.
 * The database is {@code FRESHCACHE_PG_URL} (env or system property) or the local trust-auth
 * {@code jdbc:postgresql://127.0.0.1:5432/test?user=root}.
 */
final class TestDatabase implements AutoCloseable {
  static final String ADDRESS_ENV = "FRESHCACHE_PG_ADDRESS";
  static final String URL = url();
  final String schema;

  TestDatabase(String purpose) throws SQLException {
    this.schema = "fc_" + purpose + "_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    exec("CREATE SCHEMA " + schema);
  }

  private static String url() {
    String v = System.getProperty("FRESHCACHE_PG_URL", System.getenv("FRESHCACHE_PG_URL"));
    if (v != null && !v.isBlank()) {
      return v;
    }
    String address = System.getProperty(ADDRESS_ENV, System.getenv(ADDRESS_ENV));
    return "jdbc:postgresql://" + (address == null || address.isBlank() ? "127.0.0.1:5432" : address)
        + "/test?user=root";
  }

  Connection connect() throws SQLException {
    Connection c = DriverManager.getConnection(URL);
    try (Statement st = c.createStatement()) {
      st.execute("SET search_path TO " + schema);
    }
    return c;
  }

  void exec(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(URL); Statement st = c.createStatement()) {
      if (!sql.startsWith("CREATE SCHEMA")) {
        st.execute("SET search_path TO " + schema);
      }
      st.execute(sql);
    }
  }

  @Override
  public void close() throws SQLException {
    exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  }
}
