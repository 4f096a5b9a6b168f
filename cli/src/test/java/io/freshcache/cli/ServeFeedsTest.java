package io.freshcache.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.freshcache.core.Freshcache;
import io.freshcache.feeds.postgres.PostgresInstaller;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code freshcache serve --feeds}: the feeds file is checked first, then runs on the proxy's cache. */
class ServeFeedsTest {
  private static final String NL = System.lineSeparator();

  @TempDir
  Path dir;

  /** A serve command line with a test's shutdown hooks and no logging changes. */
  private static final class Serve {
    final CommandLine cl = FreshcacheCommand.commandLine();
    final ServeCommand serve = (ServeCommand) cl.getSubcommands().get("serve").getCommand();
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    final LinkedBlockingQueue<Thread> hooks = new LinkedBlockingQueue<>();
    CompletableFuture<Integer> exit;

    Serve() {
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(err, true));
      serve.env = name -> null;
      serve.shutdownHooks = hooks::add;
      serve.serverLogging = () -> { };
    }

    /** Starts serving; returns once the shutdown hook is registered (everything started). */
    void start(String... args) throws Exception {
      exit = CompletableFuture.supplyAsync(() -> cl.execute(args));
      Thread hook = hooks.poll(20, TimeUnit.SECONDS);
      assertThat(hook).as("started; out: %s err: %s", out, err).isNotNull();
      hooks.add(hook);
    }

