package io.freshcache.cli;

import io.freshcache.demo.DemoOptions;
import io.freshcache.demo.DemoWiki;
import io.freshcache.proxy.FreshcacheProxy;
import io.freshcache.proxy.ProxyConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;

/**
 * The demo as one process: the demo wiki (an ordinary origin application) on a free loopback port,
 * and the Freshcache proxy in front of it, configured as a user would run it for that wiki (users by
 * the {@code demo_user} cookie, ESI on, live push on). The wiki's background events (dashboard
 * widgets) are connected to the proxy's cache in-process, since they have no response to carry a
 * {@code Cache-Invalidate} header.
 */
final class DemoServer implements AutoCloseable {
  final DemoWiki wiki;
  final FreshcacheProxy proxy;

  private DemoServer(DemoWiki wiki, FreshcacheProxy proxy) {
    this.wiki = wiki;
    this.proxy = proxy;
  }

  /**
   * Starts the wiki, then the proxy on {@code listen}.
   *
   * @throws IllegalStateException if the proxy cannot listen there (the port is taken)
   */
  static DemoServer start(InetSocketAddress listen, DemoOptions options, boolean accessLog) {
    DemoWiki wiki;
    try {
      wiki = DemoWiki.start(new InetSocketAddress("127.0.0.1", 0), options);
    } catch (IOException e) {
      throw new UncheckedIOException("demo wiki: cannot start: " + e.getMessage(), e);
    }
    try {
      ProxyConfig config = ProxyConfig.builder(URI.create("http://127.0.0.1:" + wiki.port()))
          .listen(listen)
          .userCookie(DemoWiki.USER_COOKIE)
          .accessLog(accessLog)
          .shutdownGrace(Duration.ofSeconds(2))
          .build();
      FreshcacheProxy proxy = FreshcacheProxy.start(config);
      wiki.setInvalidator(tags -> proxy.cache().invalidate(tags));
      return new DemoServer(wiki, proxy);
    } catch (RuntimeException e) {
      wiki.close();
      throw e;
    }
  }

  /** Where a browser goes: the proxy. */
  URI uri() {
    InetSocketAddress a = proxy.address();
    String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getHostString();
    return URI.create("http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort() + "/");
  }

  @Override
  public void close() {
    try {
      proxy.close();
    } finally {
      wiki.close();
    }
  }
}
