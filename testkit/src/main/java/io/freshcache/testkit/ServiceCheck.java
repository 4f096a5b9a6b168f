package io.freshcache.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;
import org.opentest4j.TestAbortedException;

/**
 * The condition behind {@link RequiresService}, and the same decision in code: when a service a
 * test needs is missing, the test is skipped with a message saying what was missing and how to
 * get it on a developer's machine, and fails when the environment variable {@code CI} is set,
 * because there a missing service is a broken setup, not a reason to pass quietly.
 *
 * <p>Stateless and thread-safe.
 */
public final class ServiceCheck implements ExecutionCondition {
  private static final int CONNECT_TIMEOUT_MILLIS = 1_000;

  /** Made by JUnit for {@link RequiresService}. */
  public ServiceCheck() {}

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    Optional<RequiresService> a = context.getElement()
        .flatMap(e -> AnnotationSupport.findAnnotation(e, RequiresService.class));
    if (a.isEmpty()) {
      return ConditionEvaluationResult.enabled("no @RequiresService");
    }
    RequiresService r = a.get();
    String address = address(r.address(), r.env());
    String problem = probe(address);
    if (problem == null) {
      return ConditionEvaluationResult.enabled(r.name() + " reachable at " + address);
    }
    String message = message(r.name(), address, r.env(), r.howToStart(), problem);
    if (inCi()) {
      throw new AssertionError(failure(message));
    }
    System.err.println("[SKIPPED] " + context.getDisplayName() + ": " + message);
    return ConditionEvaluationResult.disabled(skip(message));
  }

  /**
   * Returns if {@code address} (or the override in the environment variable or system property
   * {@code env}, if not empty) accepts a TCP connection; otherwise skips the current test or, when
   * {@code CI} is set, fails it.
   *
   * @throws TestAbortedException to skip
   * @throws AssertionError to fail
   */
  public static void require(String service, String address, String env) {
    String a = address(address, env);
    String problem = probe(a);
    if (problem != null) {
      unavailable(message(service, a, env, "", problem));
    }
  }

  /**
   * Returns if {@code host:port} accepts a TCP connection; otherwise skips the current test or,
   * when {@code CI} is set, fails it, with {@code howToStart} in the message.
   *
   * @throws TestAbortedException to skip
   * @throws AssertionError to fail
   */
  public static void requireTcp(String service, String host, int port, String howToStart) {
    String a = host + ":" + port;
    String problem = probe(a);
    if (problem != null) {
      unavailable(message(service, a, "", howToStart, problem));
    }
  }

  /**
   * Skips the current test (or, when {@code CI} is set, fails it) with {@code message}. Never
   * returns normally.
   *
   * @throws TestAbortedException to skip
   * @throws AssertionError to fail
   */
  public static void unavailable(String message) {
    if (inCi()) {
      throw new AssertionError(failure(message));
    }
    throw new TestAbortedException(skip(message));
  }

  /** Whether this is a CI run: {@code CI} set to anything but empty or {@code false}. */
  public static boolean inCi() {
    String ci = System.getenv("CI");
    return ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false");
  }

  private static String failure(String message) {
    return message + " CI is set, so this is a failure, not a skip.";
  }

  private static String skip(String message) {
    return message + " Skipped (set CI=1 to make this fail).";
  }

  private static String address(String fallback, String env) {
    if (env.isEmpty()) {
      return fallback;
    }
    String v = System.getProperty(env, System.getenv(env));
    return v == null || v.isBlank() ? fallback : v.strip();
  }

  private static String message(String service, String address, String env, String howToStart,
      String problem) {
    return service + " is unreachable at " + address + " (" + problem + ")."
        + (env.isEmpty() ? "" : " Point the tests elsewhere with " + env + "=host:port.")
        + (howToStart.isEmpty() ? "" : " To run them, " + howToStart + ".");
  }

  /** Null if a TCP connection succeeds, else why not. */
  private static String probe(String address) {
    int colon = address.lastIndexOf(':');
    if (colon < 0) {
      return "not host:port";
    }
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address.substring(0, colon),
          Integer.parseInt(address.substring(colon + 1))), CONNECT_TIMEOUT_MILLIS);
      return null;
    } catch (IOException | RuntimeException e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }
}
