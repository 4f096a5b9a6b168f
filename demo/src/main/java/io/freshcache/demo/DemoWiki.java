package io.freshcache.demo;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo wiki: an origin web application meant to be served through the Freshcache proxy.
 *
 * <p>It caches nothing itself. It tells the proxy what each response depends on ({@code
 * Cache-Tag}), what each edit changed ({@code Cache-Invalidate} on the edit's response), which parts
 * are per-user holes (ESI), and it announces changes made outside requests (simulated dashboard
 * events) through an {@link Invalidator} that the integrator connects to the proxy's cache. {@code
 * docs/demo.md} describes the pages and the tag design.
 *
 * <pre>{@code
 * try (DemoWiki wiki = DemoWiki.start(new InetSocketAddress("127.0.0.1", 0), DemoOptions.defaults())) {
 *   wiki.setInvalidator(tags -> cache.invalidate(tags));
 *   // proxy --origin wiki.uri() --user-cookie DemoWiki.USER_COOKIE
 * }
 * }</pre>
 *
 * <p>Thread-safe. Requests run on the server's own threads; simulated events on one background
 * thread, which is where the invalidator is called.
 */
public final class DemoWiki implements AutoCloseable {

  /** The cookie that names the signed-in user; start the proxy with {@code --user-cookie demo_user}. */
  public static final String USER_COOKIE = Users.COOKIE;

  private static final Logger log = LoggerFactory.getLogger(DemoWiki.class);

  private final HttpServer server;
  private final ExecutorService requestThreads;
  private final ScheduledExecutorService ticker;
  private final Dashboard dashboard;
  private final InstantSource clock;
  // Read by the ticker thread, set by the integrator's.
  private volatile Invalidator invalidator = Invalidator.logging();

  private DemoWiki(HttpServer server, ExecutorService requestThreads, ScheduledExecutorService ticker,
      Dashboard dashboard, InstantSource clock) {
    this.server = server;
    this.requestThreads = requestThreads;
    this.ticker = ticker;
    this.dashboard = dashboard;
    this.clock = clock;
  }

  /**
   * Starts the wiki with its seed pages.
   *
   * @param address where to listen; port 0 picks a free port (see {@link #port()})
   * @throws IOException if the address cannot be bound
   */
  public static DemoWiki start(InetSocketAddress address, DemoOptions options) throws IOException {
    return start(address, options, InstantSource.system());
  }

  static DemoWiki start(InetSocketAddress address, DemoOptions options, InstantSource clock) throws IOException {
    requireNonNull(address, "address");
    requireNonNull(options, "options");
    requireNonNull(clock, "clock");
    WikiStore store = new WikiStore(clock);
    Seed.into(store);
    Dashboard dashboard = new Dashboard(options.seed(), clock.instant());
    Site site = new Site(store, dashboard, options.esi());

    // The JDK server leaves Nagle's algorithm on unless told otherwise: with delayed ACKs on the
    // proxy's side, a small response written in two parts can wait 40 ms. Read once, before the first server.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    HttpServer server = HttpServer.create(address, 128);
    ExecutorService threads = Executors.newFixedThreadPool(options.threads(), daemon("freshcache-demo-http"));
    server.setExecutor(threads);
    server.createContext("/", exchange -> serve(site, exchange));
    ScheduledExecutorService ticker = options.tickInterval().isZero()
        ? null : Executors.newSingleThreadScheduledExecutor(daemon("freshcache-demo-ticker"));
    DemoWiki wiki = new DemoWiki(server, threads, ticker, dashboard, clock);
    server.start();
    if (ticker != null) {
      long millis = options.tickInterval().toMillis();
      ticker.scheduleWithFixedDelay(wiki::tickGuarded, millis, millis, TimeUnit.MILLISECONDS);
    }
    log.info("demo wiki listening on {} (esi {}, ticker {})", wiki.uri(), options.esi(),
        options.tickInterval().isZero() ? "off" : options.tickInterval());
    return wiki;
  }

  /** The port the wiki listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The base URI of the wiki, e.g. {@code http://127.0.0.1:8081/}. */
  public URI uri() {
    InetSocketAddress a = server.getAddress();
    String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
    if (host.indexOf(':') >= 0) {
      host = "[" + host + "]";
    }
    return URI.create("http://" + host + ":" + a.getPort() + "/");
  }

  /**
   * Where changes made outside requests are announced from now on; the default only logs. Exceptions
   * it throws are logged and do not stop the event source.
   */
  public void setInvalidator(Invalidator invalidator) {
    this.invalidator = requireNonNull(invalidator, "invalidator");
  }

