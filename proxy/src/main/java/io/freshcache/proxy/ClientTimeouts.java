package io.freshcache.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.util.concurrent.TimeUnit;

/**
 * Closes client connections that keep the proxy waiting for them (slowloris), with one timer per
 * connection. It sits first in the pipeline, before the decoder, where it sees the raw bytes and
 * every {@code read()} the handlers ask for; its {@link Requests} part sits after the decoder and
 * sees where requests end. A connection is, as far as reading goes, in one phase:
 *
 * <pre>
 *          first byte              head decoded              request read
 *   IDLE ─────────────► HEAD ──────────────────► BODY ──────────────────► BUSY
 *    ▲                  (a new connection starts here)                     │
 *    └────────────── read() asked for while BUSY: the next request ────────┘
 *   any ──► OFF: a Server-Sent Events stream ({@link #exempt})
 * </pre>
 *
 * <ul>
 *   <li>HEAD: the head must be complete within {@link ProxyConfig#clientHeaderTimeout()} of its
 *       first byte (of the connection's opening, for its first request). Then the proxy answers
 *       408 and closes (an {@link Expired#HEADER} event, answered by {@link ProxyHandler}); a new
 *       connection that sent nothing is closed quietly.
 *   <li>IDLE: between requests, closed quietly after {@link ProxyConfig#clientIdleTimeout()}.
 *   <li>BODY: no byte for {@link ProxyConfig#clientBodyTimeout()} since the proxy last asked for
 *       body bytes: an {@link Expired#BODY} event (408, or a close once a response has begun).
 *   <li>BUSY, and any phase while no {@code read()} is outstanding: the client is waiting for the
 *       proxy (the origin, whose own timeout gives a 504, or its back-pressure), never timed.
 * </ul>
 *
 * <p>Independently of the phase, a client that takes none of a response's pending bytes (it stopped
 * reading) for {@link ProxyConfig#clientSendTimeout()} is closed, which also ends the origin request
 * feeding it: as nginx's {@code send_timeout}, the time without progress, not the time to send it
 * all. Progress is a change in the bytes waiting in the channel's outbound buffer, seen when the
 * timer fires; not the channel's writability, which a relay never reaches when each origin chunk
 * waits for the previous one to be written and the chunks are below the high-water mark (a client
 * that stopped reading then held its connection and the origin's forever).
 *
 * <p>Cost: no task is scheduled per request. The timer re-arms itself when it fires, at the current
 * deadline or after the shortest timeout, whichever comes first, so it fires a few times per timeout
 * period per connection; a request costs a few field writes and one or two ticker reads.
 *
 * <p>Not sharable; every method runs on the channel's event loop.
 */
final class ClientTimeouts extends ChannelDuplexHandler {

  /** What expired, fired down the pipeline for the handler that owns the exchange to answer. */
  enum Expired {
    /** A request head did not arrive in time: answer 408 and close. */
    HEADER,
    /** A request body stopped arriving: 408 and close, or close if a response has begun. */
    BODY
  }

  private enum Phase { IDLE, HEAD, BODY, BUSY, OFF }

  private final long headerNanos;
  private final long idleNanos;
  private final long bodyNanos;
  private final long sendNanos;
  /** The bytes waiting to be sent when last seen, and since when that many have waited. */
  private long pendingSeen;
  private long pendingSince;
  /** The longest the timer sleeps: a new phase's deadline is never further than this from a check. */
  private final long tickNanos;
  private ChannelHandlerContext ctx;
  private Ticker ticker;
  private ScheduledFuture<?> timer;
  private Phase phase = Phase.HEAD;
  /** When the phase's clock started: HEAD its first byte, IDLE its start, BODY the last read asked for. */
  private long since;
  /** Whether bytes of the request head in progress have arrived (a 408 is owed only then). */
  private boolean sawBytes;
  /** Whether a read() is outstanding: only then is the proxy waiting for the client. */
  private boolean reading;

  ClientTimeouts(ProxyConfig config) {
    this.headerNanos = config.clientHeaderTimeout().toNanos();
    this.idleNanos = config.clientIdleTimeout().toNanos();
    this.bodyNanos = config.clientBodyTimeout().toNanos();
    this.sendNanos = config.clientSendTimeout().toNanos();
    this.tickNanos = Math.min(Math.min(headerNanos, sendNanos), Math.min(idleNanos, bodyNanos));
  }

