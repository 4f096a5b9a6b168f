package io.freshcache.feeds.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Decides what a test does when a service it needs is not there: skipped, with a message saying
 * what was missing and how to get it, on a developer's machine; failed when the environment
 * variable {@code CI} is set, because there a missing service is a broken setup, not a reason to
 * pass quietly.
 */
public final class SkipOrFail {
  private SkipOrFail() {}

  /** Whether this is a CI run ({@code CI} set to anything but empty or {@code false}). */
  public static boolean inCi() {
    String ci = System.getenv("CI");
    return ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false");
  }

  /** Skips (or, in CI, fails) the test unless {@code host:port} accepts a TCP connection. */
  public static void requireTcp(String service, String host, int port, String howToStart) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 1_000);
    } catch (IOException e) {
      unavailable(service + " is not reachable at " + host + ":" + port + " (" + e.getMessage()
          + "); " + howToStart);
    }
  }

  /** Skips (or, in CI, fails) the test with {@code message}. Never returns normally. */
  public static void unavailable(String message) {
    if (inCi()) {
      Assertions.fail("CI is set, so a missing service fails the test: " + message);
    }
    Assumptions.abort("skipped: " + message + " (with CI set this fails)");
  }
}
