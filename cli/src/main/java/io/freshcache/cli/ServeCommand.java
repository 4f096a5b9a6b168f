package io.freshcache.cli;

import io.freshcache.core.Clock;
import io.freshcache.core.Freshcache;
import io.freshcache.feeds.ChangeSource;
import io.freshcache.feeds.Checkpoints;
import io.freshcache.proxy.FreshcacheProxy;
import io.freshcache.proxy.ProxyConfig;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code freshcache serve}: runs the caching reverse proxy in front of an origin until the process is
 * told to stop (SIGTERM or SIGINT), then closes it gracefully.
 *
 * <p>Settings come from the options, a YAML file ({@code --config}) and, for the admin token, the
 * environment ({@link ServeOptions}). A bad value ends the command with exit code 2 and one line on
 * standard error; a proxy that cannot start (a busy port) with exit code 1.
 *
 * <p>With {@code --feeds FILE}, the rules and sources of that file (docs/feeds.md) are checked
 * before the proxy starts (exit code 2 listing every problem), and the feeds run on the proxy's
 * cache from its start to its shutdown, which stops them first ({@link ServeRuntime}).
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    versionProvider = FreshcacheCommand.Version.class,
    sortOptions = false,
    description = {
      "Runs the caching reverse proxy in front of an origin until SIGTERM or SIGINT.",
      "",
      "Every option can also be set in a YAML file (--config) under its setting name (origin, listen, "
          + "maximumBytes, ...) or its option name without the dashes (max-bytes); options given here win. "
          + "Sizes: 123k, 256m, 1g or bytes. Durations: 500ms, 30s, 2m, 1h.",
      ""
    },
    usageHelpAutoWidth = true)