  /**
   * Stops timing a connection that now carries a long-lived stream (Server-Sent Events): it sends
   * heartbeats and is bounded by its own write limit. A no-op on a channel without this handler.
   */
  static void exempt(Channel channel) {
    ClientTimeouts t = channel.pipeline().get(ClientTimeouts.class);
    if (t != null) {
      t.phase = Phase.OFF;
      t.cancel();
    }
  }

  /** The part that sits after the decoder: where a head and a whole request have been read. */
  ChannelInboundHandlerAdapter requests() {
    return new Requests();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.ticker = ctx.executor().ticker();
    if (ctx.channel().isActive()) {
      start();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    start();
    super.channelActive(ctx);
  }

  private void start() {
    if (timer == null && phase != Phase.OFF) {
      phase = Phase.HEAD;
      since = ticker.nanoTime();
      schedule(Math.min(headerNanos, tickNanos));
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (msg instanceof ByteBuf b && b.isReadable()) {
      if (phase == Phase.IDLE) {
        phase = Phase.HEAD;
        since = ticker.nanoTime();
        sawBytes = true;
      } else if (phase == Phase.HEAD) {
        sawBytes = true;
      }
    }
    super.channelRead(ctx, msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
    reading = false; // before the handlers further on ask for the next read
    super.channelReadComplete(ctx);
  }

  @Override
  public void read(ChannelHandlerContext ctx) throws Exception {
    reading = true;
    if (phase == Phase.BUSY) {
      phase = Phase.IDLE; // the proxy is done with the last request and asks for the next
      since = ticker.nanoTime();
    } else if (phase == Phase.BODY) {
      since = ticker.nanoTime();
    }
    super.read(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancel();
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancel();
  }

  private void schedule(long nanos) {
    timer = ctx.executor().schedule(this::check, nanos, TimeUnit.NANOSECONDS);
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  /**
   * Whether bytes have waited to be sent, with none taken, for the send timeout (as far as the
   * timer's checks tell: closed at most one tick after it).
   */
  private boolean sendStalled() {
    ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
    long pending = out == null ? 0 : out.totalPendingWriteBytes();
    long now = ticker.nanoTime();
    if (pending == 0 || pending != pendingSeen) {
      pendingSeen = pending;
      pendingSince = now;
      return false;
    }
    return now - pendingSince >= sendNanos;
  }

  private void check() {
    timer = null;
    if (phase == Phase.OFF || !ctx.channel().isActive()) {
      return;
    }
    if (sendStalled()) {
      phase = Phase.OFF;
      ctx.close(); // the client stopped reading: nothing more can reach it
      return;
    }
    long limit = switch (phase) {
      case HEAD -> headerNanos;
      case IDLE -> idleNanos;
      case BODY -> bodyNanos;
      default -> -1;
    };
    if (limit < 0 || !reading) {
      schedule(tickNanos); // the client is waiting for the proxy: look again later
      return;
    }
    long left = since + limit - ticker.nanoTime();
    if (left > 0) {
      schedule(Math.min(left, tickNanos));
      return;
    }
    expire();
  }

  private void expire() {
    Phase expired = phase;
    phase = Phase.OFF; // one verdict per connection: it is closing
    if (expired == Phase.IDLE || expired == Phase.HEAD && !sawBytes) {
      ctx.close(); // nothing asked, nothing to answer
      return;
    }
    ctx.fireUserEventTriggered(expired == Phase.HEAD ? Expired.HEADER : Expired.BODY);
  }

  /** After the decoder: moves HEAD to BODY when a head is decoded, and on to BUSY when the request ends. */
  private final class Requests extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (phase != Phase.OFF) {
        if (msg instanceof LastHttpContent || msg instanceof BadRequest
            || msg instanceof HttpRequest r && r.decoderResult().isFailure()) {
          phase = Phase.BUSY; // the whole request is in (or refused): the proxy answers next
          sawBytes = false;
        } else if (msg instanceof HttpRequest) {
          // Its clock starts when a read is asked for: the read() that follows, unless the proxy
          // answers first (a body-less request's end comes in the same read).
          phase = Phase.BODY;
          sawBytes = false;
        }
      }
      super.channelRead(ctx, msg);
    }
  }
}
