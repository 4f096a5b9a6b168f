package io.freshcache.proxy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.freshcache.core.Freshcache;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every connection of one proxy shares: configuration, the cache, counters, the per-resource
 * profiles and hit-for-pass marks, the identity hasher and the origin clients of each event loop.
 */
final class ProxyRuntime {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyRuntime.class);

  /** How long an uncacheable resource skips the cache (Varnish's hit-for-pass). */
  static final Duration HIT_FOR_PASS = Duration.ofSeconds(30);

  /** Fields for this proxy only: never sent to clients. */
  static final List<String> INTERNAL_FIELDS =
      List.of("cache-tag", "surrogate-key", "xkey", "cache-invalidate", "surrogate-control");

  /**
   * What the proxy learned about a resource from its last response: the Vary it selects on (the key
   * of the next request is computed with it) and whether it is per user ({@code private}).
   */
  record Profile(Vary vary, boolean userScoped) {}

  final ProxyConfig config;
  final Freshcache cache;
  final ProxyStats stats = new ProxyStats();
  final Identity identity;
  final HttpDateCache dates = new HttpDateCache();
  final Cache<String, Profile> profiles =
      Caffeine.newBuilder().maximumSize(100_000).expireAfterAccess(Duration.ofHours(1)).build();
  final Cache<String, String> hitForPass =
      Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(HIT_FOR_PASS).build();
  final Class<? extends Channel> originChannelClass;
  final ChannelGroup clients;
  /** Requests being answered; graceful shutdown waits for zero. */
  final AtomicInteger inFlight = new AtomicInteger();
  /** Set once at shutdown: responses then close their connection. */
  volatile boolean closing;
  /** Resources whose public entries are rebuilt in the background when invalidated ({@link ProxyConfig#rebuild()}). */
  final java.util.function.Predicate<String> rebuilds;
  /**
   * Clients whose request invalidated something in the last {@value #WRITER_MEMORY_SECONDS} seconds
   * (hashed identity or address): they never get a stale copy while a rebuild is pending, so they read
   * their own writes. Only kept with {@link ProxyConfig#staleWhileRebuild()}.
   */
  final Cache<String, Boolean> recentWriters =
      Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(Duration.ofSeconds(WRITER_MEMORY_SECONDS)).build();
  static final int WRITER_MEMORY_SECONDS = 30;
  /** Server-Sent Events to browsers showing entries that change; fed by the cache's events. */
  final LiveEvents live;
  /** The bounds on ESI processing ({@link ProxyConfig#esi()}). */
  final EsiLimits esiLimits;
  private final ConcurrentHashMap<EventLoop, OriginClient> originClients = new ConcurrentHashMap<>();
  /** Where large bodies of hot entries are kept for sendfile, or null ({@link ProxyConfig#bodyFileDir()}). */
  final BodyFiles bodyFiles;
  /** At most this many body files open at once (each holds a file descriptor). */
  static final int MAX_BODY_FILES = 4096;

  ProxyRuntime(ProxyConfig config, Freshcache cache, LiveEvents live, Class<? extends Channel> originChannelClass,
      ChannelGroup clients) {
    this.config = config;
    this.cache = cache;
    this.live = live;
    this.rebuilds = PathGlob.anyOf(config.rebuild());
    this.identity = Identity.of(config);
    this.esiLimits = EsiLimits.of(config);
    this.bodyFiles = BodyFiles.of(config.bodyFileDir(), MAX_BODY_FILES);
    this.originChannelClass = originChannelClass;
    this.clients = clients;
  }

  /**
   * Who a live-push subscriber is, for {@link LiveHandler}: the same hashed identity the cache keys
   * per-user entries with, so a user's events reach only that user.
   */
  java.util.Set<io.freshcache.core.Scope> audience(io.netty.handler.codec.http.HttpRequest request) {
    String id = identity.configured() ? identity.of(request.headers()) : null;
    return id == null ? java.util.Set.of() : java.util.Set.of(io.freshcache.core.Scope.user(id));
  }

  /** Wall-clock milliseconds: Age, Date and freshness. */
  long now() {
    return System.currentTimeMillis();
  }

  /** The origin client of an event loop. */
  OriginClient origin(EventLoop loop) {
    return originClients.computeIfAbsent(loop, l -> new OriginClient(l, config, originChannelClass, stats));
  }

  void closeOriginConnections() {
    originClients.forEach((loop, c) -> loop.execute(c::closeIdle));
  }

  /**
   * Applies an origin response's Cache-Invalidate: exact tags and prefixes. Called before the response
   * is relayed, so the client that caused the change sees it on its next request. Malformed tags are
   * logged and skipped.
   */
  boolean applyInvalidations(HttpHeaders response) {
    List<String> lines = response.getAll(TagHeaders.INVALIDATE_HEADER);
    if (lines.isEmpty()) {
      return false;
    }
    TagHeaders.Invalidations inv = TagHeaders.invalidations(lines);
    for (TagHeaders.Rejected r : inv.rejected()) {
      LOG.warn("Cache-Invalidate: skipped '{}': {}", r.text(), r.reason());
    }
    if (!inv.exact().isEmpty()) {
      try {
        cache.invalidate(inv.exact().toArray(String[]::new));
      } catch (IllegalArgumentException e) {
        LOG.warn("Cache-Invalidate: {}", e.getMessage());
      }
    }
    for (String prefix : inv.prefixes()) {
      try {
        cache.invalidatePrefix(prefix);
      } catch (IllegalArgumentException e) {
        LOG.warn("Cache-Invalidate: prefix {}: {}", prefix, e.getMessage());
      }
    }
    return true;
  }

  /**
   * Removes every variant and scope of the resource a path or URL names (normalized as a request
   * target), race-free; 0 when it names none. For the Java API and the admin listener alike.
   */
  int removeUrl(String pathOrUrl) {
    String resource = RequestTarget.resource(pathOrUrl);
    return resource == null ? 0 : cache.removeResource(resource);
  }

  /** The data path's counters and the requests in flight, for {@code /stats} and the Java API. */
  java.util.Map<String, Object> counters() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>(stats.snapshot());
    m.put("inFlight", inFlight.get());
    return m;
  }

  /** Remembers that this client just wrote (see {@link #recentWriters}); null keys are ignored. */
  void noteWriter(String writerKey) {
    if (writerKey != null && config.staleWhileRebuild()) {
      recentWriters.put(writerKey, Boolean.TRUE);
    }
  }

  /**
   * RFC 9111 section 4.4: a successful (2xx, 3xx) response to an unsafe method invalidates the target
   * URI and the same-origin Location and Content-Location. Called before the response is relayed.
   *
   * @param host the client's Host (a URI with it is same-origin), or null
   */
  void invalidateAfterUnsafe(HttpMethod method, int status, String resource, HttpHeaders response, String host) {
    if (isSafe(method) || status < 200 || status >= 400) {
      return;
    }
    cache.removeResource(resource);
    for (CharSequence name : List.of(HttpHeaderNames.LOCATION, HttpHeaderNames.CONTENT_LOCATION)) {
      String value = response.get(name);
      String r = value == null ? null : sameOriginResource(value, resource, host);
      if (r != null && !r.equals(resource)) {
        cache.removeResource(r);
      }
    }
  }

  /** The resource a same-origin URI reference names, or null (other origin, or unreadable). */
  String sameOriginResource(String reference, String base, String host) {
    try {
      String authority = host != null ? host : config.originAuthority();
      URI resolved = URI.create("http://" + authority + base).resolve(reference.trim());
      String a = resolved.getRawAuthority();
      if (a == null || !(a.equalsIgnoreCase(authority) || a.equalsIgnoreCase(config.originAuthority()))) {
        return null;
      }
      String path = resolved.getRawPath() == null || resolved.getRawPath().isEmpty() ? "/" : resolved.getRawPath();
      return RequestTarget.resource(resolved.getRawQuery() == null ? path : path + "?" + resolved.getRawQuery());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  static boolean isSafe(HttpMethod m) {
    return m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS || m == HttpMethod.TRACE;
  }

  /**
   * A copy of an origin response's fields as a client may see them: without hop-by-hop fields and
   * this proxy's own ({@link #INTERNAL_FIELDS}), but for a Surrogate-Control aimed at another device
   * (a CDN in front), which is its to read.
   */
  static HttpHeaders clientFields(HttpHeaders origin) {
    HttpHeaders h = new DefaultHttpHeaders();
    h.set(origin);
    stripHopByHop(h);
    List<String> surrogate = h.getAll(SurrogateControl.HEADER);
    for (String n : INTERNAL_FIELDS) {
      h.remove(n);
    }
    if (SurrogateControl.targetsAnotherDevice(surrogate, SurrogateControl.DEVICE_TOKEN)) {
      h.add(SurrogateControl.HEADER, surrogate);
    }
    return h;
  }

  /** Removes the hop-by-hop fields of a message (RFC 9110 section 7.6.1), see {@link HopByHop}. */
  static void stripHopByHop(HttpHeaders h) {
    List<String> connection = h.getAll(HttpHeaderNames.CONNECTION);
    for (String option : Fields.listMembers(connection)) {
      if (Fields.isToken(option)) {
        h.remove(option);
      }
    }
    for (String name : HopByHop.ALWAYS) {
      h.remove(name);
    }
  }
}
