package io.freshcache.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.function.BiConsumer;

/**
 * Connections to the origin from one event loop: a small pool of idle keep-alive connections, and
 * new ones made on the same loop, so that an origin exchange never leaves the client's thread.
 *
 * <p>Not thread-safe: every method runs on {@link #loop}.
 */
final class OriginClient {
  /** The most idle connections kept per event loop. */
  static final int MAX_IDLE = 64;

  final EventLoop loop;
  final long responseTimeoutMillis;
  private final Bootstrap bootstrap;
  private final ArrayDeque<Channel> idle = new ArrayDeque<>();
  private final ProxyStats stats;

  OriginClient(EventLoop loop, ProxyConfig config, Class<? extends Channel> channelClass, ProxyStats stats) {
    this.loop = loop;
    this.stats = stats;
    this.responseTimeoutMillis = config.originResponseTimeout().toMillis();
    this.bootstrap = new Bootstrap()
        .group(loop)
        .channel(channelClass)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.originConnectTimeout().toMillis()))
        .option(ChannelOption.AUTO_READ, false) // reads are asked for: back-pressure from the client side
        .option(ChannelOption.TCP_NODELAY, true)
        .remoteAddress(config.origin().getHost(), config.originPort())
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            // Origins are trusted more than clients, but not unboundedly: 64 KiB of header section.
            HttpDecoderConfig limits = new HttpDecoderConfig()
                .setMaxInitialLineLength(8192).setMaxHeaderSize(64 * 1024).setMaxChunkSize(64 * 1024);
            ch.pipeline().addLast("codec", new HttpClientCodec(limits, false, false));
            ch.pipeline().addLast("origin", new OriginHandler(OriginClient.this));
          }
        });
  }

  /**
   * Hands {@code done} an idle connection (reused: true) or a new one; or the connect failure.
   *
   * @param fresh skip the pool (a retry after a pooled connection turned out closed)
   */
  void acquire(boolean fresh, Acquired done) {
    if (!fresh) {
      Channel ch;
      while ((ch = idle.pollLast()) != null) {
        if (ch.isActive()) {
          done.accept(ch, true, null);
          return;
        }
        ch.close();
      }
    }
    stats.originConnects.increment();
    bootstrap.connect().addListener((ChannelFutureListener) f -> {
      if (f.isSuccess()) {
        done.accept(f.channel(), false, null);
      } else {
        done.accept(null, false, f.cause());
      }
    });
  }

  /** Callback of {@link #acquire}. */
  @FunctionalInterface
  interface Acquired {
    void accept(Channel channel, boolean reused, Throwable failure);
  }

  /** Takes back a connection whose exchange ended cleanly; closes it if the pool is full. */
  void release(Channel ch) {
    OriginHandler h = ch.pipeline().get(OriginHandler.class);
    if (h != null) {
      h.call = null;
    }
    if (ch.isActive() && idle.size() < MAX_IDLE && h != null) {
      idle.addLast(ch);
    } else {
      ch.close();
    }
  }

  /** Closes the idle connections (at shutdown). */
  void closeIdle() {
    Channel ch;
    while ((ch = idle.pollLast()) != null) {
      ch.close();
    }
  }

  void forget(Channel ch) {
    idle.remove(ch);
  }

  /** Hands an origin connection's events to the call using it. */
  static final class OriginHandler extends ChannelInboundHandlerAdapter {
    private final OriginClient client;
    /** The exchange in progress, or null while idle. Only touched on the event loop. */
    OriginCall call;

    OriginHandler(OriginClient client) {
      this.client = client;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      OriginCall c = call;
      if (c == null) {
        ReferenceCountUtil.release(msg); // an origin talking out of turn: nothing to give it to
        ctx.close();
        return;
      }
      c.onMessage(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      OriginCall c = call;
      if (c != null) {
        c.onClosed(null);
      } else {
        client.forget(ctx.channel());
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      OriginCall c = call;
      ctx.close();
      if (c != null) {
        c.onClosed(cause);
      }
    }
  }
}
