package io.freshcache.cli;

import io.freshcache.testkit.ServiceCheck;
import java.net.URI;

/**
 * The PostgreSQL the cli's tests use: {@code FRESHCACHE_PG_URL} (env or system property) or the
 * local trust-auth {@code jdbc:postgresql://127.0.0.1:5432/test?user=root}. {@link #require} skips
 * a test when it is unreachable, or fails it when {@code CI} is set (the test kit's {@link
 * ServiceCheck}).
 */
final class PostgresForTests {
  static final String URL = url();

  private PostgresForTests() {}

  private static String url() {
    String v = System.getProperty("FRESHCACHE_PG_URL", System.getenv("FRESHCACHE_PG_URL"));
    return v == null || v.isBlank() ? "jdbc:postgresql://127.0.0.1:5432/test?user=root" : v;
  }

  /** Returns if the database's host and port accept a TCP connection; else skips or fails. */
  static void require() {
    URI u = URI.create(URL.substring("jdbc:".length()));
    ServiceCheck.requireTcp("PostgreSQL", u.getHost(), u.getPort() < 0 ? 5432 : u.getPort(),
        "point them at one with FRESHCACHE_PG_URL=jdbc:postgresql://...");
  }
}
