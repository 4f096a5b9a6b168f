package io.freshcache.cli;

import io.freshcache.core.Freshcache;
import io.freshcache.feeds.ChangeSource;
import io.freshcache.feeds.Feeds;
import io.freshcache.feeds.Rules;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code serve} runs: the proxy and, with {@code --feeds}, the feeds that invalidate its
 * cache. Closing stops the feeds first, so each source checkpoints what it delivered while the
 * cache is still there, and then the proxy.
 */
final class ServeRuntime implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServeRuntime.class);

  /** A started proxy as {@code serve} sees it. A lambda is one without a cache (test fakes). */
  interface Proxy extends AutoCloseable {
    /** The proxy's cache, which feeds invalidate; null if it has none to offer. */
    default Freshcache cache() {
      return null;
    }
  }

  private final Proxy proxy;
  private final Feeds feeds;

  private ServeRuntime(Proxy proxy, Feeds feeds) {
    this.proxy = proxy;
    this.feeds = feeds;
  }

  /** The proxy alone. */
  static ServeRuntime of(Proxy proxy) {
    return new ServeRuntime(proxy, null);
  }

  /**
   * The proxy, and feeds from {@code rules} and {@code sources} on its cache, started.
   *
   * @throws IllegalStateException if the proxy has no cache or a source cannot start; the proxy is
   *     left running (the caller closes it)
   */
  static ServeRuntime withFeeds(Proxy proxy, Rules rules, List<ChangeSource> sources) {
    Freshcache cache = proxy.cache();
    if (cache == null) {
      throw new IllegalStateException("feeds: the proxy offers no cache to invalidate");
    }
    Feeds.Builder b = Feeds.builder(cache).rules(rules);
    sources.forEach(b::source);
    Feeds feeds = b.build();
    try {
      feeds.start();
    } catch (RuntimeException e) {
      feeds.close(); // the sources that did start
      throw e;
    }
    return new ServeRuntime(proxy, feeds);
  }

  /** Stops the feeds (each source saves its checkpoint), then the proxy. */
  @Override
  public void close() throws Exception {
    if (feeds != null) {
      try {
        feeds.close();
        LOG.info("feeds stopped: {}", feeds.stats());
      } catch (RuntimeException e) {
        LOG.error("the feeds did not stop cleanly", e);
      }
    }
    proxy.close();
  }
}
