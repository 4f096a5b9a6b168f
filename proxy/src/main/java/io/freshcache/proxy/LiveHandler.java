package io.freshcache.proxy;

import static java.util.Objects.requireNonNull;

import io.freshcache.core.Scope;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Serves the live endpoints under {@value #PREFIX} on an HTTP/1.1 pipeline (after an {@code
 * HttpServerCodec}, no aggregator needed), and passes every other request on unchanged:
 *
 * <ul>
 *   <li>{@code GET /_freshcache/events?f=/a&f=/b}: a {@code text/event-stream} of the {@link
 *       LiveEvents} hub's frames for those fragment ids, honouring {@code Last-Event-ID} (or the
 *       {@code lastEventId} query parameter of a first connect), with heartbeats;
 *   <li>{@code GET /_freshcache/live.js}: the browser script, with an ETag and {@code Cache-Control:
 *       public, max-age=300};
 *   <li>anything else under the prefix: 404.
 * </ul>
 *
 * <p>In the proxy, add one per connection in front of the request handler: {@code
 * p.addLast(new HttpServerCodec(), new LiveHandler(hub, config, audience), proxyHandler)}. A
 * connection that opens an event stream is dedicated to it; further bytes from the client are
 * discarded. Streams are bounded: when more than {@link LiveConfig#maxPendingBytes()} are queued
 * because the client reads too slowly, the connection is closed (the client reconnects and replays
 * what it missed).
 *
 * <p>One instance per channel (it holds the stream's state); all its methods run on the channel's
 * event loop, and the hub hands it frames from any thread through that loop.
 */
public final class LiveHandler extends ChannelInboundHandlerAdapter {

  /** The path prefix this handler owns. */
  public static final String PREFIX = "/_freshcache/";

  /** The event stream. */
  public static final String EVENTS_PATH = PREFIX + "events";

  /** The browser script. */
  public static final String SCRIPT_PATH = PREFIX + "live.js";

  static final byte[] SCRIPT = loadScript();
  static final String SCRIPT_ETAG = etagOf(SCRIPT);

  /** Streams closed because their client read too slowly, across all handlers. */
  static final LongAdder SLOW_CONSUMERS_CLOSED = new LongAdder();

  private final LiveEvents hub;
  private final LiveConfig config;
  private final Function<? super HttpRequest, ? extends Set<Scope>> audienceOf;

  /** The request being read was not ours: pass its content on too. */
  private boolean passing;
  private LiveEvents.Subscription subscription;
  private ScheduledFuture<?> heartbeat;

  /** A handler whose subscribers see only public events. */
  public LiveHandler(LiveEvents hub) {
    this(hub, LiveConfig.defaults(), req -> Set.of());
  }

  /**
   * A handler.
   *
   * @param audienceOf the non-public scopes the client of a request may see: the same {@link
   *     Scope#user} the cache keys of that request would carry (from the same cookie or header, hashed
   *     the same way), or an empty set for an anonymous client; called on the event loop, must not
   *     block
   */
  public LiveHandler(LiveEvents hub, LiveConfig config, Function<? super HttpRequest, ? extends Set<Scope>> audienceOf) {
    this.hub = requireNonNull(hub, "hub");
    this.config = requireNonNull(config, "config");
    this.audienceOf = requireNonNull(audienceOf, "audienceOf");
  }

  /** Whether {@code request} is for this handler: its path starts with {@value #PREFIX}. */
  public static boolean handles(HttpRequest request) {
    return request.uri().startsWith(PREFIX);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (subscription != null) {
      ReferenceCountUtil.release(msg); // the connection now belongs to the stream
      return;
    }
    if (msg instanceof HttpRequest req) {
      if (!handles(req)) {
        passing = !(msg instanceof LastHttpContent);
        ctx.fireChannelRead(msg);
        return;
      }
      passing = false;
      try {
        serve(ctx, req);
      } finally {
        ReferenceCountUtil.release(msg);
      }
      return;
    }
    if (msg instanceof HttpContent && !passing) {
      ReferenceCountUtil.release(msg); // the body of one of our requests: none expected, none read
      return;
    }
    if (msg instanceof LastHttpContent) {
      passing = false;
    }
    ctx.fireChannelRead(msg);
  }

  private void serve(ChannelHandlerContext ctx, HttpRequest req) {
    if (req.decoderResult().isFailure()) {
      text(ctx, req, HttpResponseStatus.BAD_REQUEST, "bad request: " + req.decoderResult().cause());
      return;
    }
    QueryStringDecoder query = new QueryStringDecoder(req.uri());
    String path = query.path();
    boolean get = req.method().equals(HttpMethod.GET);
    if (path.equals(EVENTS_PATH)) {
      if (!get) {
        methodNotAllowed(ctx, req, "GET");
      } else {
        stream(ctx, req, query);
      }
    } else if (path.equals(SCRIPT_PATH)) {
      if (!get && !req.method().equals(HttpMethod.HEAD)) {
        methodNotAllowed(ctx, req, "GET, HEAD");
      } else {
        script(ctx, req);
      }
    } else {
      text(ctx, req, HttpResponseStatus.NOT_FOUND, "not found: " + path);
    }
  }

  private void stream(ChannelHandlerContext ctx, HttpRequest req, QueryStringDecoder query) {
    List<String> ids = query.parameters().getOrDefault("f", List.of());
    try {
      hub.checkIds(ids);
    } catch (IllegalArgumentException e) {
      text(ctx, req, HttpResponseStatus.BAD_REQUEST, "f: " + e.getMessage());
      return;
    }
    String lastEventId = req.headers().get("Last-Event-ID");
    if (lastEventId == null) {
      List<String> q = query.parameters().get("lastEventId");
      lastEventId = q == null || q.isEmpty() ? null : q.get(0);
    }
    Set<Scope> audience = audienceOf.apply(req);

    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
        .set("X-Accel-Buffering", "no");
    cors(head);
    HttpUtil.setTransferEncodingChunked(head, true);
    ctx.write(head);
    ctx.writeAndFlush(frame(ctx, "retry: " + config.retry().toMillis() + "\n\n"));

    // From here on the connection is the stream's: its own bound on queued bytes, its heartbeats
    // instead of the proxy's client timeouts.
    ClientTimeouts.exempt(ctx.channel());
    int high = config.maxPendingBytes();
    ctx.channel().config().setWriteBufferWaterMark(new WriteBufferWaterMark(high / 2, high));
    // Frames come from any thread; going through the event loop keeps them in the hub's order.
    subscription = hub.subscribe(ids, audience, lastEventId, f -> ctx.executor().execute(() -> deliver(ctx, f)));
    long every = config.heartbeat().toMillis();
    heartbeat = ctx.executor().scheduleAtFixedRate(subscription::heartbeat, every, every, TimeUnit.MILLISECONDS);
  }

  /** Writes one frame, or closes a stream whose client has stopped reading. */
  private void deliver(ChannelHandlerContext ctx, String frame) {
    if (!ctx.channel().isActive()) {
      return;
    }
    if (!ctx.channel().isWritable()) {
      SLOW_CONSUMERS_CLOSED.increment();
      ctx.close();
      return;
    }
    ctx.writeAndFlush(frame(ctx, frame));
  }

  private static HttpContent frame(ChannelHandlerContext ctx, String text) {
    return new DefaultHttpContent(ByteBufUtil.writeUtf8(ctx.alloc(), text));
  }

  private void script(ChannelHandlerContext ctx, HttpRequest req) {
    boolean notModified = io.freshcache.core.ETag.notModified(
        req.headers().get(HttpHeaderNames.IF_NONE_MATCH), io.freshcache.core.ETag.parse(SCRIPT_ETAG));
    boolean body = !notModified && req.method().equals(HttpMethod.GET);
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        notModified ? HttpResponseStatus.NOT_MODIFIED : HttpResponseStatus.OK,
        body ? Unpooled.wrappedBuffer(SCRIPT) : Unpooled.EMPTY_BUFFER);
    res.headers()
        .set(HttpHeaderNames.ETAG, SCRIPT_ETAG)
        .set(HttpHeaderNames.CACHE_CONTROL, "public, max-age=300");
    if (!notModified) {
      res.headers()
          .set(HttpHeaderNames.CONTENT_TYPE, "text/javascript; charset=utf-8")
          .setInt(HttpHeaderNames.CONTENT_LENGTH, SCRIPT.length);
    }
    cors(res);
    finish(ctx, req, res);
  }

  private void methodNotAllowed(ChannelHandlerContext ctx, HttpRequest req, String allow) {
    FullHttpResponse res = textResponse(HttpResponseStatus.METHOD_NOT_ALLOWED,
        "method: " + req.method() + " (expected: " + allow + ")");
    res.headers().set(HttpHeaderNames.ALLOW, allow);
    finish(ctx, req, res);
  }

  private void text(ChannelHandlerContext ctx, HttpRequest req, HttpResponseStatus status, String message) {
    finish(ctx, req, textResponse(status, message));
  }

  private static FullHttpResponse textResponse(HttpResponseStatus status, String message) {
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8));
    res.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
        .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
        .setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
    return res;
  }

  private void finish(ChannelHandlerContext ctx, HttpRequest req, FullHttpResponse res) {
    boolean keepAlive = HttpUtil.isKeepAlive(req) && !req.decoderResult().isFailure();
    if (keepAlive) {
      if (req.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      }
      ctx.writeAndFlush(res);
    } else {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void cors(HttpResponse res) {
    if (config.allowOrigin() != null) {
      res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, config.allowOrigin());
      if (!config.allowOrigin().equals("*")) {
        res.headers().set(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
      }
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    stop();
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    stop();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
    if (subscription != null) {
      ctx.close(); // a broken stream: the client reconnects and replays
      return;
    }
    super.exceptionCaught(ctx, cause);
  }

  private void stop() {
    if (heartbeat != null) {
      heartbeat.cancel(false);
      heartbeat = null;
    }
    if (subscription != null) {
      subscription.close();
    }
  }

  private static byte[] loadScript() {
    try (InputStream in = LiveHandler.class.getResourceAsStream("live.js")) {
      if (in == null) {
        throw new IllegalStateException("live.js: missing (expected: io/freshcache/proxy/live.js on the classpath)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String etagOf(byte[] bytes) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
      return '"' + Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, 22) + '"';
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("SHA-256 is required of every JDK", e);
    }
  }
}
