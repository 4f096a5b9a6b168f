package io.freshcache.proxy;

import io.freshcache.core.AsyncRenderer;
import io.freshcache.core.CacheKey;
import io.freshcache.core.Content;
import io.freshcache.core.Encoding;
import io.freshcache.core.Page;
import io.freshcache.core.RenderContext;
import io.freshcache.core.RenderTimeoutException;
import io.freshcache.core.Scope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the requests of one client connection, one at a time (pipelined requests wait in a queue),
 * as a small state machine in the manner of Varnish's request FSM:
 *
 * <pre>
 * request ─► refuse (BadRequest: 400/413/414/431/505)
 *         ─► pass (unsafe method, body, Range, hit-for-pass, private to nobody) ─► relay
 *         ─► lookup (GET/HEAD) ─► hit ─────────────────────────────────────────► write stored
 *                              ─► miss/stale: getAsync renders once (CacheFetch) ─► write stored
 *                                   ├ PassThrough: the leader relays it; waiters pass on their own
 *                                   └ OriginFailure: stale-if-error, else 502/504
 * </pre>
 *
 * <p>All state is touched on the channel's event loop only; completions from other threads (a render
 * led by another connection) are handed back to it. Reads are explicit (auto-read is off): the next
 * request is read once the current one is answered, and a request body's next chunk once the previous
 * one reached the origin. Responses written while reading a batch are flushed once, at the end of the
 * batch.
 */
