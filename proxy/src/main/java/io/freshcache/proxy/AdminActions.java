package io.freshcache.proxy;

import java.util.Map;

/**
 * What the admin API ({@link AdminServer}) asks of the proxy's data path, which implements it.
 *
 * <p>Both methods are called on the admin listener's own event loop thread, never on a data-path
 * event loop, so they may take a little time (a removal walks the store) but should not block on
 * the network.
 */
interface AdminActions {

  /**
   * Removes every cached entry of the resource a URL names, across variants and scopes (all users'
   * copies), and returns how many were removed.
   *
   * <p>{@code url} has been validated by the admin server: it is either an absolute path with an
   * optional query ({@code /wiki/Home?action=print}) or an absolute {@code http}/{@code https} URL
   * with a host ({@code http://example.org/wiki/Home}), without fragment, white space or control
   * characters, at most {@value AdminServer#MAX_URL_LENGTH} characters. The implementation maps it
   * to cache resources the same way requests are keyed (scheme and host of an absolute URL are
   * ignored or checked against the origin: its choice), for example by calling {@code
   * Freshcache.removeResource}.
   *
   * <p>It should not throw for a URL that maps to nothing (return 0). If it throws anyway, the admin
   * request fails with 500 and the invalidations applied before it stay applied.
   */
  int invalidateUrl(String url);

  /**
   * Counters of the data path (requests, origin fetches, errors, ...) for {@code GET /stats}: names
   * to numbers, strings, booleans, or nested maps and lists of them. Called once per request;
   * should be cheap. An exception is logged and the counters are left out.
   */
  Map<String, Object> proxyStats();

  /** Actions for a proxy without a data path (tests, tools): no URL maps to an entry, no counters. */
  static AdminActions none() {
    return new AdminActions() {
      @Override
      public int invalidateUrl(String url) {
        return 0;
      }

      @Override
      public Map<String, Object> proxyStats() {
        return Map.of();
      }
    };
  }
}
