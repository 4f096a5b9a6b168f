package io.freshcache.feeds.testing;

import io.freshcache.testkit.ServiceCheck;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A pouchdb-server 4.2.0 (a CouchDB-compatible {@code _changes} feed) on a free 127.0.0.1 port,
 * in memory ({@code -m}), in a scratch working directory (it writes its log and config there).
 *
 * <p>Installed with npm when missing, once, outside the clone so that CI does not spend two
 * minutes on every run: in {@code $FRESHCACHE_CACHE_DIR} or {@code ~/.cache/freshcache}, as {@code
 * pouchdb-server-4.2.0}. The install goes to a temporary directory that is renamed into place, so
 * an interrupted install is never taken for a finished one. Without npm or without the registry,
 * the test is skipped (failed in CI), as for any other missing service.
 */
public final class PouchDbServer implements AutoCloseable {
  static final String VERSION = "4.2.0";
  private final Process process;
  private final Path workDir;
  private final URI base;

  private PouchDbServer(Process process, Path workDir, URI base) {
    this.process = process;
    this.workDir = workDir;
    this.base = base;
  }

  /** The server's base URL, e.g. {@code http://127.0.0.1:43121}. */
  public URI base() {
    return base;
  }

  /**
   * Installs (if needed) and starts a server; skips the test (fails it in CI) if that is not
   * possible.
   */
  public static PouchDbServer start() throws Exception {
    Path bin = install();
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path work = Files.createTempDirectory("pouchdb-server-");
    Process p = new ProcessBuilder(bin.toString(), "--host", "127.0.0.1", "--port",
        Integer.toString(port), "-m")
        .directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(work.resolve("stdout.log").toFile()).start();
    URI base = URI.create("http://127.0.0.1:" + port);
    PouchDbServer server = new PouchDbServer(p, work, base);
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base).timeout(Duration.ofSeconds(2))
            .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return server;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (!p.isAlive() || System.nanoTime() > deadline) {
        String log = Files.exists(work.resolve("stdout.log"))
            ? Files.readString(work.resolve("stdout.log")) : "";
        server.close();
        ServiceCheck.unavailable("pouchdb-server did not come up on port " + port + ": " + log);
      }
      Thread.sleep(100);
    }
  }

  /** The installed executable, installing it first if missing. */
  static Path install() throws Exception {
    String root = System.getenv("FRESHCACHE_CACHE_DIR");
    Path cache = root != null && !root.isBlank() ? Path.of(root)
        : Path.of(System.getProperty("user.home"), ".cache", "freshcache");
    Path dir = cache.resolve("pouchdb-server-" + VERSION);
    Path bin = dir.resolve("node_modules/.bin/pouchdb-server");
    if (Files.isExecutable(bin)) {
      return bin;
    }
    if (!commandWorks("node", "--version") || !commandWorks("npm", "--version")) {
      ServiceCheck.unavailable("node and npm are needed to install pouchdb-server " + VERSION
          + " (Debian packages nodejs and npm)");
    }
    Files.createDirectories(cache);
    Path tmp = Files.createTempDirectory(cache, "pouchdb-server-" + VERSION + ".installing-");
    System.out.println("[pouchdb-server] installing " + VERSION + " into " + dir
        + " with npm (about 2 minutes, once)");
    Path log = cache.resolve(tmp.getFileName() + ".log");
    Process npm = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--prefix",
        tmp.toString(), "pouchdb-server@" + VERSION).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    if (!npm.waitFor(8, TimeUnit.MINUTES) || npm.exitValue() != 0) {
      npm.destroyForcibly();
      String out = Files.exists(log) ? Files.readString(log) : "";
      Files.deleteIfExists(log);
      deleteTree(tmp);
      ServiceCheck.unavailable("npm install pouchdb-server@" + VERSION + " failed: "
          + out.substring(Math.max(0, out.length() - 2000)));
    }
    Files.deleteIfExists(log);
    try {
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // Another run installed it meanwhile (the rename then fails, as "directory not empty" or a
      // plain FileSystemException depending on the JDK): use theirs; anything else is a real failure.
      deleteTree(tmp);
      if (!Files.isExecutable(bin)) {
        throw e;
      }
    }
    return bin;
  }

  private static boolean commandWorks(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> all = Files.walk(p)) {
      for (Path q : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }

  @Override
  public void close() throws IOException {
    // The .bin script may run node as a child: end the children, then the process itself.
    List<ProcessHandle> children = process.descendants().toList();
    children.forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        children.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    deleteTree(workDir);
  }
}