public final class ServeCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

  @Spec
  CommandSpec spec;

  @Option(names = "--origin", paramLabel = "URL", order = 1,
      description = "The application behind the proxy, http://HOST:PORT; required, here or in --config "
          + "(default: none).")
  String origin;

  @Option(names = "--listen", paramLabel = "HOST:PORT", order = 2,
      description = "Where clients connect; [::1]:8080 for IPv6 (default: 127.0.0.1:8080).")
  String listen;

  @Option(names = "--admin", paramLabel = "HOST:PORT", order = 3,
      description = "Where the admin API listens: a loopback address unless a token is set "
          + "(default: none: no admin API).")
  String admin;

  @Option(names = "--admin-token", paramLabel = "TOKEN", order = 4,
      description = "Bearer token the admin API requires; prefer the environment variable, which other users "
          + "cannot see in the process list (default: $" + ProxyConfig.ADMIN_TOKEN_ENV + ", else none).")
  String adminToken;

  @Option(names = "--user-cookie", paramLabel = "NAME", order = 5,
      description = "Cookie that identifies a user for Cache-Control: private responses (default: none).")
  String userCookie;

  @Option(names = "--user-header", paramLabel = "NAME", order = 6,
      description = "Request header that identifies a user (default: none).")
  String userHeader;

  @Option(names = "--max-bytes", paramLabel = "SIZE", order = 7,
      description = "Bound on the bytes the cache stores (default: 256m).")
  String maxBytes;

  @Option(names = "--compression", paramLabel = "CODING", order = 7,
      description = "How bodies of --compression-min and more are stored when that saves an eighth: gzip, br, zstd or identity "
          + "(none). Clients that do not accept it get a form derived once per entry; br and zstd fall back to gzip "
          + "where their native library does not load (default: gzip).")
  String compression;

  @Option(names = "--compression-min", paramLabel = "SIZE", order = 7,
      description = "Bodies shorter than this are stored and sent as they came; a client that accepts no coding "
          + "gets an identity copy of a compressed one, kept once the entry is hit (default: 1k).")
  String compressionMin;

  @Option(names = "--max-header-bytes", paramLabel = "SIZE", order = 8,
      description = "Limit on a request's header section, 431 beyond it; 1k..1m (default: 16k).")
  String maxHeaderBytes;

  @Option(names = "--max-cacheable-body", paramLabel = "SIZE", order = 9,
      description = "Larger response bodies stream through uncached (default: 8m).")
  String maxCacheableBody;

  @Option(names = "--max-request-body", paramLabel = "SIZE", order = 10,
      description = "Limit on a request body, 413 beyond it (default: 16m).")
  String maxRequestBody;

  @Option(names = "--connect-timeout", paramLabel = "DURATION", order = 11,
      description = "How long connecting to the origin may take, 502 beyond it (default: 2s).")
  String connectTimeout;

  @Option(names = "--origin-timeout", paramLabel = "DURATION", order = 12,
      description = "How long the origin may take to answer, 504 beyond it (default: 30s).")
  String originTimeout;

  @Option(names = "--client-header-timeout", paramLabel = "DURATION", order = 12,
      description = "How long a client may take to send a request head, from its first byte (from connecting, "
          + "for the first request): 408 and close beyond it (default: 10s).")
  String clientHeaderTimeout;

  @Option(names = "--client-idle-timeout", paramLabel = "DURATION", order = 12,
      description = "How long a keep-alive connection may wait for its next request before it is closed "
          + "(default: 60s).")
  String clientIdleTimeout;

  @Option(names = "--client-body-timeout", paramLabel = "DURATION", order = 12,
      description = "How long a request body may go without a byte while the proxy reads it: 408 and close "
          + "beyond it (default: 30s).")
  String clientBodyTimeout;

  @Option(names = "--client-send-timeout", paramLabel = "DURATION", order = 12,
      description = "How long a client may stop reading a response (the proxy cannot write to it) before the "
          + "connection is closed (default: 60s).")
  String clientSendTimeout;

  @Option(names = "--esi", negatable = true, order = 13,
      description = "Process ESI in responses that ask for it with Surrogate-Control (default: on).")
  Boolean esi;

  @Option(names = "--esi-max-depth", paramLabel = "N", order = 14,
      description = "How deeply ESI includes may nest; 1..16 (default: 3).")
  String esiMaxDepth;

  @Option(names = "--esi-max-includes", paramLabel = "N", order = 15,
      description = "How many ESI includes one response may have; 1..1024 (default: 64).")
  String esiMaxIncludes;

  @Option(names = "--access-log", negatable = true, order = 16,
      description = "Write one access log line per request, logger freshcache.access (default: on; buffered, written out every second).")
  Boolean accessLog;

  @Option(names = "--io-threads", paramLabel = "N", order = 17,
      description = "Event loop threads for clients and origin connections; 0..256 (default: 0: one per core).")
  String ioThreads;

  @Option(names = "--shutdown-grace", paramLabel = "DURATION", order = 18,
      description = "How long a shutdown waits for requests in progress (default: 10s).")
  String shutdownGrace;

  @Option(names = "--rebuild", paramLabel = "GLOBS", order = 19,
      description = "Paths whose public entries are fetched again in the background when invalidated, e.g. "
          + "/wiki/**,/news/*; without it invalidated entries are evicted only (default: none).")
  String rebuild;
  @Option(names = "--rebuild-rate", paramLabel = "N", order = 19,
      description = "Background rebuilds started per second at most (default: 50).")
  String rebuildRate;
  @Option(names = "--rebuild-concurrency", paramLabel = "N", order = 19,
      description = "Background rebuilds running at once at most; 1..64 (default: 4).")
  String rebuildConcurrency;
  @Option(names = "--stale-while-rebuild", negatable = true, order = 19,
      description = "While an entry is rebuilt, other clients get the invalidated copy at once; never the client "
          + "that caused the invalidation, which waits (default: off).")
  Boolean staleWhileRebuild;
  @Option(names = "--transport", paramLabel = "nio|epoll", order = 19,
      description = "Socket transport: nio (the JDK's) or epoll (Netty's native, edge-triggered; cheaper connection "
          + "set-up, for many short connections; nio where it is not available) (default: nio).")
  String transport;
  @Option(names = "--body-file-dir", paramLabel = "DIR", order = 19,
      description = "Where bodies of 64 KiB or more of hot entries are kept as unlinked files that hits send with "
          + "sendfile(2): auto (/dev/shm if writable), off, or a directory, best a tmpfs (default: auto).")
  String bodyFileDir;
  @Option(names = "--feeds", paramLabel = "FILE", order = 19,
      description = "Feeds file (rules and sources, docs/feeds.md) whose changes invalidate the cache; checked "
          + "before the proxy starts (default: none).")
  String feeds;

  @Option(names = "--feeds-checkpoints", paramLabel = "DIR", order = 20,
      description = "Where the feeds' sources keep their positions (default: freshcache-checkpoints next to the "
          + "feeds file).")
  String feedsCheckpoints;

  @Option(names = "--config", paramLabel = "FILE", order = 21,
      description = "YAML file with any of the settings above; unknown keys are an error (default: none).")
  Path config;

  /**
   * Starts the proxy for a configuration; the returned handle stops it and gives the feeds its
   * cache. Tests replace it.
   */
  Function<ProxyConfig, ServeRuntime.Proxy> starter = ServeCommand::startProxy;

  /** The environment, for {@value ProxyConfig#ADMIN_TOKEN_ENV}. Tests replace it. */
  Function<String, String> env = System::getenv;

  /** Registers the shutdown hook. Tests replace it to run the hook themselves. */
  Consumer<Thread> shutdownHooks = Runtime.getRuntime()::addShutdownHook;

  /** Raises the log level for a server; tests replace it to leave the JVM's logging alone. */
  Runnable serverLogging = ServerLogging::enable;

  /** Creates the command; picocli sets its options. */
  public ServeCommand() {}

  /** The options given on the command line, by setting key. */
  Map<String, String> options() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("origin", origin);
    m.put("listen", listen);
    m.put("admin", admin);
    m.put("adminToken", adminToken);
    m.put("userCookie", userCookie);
    m.put("userHeader", userHeader);
    m.put("maximumBytes", maxBytes);
    m.put("compression", compression);
    m.put("compressionMinBytes", compressionMin);
    m.put("maxHeaderBytes", maxHeaderBytes);
    m.put("maxCacheableBodyBytes", maxCacheableBody);
    m.put("maxRequestBodyBytes", maxRequestBody);
    m.put("originConnectTimeout", connectTimeout);
    m.put("originResponseTimeout", originTimeout);
    m.put("clientHeaderTimeout", clientHeaderTimeout);
    m.put("clientIdleTimeout", clientIdleTimeout);
    m.put("clientBodyTimeout", clientBodyTimeout);
    m.put("clientSendTimeout", clientSendTimeout);
    m.put("esi", esi == null ? null : esi.toString());
    m.put("esiMaxDepth", esiMaxDepth);
    m.put("esiMaxIncludes", esiMaxIncludes);
    m.put("accessLog", accessLog == null ? null : accessLog.toString());
    m.put("ioThreads", ioThreads);
    m.put("shutdownGrace", shutdownGrace);
    m.put("rebuild", rebuild);
    m.put("rebuildRate", rebuildRate);
    m.put("rebuildConcurrency", rebuildConcurrency);
    m.put("staleWhileRebuild", staleWhileRebuild == null ? null : staleWhileRebuild.toString());
    m.put("transport", transport);
    m.put("bodyFileDir", bodyFileDir);
    m.put("feeds", feeds);
    m.put("feedsCheckpoints", feedsCheckpoints);
    return m;
  }

  /** The real proxy: {@link FreshcacheProxy#start(ProxyConfig)}. */
  static ServeRuntime.Proxy startProxy(ProxyConfig config) {
    FreshcacheProxy proxy = FreshcacheProxy.start(config);
    return new ServeRuntime.Proxy() {
      @Override
      public Freshcache cache() {
        return proxy.cache();
      }

      @Override
      public void close() {
        proxy.close();
      }
    };
  }

  /**
   * Checks the feeds file (if any), starts the proxy, then the feeds on its cache, and waits until
   * the shutdown hook has closed them (the feeds first).
   *
   * @return 0 after a shutdown, 1 if the proxy or the feeds could not start, 2 for bad settings or a
   *     feeds file with problems (all of them listed)
   */
  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ServeOptions.Resolved resolved;
    try {
      resolved = ServeOptions.resolveAll(options(), config, env);
    } catch (IllegalArgumentException e) {
      err.println("freshcache serve: " + e.getMessage());
      err.flush();
      return 2;
    }
    ProxyConfig cfg = resolved.proxy();
    FeedsFile feedsFile = null;
    List<ChangeSource> sources = List.of();
    if (resolved.feeds() != null) {
      // Everything about the feeds is checked before the proxy starts: a typo is exit 2, not a
      // proxy serving pages that nothing will ever invalidate.
      feedsFile = FeedsFile.read(resolved.feeds());
      if (!feedsFile.ok()) {
        err.println("freshcache serve: " + feedsFile.report());
        err.flush();
        return 2;
      }
      if (feedsFile.sourceSettings.isEmpty()) {
        err.println("freshcache serve: " + resolved.feeds() + ": no sources (expected: at least one under "
            + "'sources:', see docs/feeds.md)");
        err.flush();
        return 2;
      }
      try {
        sources = feedsFile.sources(Checkpoints.directory(resolved.feedsCheckpoints()));
      } catch (UncheckedIOException e) {
        err.println("freshcache serve: feedsCheckpoints: " + resolved.feedsCheckpoints() + ": cannot use it: "
            + FreshcacheCommand.describe(e) + " (expected: a writable directory)");
        err.flush();
        return 2;
      }
      for (String w : feedsFile.warnings) {
        err.println("freshcache serve: warning: " + w);
      }
      err.flush();
    }
    serverLogging.run();
    ServeRuntime.Proxy proxy;
    try {
      proxy = starter.apply(cfg);
    } catch (RuntimeException e) {
      err.println("freshcache serve: cannot start: " + FreshcacheCommand.describe(e));
      err.flush();
      return 1;
    }
    ServeRuntime runtime;
    try {
      runtime = feedsFile == null ? ServeRuntime.of(proxy) : ServeRuntime.withFeeds(proxy, feedsFile.rules, sources);
    } catch (RuntimeException e) {
      err.println("freshcache serve: cannot start the feeds: " + FreshcacheCommand.describe(e));
      err.flush();
      try {
        proxy.close();
      } catch (Exception closing) {
        LOG.warn("closing the proxy after the feeds failed to start", closing);
      }
      return 1;
    }
    Shutdown shutdown = new Shutdown(runtime, cfg);
    shutdownHooks.accept(new Thread(shutdown::run, "freshcache-shutdown"));
    out.println(startupLine(cfg));
    if (feedsFile != null) {
      out.println("freshcache serve: feeds from " + resolved.feeds() + ": " + sources.size() + " source(s) "
          + sources.stream().map(ChangeSource::name).toList() + ", " + feedsFile.rules.rules().size()
          + " rule(s), checkpoints in " + resolved.feedsCheckpoints());
    }
    out.flush();
    shutdown.await();
    return 0;
  }

  /** One line: where clients connect, the origin, and the admin API. */
  static String startupLine(ProxyConfig cfg) {
    String admin = cfg.admin() == null ? "admin API off"
        : "admin API on " + url(cfg.admin()) + (cfg.adminToken() == null ? " (no token: loopback only)" : " (bearer token)");
    return "freshcache serve: listening on " + url(cfg.listen()) + ", origin " + cfg.origin() + ", " + admin;
  }

  private static String url(InetSocketAddress a) {
    String host = a.getHostString();
    return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /** Closes the runtime (feeds, then proxy) once, from the shutdown hook, and releases {@link #await}. */
  static final class Shutdown {
    private final AutoCloseable proxy;
    private final ProxyConfig config;
    private final CountDownLatch done = new CountDownLatch(1);

    Shutdown(AutoCloseable proxy, ProxyConfig config) {
      this.proxy = proxy;
      this.config = config;
    }

    void run() {
      LOG.info("shutting down: finishing requests in progress (up to {})", config.shutdownGrace());
      long t0 = Clock.system().nanoTime();
      try {
        proxy.close();
        LOG.info("stopped in {} ms", (Clock.system().nanoTime() - t0) / 1_000_000);
      } catch (Exception e) {
        LOG.error("the proxy did not close cleanly", e);
      } finally {
        ServerLogging.flushAccessLog(); // the last requests' lines
        done.countDown();
      }
    }

    void await() throws InterruptedException {
      done.await();
    }
  }
}
