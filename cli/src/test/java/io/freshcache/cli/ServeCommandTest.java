package io.freshcache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.proxy.ProxyConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code freshcache serve} through picocli, with a fake proxy in place of the data path. */
class ServeCommandTest {

  /** A serve command line whose proxy is recorded instead of started. */
  private static final class Harness {
    final CommandLine cl = FreshcacheCommand.commandLine();
    final ServeCommand serve = (ServeCommand) cl.getSubcommands().get("serve").getCommand();
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    final AtomicReference<ProxyConfig> started = new AtomicReference<>();
    final AtomicBoolean closed = new AtomicBoolean();
    final LinkedBlockingQueue<Thread> hooks = new LinkedBlockingQueue<>();

    Harness(Map<String, String> env) {
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(err, true));
      serve.env = env::get;
      serve.shutdownHooks = hooks::add;
      serve.serverLogging = () -> { };
      serve.starter = config -> {
        started.set(config);
        return () -> closed.set(true);
      };
    }

    Harness() {
      this(Map.of());
    }

    /** Runs to completion: for arguments that fail before the proxy starts. */
    int run(String... args) {
      return cl.execute(args);
    }

    /** Runs, waits for the startup, then plays SIGTERM by running the shutdown hook. */
    int runUntilShutdown(String... args) throws Exception {
      CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cl.execute(args));
      Thread hook = hooks.poll(10, TimeUnit.SECONDS);
      assertThat(hook).as("a shutdown hook was registered; err: %s", err).isNotNull();
      assertThat(closed).as("still serving before the signal").isFalse();
      assertThat(exit).isNotDone();
      hook.start(); // what the JVM does on SIGTERM
      hook.join(10_000);
      return exit.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void optionsReachTheProxyConfig() throws Exception {
    Harness h = new Harness();

    int code = h.runUntilShutdown("serve", "--origin", "http://127.0.0.1:3000", "--listen", "[::1]:8081",
        "--admin", "127.0.0.1:9090", "--admin-token", "tok", "--user-cookie", "session", "--user-header", "X-User",
        "--max-bytes", "1g", "--compression", "ZSTD", "--compression-min", "4k", "--max-header-bytes", "32k", "--max-cacheable-body", "123k", "--max-request-body", "2m",
        "--origin-timeout", "500ms", "--connect-timeout", "1s", "--no-esi", "--esi-max-depth", "5",
        "--esi-max-includes", "10", "--no-access-log", "--io-threads", "3", "--shutdown-grace", "2m");

    assertThat(code).isZero();
    assertThat(h.closed).isTrue();
    ProxyConfig c = h.started.get();
    assertThat(c).isEqualTo(ProxyConfig.builder(URI.create("http://127.0.0.1:3000"))
        .listen(new InetSocketAddress(InetAddress.getByName("::1"), 8081))
        .admin(new InetSocketAddress("127.0.0.1", 9090))
        .adminToken("tok")
        .userCookie("session")
        .userHeader("X-User")
        .maximumBytes(1L << 30)
        .compression(io.freshcache.core.Encoding.ZSTD)
        .compressionMinBytes(4096)
        .maxHeaderBytes(32 * 1024)
        .maxCacheableBodyBytes(123 * 1024)
        .maxRequestBodyBytes(2 << 20)
        .originResponseTimeout(Duration.ofMillis(500))
        .originConnectTimeout(Duration.ofSeconds(1))
        .esi(false)
        .esiMaxDepth(5)
        .esiMaxIncludes(10)
        .accessLog(false)
        .ioThreads(3)
        .shutdownGrace(Duration.ofMinutes(2))
        .build());
    assertThat(h.out.toString()).isEqualTo("freshcache serve: listening on http://[0:0:0:0:0:0:0:1]:8081, "
        + "origin http://127.0.0.1:3000, admin API on http://127.0.0.1:9090 (bearer token)" + System.lineSeparator());
    assertThat(h.err.toString()).isEmpty();
  }

  @Test
  void defaultsAndTheEnvironmentToken() throws Exception {
    Harness h = new Harness(Map.of(ProxyConfig.ADMIN_TOKEN_ENV, "env-token"));

    assertThat(h.runUntilShutdown("serve", "--origin", "http://localhost:3000", "--esi")).isZero();

    assertThat(h.started.get()).isEqualTo(ProxyConfig.builder(URI.create("http://localhost:3000"))
        .adminToken("env-token").build());
    assertThat(h.out.toString()).startsWith("freshcache serve: listening on http://127.0.0.1:8080, "
        + "origin http://localhost:3000, admin API off");
  }

