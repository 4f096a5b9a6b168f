package io.freshcache.proxy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.freshcache.core.CacheStats;
import io.freshcache.core.Clock;
import io.freshcache.core.Freshcache;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers admin requests: authorization, routing, and the four endpoints. Runs on the admin
 * listener's own event loop (one thread), so the work it does (a prefix scan, a scrape) never delays
 * the data path. Every answer is a complete response with a length; errors are {@code
 * {"error":"..."}} and never contain a stack trace (those go to the log).
 */
@Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

  static final String JSON_TYPE = "application/json";
  static final String TEXT_TYPE = "text/plain; charset=utf-8";
  /** The Prometheus text exposition format that {@link PrometheusMeterRegistry#scrape()} writes. */
  static final String PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final ObjectMapper JSON = JsonMapper.builder().build();
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private final Freshcache cache;
  private final PrometheusMeterRegistry registry;
  private final AdminActions actions;
  private final Clock clock;
  /** SHA-256 of the configured token, or null when none is required. */
  private final byte[] tokenHash;

  AdminHandler(Freshcache cache, PrometheusMeterRegistry registry, AdminActions actions, String token, Clock clock) {
    this.cache = cache;
    this.registry = registry;
    this.actions = actions;
    this.clock = clock;
    this.tokenHash = token == null ? null : sha256(token);
  }

  /** A response before it is written. */
  record Response(HttpResponseStatus status, String contentType, byte[] body, Map<String, String> headers) {
    static Response json(HttpResponseStatus status, Object value) {
      try {
        return new Response(status, JSON_TYPE, JSON.writeValueAsBytes(value), Map.of());
      } catch (JsonProcessingException e) {
        // Only proxyStats() can hold values Jackson cannot write; say so instead of failing silently.
        LOG.warn("admin: cannot write a response as JSON", e);
        return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error: a value could not be written as JSON (see the proxy's log)");
      }
    }

    static Response error(HttpResponseStatus status, String message) {
      byte[] body;
      try {
        body = JSON.writeValueAsBytes(Map.of("error", message));
      } catch (JsonProcessingException e) { // a map of one string: cannot happen
        body = "{\"error\":\"internal error\"}".getBytes(StandardCharsets.UTF_8);
      }
      return new Response(status, JSON_TYPE, body, Map.of());
    }

    Response with(String name, String value) {
      Map<String, String> h = new LinkedHashMap<>(headers);
      h.put(name, value);
      return new Response(status, contentType, body, h);
    }
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    DecoderResult decoded = req.decoderResult();
    if (!decoded.isSuccess()) {
      Throwable cause = decoded.cause();
      HttpResponseStatus status = cause instanceof TooLongHttpHeaderException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
          : cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
          : HttpResponseStatus.BAD_REQUEST;
      LOG.debug("admin: undecodable request from {}", ctx.channel().remoteAddress(), cause);
      // The connection's framing may be lost: answer and close.
      write(ctx, req, Response.error(status, "request: not valid HTTP/1.1 (" + status.reasonPhrase() + ")"), true);
      return;
    }
    Response response;
    try {
      response = handle(req, ctx.channel().remoteAddress());
    } catch (AdminError e) {
      response = refusal(e);
    } catch (RuntimeException e) {
      LOG.warn("admin: {} {} from {} failed", req.method(), Fields.printable(req.uri()), ctx.channel().remoteAddress(), e);
      response = Response.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error (see the proxy's log)");
    }
    write(ctx, req, response, false);
  }

  private static Response refusal(AdminError e) {
    Response response = Response.error(HttpResponseStatus.valueOf(e.status()), e.getMessage());
    if (e instanceof Unauthorized u) {
      response = response.with(HttpHeaderNames.WWW_AUTHENTICATE.toString(), u.challenge);
    } else if (e instanceof MethodNotAllowed m) {
      response = response.with(HttpHeaderNames.ALLOW.toString(), m.allow);
    }
    return response;
  }

  /**
   * Answers a request whose body is over the limit: with the refusal its head alone earns (no Host,
   * no or a wrong token) if it has one, so that the limit is only told to those allowed to send a
   * body; otherwise with {@code tooLarge}.
   */
  void refuseOversized(ChannelHandlerContext ctx, HttpRequest req, Response tooLarge, boolean close) {
    Response response = tooLarge;
    try {
      checkHead(req, new QueryStringDecoder(req.uri()).path(), ctx.channel().remoteAddress());
    } catch (AdminError e) {
      response = refusal(e);
    }
    write(ctx, req, response, close);
  }

  /** Routes a decoded request; throws {@link AdminError} for a refusal. */
  Response handle(FullHttpRequest req, SocketAddress from) {
    String path = new QueryStringDecoder(req.uri()).path();
    // Reads (a scrape every few seconds) at DEBUG; invalidations and refusals are logged at INFO/WARN.
    LOG.debug("admin: {} {} from {}", req.method(), Fields.printable(req.uri()), from);
    checkHead(req, path, from);
    if (path.equals("/health")) {
      requireMethod(req, HttpMethod.GET, HttpMethod.HEAD);
      return new Response(HttpResponseStatus.OK, TEXT_TYPE, "ok\n".getBytes(StandardCharsets.UTF_8), Map.of());
    }
    switch (path) {
      case "/invalidate":
        requireMethod(req, HttpMethod.POST);
        return invalidate(req, from);
      case "/stats":
        requireMethod(req, HttpMethod.GET, HttpMethod.HEAD);
        return Response.json(HttpResponseStatus.OK, stats());
      case "/metrics":
        requireMethod(req, HttpMethod.GET, HttpMethod.HEAD);
        return new Response(HttpResponseStatus.OK, PROMETHEUS_TYPE,
            registry.scrape().getBytes(StandardCharsets.UTF_8), Map.of());
      default:
        throw new AdminError(404, "not found: " + Fields.printable(path)
            + " (expected: POST /invalidate, GET /stats, GET /metrics or GET /health)");
    }
  }

  // ---------------------------------------------------------------- authorization

  /** What the head alone can refuse: a missing or repeated Host (RFC 9112 section 3.2), then the credentials. */
  private void checkHead(HttpRequest req, String path, SocketAddress from) {
    int hosts = req.headers().getAll(HttpHeaderNames.HOST).size();
    if (hosts > 1 || hosts == 0 && HttpVersion.HTTP_1_1.equals(req.protocolVersion())) {
      throw new AdminError(400, "host: " + (hosts == 0 ? "missing" : hosts + " Host fields")
          + " (expected: exactly one Host field in an HTTP/1.1 request)");
    }
    if (!path.equals("/health")) {
      // /health is unauthenticated on purpose: load balancers and probes carry no token, and "ok"
      // reveals nothing.
      authorize(req, from);
    }
  }

  private void authorize(HttpRequest req, SocketAddress from) {
    if (tokenHash == null) {
      // No token: the listener is on loopback (ProxyConfig insists). A web page the admin's browser
      // opens could still reach it through DNS rebinding; its requests carry the attacker's host name,
      // so only loopback Host values are accepted. (Its cross-site POSTs are stopped by requiring
      // application/json, which a browser cannot send cross-site without a CORS preflight we never
      // answer.)
      String host = req.headers().get(HttpHeaderNames.HOST);
      if (host != null && !isLoopbackHost(host)) {
        LOG.warn("admin: refused {} {} from {}: Host '{}' is not a loopback address", req.method(),
            Fields.printable(req.uri()), from, Fields.printable(host));
        throw new AdminError(403, "host: '" + Fields.printable(host)
            + "' (expected: a loopback host such as 127.0.0.1 or localhost; set an admin token to allow others)");
      }
      return;
    }
    String header = req.headers().get(HttpHeaderNames.AUTHORIZATION);
    if (!bearerMatches(header, tokenHash)) {
      LOG.warn("admin: refused {} {} from {}: {}", req.method(), Fields.printable(req.uri()), from,
          header == null ? "no Authorization" : "wrong credentials");
      String challenge = header == null ? "Bearer realm=\"freshcache-admin\""
          : "Bearer realm=\"freshcache-admin\", error=\"invalid_token\""; // RFC 6750 section 3
      throw new Unauthorized(header == null ? "unauthorized: an Authorization: Bearer token is required"
          : "unauthorized: wrong token (expected: Authorization: Bearer <the admin token>)", challenge);
    }
  }

  /** A 401 with its challenge. */
  static final class Unauthorized extends AdminError {
    private static final long serialVersionUID = 1L;
    final String challenge;

    Unauthorized(String message, String challenge) {
      super(401, message);
      this.challenge = challenge;
    }
  }

  /**
   * Whether an Authorization value is {@code Bearer <token>} with the right token. Both sides are
   * hashed first, so {@link MessageDigest#isEqual} compares two 32-byte values: the time taken reveals
   * neither a prefix of the token nor its length.
   */
  static boolean bearerMatches(String header, byte[] expectedHash) {
    if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false; // RFC 6750 section 2.1: the scheme is case-insensitive
    }
    String token = header.substring(7).strip();
    return !token.isEmpty() && MessageDigest.isEqual(sha256(token), expectedHash);
  }

  static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e); // every JVM must have it
    }
  }

  /** {@code localhost}, a 127.0.0.0/8 address or {@code [::1]}, with or without a port. */
  static boolean isLoopbackHost(String hostHeader) {
    String h = hostHeader.strip();
    String host;
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      if (end < 0) {
        return false;
      }
      host = h.substring(1, end);
      if (host.indexOf(':') < 0) {
        return false;
      }
    } else {
      int colon = h.indexOf(':');
      host = colon < 0 ? h : h.substring(0, colon);
      if (host.equalsIgnoreCase("localhost")) {
        return true;
      }
      if (!IPV4.matcher(host).matches()) {
        return false; // a name: never resolved here, and not trusted
      }
    }
    try {
      return InetAddress.getByName(host).isLoopbackAddress(); // a literal: parsed, not looked up
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static void requireMethod(FullHttpRequest req, HttpMethod... allowed) {
    StringBuilder allow = new StringBuilder();
    for (HttpMethod m : allowed) {
      if (m.equals(req.method())) {
        return;
      }
      allow.append(allow.length() == 0 ? "" : ", ").append(m.name());
    }
    throw new MethodNotAllowed(req.method().name(), allow.toString());
  }

  /** A 405 with its Allow field. */
  static final class MethodNotAllowed extends AdminError {
    private static final long serialVersionUID = 1L;
    final String allow;

    MethodNotAllowed(String method, String allow) {
      super(405, "method: " + Fields.printable(method) + " (expected: " + allow + ")");
      this.allow = allow;
    }
  }

  // ---------------------------------------------------------------- endpoints

  private Response invalidate(FullHttpRequest req, SocketAddress from) {
    String type = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
    if (type == null || !mediaType(type).equals(JSON_TYPE)) {
      throw new AdminError(415, "content-type: " + (type == null ? "none" : "'" + Fields.printable(type) + "'")
          + " (expected: application/json)");
    }
    InvalidateRequest r = InvalidateRequest.parse(ByteBufUtil.getBytes(req.content()), AdminServer.MAX_ITEMS);
    long t0 = clock.nanoTime();
    // Everything was validated above: from here on, nothing is refused.
    if (!r.tags().isEmpty()) {
      cache.invalidate(r.tags().toArray(new String[0]));
    }
    for (String prefix : r.prefixes()) {
      cache.invalidatePrefix(prefix);
    }
    int removed = 0;
    for (int i = 0; i < r.urls().size(); i++) {
      String url = r.urls().get(i);
      try {
        removed += actions.invalidateUrl(url);
      } catch (RuntimeException e) {
        LOG.warn("admin: invalidateUrl({}) failed after {} tags, {} prefixes and {} of {} urls were applied",
            Fields.printable(url), r.tags().size(), r.prefixes().size(), i, r.urls().size(), e);
        throw new AdminError(500, "urls[" + i + "]: failed (see the proxy's log); the tags, the prefixes and the "
            + i + " urls before it were invalidated");
      }
    }
    long tookMicros = (clock.nanoTime() - t0) / 1_000;
    LOG.info("admin: invalidated tags {} prefixes {} urls {} ({} entries removed now, the rest in the background) "
        + "for {} in {} us", InvalidateRequest.preview(r.tags()), InvalidateRequest.preview(r.prefixes()),
        InvalidateRequest.preview(r.urls()), removed, from, tookMicros);
    return Response.json(HttpResponseStatus.OK, InvalidateRequest.result(r, removed, tookMicros));
  }

  private Map<String, Object> stats() {
    CacheStats s = cache.stats();
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("hits", s.hits());
    c.put("misses", s.misses());
    c.put("staleRejections", s.staleRejections());
    c.put("renders", s.renders());
    c.put("renderFailures", s.renderFailures());
    c.put("coalescedWaits", s.coalescedWaits());
    c.put("invalidations", s.invalidations());
    c.put("invalidatedEntries", s.invalidatedEntries());
    c.put("evictions", s.evictions());
    c.put("entryCount", s.entryCount());
    c.put("storedBytes", s.storedBytes());
    c.put("identityBytes", s.identityBytes());
    c.put("hitRate", s.hitRate());
    c.put("compressionRatio", s.compressionRatio());
    Map<String, Object> proxy;
    try {
      proxy = actions.proxyStats();
    } catch (RuntimeException e) {
      LOG.warn("admin: proxyStats() failed; /stats leaves the proxy's counters out", e);
      proxy = null;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("cache", c);
    out.put("proxy", proxy == null ? Map.of() : proxy);
    return out;
  }

  /** The media type without parameters, lower case. */
  private static String mediaType(String contentType) {
    int semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
  }

  // ---------------------------------------------------------------- writing

  private static void write(ChannelHandlerContext ctx, HttpRequest req, Response r, boolean forceClose) {
    boolean head = req.method().equals(HttpMethod.HEAD);
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status(),
        head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(r.body()));
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
    res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
    res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    r.headers().forEach((name, value) -> res.headers().set(name, value));
    boolean keepAlive = !forceClose && HttpUtil.isKeepAlive(req);
    HttpUtil.setKeepAlive(res, keepAlive);
    if (keepAlive) {
      ctx.writeAndFlush(res, ctx.voidPromise());
    } else {
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof IdleStateEvent) {
      ctx.close(); // an idle keep-alive connection: admin clients reconnect cheaply
    } else {
      super.userEventTriggered(ctx, evt);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Mostly peers resetting connections; nothing to answer on a broken connection.
    LOG.debug("admin: connection from {} failed", ctx.channel().remoteAddress(), cause);
    ctx.close();
  }
}
