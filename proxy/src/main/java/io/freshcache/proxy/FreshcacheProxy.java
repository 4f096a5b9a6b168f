package io.freshcache.proxy;

import static java.util.Objects.requireNonNull;

import io.freshcache.core.Freshcache;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The caching reverse proxy: HTTP/1.1 clients in front, one origin behind, a {@link Freshcache} in
 * between. See docs/http.md for the contract (headers read and written, caching rules, limits).
 *
 * <pre>{@code
 * try (FreshcacheProxy proxy = FreshcacheProxy.start(ProxyConfig.builder(URI.create("http://127.0.0.1:3000")).build())) {
 *   ... proxy.address() ...
 * }
 * }</pre>
 *
 * <p>Threading: one event loop group (NIO, or epoll with {@link ProxyConfig#transport()}) runs the client
 * connections and, on the same threads, their origin connections. All methods are thread-safe.
 */
public final class FreshcacheProxy implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FreshcacheProxy.class);

  private final ProxyRuntime rt;
  private final EventLoopGroup group;
  /** The admin listener, or null when none is configured. */
  private final AdminServer admin;
  private final Channel server;
  private final boolean ownsCache;
  private final InetSocketAddress address;
  // Guards close(): it runs once.
  private final Object closeLock = new Object();
  private boolean closed;

  private FreshcacheProxy(ProxyRuntime rt, EventLoopGroup group, Channel server, boolean ownsCache, AdminServer admin) {
    this.rt = rt;
    this.group = group;
    this.admin = admin;
    this.server = server;
    this.ownsCache = ownsCache;
    this.address = (InetSocketAddress) server.localAddress();
  }

  /**
   * Starts a proxy with a cache of its own (bounded by {@link ProxyConfig#maximumBytes()}), and returns
   * once it listens.
   *
   * @throws IllegalStateException if the listen address cannot be bound (in use, not local)
   */
  public static FreshcacheProxy start(ProxyConfig config) {
    return start(config, null, null);
  }

  /**
   * Starts a proxy in front of {@code cache}, registering its counters under {@code freshcache.proxy.*}
   * in {@code registry}. Returns once it listens.
   *
   * @param cache the cache to use, or null for one of its own (closed with the proxy)
   * @param registry where to register meters, or null
   * @throws IllegalStateException if the listen address cannot be bound (in use, not local)
   */
  public static FreshcacheProxy start(ProxyConfig config, Freshcache cache, MeterRegistry registry) {
    requireNonNull(config, "config");
    boolean owns = cache == null;
    // The admin listener serves /metrics from a Prometheus registry: the caller's if it is one.
    PrometheusMeterRegistry prometheus = null;
    if (config.admin() != null) {
      prometheus = registry instanceof PrometheusMeterRegistry p ? p : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }
    // Live push needs the cache's events, so it is fed only by a cache the proxy builds itself.
    LiveEvents live = LiveEvents.builder().normalizer(FreshcacheProxy::liveId).build();
    if (owns) {
      // Our own render timeout must outlast the origin timeouts: the origin call ends first and
      // reports why (502 or 504).
      Duration renderTimeout = config.originConnectTimeout().plus(config.originResponseTimeout()).plusSeconds(5);
      // Shorter bodies are kept as they came (ProxyConfig.Builder.compressionMinBytes says why 1 KiB).
      var b = Freshcache.builder().maximumBytes(config.maximumBytes()).renderTimeout(renderTimeout).listener(live)
          .compressionThreshold(config.compressionMinBytes()).storedEncoding(config.compression());
      if (!config.rebuild().isEmpty()) {
        var matches = PathGlob.anyOf(config.rebuild());
        b.rebuild(key -> key.scope().equals(io.freshcache.core.Scope.PUBLIC) && matches.test(key.resource()))
            .rebuildRate(config.rebuildRate())
            .rebuildConcurrency(config.rebuildConcurrency());
      }
      if (registry != null) {
        b.meterRegistry(registry);
      }
      cache = b.build();
      if (prometheus != null && prometheus != registry) {
        cache.bindTo(prometheus);
      }
    } else if (prometheus != null && prometheus != registry) {
      cache.bindTo(prometheus);
    }
    boolean epoll = config.transport().equals("epoll") && Epoll.isAvailable();
    if (config.transport().equals("epoll") && !epoll) {
      LOG.warn("transport epoll is not available here ({}); using nio", String.valueOf(Epoll.unavailabilityCause()));
    }
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> serverClass = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    Class<? extends Channel> clientClass = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    int threads = config.ioThreads() == 0 ? Runtime.getRuntime().availableProcessors() : config.ioThreads();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, io);
    ChannelGroup clients = new DefaultChannelGroup("freshcache-clients", GlobalEventExecutor.INSTANCE);
    ProxyRuntime rt = new ProxyRuntime(config, cache, live, clientClass, clients);
    Channel server;
    try {
      server = new ServerBootstrap()
          .group(group)
          .channel(serverClass)
          .option(ChannelOption.SO_BACKLOG, 1024)
          .childOption(ChannelOption.AUTO_READ, false) // reads are asked for, one request at a time
          // No TCP_NODELAY option: Netty's socket channels turn it on when they are made, and setting
          // it again cost a system call per accepted connection (NettyDefaultsTest checks the default).
          .childHandler(new ProxyInitializer(rt))
          .bind(config.listen())
          .syncUninterruptibly()
          .channel();
    } catch (Exception e) {
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      if (owns) {
        cache.close();
      }
      throw new IllegalStateException("listen: cannot bind " + config.listen().getHostString() + ":"
          + config.listen().getPort() + ": " + e.getMessage() + " (expected: a free local address and port)", e);
    }
    AdminServer admin = null;
    if (prometheus != null) {
      try {
        admin = new AdminServer(config, cache, prometheus, new Actions(rt));
        admin.start();
      } catch (RuntimeException e) {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        if (owns) {
          cache.close();
        }
        throw e;
      }
    }
    FreshcacheProxy proxy = new FreshcacheProxy(rt, group, server, owns, admin);
    if (registry != null) {
      proxy.bindTo(registry);
    }
    if (prometheus != null && prometheus != registry) {
      proxy.bindTo(prometheus);
    }
    LOG.info("proxy listening on {} for origin {} ({}, {} threads)", proxy.address, config.origin(),
        epoll ? "epoll" : "nio", threads);
    return proxy;
  }

  /** The body files of this proxy, or null (tests). */
  BodyFiles bodyFiles() {
    return rt.bodyFiles;
  }

  /** A live-push subscription id (a page's path and query) as the resource its cache key uses. */
  private static String liveId(String pathAndQuery) {
    String resource = RequestTarget.resource(pathAndQuery);
    return resource != null ? resource : pathAndQuery;
  }

  /** The data path's side of the admin API. */
  private record Actions(ProxyRuntime rt) implements AdminActions {
    @Override
    public int invalidateUrl(String url) {
      return rt.removeUrl(url);
    }

    @Override
    public Map<String, Object> proxyStats() {
      return rt.counters();
    }
  }

  /** The admin listener's bound address, or null when none is configured. */
  public InetSocketAddress adminAddress() {
    return admin == null ? null : admin.localAddress();
  }

  /** The bound address (with the actual port when the configuration asked for port 0). */
  public InetSocketAddress address() {
    return address;
  }

  /** The cache behind the proxy. */
  public Freshcache cache() {
    return rt.cache;
  }

  /**
   * Removes every cached variant and scope of one resource, race-free ({@link Freshcache#removeResource}).
   * The argument is normalized like a request target: {@code /wiki/Foo?x=1} or {@code
   * http://host/wiki/Foo?x=1}.
   *
   * @return how many entries were removed
   * @throws IllegalArgumentException if it is not a path or http URL
   */
  public int invalidateUrl(String pathOrUrl) {
    requireNonNull(pathOrUrl, "pathOrUrl");
    if (RequestTarget.resource(pathOrUrl.trim()) == null) {
      throw new IllegalArgumentException("pathOrUrl: '" + Fields.printable(pathOrUrl)
          + "' (expected: a path such as /wiki/Foo or an http URL)");
    }
    return rt.removeUrl(pathOrUrl.trim());
  }

  /**
   * The proxy's counters: requests, hits, misses, passes, coalesced, staleServed, notModified,
   * originRequests, originConnects, originErrors, clientErrors, clientTimeouts, bytesOut, esiAssemblies, esiErrors,
   * transcodes (bodies converted from their stored coding for a client), interimResponses (103 Early
   * Hints and other 1xx forwarded to clients), upgrades (connections tunnelled after a 101, such as
   * WebSockets) with tunnelBytesIn and tunnelBytesOut, inFlight, and the cache's
   * entries and storedBytes.
   */
  public Map<String, Object> stats() {
    Map<String, Object> m = rt.counters();
    var cs = rt.cache.stats();
    m.put("entries", cs.entryCount());
    m.put("storedBytes", cs.storedBytes());
    return m;
  }

  private void bindTo(MeterRegistry registry) {
    counter(registry, "requests", rt.stats.requests);
    counter(registry, "hits", rt.stats.hits);
    counter(registry, "misses", rt.stats.misses);
    counter(registry, "passes", rt.stats.passes);
    counter(registry, "coalesced", rt.stats.coalesced);
    counter(registry, "stale.served", rt.stats.staleServed);
    counter(registry, "not.modified", rt.stats.notModified);
    counter(registry, "origin.requests", rt.stats.originRequests);
    counter(registry, "origin.errors", rt.stats.originErrors);
    counter(registry, "client.errors", rt.stats.clientErrors);
    counter(registry, "transcodes", rt.stats.transcodes);
    counter(registry, "interim.responses", rt.stats.interimResponses);
    counter(registry, "upgrades", rt.stats.upgrades);
    counter(registry, "tunnel.bytes.in", rt.stats.tunnelBytesIn);
    counter(registry, "tunnel.bytes.out", rt.stats.tunnelBytesOut);
    counter(registry, "client.timeouts", rt.stats.clientTimeouts);
    FunctionCounter.builder("freshcache.proxy.bytes.out", rt.stats.bytesOut, LongAdder::sum).baseUnit("bytes")
        .register(registry);
    Gauge.builder("freshcache.proxy.in.flight", rt.inFlight, Number::doubleValue).register(registry);
  }

  private static void counter(MeterRegistry registry, String name, LongAdder adder) {
    FunctionCounter.builder("freshcache.proxy." + name, adder, LongAdder::sum).register(registry);
  }

  /**
   * Graceful shutdown: stops accepting, closes idle connections, lets requests in progress finish for
   * up to {@link ProxyConfig#shutdownGrace()}, then closes everything (and the cache, if the proxy
   * made it). Idempotent.
   */
  @Override
  public void close() {
    synchronized (closeLock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    long t0 = System.nanoTime();
    rt.closing = true;
    if (admin != null) {
      admin.close();
    }
    server.close().syncUninterruptibly();
    for (Channel ch : rt.clients) {
      ProxyHandler h = ch.pipeline().get(ProxyHandler.class);
      if (h != null) {
        ch.eventLoop().execute(h::closeIfIdle);
      }
    }
    long deadline = t0 + rt.config.shutdownGrace().toNanos();
    while (rt.inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    int left = rt.inFlight.get();
    rt.clients.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    rt.closeOriginConnections();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    if (ownsCache) {
      rt.cache.close();
    }
    LOG.info("proxy on {} stopped in {} ms{}", address, (System.nanoTime() - t0) / 1_000_000,
        left > 0 ? " (" + left + " requests cut off after the grace period)" : "");
  }
}
