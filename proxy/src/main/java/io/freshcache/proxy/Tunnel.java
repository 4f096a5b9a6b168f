package io.freshcache.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One direction of a connection switched to another protocol (a WebSocket, after the origin's
 * {@code 101 Switching Protocols}): the bytes read from one channel are written to the other, as
 * they are, with back-pressure (the next read is asked for once the previous bytes were written).
 * When either side closes or fails, both are closed (after what was already read has been written);
 * a tunnel with no byte either way for its idle timeout is closed too.
 *
 * <p>{@link #join} retires the HTTP handlers of both pipelines. Bytes the origin's decoder had read
 * past its 101 (a first frame in the same packet) are not lost: a removed decoder hands what it
 * holds to the next handler, the tunnel. A client must not send before the 101 (RFC 6455 section
 * 4.1), so its decoder holds nothing of the new protocol.
 */
final class Tunnel extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(Tunnel.class);

  private final Channel peer;
  private final LongAdder bytes;

  private Tunnel(Channel peer, LongAdder bytes) {
    this.peer = peer;
    this.bytes = bytes;
  }

  /**
   * Joins {@code client} and {@code origin}, both on one event loop and in it: every handler of both
   * pipelines goes, the client's {@code decoderName} last, so that what it still holds reaches the
   * origin through the tunnel. The caller has written the 101 to the client (its encoder has run).
   *
   * @param bytesIn counts the bytes from the client to the origin
   * @param bytesOut counts the bytes from the origin to the client
   */
  static void join(Channel client, Channel origin, String decoderName, Duration idle, LongAdder bytesIn,
      LongAdder bytesOut) {
    ChannelPipeline cp = client.pipeline();
    ChannelPipeline op = origin.pipeline();
    cp.addLast("idle", new IdleStateHandler(0, 0, idle.toMillis(), TimeUnit.MILLISECONDS));
    cp.addLast("tunnel", new Tunnel(origin, bytesIn));
    op.addLast("tunnel", new Tunnel(client, bytesOut));
    removeAllBut(cp, decoderName);
    removeAllBut(op, null); // the origin's response decoder hands its leftover to the client now
    cp.remove(decoderName); // and the client's request decoder its own to the origin
    if (!client.isActive() || !origin.isActive()) {
      // A side that closed before it had a tunnel handler will not say so again: end both now,
      // after what was already handed over has been written.
      client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      origin.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    client.read();
    origin.read();
  }

  /**
   * Removes every handler of {@code p} but the tunnel's own, and {@code keep}, the last first: a
   * decoder hands its leftover bytes to the handler after it as it goes, which must be the tunnel by
   * then.
   */
  private static void removeAllBut(ChannelPipeline p, String keep) {
    List<String> names = new ArrayList<>(p.names());
    Collections.reverse(names);
    for (String name : names) {
      if (!name.equals("idle") && !name.equals("tunnel") && !name.equals(keep) && p.context(name) != null) {
        p.remove(name);
      }
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf b)) {
      // What a removed HTTP decoder still emitted for the handshake itself (the 101's empty end).
      ReferenceCountUtil.release(msg);
      return;
    }
    if (!b.isReadable()) {
      b.release();
      return;
    }
    bytes.add(b.readableBytes());
    peer.writeAndFlush(b).addListener((ChannelFutureListener) f -> {
      if (f.isSuccess()) {
        ctx.channel().read();
      } else {
        ctx.close();
        peer.close();
      }
    });
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    // What was read from this side before it closed is written before the other side closes.
    peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    ctx.fireChannelInactive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      LOG.debug("tunnel {} idle: closed", ctx.channel().remoteAddress());
      ctx.close();
      peer.close();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException) {
      LOG.debug("tunnel {}: {}", ctx.channel().remoteAddress(), cause.toString());
    } else {
      LOG.warn("tunnel {} failed", ctx.channel().remoteAddress(), cause);
    }
    ctx.close();
    peer.close();
  }
}
