package io.freshcache.feeds;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;
import org.opentest4j.TestAbortedException;

/** The condition behind {@link RequiresService}; {@link #require} is the same decision in code. */
public final class ServiceCheck implements ExecutionCondition {

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
    String message = message(r.name(), address, r.env(), problem);
    if (inCi()) {
      throw new AssertionError(message + " CI is set, so this is a failure, not a skip.");
    }
    System.err.println("[SKIPPED] " + context.getDisplayName() + ": " + message);
    return ConditionEvaluationResult.disabled(message + " Skipped (set CI=1 to make this fail).");
  }

  /**
   * Returns if {@code address} (or the override in {@code env}) accepts a TCP connection; otherwise
   * aborts the current test (skip) or, when {@code CI} is set, fails it.
   */
  public static void require(String service, String address, String env) {
    String a = address(address, env);
    String problem = probe(a);
    if (problem == null) {
      return;
    }
    String message = message(service, a, env, problem);
    if (inCi()) {
      throw new AssertionError(message + " CI is set, so this is a failure, not a skip.");
    }
    throw new TestAbortedException(message + " Skipped (set CI=1 to make this fail).");
  }

  static boolean inCi() {
    String ci = System.getenv("CI");
    return ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false");
  }

  private static String address(String fallback, String env) {
    if (env.isEmpty()) {
      return fallback;
    }
    String v = System.getProperty(env, System.getenv(env));
    return v == null || v.isBlank() ? fallback : v.strip();
  }

  private static String message(String service, String address, String env, String problem) {
    return service + " is unreachable at " + address + " (" + problem + ")."
        + (env.isEmpty() ? "" : " Point the tests elsewhere with " + env + "=host:port.");
  }

  /** Null if a TCP connection succeeds, else why not. */
  private static String probe(String address) {
    int colon = address.lastIndexOf(':');
    if (colon < 0) {
      return "not host:port";
    }
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address.substring(0, colon),
          Integer.parseInt(address.substring(colon + 1))), 1000);
      return null;
    } catch (IOException | RuntimeException e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }
}
