package io.freshcache.proxy;

import static java.util.Objects.requireNonNull;

import io.freshcache.core.Scope;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A standalone server for the live endpoints, for applications that use the cache as a library and
 * not behind the proxy: it serves {@code /_freshcache/events} and {@code /_freshcache/live.js} on
 * its own port (404 for everything else).
 *
 * <pre>{@code
 * LiveEvents live = LiveEvents.builder().build();
 * Freshcache cache = Freshcache.builder().listener(live).build();
 * try (LiveServer server = LiveServer.start(live, new InetSocketAddress("127.0.0.1", 8081))) {
 *   ...
 * }
 * }</pre>
 *
 * Pages served by the application from another origin load the script with {@code
 * data-freshcache-endpoint="http://live.example:8081/_freshcache/events"} and need {@link
 * LiveConfig#allowOrigin()} set; better, route {@code /_freshcache/} to this port from the front
 * server so everything is same-origin (and user cookies reach it).
 */
public final class LiveServer implements AutoCloseable {
  private final EventLoopGroup group;
  private final Channel channel;

  private LiveServer(EventLoopGroup group, Channel channel) {
    this.group = group;
    this.channel = channel;
  }

  /** Starts a server for {@code hub} on {@code address}, public events only, default options. */
  public static LiveServer start(LiveEvents hub, InetSocketAddress address) throws InterruptedException {
    return start(hub, address, LiveConfig.defaults(), 0, req -> Set.of());
  }

  /**
   * Starts a server.
   *
   * @param threads event loop threads, 0 for Netty's default (twice the cores)
   * @param audienceOf see {@link LiveHandler#LiveHandler(LiveEvents, LiveConfig, Function)}
   * @throws InterruptedException if interrupted while binding
   */
  public static LiveServer start(LiveEvents hub, InetSocketAddress address, LiveConfig config, int threads,
      Function<? super HttpRequest, ? extends Set<Scope>> audienceOf) throws InterruptedException {
    requireNonNull(hub, "hub");
    requireNonNull(address, "address");
    requireNonNull(config, "config");
    requireNonNull(audienceOf, "audienceOf");
    if (threads < 0) {
      throw new IllegalArgumentException("threads: " + threads + " (expected: >= 0)");
    }
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
    try {
      Channel ch = new ServerBootstrap()
          .group(group)
          .channel(NioServerSocketChannel.class)
          .option(ChannelOption.SO_BACKLOG, 4096)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel c) {
              c.pipeline().addLast(new HttpServerCodec(), new LiveHandler(hub, config, audienceOf), NotFound.INSTANCE);
            }
          })
          .bind(address).sync().channel();
      return new LiveServer(group, ch);
    } catch (InterruptedException | RuntimeException e) {
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw e;
    }
  }

  /** The bound address (with the actual port when 0 was asked for). */
  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  /** Closes the listener and every stream, and waits for the event loops to stop. */
  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Answers what {@link LiveHandler} passed on: this server serves nothing else. */
  @io.netty.channel.ChannelHandler.Sharable
  static final class NotFound extends SimpleChannelInboundHandler<HttpObject> {
    static final NotFound INSTANCE = new NotFound();

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (msg instanceof HttpRequest req) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND,
            Unpooled.copiedBuffer("not found: " + req.uri() + "\n", StandardCharsets.UTF_8));
        res.headers()
            .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
            .setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes())
            .set(HttpHeaderNames.CONNECTION, "close");
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
