package io.freshcache.proxy;

import static java.util.Objects.requireNonNull;

import io.freshcache.core.Encoding;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;

/**
 * Everything the proxy can be told, with defaults: one configuration surface, documented as a table in
 * docs/http.md. The CLI ({@code freshcache serve}) and its YAML config file use the same names.
 * Validated when built: a bad value is an {@link IllegalArgumentException} that names it and what was
 * expected.
 *
 * @param origin the application behind the proxy, {@code http://HOST:PORT} (no path, no TLS)
 * @param listen where clients connect
 * @param admin where the admin listener binds, or null for none
 * @param adminToken the bearer token the admin listener requires, or null (then the admin listener
 *     must bind to a loopback address)
 * @param userCookie the cookie that identifies a user for {@code Cache-Control: private} responses, or
 *     null
 * @param userHeader the request header that identifies a user, or null
 * @param maximumBytes the cache's bound on stored bytes: bodies, a per-entry overhead and each stored
 *     response's header fields
 * @param compression the coding bodies of {@code compressionMinBytes} and more are stored in when
 *     that saves an eighth (one per entry; clients that do not accept it get a form derived once per
 *     entry), or identity for none; br and zstd fall back to gzip where their native library does not
 *     load
 * @param compressionMinBytes bodies shorter than this are stored and served as they came
 * @param maxHeaderBytes the limit on a request's header section (431 beyond it)
 * @param maxCacheableBodyBytes bodies larger than this stream through uncached
 * @param maxRequestBodyBytes the limit on a request body (413 beyond it)
 * @param originConnectTimeout how long connecting to the origin may take (502 beyond it)
 * @param originResponseTimeout how long the origin may take to answer (504 beyond it)
 * @param clientHeaderTimeout how long a client may take to send a request head, from its first byte
 *     (from the connection's opening, for its first request): 408 and close beyond it
 * @param clientIdleTimeout how long a keep-alive connection may wait for its next request before it
 *     is closed
 * @param clientBodyTimeout how long a request body may go without a byte while the proxy reads it:
 *     408 and close beyond it
 * @param clientSendTimeout how long a client may leave the proxy unable to write to it (it stops
 *     reading a response) before the connection is closed
 * @param esi whether ESI is processed for responses that ask for it ({@code Surrogate-Control:
 *     content="ESI/1.0"})
 * @param esiMaxDepth how deeply ESI includes may nest
 * @param esiMaxIncludes how many ESI includes one response may have in all
 * @param accessLog whether one access log line is written per request (logger {@code
 *     freshcache.access})
 * @param ioThreads event loop threads for clients and origin connections, 0 for one per core
 * @param shutdownGrace how long a graceful shutdown waits for requests in progress
 * @param rebuild path globs ({@code *} within a segment, {@code **} across) of public entries that are
 *     fetched again in the background when invalidated (the {@code rebuild} policy), instead of only
 *     being evicted; empty for none
 * @param rebuildRate how many background rebuilds may start per second (an invalidation storm must
 *     not flatten the origin)
 * @param rebuildConcurrency how many background rebuilds may run at once
 * @param staleWhileRebuild whether, while an invalidated entry is being rebuilt, other clients get the
 *     invalidated copy at once instead of waiting (never the client whose request invalidated it)
 * @param transport the socket transport: {@code nio} (the JDK's selector, level-triggered) or {@code
 *     epoll} (Netty's native edge-triggered transport; nio where it is not available)
 * @param bodyFileDir where large bodies of hot entries are kept as files sent with sendfile(2):
 *     {@code auto} ({@code /dev/shm} if writable, else none), {@code off}, or a directory (a tmpfs)
 */