  /**
   * Runs one simulated dashboard event now, as the background ticker would: changes one or two
   * widgets, then calls the invalidator with their tags (on the calling thread).
   *
   * @return the tags invalidated
   */
  public List<String> tick() {
    List<String> tags = dashboard.tick(clock.instant());
    // After the change is visible: an invalidation before it could let a render read the old data
    // and be kept.
    try {
      invalidator.invalidate(tags.toArray(String[]::new));
    } catch (RuntimeException e) {
      log.warn("invalidator {} failed for {}", invalidator, tags, e);
    }
    return tags;
  }

  private void tickGuarded() {
    try {
      tick();
    } catch (RuntimeException e) {
      // A scheduled task that throws is never run again.
      log.warn("simulated event failed", e);
    }
  }

  /** Stops the server and the event source. */
  @Override
  public void close() {
    if (ticker != null) {
      ticker.shutdownNow();
    }
    // Exchanges are short; stop(n) would wait the whole n seconds on JDK 17.
    server.stop(0);
    requestThreads.shutdownNow();
  }

  // ---- HTTP

  private static void serve(Site site, HttpExchange exchange) throws IOException {
    try (exchange) {
      Response response;
      try {
        response = site.handle(request(exchange));
      } catch (Unreadable e) {
        // The rest of the body is left unread, so the connection cannot be reused.
        response = Response.html(e.status, Map.of("Cache-Control", Site.NO_STORE, "Connection", "close"),
            "<p>" + Html.escape(e.getMessage()) + "</p>\n");
      } catch (RuntimeException e) {
        log.error("{} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
        response = Response.html(500, Map.of("Cache-Control", Site.NO_STORE), "<p>Internal error.</p>\n");
      }
      response.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
      boolean empty = response.body().length == 0 || exchange.getRequestMethod().equals("HEAD");
      exchange.sendResponseHeaders(response.status(), empty ? -1 : response.body().length);
      if (!empty) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(response.body());
        }
      }
    }
  }

  /** A request body the wiki will not read: too large (413) or of unreadable length (400). */
  private static final class Unreadable extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    Unreadable(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }

    static Unreadable tooLarge(String size) {
      return new Unreadable(413, "body: " + size + " bytes (expected: <= " + Site.MAX_BODY_BYTES + ")");
    }
  }

  private static Request request(HttpExchange exchange) throws IOException, Unreadable {
    Map<String, String> headers = new LinkedHashMap<>();
    exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT),
        String.join(name.equalsIgnoreCase("cookie") ? "; " : ", ", values)));
    String length = headers.get("content-length");
    long declared = -1;
    if (length != null) {
      try {
        declared = Long.parseLong(length.strip());
      } catch (NumberFormatException e) {
        throw new Unreadable(400, "Content-Length: '" + length + "' (expected: a number of bytes)");
      }
    }
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      if (declared > Site.MAX_BODY_BYTES) {
        drain(in);
        throw Unreadable.tooLarge(Long.toString(declared));
      }
      // Read one byte more than allowed, so a chunked body that is too large is noticed.
      body = in.readNBytes(Site.MAX_BODY_BYTES + 1);
      if (body.length > Site.MAX_BODY_BYTES) {
        drain(in);
        throw Unreadable.tooLarge("more than " + Site.MAX_BODY_BYTES);
      }
    }
    String path = exchange.getRequestURI().getRawPath();
    return new Request(exchange.getRequestMethod().toUpperCase(Locale.ROOT), path == null ? "/" : path, headers, body);
  }

  /**
   * Reads and drops up to {@link #DRAIN_BYTES} of a body we refuse: closing a connection with unread
   * data makes TCP reset it, and the client may then never see our 413.
   */
  private static void drain(InputStream in) throws IOException {
    long left = DRAIN_BYTES;
    byte[] buffer = new byte[8192];
    int n;
    while (left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0) {
      left -= n;
    }
  }

  private static final long DRAIN_BYTES = 1 << 20;

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Runs the origin alone: {@code [--port N] [--no-ticker] [--no-esi]} (port 8081 by default; with
   * {@code --no-esi} it is usable in a browser without the proxy).
   */
  public static void main(String[] args) throws IOException {
    int port = 8081;
    DemoOptions options = DemoOptions.defaults();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--port" -> {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException("--port: missing value (expected: 0 to 65535)");
          }
          port = Integer.parseInt(args[++i]);
        }
        case "--no-ticker" -> options = options.withTickInterval(Duration.ZERO);
        case "--no-esi" -> options = options.withEsi(false);
        default -> throw new IllegalArgumentException(
            "argument: '" + args[i] + "' (expected: --port N, --no-ticker, --no-esi)");
      }
    }
    DemoWiki wiki = start(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), options);
    Runtime.getRuntime().addShutdownHook(new Thread(wiki::close, "freshcache-demo-shutdown"));
    System.out.println("Freshcache demo wiki (origin) at " + wiki.uri());
  }
}
