package io.freshcache.demo;

/**
 * Where the wiki announces changes made outside a request, such as the dashboard's simulated build
 * and bug events.
 *
 * <p>Changes made by a request (an edit) reach the proxy in that request's {@code Cache-Invalidate}
 * response header, before the response is relayed. A change made on a background thread has no
 * response to carry it, so the application calls this hook instead; {@code freshcache demo}, which
 * runs the proxy and the origin in one JVM, connects it to the proxy's cache.
 *
 * <p>Called after the change is visible to renders, on the thread that made it (never on a request
 * thread of the origin). Implementations should return quickly; an exception thrown here is logged
 * by the caller and otherwise ignored.
 */
@FunctionalInterface
public interface Invalidator {

  /**
   * Invalidates the given tags, each exact (such as {@code widget:builds} or {@code
   * page:Projects/Alpha#title}), with the same meaning as the entries of a {@code Cache-Invalidate}
   * header.
   *
   * @param tags one or more tags; never null, never containing null
   */
  void invalidate(String... tags);

  /** The default: logs each invalidation at INFO and does nothing else. */
  static Invalidator logging() {
    return LoggingInvalidator.INSTANCE;
  }
}