public record ProxyConfig(
    URI origin,
    InetSocketAddress listen,
    InetSocketAddress admin,
    String adminToken,
    String userCookie,
    String userHeader,
    long maximumBytes,
    Encoding compression,
    int compressionMinBytes,
    int maxHeaderBytes,
    long maxCacheableBodyBytes,
    long maxRequestBodyBytes,
    Duration originConnectTimeout,
    Duration originResponseTimeout,
    Duration clientHeaderTimeout,
    Duration clientIdleTimeout,
    Duration clientBodyTimeout,
    Duration clientSendTimeout,
    boolean esi,
    int esiMaxDepth,
    int esiMaxIncludes,
    boolean accessLog,
    int ioThreads,
    Duration shutdownGrace,
    java.util.List<String> rebuild,
    double rebuildRate,
    int rebuildConcurrency,
    boolean staleWhileRebuild,
    String transport,
    String bodyFileDir) {

  /** The environment variable read for the admin token when none is configured. */
  public static final String ADMIN_TOKEN_ENV = "FRESHCACHE_ADMIN_TOKEN";

  /** The default of {@link Builder#compressionMinBytes}: 1 KiB. */
  public static final int DEFAULT_COMPRESSION_MIN_BYTES = 1024;

  /** Validates every value. */
  public ProxyConfig {
    requireNonNull(origin, "origin");
    requireNonNull(listen, "listen");
    requireNonNull(originConnectTimeout, "originConnectTimeout");
    requireNonNull(originResponseTimeout, "originResponseTimeout");
    requireNonNull(shutdownGrace, "shutdownGrace");
    requireNonNull(compression, "compression");
    requireNonNull(clientHeaderTimeout, "clientHeaderTimeout");
    requireNonNull(clientIdleTimeout, "clientIdleTimeout");
    requireNonNull(clientBodyTimeout, "clientBodyTimeout");
    requireNonNull(clientSendTimeout, "clientSendTimeout");
    if (!"http".equalsIgnoreCase(origin.getScheme()) || origin.getHost() == null) {
      throw new IllegalArgumentException("origin: " + origin + " (expected: http://HOST:PORT)");
    }
    if (origin.getRawPath() != null && !origin.getRawPath().isEmpty() && !origin.getRawPath().equals("/")) {
      throw new IllegalArgumentException("origin: " + origin + " (expected: no path, http://HOST:PORT)");
    }
    if (origin.getRawQuery() != null || origin.getRawFragment() != null || origin.getRawUserInfo() != null) {
      throw new IllegalArgumentException("origin: " + origin + " (expected: http://HOST:PORT, no user, query or fragment)");
    }
    if (adminToken != null && adminToken.isBlank()) {
      throw new IllegalArgumentException("adminToken: blank (expected: a non-blank token, or none)");
    }
    if (admin != null && adminToken == null && !admin.getAddress().isLoopbackAddress()) {
      throw new IllegalArgumentException("admin: " + admin.getHostString() + ":" + admin.getPort()
          + " is not a loopback address and no admin token is set (expected: a token via --admin-token or "
          + ADMIN_TOKEN_ENV + ", or a loopback admin address)");
    }
    checkName(userCookie, "userCookie");
    checkName(userHeader, "userHeader");
    positive(maximumBytes, "maximumBytes");
    if (compressionMinBytes < 0) {
      throw new IllegalArgumentException("compressionMinBytes: " + compressionMinBytes + " (expected: >= 0)");
    }
    if (maxHeaderBytes < 1024 || maxHeaderBytes > 1 << 20) {
      throw new IllegalArgumentException("maxHeaderBytes: " + maxHeaderBytes + " (expected: 1024..1048576)");
    }
    if (maxCacheableBodyBytes < 0 || maxCacheableBodyBytes > Integer.MAX_VALUE - 64) {
      throw new IllegalArgumentException("maxCacheableBodyBytes: " + maxCacheableBodyBytes
          + " (expected: 0.." + (Integer.MAX_VALUE - 64) + ")");
    }
    if (maxRequestBodyBytes < 0) {
      throw new IllegalArgumentException("maxRequestBodyBytes: " + maxRequestBodyBytes + " (expected: >= 0)");
    }
    positive(originConnectTimeout, "originConnectTimeout");
    positive(originResponseTimeout, "originResponseTimeout");
    clientTimeout(clientHeaderTimeout, "clientHeaderTimeout");
    clientTimeout(clientIdleTimeout, "clientIdleTimeout");
    clientTimeout(clientBodyTimeout, "clientBodyTimeout");
    clientTimeout(clientSendTimeout, "clientSendTimeout");
    if (shutdownGrace.isNegative()) {
      throw new IllegalArgumentException("shutdownGrace: " + shutdownGrace + " (expected: >= 0)");
    }
    if (esiMaxDepth < 1 || esiMaxDepth > 16) {
      throw new IllegalArgumentException("esiMaxDepth: " + esiMaxDepth + " (expected: 1..16)");
    }
    if (esiMaxIncludes < 1 || esiMaxIncludes > 1024) {
      throw new IllegalArgumentException("esiMaxIncludes: " + esiMaxIncludes + " (expected: 1..1024)");
    }
    requireNonNull(rebuild, "rebuild");
    rebuild = java.util.List.copyOf(rebuild);
    for (String glob : rebuild) {
      PathGlob.check(glob, "rebuild");
    }
    if (!(rebuildRate > 0) || rebuildRate > 1_000_000) {
      throw new IllegalArgumentException("rebuildRate: " + rebuildRate + " (expected: > 0 and <= 1000000 per second)");
    }
    requireNonNull(transport, "transport");
    if (!transport.equals("nio") && !transport.equals("epoll")) {
      throw new IllegalArgumentException("transport: " + transport + " (expected: nio or epoll)");
    }
    requireNonNull(bodyFileDir, "bodyFileDir");
    BodyFiles.directory(bodyFileDir);
    if (rebuildConcurrency < 1 || rebuildConcurrency > 64) {
      throw new IllegalArgumentException("rebuildConcurrency: " + rebuildConcurrency + " (expected: 1..64)");
    }
    if (ioThreads < 0 || ioThreads > 256) {
      throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: 0..256, 0 for one per core)");
    }
  }

  /** A builder for a proxy in front of {@code origin}, with every other value at its default. */
  public static Builder builder(URI origin) {
    return new Builder(origin);
  }

  /** The origin's port, 80 when the URI names none. */
  public int originPort() {
    return origin.getPort() < 0 ? 80 : origin.getPort();
  }

  /** The Host field value to send to the origin: host, and port unless 80. */
  public String originAuthority() {
    return origin.getPort() < 0 || origin.getPort() == 80 ? origin.getHost() : origin.getHost() + ":" + origin.getPort();
  }

  private static void checkName(String name, String what) {
    if (name != null && (name.isBlank() || !Fields.isToken(name))) {
      throw new IllegalArgumentException(what + ": '" + Fields.printable(name) + "' (expected: a token such as 'session')");
    }
  }

  private static void positive(long v, String what) {
    if (v <= 0) {
      throw new IllegalArgumentException(what + ": " + v + " (expected: > 0)");
    }
  }

  private static void positive(Duration d, String what) {
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(what + ": " + d + " (expected: > 0)");
    }
  }

  /** The longest client timeout: a day (a longer one is no timeout, and its nanoseconds stay far from overflow). */
  private static final Duration MAX_CLIENT_TIMEOUT = Duration.ofDays(1);

  private static void clientTimeout(Duration d, String what) {
    if (d.compareTo(Duration.ofMillis(1)) < 0 || d.compareTo(MAX_CLIENT_TIMEOUT) > 0) {
      throw new IllegalArgumentException(what + ": " + d + " (expected: 1ms..24h)");
    }
  }

  /** Builds a {@link ProxyConfig}; every setter documents its default. */
  public static final class Builder {
    private URI origin;
    private InetSocketAddress listen = new InetSocketAddress("127.0.0.1", 8080);
    private InetSocketAddress admin;
    private String adminToken;
    private String userCookie;
    private String userHeader;
    private long maximumBytes = 256L << 20;
    private Encoding compression = Encoding.GZIP;
    private int compressionMinBytes = DEFAULT_COMPRESSION_MIN_BYTES;
    private int maxHeaderBytes = 16 * 1024;
    private long maxCacheableBodyBytes = 8L << 20;
    private long maxRequestBodyBytes = 16L << 20;
    private Duration originConnectTimeout = Duration.ofSeconds(2);
    private Duration originResponseTimeout = Duration.ofSeconds(30);
    private Duration clientHeaderTimeout = Duration.ofSeconds(10);
    private Duration clientIdleTimeout = Duration.ofSeconds(60);
    private Duration clientBodyTimeout = Duration.ofSeconds(30);
    private Duration clientSendTimeout = Duration.ofSeconds(60);
    private boolean esi = true;
    private int esiMaxDepth = 3;
    private int esiMaxIncludes = 64;
    private boolean accessLog = true;
    private int ioThreads;
    private Duration shutdownGrace = Duration.ofSeconds(10);
    private java.util.List<String> rebuild = java.util.List.of();
    private double rebuildRate = 50;
    private int rebuildConcurrency = 4;
    private boolean staleWhileRebuild;
    private String transport = "nio";
    private String bodyFileDir = "auto";

    Builder(URI origin) {
      this.origin = requireNonNull(origin, "origin");
    }

    /** The origin, {@code http://HOST:PORT}. */
    public Builder origin(URI value) {
      origin = requireNonNull(value, "origin");
      return this;
    }

    /** Default 127.0.0.1:8080. */
    public Builder listen(InetSocketAddress value) {
      listen = requireNonNull(value, "listen");
      return this;
    }

    /** Default none. */
    public Builder admin(InetSocketAddress value) {
      admin = value;
      return this;
    }

    /** Default none. */
    public Builder adminToken(String value) {
      adminToken = value;
      return this;
    }

    /** Default none. */
    public Builder userCookie(String value) {
      userCookie = value;
      return this;
    }

    /** Default none. */
    public Builder userHeader(String value) {
      userHeader = value;
      return this;
    }

    /** Default 256 MiB. */
    public Builder maximumBytes(long value) {
      maximumBytes = value;
      return this;
    }

    /** Default gzip: the coding nearly every client that accepts one accepts, so most hits send the stored bytes. */
    public Builder compression(Encoding value) {
      compression = requireNonNull(value, "compression");
      return this;
    }

    /**
     * Default 1 KiB: from there a page's compressed form saves most of its bytes on the wire and in
     * memory; a client that accepts no coding gets an identity copy, made once per entry by its
     * first hit and kept beside the compressed one (docs/architecture.md, "What a stored response
     * keeps"). A larger value keeps more bodies as they came, for caches whose clients mostly
     * accept no coding.
     */
    public Builder compressionMinBytes(int value) {
      compressionMinBytes = value;
      return this;
    }

    /** Default 16 KiB. */
    public Builder maxHeaderBytes(int value) {
      maxHeaderBytes = value;
      return this;
    }

    /** Default 8 MiB. */
    public Builder maxCacheableBodyBytes(long value) {
      maxCacheableBodyBytes = value;
      return this;
    }

    /** Default 16 MiB. */
    public Builder maxRequestBodyBytes(long value) {
      maxRequestBodyBytes = value;
      return this;
    }

    /** Default 2 s. */
    public Builder originConnectTimeout(Duration value) {
      originConnectTimeout = value;
      return this;
    }

    /** Default 30 s. */
    public Builder originResponseTimeout(Duration value) {
      originResponseTimeout = value;
      return this;
    }

    /** Default 10 s. */
    public Builder clientHeaderTimeout(Duration value) {
      clientHeaderTimeout = value;
      return this;
    }

    /** Default 60 s. */
    public Builder clientIdleTimeout(Duration value) {
      clientIdleTimeout = value;
      return this;
    }

    /** Default 30 s. */
    public Builder clientBodyTimeout(Duration value) {
      clientBodyTimeout = value;
      return this;
    }

    /** Default 60 s. */
    public Builder clientSendTimeout(Duration value) {
      clientSendTimeout = value;
      return this;
    }

    /** Default on. */
    public Builder esi(boolean value) {
      esi = value;
      return this;
    }

    /** Default 3. */
    public Builder esiMaxDepth(int value) {
      esiMaxDepth = value;
      return this;
    }

    /** Default 64. */
    public Builder esiMaxIncludes(int value) {
      esiMaxIncludes = value;
      return this;
    }

    /** Default on. */
    public Builder accessLog(boolean value) {
      accessLog = value;
      return this;
    }

    /** Default 0: one per core. */
    public Builder ioThreads(int value) {
      ioThreads = value;
      return this;
    }

    /** Default 10 s. */
    public Builder shutdownGrace(Duration value) {
      shutdownGrace = value;
      return this;
    }

    /** Default none: invalidated entries are only evicted. */
    public Builder rebuild(java.util.List<String> globs) {
      rebuild = requireNonNull(globs, "rebuild");
      return this;
    }

    /** Default 50 per second. */
    public Builder rebuildRate(double perSecond) {
      rebuildRate = perSecond;
      return this;
    }

    /** Default 4. */
    public Builder rebuildConcurrency(int value) {
      rebuildConcurrency = value;
      return this;
    }

    /** Default off: readers wait for the rebuild. */
    public Builder staleWhileRebuild(boolean value) {
      staleWhileRebuild = value;
      return this;
    }

    /** Default {@code nio} (docs/benchmarks.md: the same hit throughput as epoll here, a much shorter tail). */
    public Builder transport(String value) {
      transport = value;
      return this;
    }

    /** Default {@code auto}: {@code /dev/shm} where it is a writable directory. */
    public Builder bodyFileDir(String value) {
      bodyFileDir = value;
      return this;
    }

    /** Validates and builds. */
    public ProxyConfig build() {
      return new ProxyConfig(origin, listen, admin, adminToken, userCookie, userHeader, maximumBytes, compression,
          compressionMinBytes, maxHeaderBytes, maxCacheableBodyBytes, maxRequestBodyBytes, originConnectTimeout,
          originResponseTimeout, clientHeaderTimeout, clientIdleTimeout, clientBodyTimeout, clientSendTimeout, esi, esiMaxDepth,
          esiMaxIncludes, accessLog, ioThreads, shutdownGrace, rebuild, rebuildRate, rebuildConcurrency,
          staleWhileRebuild, transport, bodyFileDir);
    }
  }
}
