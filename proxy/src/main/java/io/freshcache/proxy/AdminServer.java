package io.freshcache.proxy;

import static java.util.Objects.requireNonNull;

import io.freshcache.core.Clock;
import io.freshcache.core.Freshcache;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener: a small HTTP/1.1 server on {@link ProxyConfig#admin()}, apart from the data
 * path, on its own single event loop thread.
 *
 * <ul>
 *   <li>{@code POST /invalidate} with {@code {"tags":[...], "prefixes":[...], "urls":[...]}}: validates
 *       every item, then invalidates them all ({@link InvalidateRequest});
 *   <li>{@code GET /stats}: the cache's counters and the data path's ({@link AdminActions#proxyStats});
 *   <li>{@code GET /metrics}: the Prometheus scrape of the registry;
 *   <li>{@code GET /health}: {@code ok}, without authorization.
 * </ul>
 *
 * When {@link ProxyConfig#adminToken()} is set every other endpoint requires {@code Authorization:
 * Bearer <token>}; without one the listener is on loopback and accepts only loopback Host values.
 * The contract, with status codes and examples, is docs/admin.md.
 *
 * <p>Lifecycle: construct, {@link #start()}, {@link #close()}. Thread-safe; close is idempotent.
 */
final class AdminServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

  /** The largest request body; beyond it, 413. Enough for {@link #MAX_ITEMS} short tags. */
  static final int MAX_BODY_BYTES = 64 * 1024;
  /** The most tags, prefixes and URLs in one {@code POST /invalidate}; beyond it, 413. */
  static final int MAX_ITEMS = 10_000;
  /** The longest URL accepted in {@code "urls"}. */
  static final int MAX_URL_LENGTH = 8192;
  /** Idle keep-alive connections are closed after this long. */
  private static final int IDLE_SECONDS = 60;

  private final InetSocketAddress address;
  private final String token;
  private final AdminHandler handler;
  private final EventLoopGroup group;
  /** The bound server channel; written once by start(), read by any thread. */
  private volatile Channel channel;

  /**
   * An admin server for {@code config.admin()}, not yet listening.
   *
   * @param config its {@code admin} address (required) and {@code adminToken} (null: none required)
   * @param cache what {@code /invalidate} invalidates and {@code /stats} reports
   * @param registry what {@code /metrics} scrapes; the caller binds the cache and its own meters to it
   * @param actions the data path's part: URL removal and its counters
   * @throws IllegalArgumentException if {@code config.admin()} is null
   */
  AdminServer(ProxyConfig config, Freshcache cache, PrometheusMeterRegistry registry, AdminActions actions) {
    requireNonNull(config, "config");
    requireNonNull(cache, "cache");
    requireNonNull(registry, "registry");
    requireNonNull(actions, "actions");
    if (config.admin() == null) {
      throw new IllegalArgumentException("admin: none (expected: an admin address in the ProxyConfig)");
    }
    this.address = config.admin();
    this.token = config.adminToken();
    this.handler = new AdminHandler(cache, registry, actions, token, Clock.system());
    this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  /**
   * Binds and starts serving; returns when the socket is bound.
   *
   * @throws IllegalStateException if the address cannot be bound (in use, not local), naming it
   */
  AdminServer start() {
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline()
                .addLast(new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS))
                .addLast(new HttpServerCodec())
                .addLast(new JsonErrorAggregator(MAX_BODY_BYTES, handler))
                .addLast(handler);
          }
        });
    try {
      channel = b.bind(address).syncUninterruptibly().channel();
    } catch (Exception e) { // Netty rethrows a BindException as is: checked, but undeclared
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw new IllegalStateException("admin: cannot listen on " + address.getHostString() + ":" + address.getPort()
          + ": " + e.getMessage(), e);
    }
    InetSocketAddress bound = localAddress();
    LOG.info("admin API listening on http://{}:{} ({})", bound.getHostString(), bound.getPort(),
        token == null ? "no token: loopback only" : "bearer token required");
    return this;
  }

  /** The bound address (its port is the real one when configured as 0). */
  InetSocketAddress localAddress() {
    Channel ch = channel;
    if (ch == null) {
      throw new IllegalStateException("admin: not started");
    }
    return (InetSocketAddress) ch.localAddress();
  }

  /** Stops listening, closes open admin connections and waits for the event loop to end. */
  @Override
  public void close() {
    Channel ch = channel;
    if (ch != null) {
      ch.close().syncUninterruptibly();
    }
    // No quiet period: admin requests are short, and a shutdown should not wait for idle clients.
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /**
   * {@link HttpObjectAggregator} answering an oversized body with the admin API's JSON error instead
   * of an empty 413, after the checks the head alone allows (Host, token): a client without the token
   * learns nothing about the limit.
   */
  private static final class JsonErrorAggregator extends HttpObjectAggregator {
    private final AdminHandler handler;

    JsonErrorAggregator(int maxContentLength, AdminHandler handler) {
      super(maxContentLength);
      this.handler = handler;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
      if (!(oversized instanceof HttpRequest req)) {
        super.handleOversizedMessage(ctx, oversized);
        return;
      }
      LOG.info("admin: refused a body over {} bytes from {}", MAX_BODY_BYTES, ctx.channel().remoteAddress());
      // As Netty: a full message or one whose sender will not wait must close; otherwise the
      // aggregator skips the rest of the body and the connection stays usable (closing while the
      // client still sends would reset the connection before it reads the answer).
      boolean close = oversized instanceof FullHttpMessage
          || !HttpUtil.is100ContinueExpected(oversized) && !HttpUtil.isKeepAlive(oversized);
      handler.refuseOversized(ctx, req, AdminHandler.Response.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
          "body: larger than " + MAX_BODY_BYTES + " bytes (expected: at most " + MAX_BODY_BYTES
              + " bytes; split the request)"), close);
    }
  }
}