    /** Plays SIGTERM; returns the exit code. */
    int stop() throws Exception {
      Thread hook = hooks.take();
      hook.start();
      hook.join(20_000);
      return exit.get(20, TimeUnit.SECONDS);
    }
  }

  private Path write(String name, String text) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, text);
    return f;
  }

  @Test
  void badFeedsFileExits2WithEveryProblemBeforeTheProxyStarts() throws Exception {
    Path feeds = write("feeds.yaml", """
        sources:
          - { name: pg, jdbc: "jdbc:postgresql://h/db", batchSize: many }
        rules:
          - { name: r, invalidate: "page:A" }
        """);
    Serve s = new Serve();
    AtomicBoolean started = new AtomicBoolean();
    s.serve.starter = config -> {
      started.set(true);
      return () -> { };
    };

    assertThat(s.cl.execute("serve", "--origin", "http://127.0.0.1:3000", "--feeds", feeds.toString())).isEqualTo(2);

    assertThat(s.err.toString()).isEqualTo("freshcache serve: " + feeds + ": 2 problem(s):" + NL
        + "  rules[0].invalidate: rule 'r': a string (expected: a list, e.g. [\"page:A\"])" + NL
        + "  sources[0].batchSize: source 'pg': 'many' (expected: an integer)" + NL);
    assertThat(started).isFalse();
    assertThat(s.hooks).isEmpty();
    assertThat(dir.resolve("freshcache-checkpoints")).doesNotExist();
  }

  @Test
  void feedsWithoutSourcesOrCheckpointsWithoutFeedsAreErrors() throws Exception {
    Path feeds = write("feeds.yaml", "rules:\n  - { name: r, invalidate: [\"page:A\"] }\n");
    Serve s = new Serve();
    assertThat(s.cl.execute("serve", "--origin", "http://127.0.0.1:3000", "--feeds", feeds.toString())).isEqualTo(2);
    assertThat(s.err.toString()).isEqualTo("freshcache serve: " + feeds + ": no sources (expected: at least one"
        + " under 'sources:', see docs/feeds.md)" + NL);

    Serve t = new Serve();
    assertThat(t.cl.execute("serve", "--origin", "http://127.0.0.1:3000", "--feeds-checkpoints", "x")).isEqualTo(2);
    assertThat(t.err.toString()).isEqualTo("freshcache serve: --feeds-checkpoints: 'x' without a feeds file"
        + " (expected: --feeds FILE, or 'feeds:' in a --config file)" + NL);
  }

  @Test
  void configFileKeysArePathsRelativeToIt() throws Exception {
    Path sub = Files.createDirectories(dir.resolve("etc"));
    Files.writeString(sub.resolve("feeds.yaml"), """
        sources:
          - { name: pg, jdbc: "jdbc:postgresql://127.0.0.1:1/none" }
        rules:
          - { name: r, invalidate: ["page:A"] }
        """);
    Path config = sub.resolve("serve.yaml");
    Files.writeString(config, "origin: http://127.0.0.1:3000\nfeeds: feeds.yaml\nfeeds-checkpoints: state\n");
    Serve s = new Serve();
    Freshcache cache = Freshcache.builder().build();
    AtomicBoolean closed = new AtomicBoolean();
    s.serve.starter = cfg -> new ServeRuntime.Proxy() {
      @Override
      public Freshcache cache() {
        return cache;
      }

      @Override
      public void close() {
        closed.set(true);
      }
    };

    s.start("serve", "--config", config.toString());

    assertThat(s.out.toString()).endsWith("freshcache serve: feeds from " + sub.resolve("feeds.yaml").toAbsolutePath()
        + ": 1 source(s) [pg], 1 rule(s), checkpoints in " + sub.resolve("state").toAbsolutePath() + NL);
    assertThat(sub.resolve("state")).isDirectory();
    assertThat(s.stop()).isZero();
    assertThat(closed).isTrue();
    cache.close();
  }

  @Test
  void aChangeInPostgresInvalidatesAPageTheRealProxyCached() throws Exception {
    PostgresForTests.require();
    String schema = "fc_serve_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    AtomicInteger renders = new AtomicInteger();
    HttpServer origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    origin.createContext("/", exchange -> {
      byte[] body = ("page A, render " + renders.incrementAndGet()).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain");
      exchange.getResponseHeaders().set("Cache-Tag", "page:A");
      exchange.getResponseHeaders().set("Cache-Control", "public, max-age=3600");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    origin.start();
    try (Connection c = DriverManager.getConnection(PostgresForTests.URL); Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
      try {
        st.execute("CREATE TABLE " + schema + ".pages (id int PRIMARY KEY, title text)");
        PostgresInstaller.install(PostgresForTests.URL, schema, List.of("pages"));
        Path feeds = write("feeds.yaml", """
            sources:
              - name: pg
                type: postgres
                jdbc: "%s"
                schema: %s
                pollInterval: 200ms
            rules:
              - name: pages
                source: pg
                match: { table: pages }
                invalidate: [ "page:{/new/title}", "page:{/old/title}" ]
            """.formatted(PostgresForTests.URL, schema));
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
          port = free.getLocalPort();
        }
        Serve s = new Serve();
        s.start("serve", "--origin", "http://127.0.0.1:" + origin.getAddress().getPort(),
            "--listen", "127.0.0.1:" + port, "--feeds", feeds.toString(), "--no-access-log");
        try {
          // HTTP/1.1: the default (HTTP/2) sends "Upgrade: h2c", which the proxy passes through uncached.
          HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
          HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/wiki/A"))
              .timeout(Duration.ofSeconds(10)).build();

          HttpResponse<String> first = http.send(get, HttpResponse.BodyHandlers.ofString());
          HttpResponse<String> second = http.send(get, HttpResponse.BodyHandlers.ofString());
          assertThat(first.headers().firstValue("Cache-Status")).get().asString().contains("fwd=");
          assertThat(second.headers().firstValue("Cache-Status")).get().asString().contains("hit");
          assertThat(second.body()).isEqualTo("page A, render 1");

          st.execute("INSERT INTO " + schema + ".pages VALUES (1, 'A')");

          await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
            assertThat(r.headers().firstValue("Cache-Status")).get().asString().contains("fwd=");
          });
          assertThat(renders.get()).isEqualTo(2);
        } finally {
          assertThat(s.stop()).isZero();
        }
        // The source checkpointed what it delivered, in the default directory next to the feeds file.
        assertThat(dir.resolve("freshcache-checkpoints").resolve("pg.checkpoint")).isRegularFile();
        assertThat(s.err.toString()).isEmpty();
      } finally {
        st.execute("DROP SCHEMA " + schema + " CASCADE");
      }
    } finally {
      origin.stop(0);
    }
  }
}