final class ProxyHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyHandler.class);
  private static final Logger ACCESS = LoggerFactory.getLogger("freshcache.access");
  private static final String NAME = CacheStatus.NAME;

  private final ProxyRuntime rt;
  private ChannelHandlerContext ctx;
  /** The context of the response encoder: pre-encoded bytes are written from it, so they skip it. */
  private ChannelHandlerContext raw;
  private EventLoop loop;
  private final ArrayDeque<Object> queued = new ArrayDeque<>();
  private Exchange current;
  private boolean inRead;
  private boolean needsFlush;
  private boolean closed;
  private boolean draining;

  ProxyHandler(ProxyRuntime rt) {
    this.rt = rt;
  }

  /** One request and what the proxy learned while answering it. */
  static final class Exchange {
    final HttpRequest request;
    final HttpMethod method;
    final long startNanos = System.nanoTime();
    final boolean background;
    String resource;
    boolean keepAlive;
    boolean requestDone;
    boolean bodyBlocked;
    long bodyBytes;
    String identity;
    /** The Range of a GET, answered from the stored body ({@link ByteRange}), or null. */
    String range;
    Vary vary = Vary.NONE;
    CacheKey key;
    boolean profileKnown;
    RequestDirectives directives = RequestDirectives.NONE;
    /** Set by the renderer when this request's render ran: only then may it use a PassThrough. */
    volatile boolean leader;
    volatile boolean revalidated;
    /**
     * Lines of the origin's response the cache must not store nor reuse (qualified {@code private}
     * and {@code no-cache}, RFC 9111 sections 5.2.2.4 and 5.2.2.7), which only this request, whose
     * fetch it is, gets: a session cookie on a cacheable page reaches the user who caused it. Null
     * when there are none.
     */
    volatile Fields fillerOnly;
    /** Whether a waiter was sent round the lookup again after its leader learned the resource's profile. */
    boolean lookedUpAgain;
    /** The entry the usable test refused (stale): for revalidation and stale-if-error. */
    volatile Page stale;
    volatile CacheStatus.Fwd staleFwd;
    /** The entry accepted under stale-while-revalidate. */
    volatile Page swr;
    OriginCall call;
    boolean responseStarted;
    boolean clientGone;
    int status;
    long bytesOut;
    String cacheStatus = "-";
    /** Who this client is for read-your-writes (hashed identity or address); only with staleWhileRebuild. */
    String writerKey;

    Exchange(HttpRequest request, boolean background) {
      this.request = request;
      this.method = request.method();
      this.background = background;
    }

    boolean isHead() {
      return method == HttpMethod.HEAD;
    }
  }

  // ------------------------------------------------------------------ channel events

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.raw = ctx.pipeline().context(HttpResponseEncoder.class);
    this.loop = ctx.channel().eventLoop();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.read();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    inRead = true;
    if (closed) {
      ReferenceCountUtil.release(msg);
      return;
    }
    Exchange ex = current;
    if (ex != null && !ex.requestDone && msg instanceof HttpContent c && queued.isEmpty()) {
      onBody(ex, c);
      return;
    }
    if (ex != null && !ex.requestDone && msg instanceof BadRequest bad && queued.isEmpty()) {
      // The body of the request in progress could not be decoded (a malformed chunk): the client's
      // error, answered now; queued, it would wait for an answer the origin cannot give.
      ex.requestDone = true;
      rt.stats.clientErrors.increment();
      refuseBody(ex, bad.status(), bad.message());
      return;
    }
    if (ex != null || !queued.isEmpty()) {
      queued.add(msg);
      return;
    }
    dispatch(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    inRead = false;
    if (needsFlush) {
      needsFlush = false;
      ctx.flush();
    }
    maybeRead();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closed = true;
    Object m;
    while ((m = queued.poll()) != null) {
      ReferenceCountUtil.release(m);
    }
    Exchange ex = current;
    if (ex != null) {
      ex.clientGone = true;
      if (ex.call != null) {
        ex.call.abort();
      }
      current = null;
      rt.inFlight.decrementAndGet();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException) {
      LOG.debug("client connection: {}", cause.toString());
    } else {
      LOG.warn("client connection failed", cause);
    }
    ctx.close();
  }

  /** A client timeout ({@link ClientTimeouts}): 408 if the request can still be answered, else close. */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (!(evt instanceof ClientTimeouts.Expired expired)) {
      ctx.fireUserEventTriggered(evt);
      return;
    }
    if (closed) {
      return;
    }
    rt.stats.clientTimeouts.increment();
    Exchange ex = current;
    if (expired == ClientTimeouts.Expired.HEADER && ex == null && queued.isEmpty()) {
      ex = new Exchange(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "-"), false);
      ex.requestDone = true;
      begin(ex);
      error(ex, 408, "request timeout", true);
      return;
    }
    if (expired == ClientTimeouts.Expired.BODY && ex != null && !ex.requestDone) {
      ex.requestDone = true; // nothing more of it is read
      ex.keepAlive = false;
      if (ex.call != null) {
        ex.call.abort();
      }
      if (!ex.responseStarted) {
        error(ex, 408, "request body timeout", true);
        return;
      }
    }
    ctx.close();
  }

  /** Closes the connection if it is between requests (graceful shutdown). */
  void closeIfIdle() {
    if (current == null && queued.isEmpty()) {
      ctx.close();
    }
  }

  private void maybeRead() {
    if (closed) {
      return;
    }
    Exchange ex = current;
    boolean want = ex == null ? queued.isEmpty() : !ex.requestDone && !ex.bodyBlocked && queued.isEmpty();
    if (want) {
      ctx.read();
    }
  }

  private void dispatch(Object msg) {
    if (msg instanceof BadRequest bad) {
      Exchange ex = new Exchange(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "-"), false);
      ex.requestDone = true;
      begin(ex);
      rt.stats.clientErrors.increment();
      error(ex, bad.status(), bad.message(), true);
      return;
    }
    if (msg instanceof HttpRequest req) {
      Exchange ex = new Exchange(req, false);
      if (rt.config.staleWhileRebuild()) {
        ex.writerKey = writerKey(req);
      }
      begin(ex);
      if (msg instanceof HttpContent c) { // not from our decoder, but be exact
        onBody(ex, c);
      }
      start(ex);
      return;
    }
    ReferenceCountUtil.release(msg); // content of a request already answered (and closed)
  }

  private void begin(Exchange ex) {
    current = ex;
    rt.inFlight.incrementAndGet();
    rt.stats.requests.increment();
    ex.keepAlive = HttpUtil.isKeepAlive(ex.request) && !rt.closing;
  }

  // ------------------------------------------------------------------ request

  private void start(Exchange ex) {
    HttpRequest req = ex.request;
    ex.resource = RequestTarget.resource(req.uri());
    // "OPTIONS *" (asterisk-form, RFC 9112 section 3.2.4) asks about the server, not a resource: no
    // key, nothing stored; the origin answers it as any other method it is asked.
    boolean asterisk = ex.resource == null && ex.method == HttpMethod.OPTIONS && "*".equals(req.uri());
    if (ex.resource == null && !asterisk) {
      rt.stats.clientErrors.increment();
      if (req.uri().length() > io.freshcache.core.CacheKey.MAX_RESOURCE_LENGTH) {
        error(ex, 414, "request target longer than " + io.freshcache.core.CacheKey.MAX_RESOURCE_LENGTH
            + " characters", true);
      } else {
        error(ex, 400, "bad request target", true);
      }
      return;
    }
    long length = HttpUtil.getContentLength(req, 0L);
    if (length > rt.config.maxRequestBodyBytes()) {
      rt.stats.clientErrors.increment();
      error(ex, 413, "request body too large", true);
      return;
    }
    boolean hasBody = length > 0 || HttpUtil.isTransferEncodingChunked(req);
    if (!(ex.method == HttpMethod.GET || ex.method == HttpMethod.HEAD)) {
      forward(ex, CacheStatus.Fwd.METHOD, null);
      return;
    }
    HttpHeaders h = req.headers();
    // An HTTP/2 upgrade offer (Java's HttpClient sends one by default) is declined by answering in
    // HTTP/1.1, which RFC 9110 section 7.8 allows: it must not cost the client the cache. Other
    // upgrades (WebSocket) go to the origin, and a 101 from it makes the connection a tunnel.
    boolean upgrade = h.contains(HttpHeaderNames.UPGRADE) && !isH2cOffer(h);
    if (upgrade && !hasBody && ex.method == HttpMethod.GET && offersUpgrade(ex.request)) {
      tunnel(ex);
      return;
    }
    if (hasBody || upgrade) {
      forward(ex, CacheStatus.Fwd.BYPASS, hasBody ? "request-body" : "upgrade");
      return;
    }
    if (ex.method == HttpMethod.GET && h.contains(HttpHeaderNames.RANGE)) {
      // Served from the stored body (the fill asks for all of it); RFC 9110 section 14.2 defines
      // ranges for GET only, so a HEAD's Range is ignored.
      ex.range = String.join(", ", h.getAll(HttpHeaderNames.RANGE));
    }
    lookup(ex);
  }

  /**
   * Answers a request whose body cannot go on (the connection closes after the answer) and abandons
   * its origin call, which then reports nothing.
   */
  private void refuseBody(Exchange ex, int status, String text) {
    ex.keepAlive = false;
    OriginCall call = ex.call;
    if (!ex.responseStarted) {
      error(ex, status, text, true);
    } else {
      ctx.close();
    }
    if (call != null) {
      call.abort();
    }
  }

  private void onBody(Exchange ex, HttpContent c) {
    if (c instanceof LastHttpContent) {
      ex.requestDone = true;
    }
    if (c.decoderResult().isFailure()) {
      c.release();
      ex.requestDone = true;
      rt.stats.clientErrors.increment();
      refuseBody(ex, 400, "malformed request body");
      return;
    }
    ex.bodyBytes += c.content().readableBytes();
    if (ex.bodyBytes > rt.config.maxRequestBodyBytes()) {
      c.release();
      ex.requestDone = true; // stop reading it: the connection closes after the answer
      rt.stats.clientErrors.increment();
      refuseBody(ex, 413, "request body too large");
      return;
    }
    if (ex.call != null && !ex.call.isDone()) {
      ex.bodyBlocked = true;
      ex.call.send(c, () -> {
        ex.bodyBlocked = false;
        if (current == ex) {
          maybeRead();
        }
      });
    } else {
      c.release();
    }
  }

  // ------------------------------------------------------------------ lookup

  private void lookup(Exchange ex) {
    String pass = prepare(ex);
    if (pass != null) {
      forward(ex, CacheStatus.Fwd.BYPASS, pass);
      return;
    }
    CacheKey key = ex.key;
    if (ex.directives.onlyIfCached()) {
      Page p = rt.cache.getIfPresent(key);
      if (p != null && usable(ex, p)) {
        servePage(ex, p, hitStatus(ex, p));
      } else {
        error(ex, 504, "not cached (only-if-cached)", false);
      }
      return;
    }
    AsyncRenderer renderer = key.scope() == Scope.PUBLIC && rt.rebuilds.test(ex.resource)
        ? new Rebuildable(ex) : rc -> render(ex, rc);
    // Stale while rebuilding: only for clients that did not just write (read your writes).
    boolean staleOk = rt.config.staleWhileRebuild() && rt.cache.rebuildsPending() > 0
        && (ex.writerKey == null || rt.recentWriters.getIfPresent(ex.writerKey) == null);
    CompletableFuture<Page> f = staleOk
        ? rt.cache.getAsyncAllowingStale(key, p -> usable(ex, p), renderer)
        : rt.cache.getAsync(key, p -> usable(ex, p), renderer);
    if (f.isDone()) {
      Page p = null;
      Throwable err = null;
      try {
        p = f.join();
      } catch (CompletionException | java.util.concurrent.CancellationException e) {
        err = e;
      }
      onPage(ex, p, err, false);
      return;
    }
    f.whenComplete((p, err) -> {
      if (loop.inEventLoop()) {
        onPage(ex, p, err, true);
      } else {
        loop.execute(() -> onPage(ex, p, err, true));
      }
    });
  }

  /**
   * Reads what the cache path needs from a GET or HEAD (directives, identity, the resource's profile)
   * and sets {@code ex.key}; or returns why the request must be passed instead (Cache-Status detail).
   */
  private String prepare(Exchange ex) {
    HttpHeaders h = ex.request.headers();
    if (h.contains(HttpHeaderNames.CACHE_CONTROL) || h.contains(HttpHeaderNames.PRAGMA)) {
      ex.directives = RequestDirectives.of(h.getAll(HttpHeaderNames.CACHE_CONTROL), h.getAll(HttpHeaderNames.PRAGMA));
    }
    if (rt.identity.configured()) {
      ex.identity = rt.identity.of(h);
    }
    ProxyRuntime.Profile profile = rt.profiles.getIfPresent(ex.resource);
    ex.profileKnown = profile != null;
    boolean userScoped = profile != null && profile.userScoped();
    if (userScoped && ex.identity == null) {
      return "private";
    }
    if (!ex.directives.onlyIfCached() && rt.hitForPass.getIfPresent(ex.resource) != null) {
      return "hit-for-pass";
    }
    ex.vary = profile == null ? Vary.NONE : profile.vary();
    String variant = ex.vary.variant(h::getAll);
    CacheKey key = new CacheKey(ex.resource, variant, Scope.PUBLIC);
    if (ex.identity != null) {
      CacheKey mine = key.withScope(Scope.user(ex.identity));
      // Its own entry first: a per-user entry may exist even when the profile was forgotten.
      if (userScoped || rt.cache.getIfPresent(mine) != null) {
        key = mine;
      }
    }
    ex.key = key;
    return null;
  }

  /**
   * The usable test handed to the cache: whether a stored response may answer this request without
   * the origin (RFC 9111 section 4.2, with the request's directives). May run on another thread;
   * it only records what it saw in the exchange.
   */
  private boolean usable(Exchange ex, Page p) {
    if (!(p.attachment() instanceof StoredResponse sr)) {
      return false;
    }
    long now = rt.now();
    if (ex.directives == RequestDirectives.NONE && sr.servableWithoutDirectives(now)) {
      return true;
    }
    Freshness.Reuse r = sr.freshness().reuse(ex.directives, Instant.ofEpochMilli(now));
    switch (r.action()) {
      case SERVE, SERVE_STALE:
        return true;
      case SERVE_STALE_WHILE_REVALIDATE:
        ex.swr = p;
        return true;
      default:
        ex.stale = p;
        ex.staleFwd = r.fwd();
        return false;
    }
  }

  /**
   * The renderer of a public entry under the rebuild policy, which the cache keeps with the entry. Its
   * first call is this request's miss; a later call comes from a background rebuild, long after this
   * request (and maybe its connection) ended: it fetches afresh as a background request from a copy of
   * the request without the client's credentials or conditions, on this handler's event loop.
   */
  private final class Rebuildable implements AsyncRenderer {
    private volatile Exchange first;
    private final HttpRequest template;
    private final String resource;
    private final Vary vary;
    private final CacheKey key;

    Rebuildable(Exchange ex) {
      this.first = ex;
      HttpHeaders h = new DefaultHttpHeaders();
      h.set(ex.request.headers());
      for (CharSequence n : new CharSequence[] {HttpHeaderNames.COOKIE, HttpHeaderNames.AUTHORIZATION,
          HttpHeaderNames.PROXY_AUTHORIZATION}) {
        h.remove(n);
      }
      this.template = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, ex.request.uri(), h);
      this.resource = ex.resource;
      this.vary = ex.vary;
      this.key = ex.key;
    }

    @Override
    public CompletionStage<Content> render(RenderContext rc) {
      Exchange ex = first;
      if (ex != null) {
        first = null;
        return ProxyHandler.this.render(ex, rc);
      }
      Exchange bg = new Exchange(template, true);
      bg.resource = resource;
      bg.vary = vary;
      bg.key = key;
      bg.requestDone = true;
      return ProxyHandler.this.render(bg, rc).whenComplete((c, err) -> {
        if (err != null && unwrap(err) instanceof PassThrough pt) {
          pt.discard(); // nobody to relay it to
        }
      });
    }
  }

  /** The cache's renderer for this request's key: one origin GET, read by a {@link CacheFetch}. */
  private CompletionStage<Content> render(Exchange ex, RenderContext rc) {
    ex.leader = true;
    CompletableFuture<Content> out = new CompletableFuture<>();
    Runnable go = () -> fetch(ex, rc, out, true);
    if (loop.inEventLoop()) {
      go.run();
    } else {
      loop.execute(go); // a waiter going round again on the thread that finished the last render
    }
    return out;
  }

  /**
   * Sends the render's origin GET, read by a {@link CacheFetch}. With {@code revalidate} and a
   * refused entry, the GET carries its validators; a 304 that then selects no stored response (RFC
   * 9111 section 4.3.4) makes the fetch call this once more without them.
   */
  private void fetch(Exchange ex, RenderContext rc, CompletableFuture<Content> out, boolean revalidate) {
    HttpRequest origin = originRequest(ex, true);
    Page prev = revalidate ? rc.previous() : null;
    StoredResponse stored = prev != null && prev.attachment() instanceof StoredResponse sr ? sr : null;
    if (stored != null) {
      Fields fields = stored.fields();
      String etag = fields.first("ETag");
      if (etag != null) {
        origin.headers().set(HttpHeaderNames.IF_NONE_MATCH, etag);
      }
      String lm = fields.first("Last-Modified");
      if (lm != null) {
        origin.headers().set(HttpHeaderNames.IF_MODIFIED_SINCE, lm);
      }
    }
    rt.stats.originRequests.increment();
    Runnable unconditional = stored == null ? null : () -> fetch(ex, rc, out, false);
    OriginCall.start(rt.origin(loop), origin, false,
        new CacheFetch(rt, ex, rc, out, stored, unconditional, interim -> forwardInterim(ex, interim)));
  }

  private void onPage(Exchange ex, Page page, Throwable err, boolean waited) {
    if (ex.clientGone || current != ex) {
      if (err != null && unwrap(err) instanceof PassThrough pt && ex.leader) {
        pt.discard();
      }
      return;
    }
    if (err == null) {
      CacheStatus status;
      if (ex.leader) {
        rt.stats.misses.increment();
        status = CacheStatus.fwd(fwdOfMiss(ex)).stored(true);
        if (ex.revalidated) {
          status = status.fwdStatus(304);
        }
      } else if (waited) {
        rt.stats.coalesced.increment();
        status = CacheStatus.fwd(fwdOfMiss(ex)).collapsed(true);
      } else {
        status = hitStatus(ex, page);
      }
      servePage(ex, page, status, !ex.leader && !waited);
      return;
    }
    Throwable cause = unwrap(err);
    if (cause instanceof PassThrough pt) {
      if (!ex.leader) {
        // Possibly another user's response: never ours to use (nor to release: the leader owns it).
        if (!ex.lookedUpAgain && (pt.reason.equals("vary-changed") || pt.reason.equals("private"))) {
          // The leader's response taught the resource's Vary or scope: looked up again under the key
          // it implies, the waiters of a cold burst share one fetch instead of each asking the origin.
          ex.lookedUpAgain = true;
          ex.key = null;
          ex.stale = null;
          ex.swr = null;
          lookup(ex);
          return;
        }
        forward(ex, fwdOfMiss(ex), "collapsed-pass");
        return;
      }
      if (pt.originError && serveStaleIfError(ex, pt.head.status().code())) {
        pt.discard();
        return;
      }
      if (pt.hitForPass) {
        rt.hitForPass.put(ex.resource, pt.reason);
        if (ex.range != null && pt.call != null) {
          // The fill asked for the whole body, which is not to be stored (a large download, say):
          // the client asked for a range of it, which the origin can answer. Once per resource:
          // the hit-for-pass mark sends the next ranges straight there.
          pt.discard();
          forward(ex, fwdOfMiss(ex), pt.reason);
          return;
        }
      }
      rt.stats.passes.increment();
      CacheStatus status = CacheStatus.fwd(fwdOfMiss(ex)).stored(false).detail(pt.reason);
      relay(ex, pt, status);
      return;
    }
    if (cause instanceof OriginFailure of) {
      rt.stats.originErrors.increment();
      if (serveStaleIfError(ex, 0)) {
        return;
      }
      LOG.debug("{} {}: {}", ex.method, ex.resource, of.getMessage());
      error(ex, of.status(), of.clientText(), false);
      return;
    }
    if (cause instanceof RenderTimeoutException) {
      rt.stats.originErrors.increment();
      error(ex, 504, "origin timed out", false);
      return;
    }
    if (cause instanceof EsiException esi) {
      rt.stats.originErrors.increment();
      LOG.warn("{} {}: bad ESI from the origin: {}", ex.method, ex.resource, esi.getMessage());
      error(ex, 502, "bad ESI from the origin: " + clientText(esi.getMessage()), false);
      return;
    }
    LOG.warn("{} {} failed", ex.method, ex.resource, cause);
    error(ex, 502, "proxy error", false);
  }

  private CacheStatus.Fwd fwdOfMiss(Exchange ex) {
    if (ex.stale != null) {
      return ex.staleFwd != null ? ex.staleFwd : CacheStatus.Fwd.STALE;
    }
    return ex.profileKnown && !ex.vary.names().isEmpty() ? CacheStatus.Fwd.VARY_MISS : CacheStatus.Fwd.URI_MISS;
  }

  private CacheStatus hitStatus(Exchange ex, Page page) {
    rt.stats.hits.increment();
    StoredResponse sr = (StoredResponse) page.attachment();
    CacheStatus s = CacheStatus.hitWithTtl(sr.ttlSeconds(rt.now()));
    if (ex.swr == page) {
      rt.stats.staleServed.increment();
      refreshInBackground(ex, page);
      return s.detail("stale-while-revalidate");
    }
    return s;
  }

  /** stale-while-revalidate: one background render, refusing exactly the stale entry just served. */
  private void refreshInBackground(Exchange ex, Page stalePage) {
    Exchange bg = new Exchange(ex.request, true);
    bg.resource = ex.resource;
    bg.identity = ex.identity;
    bg.vary = ex.vary;
    bg.key = ex.key;
    bg.requestDone = true;
    rt.cache.getAsync(ex.key, p -> p != stalePage, rc -> render(bg, rc)).whenComplete((p, err) -> {
      if (err != null) {
        Throwable cause = unwrap(err);
        if (cause instanceof PassThrough pt && bg.leader) {
          pt.discard();
        } else {
          LOG.debug("background revalidation of {} failed: {}", ex.resource, cause.toString());
        }
      }
    });
  }

  /**
   * Serves the refused entry instead of an origin failure, if its directives (or the request's
   * max-stale) allow. The request was forwarded, so its Cache-Status is not a hit (RFC 9211 section
   * 2.1) but {@code fwd=stale}, with the origin's status when it answered ({@code originStatus}, 0
   * when it did not).
   */
  private boolean serveStaleIfError(Exchange ex, int originStatus) {
    Page stale = ex.stale;
    if (stale == null || !(stale.attachment() instanceof StoredResponse sr)) {
      return false;
    }
    if (!sr.freshness().mayServeStaleIfError(ex.directives, Instant.ofEpochMilli(rt.now()))) {
      return false;
    }
    rt.stats.staleServed.increment();
    CacheStatus status = CacheStatus.fwd(CacheStatus.Fwd.STALE).ttl(sr.ttlSeconds(rt.now()));
    if (originStatus > 0) {
      status = status.fwdStatus(originStatus);
    }
    servePage(ex, stale, status.detail("stale-if-error"));
    return true;
  }

  // ------------------------------------------------------------------ writing a stored response

  private void servePage(Exchange ex, Page page, CacheStatus status) {
    servePage(ex, page, status, true);
  }

  /** Writes a stored response; {@code hit}: keep what was built for it for the next hits. */
  private void servePage(Exchange ex, Page page, CacheStatus status, boolean hit) {
    StoredResponse sr = (StoredResponse) page.attachment();
    if (sr.template != null) {
      serveAssembled(ex, sr.etag(page), sr, status, false);
      return;
    }
    HttpHeaders h = ex.request.headers();
    // A client's no-transform (RFC 9111 section 5.2.1.6) gets the origin's bytes: no coding of ours.
    Encoding coding = ex.directives.noTransform() ? Encoding.IDENTITY
        : AcceptEncoding.choose(acceptEncoding(h), page.storedEncoding());
    long now = rt.now();
    long date = sr.sentDateSecond(now);
    String cacheStatus = sr.upstreamCacheStatus.isEmpty() ? status.toString() : sr.upstreamCacheStatus + ", " + status;
    if (rt.closing) {
      ex.keepAlive = false;
    }
    int connection = !ex.keepAlive ? 1 : ex.request.protocolVersion() == HttpVersion.HTTP_1_0 ? 2 : 0;
    long age = sr.ageSeconds(now);
    ex.cacheStatus = cacheStatus;
    ex.responseStarted = true;
    Fields extra = hit ? null : ex.fillerOnly;
    if (h.contains(HttpHeaderNames.IF_NONE_MATCH) || h.contains(HttpHeaderNames.IF_MODIFIED_SINCE)) {
      Fields conditions = Fields.EMPTY;
      for (String v : h.getAll(HttpHeaderNames.IF_NONE_MATCH)) {
        conditions = conditions.with("If-None-Match", v);
      }
      for (String v : h.getAll(HttpHeaderNames.IF_MODIFIED_SINCE)) {
        conditions = conditions.with("If-Modified-Since", v);
      }
      Fields stored = sr.sentFields(page, coding);
      if (Conditional.notModified(ex.method.name(), conditions, sr.status, stored, Instant.ofEpochMilli(sr.receivedAtMillis))) {
        rt.stats.notModified.increment();
        ByteBuf block = StoredResponse.notModifiedBlock(ctx.alloc(), stored);
        raw.write(block, raw.voidPromise());
        ByteBuf tail = StoredResponse.perRequest(ctx.alloc(), date, age, cacheStatus, connection, extra);
        ex.status = 304;
        ex.bytesOut = block.readableBytes() + tail.readableBytes();
        complete(ex, raw.write(tail));
        return;
      }
    }
    if (ex.range != null && sr.status == 200 && serveRange(ex, page, sr, hit, date, age, cacheStatus, connection, extra)) {
      return;
    }
    StoredResponse.Hit enc = sr.hit(page, coding, hit, rt.stats.transcodes, rt.bodyFiles, rt.cache);
    ByteBuf block = enc == null ? sr.storedBlock(ctx.alloc(), page, ex.isHead(), date, age, cacheStatus, connection, extra)
        : sr.hitBlock(ctx.alloc(), enc, ex.isHead(), date, age, cacheStatus, connection, extra);
    ex.status = sr.status;
    ex.bytesOut = block.readableBytes();
    if (ex.isHead() || enc == null || enc.body != null) {
      complete(ex, raw.write(block));
      return;
    }
    raw.write(block, raw.voidPromise());
    ex.bytesOut += enc.length;
    complete(ex, raw.write(enc.file != null ? enc.file.region() : enc.direct.duplicate()));
  }

  /**
   * Answers a GET with a Range from the stored body's identity form (RFC 9110 section 14): a 206
   * with the one range, or a 416 if it lies beyond the body; false (the caller sends the whole body
   * with a 200) when the Range is to be ignored ({@link ByteRange}) or its If-Range does not hold.
   */
  private boolean serveRange(Exchange ex, Page page, StoredResponse sr, boolean hit, long date, long age,
      String cacheStatus, int connection, Fields extra) {
    if (!ifRangeHolds(ex.request.headers(), sr, page)) {
      return false;
    }
    StoredResponse.Hit enc = sr.hit(page, Encoding.IDENTITY, hit, rt.stats.transcodes, rt.bodyFiles, rt.cache);
    byte[] bytes = enc == null ? (page.storedEncoding() == Encoding.IDENTITY ? page.storedBody() : page.body())
        : enc.body;
    long length = bytes != null ? bytes.length : enc.length;
    ByteRange r = ByteRange.of(ex.range, length);
    if (r.whole()) {
      return false;
    }
    ByteBuf tail = StoredResponse.perRequest(ctx.alloc(), date, age, cacheStatus, connection, extra);
    StringBuilder head = new StringBuilder(256);
    if (!r.satisfiable()) {
      head.append("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */").append(length)
          .append("\r\nContent-Length: 0\r\nVia: ").append(StoredResponse.VIA).append("\r\n");
      ex.status = 416;
    } else {
      head.append("HTTP/1.1 206 Partial Content\r\n");
      for (Fields.Field f : sr.sentFields(page, Encoding.IDENTITY).lines()) {
        head.append(f.name()).append(": ").append(f.value()).append("\r\n");
      }
      head.append("Content-Range: bytes ").append(r.first()).append('-').append(r.last()).append('/').append(length)
          .append("\r\nContent-Length: ").append(r.length()).append("\r\nVia: ").append(StoredResponse.VIA)
          .append("\r\n");
      ex.status = 206;
    }
    ByteBuf block = ctx.alloc().buffer(head.length());
    block.writeCharSequence(head, StandardCharsets.ISO_8859_1);
    ex.bytesOut = block.readableBytes() + tail.readableBytes();
    raw.write(block, raw.voidPromise());
    if (!r.satisfiable()) {
      complete(ex, raw.write(tail));
      return true;
    }
    raw.write(tail, raw.voidPromise());
    ex.bytesOut += r.length();
    Object body = bytes != null ? Unpooled.wrappedBuffer(bytes, (int) r.first(), (int) r.length())
        : enc.file != null ? enc.file.region(r.first(), r.length())
        : enc.direct.slice((int) r.first(), (int) r.length());
    complete(ex, raw.write(body));
    return true;
  }

  /**
   * Whether a request's If-Range lets its Range apply (RFC 9110 section 13.1.5): none, an entity-tag
   * that strongly matches the stored one, or the stored Last-Modified exactly. Else the whole body.
   */
  private static boolean ifRangeHolds(HttpHeaders h, StoredResponse sr, Page page) {
    String condition = h.get(HttpHeaderNames.IF_RANGE);
    if (condition == null) {
      return true;
    }
    condition = condition.trim();
    if (condition.startsWith("\"") || condition.startsWith("W/")) {
      String etag = sr.etag(page);
      return !condition.startsWith("W/") && !etag.startsWith("W/") && condition.equals(etag);
    }
    return condition.equals(sr.sentFields(page, Encoding.IDENTITY).first("Last-Modified"));
  }

  // ------------------------------------------------------------------ ESI: a page assembled from its fragments

  /**
   * Serves an entry that is an ESI template: assembles it ({@link EsiAssembly}), each include an
   * internal GET through the cache path as this client ({@link #fragment}), without blocking the
   * loop, then writes the result. The exchange stays current meanwhile.
   */
  private void serveAssembled(Exchange ex, String pageEtag, StoredResponse sr, CacheStatus status, boolean personal) {
    rt.stats.esiAssemblies.increment();
    EsiAssembly.start(sr.template, ex.resource, rt.config.originAuthority(), rt.esiLimits, loop, p -> fragment(ex, p))
        .whenComplete((r, err) -> onLoop(() -> writeAssembled(ex, pageEtag, sr, status, personal, r, err)));
  }

  /**
   * Serves an ESI response that is not stored (passed through: uncacheable, private, hit-for-pass):
   * parsed and assembled like a stored one, and private, as it was fetched for this request only.
   */
  private void serveAssembledOnce(Exchange ex, HttpResponse head, byte[] body, CacheStatus status) {
    EsiTemplate t;
    try {
      t = EsiTemplate.parse(body, rt.esiLimits);
    } catch (EsiException e) {
      rt.stats.originErrors.increment();
      LOG.warn("{} {}: bad ESI from the origin: {}", ex.method, ex.resource, e.getMessage());
      error(ex, 502, "bad ESI from the origin: " + clientText(e.getMessage()), false);
      return;
    }
    HttpHeaders h = new DefaultHttpHeaders();
    h.set(head.headers());
    ProxyRuntime.stripHopByHop(h);
    Fields fields = Fields.of(h).withoutAll(StoredResponse.NOT_STORED);
    Instant now = Instant.ofEpochMilli(rt.now());
    StoredResponse sr = new StoredResponse(head.status().code(), StoredResponse.reason(head.status().code(),
        head.status().reasonPhrase()), fields, Freshness.of(fields, now, now), Vary.of(fields),
        StoredResponse.upstream(head.headers().getAll("Cache-Status")), false).withTemplate(t);
    String etag = fields.first("ETag");
    serveAssembled(ex, etag != null ? etag : bodyEtag(body), sr, status, true);
  }

  private void writeAssembled(Exchange ex, String pageEtag, StoredResponse sr, CacheStatus status, boolean personal,
      EsiAssembly.Result r, Throwable err) {
    if (ex.clientGone || current != ex) {
      return;
    }
    if (err != null) {
      LOG.warn("{} {}: ESI assembly failed", ex.method, ex.resource, unwrap(err));
      error(ex, 502, "proxy error", false);
      return;
    }
    if (r.outcome() instanceof EsiAssembler.Outcome.Failed f) {
      rt.stats.esiErrors.increment();
      LOG.warn("{} {}: {}", ex.method, ex.resource, f.error().message());
      error(ex, 502, clientText(f.error().message()), false);
      return;
    }
    byte[] body = ((EsiAssembler.Outcome.Assembled) r.outcome()).body();
    // As private as its most private part; revalidated on every use (the ETag makes that a 304).
    boolean shared = !personal && ex.key != null && ex.key.scope().kind() == Scope.Kind.PUBLIC && r.allShared()
        && !isPrivate(sr);
    Fields fields = sr.fields().withoutAll(StoredResponse.NOT_ENCODED)
        .without("Cache-Control").without("Expires").without("Last-Modified")
        .with("Cache-Control", shared ? "no-cache" : "private, no-cache")
        .with("ETag", assembledEtag(pageEtag, r));
    if (!sr.vary.names().isEmpty()) {
      fields = fields.with("Vary", sr.vary.toString());
    }
    long now = rt.now();
    String cacheStatus = (sr.upstreamCacheStatus.isEmpty() ? "" : sr.upstreamCacheStatus + ", ")
        + status.addDetail("esi");
    if (rt.closing) {
      ex.keepAlive = false;
    }
    int connection = !ex.keepAlive ? 1 : ex.request.protocolVersion() == HttpVersion.HTTP_1_0 ? 2 : 0;
    ByteBuf tail = StoredResponse.perRequest(ctx.alloc(), now / 1000, sr.ageSeconds(now), cacheStatus,
        connection, null);
    ex.cacheStatus = cacheStatus;
    ex.responseStarted = true;
    // If-None-Match only: Last-Modified and Date describe the page's template, not the assembly.
    java.util.List<String> inm = ex.request.headers().getAll(HttpHeaderNames.IF_NONE_MATCH);
    if (!inm.isEmpty()) {
      Fields conditions = Fields.EMPTY;
      for (String v : inm) {
        conditions = conditions.with("If-None-Match", v);
      }
      if (Conditional.notModified(ex.method.name(), conditions, sr.status, fields, Instant.ofEpochMilli(now))) {
        rt.stats.notModified.increment();
        ByteBuf block = StoredResponse.notModifiedBlock(ctx.alloc(), fields);
        raw.write(block, raw.voidPromise());
        ex.status = 304;
        ex.bytesOut = block.readableBytes() + tail.readableBytes();
        complete(ex, raw.write(tail));
        return;
      }
    }
    ByteBuf head = sr.head(ctx.alloc(), fields, body.length);
    ex.status = sr.status;
    ex.bytesOut = head.readableBytes() + tail.readableBytes();
    raw.write(head, raw.voidPromise());
    if (ex.isHead()) {
      complete(ex, raw.write(tail));
      return;
    }
    raw.write(tail, raw.voidPromise());
    ex.bytesOut += body.length;
    complete(ex, raw.write(Unpooled.wrappedBuffer(body)));
  }

  /** Whether the page itself is private: its scope is a user's, or its Cache-Control says so. */
  private static boolean isPrivate(StoredResponse sr) {
    if (sr.directives.isPrivate()) {
      return true;
    }
    for (String m : Fields.listMembers(sr.fields().all("Cache-Control"))) {
      if (Fields.lower(m).startsWith("private")) {
        return true;
      }
    }
    return false;
  }

  /** A strong validator of an assembly: the page's and every consulted fragment's, hashed in order. */
  static String assembledEtag(String pageEtag, EsiAssembly.Result r) {
    MessageDigest md = sha256();
    md.update(pageEtag.getBytes(StandardCharsets.UTF_8));
    r.consulted().forEach((path, part) -> {
      md.update((byte) 0);
      md.update(path.getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      md.update(part.etag() == null ? new byte[] {'!'} : part.etag().getBytes(StandardCharsets.UTF_8));
    });
    byte[] d = md.digest();
    return "\"esi-" + Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(d, 16)) + "\"";
  }

  /** The same validator for a fragment that has no ETag of its own (fetched for this request only). */
  static String bodyEtag(byte[] body) {
    byte[] d = sha256().digest(body);
    return "\"b-" + Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(d, 16)) + "\"";
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }

  /**
   * One include of {@code parent}'s page: an internal GET of {@code path} that goes the way a client's
   * GET would (key by resource, Vary and scope, own entry first, freshness, coalescing, hit-for-pass,
   * Cache-Invalidate), with the client's request fields (cookies included) less its conditions and
   * ranges, which were for the page. Called on the loop; completes on it.
   */
  private CompletableFuture<EsiAssembly.Part> fragment(Exchange parent, String path) {
    CompletableFuture<EsiAssembly.Part> out = new CompletableFuture<>();
    HttpHeaders h = new DefaultHttpHeaders();
    h.set(parent.request.headers());
    for (CharSequence n : new CharSequence[] {HttpHeaderNames.IF_NONE_MATCH, HttpHeaderNames.IF_MODIFIED_SINCE,
        HttpHeaderNames.IF_MATCH, HttpHeaderNames.IF_UNMODIFIED_SINCE, HttpHeaderNames.IF_RANGE, HttpHeaderNames.RANGE,
        HttpHeaderNames.CONTENT_LENGTH, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.EXPECT}) {
      h.remove(n);
    }
    h.set(HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderValues.IDENTITY);
    Exchange sub = new Exchange(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path, h), true);
    sub.requestDone = true;
    sub.resource = RequestTarget.resource(path);
    if (sub.resource == null) {
      out.complete(EsiAssembly.Part.failure("not a valid request target"));
      return out;
    }
    String pass = prepare(sub);
    if (pass != null) {
      fetchUncached(sub, out);
      return out;
    }
    if (sub.directives.onlyIfCached()) {
      Page p = rt.cache.getIfPresent(sub.key);
      out.complete(p != null && usable(sub, p) ? partOf(p, sub) : EsiAssembly.Part.failure("not cached (only-if-cached)"));
      return out;
    }
    rt.cache.getAsync(sub.key, p -> usable(sub, p), rc -> render(sub, rc))
        .whenComplete((p, err) -> onLoop(() -> onFragment(sub, p, err, out)));
    return out;
  }

  private void onFragment(Exchange sub, Page page, Throwable err, CompletableFuture<EsiAssembly.Part> out) {
    if (err == null) {
      out.complete(partOf(page, sub));
      return;
    }
    Throwable cause = unwrap(err);
    if (cause instanceof PassThrough pt) {
      if (!sub.leader) {
        fetchUncached(sub, out); // not ours to use: it may be another user's
        return;
      }
      if (pt.hitForPass) {
        rt.hitForPass.put(sub.resource, pt.reason);
      }
      EsiAssembly.Part stale = pt.originError ? staleFragment(sub) : null;
      if (stale != null || pt.reason.equals("too-large")) {
        pt.discard();
        out.complete(stale != null ? stale : EsiAssembly.Part.failure("too large to cache"));
        return;
      }
      if (pt.call != null) {
        // Not storable, decided on its head: the rest of the body is read here, as an uncached fragment's.
        new FragmentBody(out).rest(pt.call, pt.head, pt.body);
        return;
      }
      byte[] body = ByteBufUtil.getBytes(pt.body);
      pt.body.release();
      out.complete(partOf(pt.head.status().code(), Fields.of(pt.head.headers()), body));
      return;
    }
    if (cause instanceof OriginFailure || cause instanceof RenderTimeoutException) {
      rt.stats.originErrors.increment();
      EsiAssembly.Part stale = staleFragment(sub);
      out.complete(stale != null ? stale : EsiAssembly.Part.failure(cause.getMessage()));
      return;
    }
    if (cause instanceof EsiException) {
      out.complete(EsiAssembly.Part.failure(cause.getMessage()));
      return;
    }
    LOG.warn("ESI include {} failed", sub.resource, cause);
    out.complete(EsiAssembly.Part.failure(cause.toString()));
  }

  /** The refused entry of a fragment, if stale-if-error allows it. */
  private EsiAssembly.Part staleFragment(Exchange sub) {
    Page stale = sub.stale;
    if (stale == null || !(stale.attachment() instanceof StoredResponse sr)
        || !sr.freshness().mayServeStaleIfError(sub.directives, Instant.ofEpochMilli(rt.now()))) {
      return null;
    }
    rt.stats.staleServed.increment();
    return partOf(stale, sub);
  }

  /** A fragment from a cache entry. */
  private EsiAssembly.Part partOf(Page page, Exchange sub) {
    StoredResponse sr = (StoredResponse) page.attachment();
    String failed = fragmentFailure(sr.status);
    if (failed != null) {
      return EsiAssembly.Part.failure(failed);
    }
    EsiAssembler.Fetched f = sr.status == 204 ? EsiAssembler.Fetched.body(new byte[0])
        : sr.template != null ? EsiAssembler.Fetched.template(sr.template)
        : EsiAssembler.Fetched.body(sr.identityBody(page, rt.stats.transcodes, rt.cache));
    return new EsiAssembly.Part(f, sr.etag(page), sub.key.scope().kind() == Scope.Kind.PUBLIC);
  }

  /** A Content-Encoding value other than identity, or null: a body whose bytes are not the representation's. */
  static String contentCoding(String contentEncoding) {
    return contentEncoding == null || contentEncoding.isBlank() || contentEncoding.trim().equalsIgnoreCase("identity")
        ? null : contentEncoding;
  }

  /** A fragment fetched for this request only (not stored): never shared. */
  private EsiAssembly.Part partOf(int status, Fields response, byte[] body) {
    String failed = fragmentFailure(status);
    if (failed != null) {
      return EsiAssembly.Part.failure(failed);
    }
    if (status == 204) {
      body = new byte[0];
    }
    String coding = contentCoding(response.first("Content-Encoding"));
    if (coding != null) {
      return EsiAssembly.Part.failure("origin sent a " + Fields.printable(coding) + " body");
    }
    EsiTemplate t = EsiTemplate.literal(body);
    if (rt.config.esi() && SurrogateControl.wantsEsi(response)) {
      try {
        t = EsiTemplate.parse(body, rt.esiLimits);
      } catch (EsiException e) {
        return EsiAssembly.Part.failure(e.getMessage());
      }
    }
    return new EsiAssembly.Part(EsiAssembler.Fetched.template(t), bodyEtag(body), false);
  }

  /** Why a fragment with this status is a failed include, or null: only 200, 203 and 204 (empty) are content. */
  private static String fragmentFailure(int status) {
    return status == 200 || status == 203 || status == 204 ? null : "origin answered " + status;
  }

  /** A fragment that skips the cache (pass): one origin GET, its body collected for the assembly only. */
  private void fetchUncached(Exchange sub, CompletableFuture<EsiAssembly.Part> out) {
    rt.stats.passes.increment();
    rt.stats.originRequests.increment();
    OriginCall.start(rt.origin(loop), originRequest(sub, false), false, new FragmentBody(out));
  }

  /**
   * Reads a fragment's response whole, up to {@link ProxyConfig#maxCacheableBodyBytes()}, into the
   * part it completes: for a fragment fetched outside the cache, or one the cache would not store,
   * whose response the fill hands over after its head ({@link #rest}).
   */
  private final class FragmentBody implements OriginCall.Listener {
    private final CompletableFuture<EsiAssembly.Part> out;
    private HttpResponse head;
    private CompositeByteBuf body;

    FragmentBody(CompletableFuture<EsiAssembly.Part> out) {
      this.out = out;
    }

    /** Reads the rest of a response whose head and first bytes a fill already read. */
    void rest(OriginCall call, HttpResponse response, ByteBuf first) {
      head = response;
      body = Unpooled.compositeBuffer(1024);
      if (first.isReadable()) {
        body.addComponent(true, first);
      } else {
        first.release();
      }
      call.listener(this);
      call.read();
    }

    @Override
    public void onResponse(OriginCall call, HttpResponse response) {
      rt.applyInvalidations(response.headers());
      if (HttpUtil.getContentLength(response, -1L) > rt.config.maxCacheableBodyBytes()) {
        call.abort();
        out.complete(EsiAssembly.Part.failure("too large"));
        return;
      }
      head = response;
      body = Unpooled.compositeBuffer(1024);
      call.read();
    }

    @Override
    public void onContent(OriginCall call, HttpContent content) {
      if (body == null) {
        content.release();
        return;
      }
      if (content.content().isReadable()) {
        body.addComponent(true, content.content().retain());
      }
      content.release();
      boolean last = content instanceof LastHttpContent;
      if (body.readableBytes() > rt.config.maxCacheableBodyBytes()) {
        body.release();
        body = null;
        if (!last) {
          call.abort();
        }
        out.complete(EsiAssembly.Part.failure("too large"));
        return;
      }
      if (!last) {
        call.read();
        return;
      }
      byte[] bytes = ByteBufUtil.getBytes(body);
      body.release();
      body = null;
      out.complete(partOf(head.status().code(), Fields.of(head.headers()), bytes));
    }

    @Override
    public void onFailure(OriginCall call, OriginFailure failure) {
      rt.stats.originErrors.increment();
      if (body != null) {
        body.release();
        body = null;
      }
      out.complete(EsiAssembly.Part.failure(failure.getMessage()));
    }
  }

  /** One line of at most 300 printable characters, for an error body. */
  /**
   * An error message for a client: short and printable, and without the origin's address, which is
   * the operator's business (the log has the whole message).
   */
  private String clientText(String s) {
    return shortText(s.replace(rt.config.originAuthority(), "origin"));
  }

  static String shortText(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), 300));
    for (int i = 0; i < s.length() && b.length() < 300; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c > 0x7E ? '?' : c);
    }
    return s.length() > 300 ? b.append("...").toString() : b.toString();
  }

  private void onLoop(Runnable r) {
    if (loop.inEventLoop()) {
      r.run();
    } else {
      loop.execute(r);
    }
  }

  // ------------------------------------------------------------------ pass: relay to and from the origin

  /** Forwards the client's own request, uncached, and relays the answer. */
  private void forward(Exchange ex, CacheStatus.Fwd fwd, String detail) {
    rt.stats.passes.increment();
    rt.stats.originRequests.increment();
    CacheStatus status = CacheStatus.fwd(fwd);
    if (detail != null) {
      status = status.detail(detail);
    }
    HttpRequest req = ex.request;
    boolean hasBody = HttpUtil.getContentLength(req, 0L) > 0 || HttpUtil.isTransferEncodingChunked(req);
    HttpRequest origin = originRequest(ex, false);
    if (hasBody && !origin.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
      HttpUtil.setTransferEncodingChunked(origin, true);
    }
    ex.call = OriginCall.start(rt.origin(loop), origin, hasBody, new Relay(ex, status, true));
    // Body chunks that were queued before the call existed go out now, in order.
    while (!ex.requestDone && !queued.isEmpty() && queued.peek() instanceof HttpContent c) {
      queued.poll();
      onBody(ex, c);
    }
  }

  /**
   * Whether {@code req} validly offers to switch protocols (RFC 9110 section 7.8): HTTP/1.1, and
   * {@code Upgrade} named in {@code Connection}, as a sender must; an offer without it is ignored.
   */
  static boolean offersUpgrade(HttpRequest req) {
    if (!HttpVersion.HTTP_1_1.equals(req.protocolVersion())) {
      return false;
    }
    for (String token : Fields.listMembers(req.headers().getAll(HttpHeaderNames.CONNECTION))) {
      if (token.equalsIgnoreCase("upgrade")) {
        return true;
      }
    }
    return false;
  }

  /** The protocol names (without versions, lower case) of an {@code Upgrade} field's lines. */
  private static Set<String> protocols(HttpHeaders h) {
    Set<String> names = new HashSet<>();
    for (String t : Fields.listMembers(h.getAll(HttpHeaderNames.UPGRADE))) {
      int slash = t.indexOf('/');
      names.add((slash < 0 ? t : t.substring(0, slash)).toLowerCase(Locale.ROOT));
    }
    return names;
  }

  /**
   * Sends a protocol switch offer (a WebSocket handshake) on to the origin with its {@code Upgrade}
   * and {@code Connection: upgrade}, which as hop-by-hop fields every other request loses. A {@code
   * 101} makes the connection a {@link Tunnel} to that origin connection; any other answer is
   * relayed as a pass.
   */
  private void tunnel(Exchange ex) {
    rt.stats.passes.increment();
    rt.stats.originRequests.increment();
    CacheStatus status = CacheStatus.fwd(CacheStatus.Fwd.BYPASS).detail("upgrade");
    HttpRequest origin = originRequest(ex, false);
    origin.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
    origin.headers().set(HttpHeaderNames.UPGRADE, String.join(", ", ex.request.headers().getAll(HttpHeaderNames.UPGRADE)));
    Relay relay = new Relay(ex, status, true);
    ex.call = OriginCall.start(rt.origin(loop), origin, false, new OriginCall.Listener() {
      @Override
      public void onInterim(OriginCall call, HttpResponse interim) {
        relay.onInterim(call, interim);
      }

      @Override
      public void onResponse(OriginCall call, HttpResponse head) {
        if (head.status().code() != 101) {
          call.listener(relay);
          relay.onResponse(call, head);
          return;
        }
        if (ex.clientGone || current != ex) {
          call.abort();
          return;
        }
        if (!protocols(ex.request.headers()).containsAll(protocols(head.headers()))
            || protocols(head.headers()).isEmpty()) {
          // RFC 9110 section 7.8: the switch must be to a protocol the client offered.
          call.abort();
          rt.stats.originErrors.increment();
          LOG.warn("{} {}: origin switched to '{}', which the client did not offer", ex.method, ex.resource,
              Fields.printable(head.headers().get(HttpHeaderNames.UPGRADE, "")));
          error(ex, 502, "bad response from origin", true); // the client may have sent bytes for the new protocol
          return;
        }
        switchProtocols(ex, call, head, status);
      }

      @Override
      public void onContent(OriginCall call, HttpContent content) {
        relay.onContent(call, content);
      }

      @Override
      public void onFailure(OriginCall call, OriginFailure failure) {
        relay.onFailure(call, failure);
      }
    });
  }

  /** Answers the client's offer with the origin's 101 and joins the two connections in a tunnel. */
  private void switchProtocols(Exchange ex, OriginCall call, HttpResponse head, CacheStatus status) {
    rt.applyInvalidations(head.headers());
    Channel origin = call.takeChannel();
    if (origin == null) {
      error(ex, 502, "origin unreachable", false);
      return;
    }
    HttpHeaders h = ProxyRuntime.clientFields(head.headers());
    h.remove(HttpHeaderNames.CONTENT_LENGTH);
    h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
    h.set(HttpHeaderNames.UPGRADE, String.join(", ", head.headers().getAll(HttpHeaderNames.UPGRADE)));
    String via = h.get(HttpHeaderNames.VIA);
    h.set(HttpHeaderNames.VIA, via == null ? StoredResponse.VIA : via + ", " + StoredResponse.VIA);
    ex.cacheStatus = status.fwdStatus(101).toString();
    h.set("Cache-Status", ex.cacheStatus);
    ex.status = 101;
    ex.responseStarted = true;
    ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS,
        Unpooled.EMPTY_BUFFER, h, EmptyHttpHeaders.INSTANCE), ctx.voidPromise());
    // The exchange ends here for the log and the counters; the connection is the tunnel's now and
    // never carries another HTTP request (what was queued behind the offer is dropped).
    closed = true;
    current = null;
    ex.call = null;
    rt.inFlight.decrementAndGet();
    rt.stats.upgrades.increment();
    access(ex);
    Object m;
    while ((m = queued.poll()) != null) {
      ReferenceCountUtil.release(m);
    }
    Tunnel.join(ctx.channel(), origin, "decoder", rt.config.clientIdleTimeout(), rt.stats.tunnelBytesIn,
        rt.stats.tunnelBytesOut);
  }

  /** Relays a response the renderer would not store; only the leader gets here. */
  private void relay(Exchange ex, PassThrough pt, CacheStatus status) {
    Relay relay = new Relay(ex, status, false);
    ex.call = pt.call;
    if (pt.call != null) {
      pt.call.listener(relay);
    }
    relay.onResponse(pt.call, pt.head);
    if (!relay.started) {
      pt.discard();
      return;
    }
    relay.onContent(pt.call, pt.call == null ? new DefaultLastHttpContent(pt.body) : new io.netty.handler.codec.http.DefaultHttpContent(pt.body));
  }

  /**
   * Forwards an origin's interim response (103 Early Hints, 102 Processing) to the client whose own
   * request the origin is answering, as RFC 9110 section 15.2 asks of a proxy: before the final
   * response only, never to an HTTP/1.0 client (which cannot read one), without hop-by-hop and the
   * proxy's own fields. Requests that wait on another's fetch, background refreshes and ESI
   * includes get none: the origin is not answering them.
   */
  private void forwardInterim(Exchange ex, HttpResponse interim) {
    if (ex.background || ex.clientGone || closed || current != ex || ex.responseStarted
        || !HttpVersion.HTTP_1_1.equals(ex.request.protocolVersion())) {
      return;
    }
    HttpHeaders h = ProxyRuntime.clientFields(interim.headers());
    h.remove(HttpHeaderNames.CONTENT_LENGTH);
    ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, interim.status(), Unpooled.EMPTY_BUFFER, h,
        EmptyHttpHeaders.INSTANCE), ctx.voidPromise());
    rt.stats.interimResponses.increment();
  }

  /** Request fields that tell an origin which host, scheme or URL the client used: unkeyed, so never forwarded. */
  private static final List<String> CLIENT_ROUTING_FIELDS = List.of("X-Forwarded-Host", "X-Forwarded-Server",
      "X-Forwarded-Port", "X-Forwarded-Scheme", "X-Forwarded-Prefix", "Forwarded", "X-Original-URL", "X-Rewrite-URL",
      "X-Original-Host", "X-Host");

  /** The request to send to the origin for this exchange. */
  private HttpRequest originRequest(Exchange ex, boolean forCache) {
    HttpRequest req = ex.request;
    HttpHeaders h = new DefaultHttpHeaders();
    h.set(req.headers());
    ProxyRuntime.stripHopByHop(h);
    h.remove(HttpHeaderNames.EXPECT);
    if (forCache) {
      // A shared fetch: no client conditions or ranges (we want the whole representation), and an
      // identity body so it can be served in any coding without decoding (core compresses it once).
      for (CharSequence n : new CharSequence[] {HttpHeaderNames.IF_NONE_MATCH, HttpHeaderNames.IF_MODIFIED_SINCE,
          HttpHeaderNames.IF_MATCH, HttpHeaderNames.IF_UNMODIFIED_SINCE, HttpHeaderNames.IF_RANGE,
          HttpHeaderNames.RANGE, HttpHeaderNames.CACHE_CONTROL, HttpHeaderNames.PRAGMA, HttpHeaderNames.CONTENT_LENGTH}) {
        h.remove(n);
      }
      h.set(HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderValues.IDENTITY);
    }
    h.set(HttpHeaderNames.HOST, rt.config.originAuthority());
    // Nothing the client says about where it connected reaches the origin, as nginx's proxy_pass
    // does by default: none of it is in the cache key, so an origin that built links from a client's
    // "Host: evil.example" (or X-Forwarded-Host, Forwarded, X-Original-URL) would store them for
    // everyone. Applications take their public address from their own configuration.
    for (String n : CLIENT_ROUTING_FIELDS) {
      h.remove(n);
    }
    h.set("X-Forwarded-Proto", "http");
    if (ctx.channel().remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null) {
      String ip = a.getAddress().getHostAddress();
      String xff = req.headers().get("X-Forwarded-For");
      h.set("X-Forwarded-For", xff == null ? ip : xff + ", " + ip);
    }
    String via = req.headers().get(HttpHeaderNames.VIA);
    h.set(HttpHeaderNames.VIA, via == null ? StoredResponse.VIA : via + ", " + StoredResponse.VIA);
    if (rt.config.esi()) {
      // Appended to a downstream surrogate's own (W3C Edge Architecture 1.0).
      String capability = String.join(", ", req.headers().getAll(SurrogateControl.CAPABILITY_HEADER));
      h.set(SurrogateControl.CAPABILITY_HEADER, capability.isBlank()
          ? SurrogateControl.CAPABILITY : capability + ", " + SurrogateControl.CAPABILITY);
    }
    // The resource, not the target as sent: what is stored under a normalized key must be what the
    // origin answers for that key, or '/a/../b' could store anything the origin says for it as '/b'.
    String uri = ex.resource != null ? ex.resource : req.uri();
    HttpMethod method = forCache ? HttpMethod.GET : req.method();
    return new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri, h);
  }

  /**
   * Relays an origin response to the client, chunk by chunk: the next chunk is read from the origin
   * only after the previous one was written to the client.
   */
  private final class Relay implements OriginCall.Listener {
    private final Exchange ex;
    private final CacheStatus status;
    private final boolean applyHeaders;
    private boolean discardBody;
    boolean started;
    /** An ESI response being collected to be assembled (not relayed as it is), or null. */
    private CompositeByteBuf esiBody;
    private HttpResponse esiHead;

    Relay(Exchange ex, CacheStatus status, boolean applyHeaders) {
      this.ex = ex;
      this.status = status;
      this.applyHeaders = applyHeaders;
    }

    @Override
    public void onInterim(OriginCall call, HttpResponse interim) {
      forwardInterim(ex, interim);
    }

    @Override
    public void onResponse(OriginCall call, HttpResponse head) {
      int code = head.status().code();
      if (applyHeaders) {
        boolean wrote = rt.applyInvalidations(head.headers());
        rt.invalidateAfterUnsafe(ex.method, code, ex.resource, head.headers(), ex.request.headers().get(HttpHeaderNames.HOST));
        if (wrote || !ProxyRuntime.isSafe(ex.method)) {
          rt.noteWriter(ex.writerKey);
        }
      }
      if (ex.clientGone || current != ex) {
        if (call != null) {
          call.abort();
        }
        return;
      }
      if (code == 206 && rt.config.esi() && ex.method == HttpMethod.GET && call != null
          && ex.request.headers().contains(HttpHeaderNames.RANGE) && SurrogateControl.wantsEsi(Fields.of(head.headers()))) {
        // A part of a template cannot be assembled, and relayed it shows the markup. RFC 9110
        // section 14.2 lets a server ignore Range: the whole page, through the cache path.
        call.abort();
        ex.request.headers().remove(HttpHeaderNames.RANGE);
        ex.request.headers().remove(HttpHeaderNames.IF_RANGE);
        ex.call = null;
        lookup(ex);
        return;
      }
      started = true;
      if (rt.config.esi() && !ex.isHead() && code == 200 && ex.resource != null
          && SurrogateControl.wantsEsi(Fields.of(head.headers()))) {
        String coding = contentCoding(head.headers().get(HttpHeaderNames.CONTENT_ENCODING));
        if (coding != null) {
          // Markup inside a coded body cannot be read without decoding it: relayed as it came, with
          // its Content-Encoding (the proxy asked for identity; the origin is at fault).
          LOG.warn("{} {}: the origin asked for ESI but sent a {} body; relayed unprocessed", ex.method, ex.resource,
              Fields.printable(coding));
        } else {
          startEsi(call, head);
          return;
        }
      }
      relayHead(call, head, code);
    }

    /** Collects the body to assemble it ({@link #collectEsi}) instead of relaying it. */
    private void startEsi(OriginCall call, HttpResponse head) {
      esiHead = head;
      esiBody = Unpooled.compositeBuffer(1024);
      if (applyHeaders && call != null && !call.isDone()) {
        call.read();
      }
    }

    private void relayHead(OriginCall call, HttpResponse head, int code) {
      HttpHeaders h = ProxyRuntime.clientFields(head.headers());
      String via = h.get(HttpHeaderNames.VIA);
      h.set(HttpHeaderNames.VIA, via == null ? StoredResponse.VIA : via + ", " + StoredResponse.VIA);
      String cs = StoredResponse.upstream(h.getAll("Cache-Status"));
      String member = status.fwdStatus(code).toString();
      ex.cacheStatus = cs.isEmpty() ? member : cs + ", " + member;
      h.set("Cache-Status", ex.cacheStatus);
      if (!h.contains(HttpHeaderNames.DATE)) {
        h.set(HttpHeaderNames.DATE, rt.dates.text(rt.now()));
      }
      boolean noBody = ex.isHead() || code == 204 || code == 304 || code < 200;
      discardBody = ex.isHead();
      if (!noBody && !h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
        if (ex.request.protocolVersion() == HttpVersion.HTTP_1_1) {
          h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        } else {
          ex.keepAlive = false; // HTTP/1.0: the end of the body is the end of the connection
        }
      }
      setConnection(ex, h);
      HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, head.status(), h);
      ex.status = code;
      ex.responseStarted = true;
      ctx.write(r, ctx.voidPromise());
      if (applyHeaders && call != null && !call.isDone()) {
        call.read(); // a pass-through's first chunk is already here: the leader writes it next
      }
    }

    @Override
    public void onContent(OriginCall call, HttpContent content) {
      boolean last = content instanceof LastHttpContent;
      if (ex.clientGone || current != ex || !started) {
        content.release();
        if (esiBody != null) {
          esiBody.release();
          esiBody = null;
        }
        if (!last && call != null) {
          call.abort();
        }
        return;
      }
      if (esiBody != null) {
        collectEsi(call, content, last);
        return;
      }
      if (discardBody) {
        content.release();
        if (last) {
          complete(ex, ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
        } else if (ex.isHead() && call != null) {
          call.abort(); // a GET fetched for a HEAD: the rest is not needed
          complete(ex, ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
        } else if (call != null) {
          call.read();
        }
        return;
      }
      ex.bytesOut += content.content().readableBytes();
      HttpContent out = last && !((LastHttpContent) content).trailingHeaders().isEmpty()
          ? new DefaultLastHttpContent(content.content()) // trailers dropped (Trailer is hop-by-hop here)
          : content;
      ChannelFuture f = ctx.writeAndFlush(out);
      if (last) {
        complete(ex, f);
      } else {
        f.addListener((ChannelFutureListener) w -> {
          if (w.isSuccess()) {
            call.read();
          } else {
            call.abort();
          }
        });
      }
    }

    private void collectEsi(OriginCall call, HttpContent content, boolean last) {
      if (content.content().isReadable()) {
        esiBody.addComponent(true, content.content().retain());
      }
      content.release();
      if (esiBody.readableBytes() > rt.config.maxCacheableBodyBytes()) {
        esiBody.release();
        esiBody = null;
        if (!last && call != null) {
          call.abort();
        }
        LOG.warn("{} {}: ESI response above maxCacheableBodyBytes", ex.method, ex.resource);
        error(ex, 502, "ESI response too large", false);
        return;
      }
      if (!last) {
        call.read();
        return;
      }
      byte[] bytes = ByteBufUtil.getBytes(esiBody);
      esiBody.release();
      esiBody = null;
      serveAssembledOnce(ex, esiHead, bytes, status.fwdStatus(esiHead.status().code()));
    }

    @Override
    public void onFailure(OriginCall call, OriginFailure failure) {
      rt.stats.originErrors.increment();
      if (esiBody != null) {
        esiBody.release();
        esiBody = null;
        if (!ex.clientGone && current == ex) {
          error(ex, failure.status(), failure.clientText(), false);
        }
        return;
      }
      if (ex.clientGone || current != ex) {
        return;
      }
      if (!started) {
        LOG.debug("{} {}: {}", ex.method, ex.resource, failure.getMessage());
        if (serveStaleIfError(ex, 0)) {
          return;
        }
        error(ex, failure.status(), failure.clientText(), false);
        return;
      }
      // Mid-body: the client can only learn of it by the connection closing early.
      LOG.debug("{} {}: {}", ex.method, ex.resource, failure.getMessage());
      ex.keepAlive = false;
      current = null;
      rt.inFlight.decrementAndGet();
      ctx.flush();
      ctx.close();
      access(ex);
    }
  }

  // ------------------------------------------------------------------ ending an exchange

  private void setConnection(Exchange ex, HttpHeaders h) {
    if (rt.closing) {
      ex.keepAlive = false;
    }
    if (!ex.keepAlive) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (ex.request.protocolVersion() == HttpVersion.HTTP_1_0) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
  }

  /** A short text answer generated by the proxy. */
  private void error(Exchange ex, int code, String text, boolean close) {
    if (close || bodyPending(ex)) {
      ex.keepAlive = false;
    }
    ByteBuf body = Unpooled.copiedBuffer(text + "\n", StandardCharsets.UTF_8);
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(code), body);
    HttpHeaders h = r.headers();
    h.set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    h.set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    h.set(HttpHeaderNames.DATE, rt.dates.text(rt.now()));
    h.set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    ex.cacheStatus = NAME + "; detail=error-" + code; // a token (RFC 9211: detail is a String or a Token)
    h.set("Cache-Status", ex.cacheStatus);
    setConnection(ex, h);
    ex.status = code;
    ex.bytesOut = body.readableBytes();
    ex.responseStarted = true;
    if (ex.isHead()) {
      r = r.replace(Unpooled.EMPTY_BUFFER);
      body.release();
    }
    complete(ex, ctx.write(r));
  }

  /**
   * The response to {@code ex} has been written (up to {@code last}): log it, then close or go on
   * with the next request.
   */
  private void complete(Exchange ex, ChannelFuture last) {
    if (current != ex) {
      return;
    }
    current = null;
    ex.call = null;
    rt.inFlight.decrementAndGet();
    rt.stats.bytesOut.add(ex.bytesOut);
    access(ex);
    if (!ex.keepAlive || bodyPending(ex) || rt.closing) {
      closed = true;
      ctx.flush();
      last.addListener(ChannelFutureListener.CLOSE);
      Object m;
      while ((m = queued.poll()) != null) {
        ReferenceCountUtil.release(m);
      }
      return;
    }
    if (inRead) {
      needsFlush = true;
    } else {
      ctx.flush();
    }
    if (draining) {
      return; // the loop below, further up the stack, goes on
    }
    // Pipelined requests that arrived meanwhile.
    draining = true;
    while (current == null && !queued.isEmpty() && !closed) {
      dispatch(queued.poll());
      Exchange next = current;
      while (next != null && !next.requestDone && !queued.isEmpty() && queued.peek() instanceof HttpContent c
          && current == next) {
        queued.poll();
        onBody(next, c);
      }
    }
    draining = false;
    if (!inRead) {
      ctx.flush();
      maybeRead();
    }
  }

  /**
   * Whether a request body is still to come: answering before it arrived means closing (the rest
   * cannot be told from the next request). The end of a body-less request ({@code
   * LastHttpContent.EMPTY}) may still be on its way; it is dropped when it comes.
   */
  /** Who a client is for read-your-writes: its hashed identity if it has one, else its address. */
  private String writerKey(HttpRequest req) {
    String id = rt.identity.configured() ? rt.identity.of(req.headers()) : null;
    if (id != null) {
      return "u:" + id;
    }
    return ctx.channel().remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
        ? "a:" + a.getAddress().getHostAddress() : null;
  }

  /** Whether the request's only upgrade offer is HTTP/2 over cleartext ({@code Upgrade: h2c}). */
  static boolean isH2cOffer(HttpHeaders h) {
    for (String line : h.getAll(HttpHeaderNames.UPGRADE)) {
      for (String token : line.split(",")) {
        if (!token.trim().equalsIgnoreCase("h2c")) {
          return false;
        }
      }
    }
    return true;
  }

  private static boolean bodyPending(Exchange ex) {
    return !ex.requestDone
        && (HttpUtil.getContentLength(ex.request, 0L) > 0 || HttpUtil.isTransferEncodingChunked(ex.request));
  }

  private void access(Exchange ex) {
    if (!rt.config.accessLog() || !ACCESS.isInfoEnabled() || ex.background) {
      return;
    }
    long micros = (System.nanoTime() - ex.startNanos) / 1000;
    ACCESS.info("{} {} {} {} {} \"{}\" {}.{}ms", remote(), ex.method, Fields.printable(ex.request.uri()),
        ex.status, ex.bytesOut, ex.cacheStatus, micros / 1000, String.format("%03d", micros % 1000));
  }

  private String remote() {
    return ctx.channel().remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
        ? a.getAddress().getHostAddress() : "-";
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException
        || t instanceof io.freshcache.core.RenderException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** The Accept-Encoding field value, its lines joined (RFC 9110 section 5.3); null when there is none. */
  static String acceptEncoding(HttpHeaders h) {
    java.util.Iterator<String> lines = h.valueStringIterator(HttpHeaderNames.ACCEPT_ENCODING);
    if (!lines.hasNext()) {
      return null;
    }
    String first = lines.next();
    if (!lines.hasNext()) {
      return first; // the usual case: one line, no list or join on the hit path
    }
    StringBuilder joined = new StringBuilder(first);
    while (lines.hasNext()) {
      joined.append(',').append(lines.next());
    }
    return joined.toString();
  }
}
