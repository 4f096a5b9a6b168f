package io.freshcache.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.opentest4j.TestAbortedException;

/**
 * The PostgreSQL the cli's tests use: {@code FRESHCACHE_PG_URL} (env or system property) or the
 * local trust-auth {@code jdbc:postgresql://127.0.0.1:5432/test?user=root}. {@link #require} skips
 * a test when it is unreachable, or fails it when {@code CI} is set: the decision of feeds'
 * test-only {@code ServiceCheck}, repeated here rather than shipping a test jar for 20 lines.
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
    java.net.URI u = java.net.URI.create(URL.substring("jdbc:".length()));
    String address = u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort());
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(u.getHost(), u.getPort() < 0 ? 5432 : u.getPort()), 1000);
    } catch (IOException e) {
      String message = "PostgreSQL is unreachable at " + address + " (" + e + "). Point the tests elsewhere"
          + " with FRESHCACHE_PG_URL=jdbc:postgresql://...";
      String ci = System.getenv("CI");
      if (ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false")) {
        throw new AssertionError(message + " CI is set, so this is a failure, not a skip.");
      }
      throw new TestAbortedException(message + " Skipped (set CI=1 to make this fail).");
    }
  }
}