  @Test
  void configFileWithOptionsOnTop(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("serve.yaml");
    Files.writeString(file, "origin: http://127.0.0.1:3000\nadmin: 127.0.0.1:9091\nmaximumBytes: 64m\naccess-log: false\n");
    Harness h = new Harness();

    assertThat(h.runUntilShutdown("serve", "--config", file.toString(), "--max-bytes", "32m", "--access-log")).isZero();

    ProxyConfig c = h.started.get();
    assertThat(c.maximumBytes()).isEqualTo(32L << 20);
    assertThat(c.accessLog()).isTrue();
    assertThat(c.admin()).isEqualTo(new InetSocketAddress("127.0.0.1", 9091));
    assertThat(h.out.toString()).contains("admin API on http://127.0.0.1:9091 (no token: loopback only)");
  }

  @Test
  void badValuesExit2WithOneLine(@TempDir Path dir) throws Exception {
    String[][] cases = {
      {"--origin", "http://127.0.0.1:3000", "--max-bytes", "12x"},
      {"--origin", "http://127.0.0.1:3000", "--compression", "deflate"},
      {"--origin", "http://127.0.0.1:3000", "--origin-timeout", "30"},
      {"--origin", "http://127.0.0.1:3000", "--listen", "::1:8080"},
      {"--origin", "http://127.0.0.1:3000", "--max-header-bytes", "100"},
      {"--origin", "http://127.0.0.1:3000", "--compression-min", "-1"},
      {"--origin", "http://127.0.0.1:3000", "--compression-min", "3g"},
      {"--origin", "http://127.0.0.1:3000", "--admin", "0.0.0.0:9090"},
      {"--origin", "ftp://127.0.0.1:3000"},
      {"--listen", "127.0.0.1:8080"},
      {"--config", dir.resolve("missing.yaml").toString()},
    };
    for (String[] args : cases) {
      Harness h = new Harness();
      String[] full = new String[args.length + 1];
      full[0] = "serve";
      System.arraycopy(args, 0, full, 1, args.length);

      assertThat(h.run(full)).as(String.join(" ", args)).isEqualTo(2);

      assertThat(h.err.toString()).as(String.join(" ", args)).startsWith("freshcache serve: ")
          .endsWith(System.lineSeparator()).hasLineCount(1).doesNotContain("Exception").doesNotContain("\tat ");
      assertThat(h.started.get()).isNull();
      assertThat(h.hooks).isEmpty();
    }
    Harness h = new Harness();
    h.run("serve", "--origin", "http://127.0.0.1:3000", "--max-header-bytes", "100");
    assertThat(h.err.toString()).isEqualTo("freshcache serve: maxHeaderBytes: 100 (expected: 1024..1048576)"
        + System.lineSeparator());
  }

  @Test
  void unknownOptionIsAUsageError() {
    Harness h = new Harness();

    assertThat(h.run("serve", "--origin", "http://127.0.0.1:3000", "--max-byte", "1g")).isEqualTo(2);
    assertThat(h.err.toString()).contains("Unknown options: '--max-byte'").contains("Possible solutions: --max-bytes");
  }

  @Test
  void aProxyThatCannotStartExits1() {
    Harness h = new Harness();
    h.serve.starter = config -> {
      throw new IllegalStateException("listen: cannot bind 127.0.0.1:8080", new java.net.BindException("Address already in use"));
    };

    assertThat(h.run("serve", "--origin", "http://127.0.0.1:3000")).isEqualTo(1);
    assertThat(h.err.toString()).isEqualTo("freshcache serve: cannot start: listen: cannot bind 127.0.0.1:8080: "
        + "Address already in use" + System.lineSeparator());
    assertThat(h.hooks).isEmpty();
  }

  @Test
  void theDefaultStarterIsTheRealProxy() {
    CommandLine cl = FreshcacheCommand.commandLine();
    ServeCommand serve = (ServeCommand) cl.getSubcommands().get("serve").getCommand();
    serve.serverLogging = () -> { };
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));

    // An address that cannot be bound here: the real proxy fails at once instead of serving.
    assertThat(cl.execute("serve", "--origin", "http://127.0.0.1:3000", "--listen", "192.0.2.1:8080")).isEqualTo(1);
    assertThat(err.toString()).startsWith("freshcache serve: cannot start: listen: cannot bind 192.0.2.1:8080")
        .hasLineCount(1);
  }

  @Test
  void helpListsEveryOptionWithItsDefault() {
    Run r = Run.of("serve", "--help");

    assertThat(r.exitCode()).isZero();
    String help = r.out().replaceAll("\\s+", " ");
    assertThat(help).contains("Usage: freshcache serve").contains("--config=FILE").contains("--help").contains("--version");
    for (ServeOptions.Setting s : ServeOptions.allSettings()) {
      boolean negatable = s.key().equals("esi") || s.key().equals("accessLog") || s.key().equals("staleWhileRebuild");
      String option = negatable ? "--[no-]" + s.kebab() : s.option() + "=";
      assertThat(help).as(s.key()).contains(option).contains("(default: " + s.defaultText() + ")");
    }
    assertThat(Run.of("--help").out()).containsPattern("(?m)^\\s+serve\\s+\\S");
  }
}
