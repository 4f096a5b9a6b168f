package io.freshcache.proxy;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A real origin for proxy tests: the JDK's HTTP server on 127.0.0.1 and an ephemeral port, answering
 * each path as the test scripted it, and recording every request it got.
 */
final class TestOrigin implements AutoCloseable {

  /** A request as the origin received it. */
  record Received(String method, String uri, Headers headers, byte[] body) {
    String header(String name) {
      return headers.getFirst(name);
    }
  }

  /** A scripted response. */
  static final class Reply {
    int status = 200;
    final Map<String, List<String>> headers = new LinkedHashMap<>();
    byte[] body = new byte[0];
    long delayMillis;
    /** Send the body chunked (no Content-Length). */
    boolean chunked;

    static Reply ok(String body) {
      return new Reply().body(body);
    }

    static Reply status(int status) {
      Reply r = new Reply();
      r.status = status;
      return r;
    }

    Reply body(String text) {
      body = text.getBytes(StandardCharsets.UTF_8);
      if (!headers.containsKey("Content-Type")) {
        header("Content-Type", "text/plain; charset=utf-8");
      }
      return this;
    }

    Reply body(byte[] bytes) {
      body = bytes;
      return this;
    }

    Reply header(String name, String value) {
      headers.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
      return this;
    }

    Reply delay(long millis) {
      delayMillis = millis;
      return this;
    }

    Reply chunked() {
      chunked = true;
      return this;
    }
  }

  static {
    // The JDK's server writes a response's head and body apart; with Nagle on, the body waits for
    // the proxy's delayed ACK of the head, and every origin fetch took about 40 ms more.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "test-origin");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, Function<Received, Reply>> scripts = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private final Map<String, Function<Received, Reply>> prefixes = new ConcurrentHashMap<>();
  final List<Received> received = new CopyOnWriteArrayList<>();
  /** Off for load runs ({@link #quiet()}): nothing is recorded, so the origin's heap stays flat. */
  private volatile boolean recording = true;

  TestOrigin() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Scripts a path (the request target's path, without the query). */
  TestOrigin on(String path, Function<Received, Reply> script) {
    scripts.put(path, script);
    return this;
  }

  TestOrigin on(String path, Reply reply) {
    return on(path, r -> reply);
  }

  /** Stops recording requests (for measurements that send many): {@link #received} and counts stay empty. */
  TestOrigin quiet() {
    recording = false;
    return this;
  }

  /** Scripts every path under {@code prefix} (checked when no exact script matches). */
  TestOrigin onPrefix(String prefix, Function<Received, Reply> script) {
    prefixes.put(prefix, script);
    return this;
  }

  /** How many requests reached a path. */
  int count(String path) {
    AtomicInteger c = counts.get(path);
    return c == null ? 0 : c.get();
  }

  /** The requests for a path, in order. */
  List<Received> requests(String path) {
    return received.stream().filter(r -> URI.create(r.uri()).getPath().equals(path)).toList();
  }

  Received last(String path) {
    List<Received> all = requests(path);
    return all.isEmpty() ? null : all.get(all.size() - 1);
  }

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      byte[] body;
      try (InputStream in = x.getRequestBody()) {
        body = in.readAllBytes();
      }
      Received r = new Received(x.getRequestMethod(), x.getRequestURI().toString(), x.getRequestHeaders(), body);
      String path = x.getRequestURI().getPath();
      if (recording) {
        received.add(r);
        counts.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
      }
      Function<Received, Reply> script = scripts.get(path);
      if (script == null) {
        for (Map.Entry<String, Function<Received, Reply>> e : prefixes.entrySet()) {
          if (path.startsWith(e.getKey())) {
            script = e.getValue();
            break;
          }
        }
      }
      Reply reply = script == null ? Reply.status(404).body("no script for " + path) : script.apply(r);
      if (reply.delayMillis > 0) {
        try {
          Thread.sleep(reply.delayMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      reply.headers.forEach((k, v) -> x.getResponseHeaders().put(k, new ArrayList<>(v)));
      boolean noBody = reply.status == 204 || reply.status == 304 || "HEAD".equals(x.getRequestMethod());
      long length = noBody ? -1 : reply.chunked ? 0 : reply.body.length == 0 ? -1 : reply.body.length;
      if (!noBody && !reply.chunked && reply.body.length == 0) {
        x.getResponseHeaders().set("Content-Length", "0");
      }
      x.sendResponseHeaders(reply.status, length);
      if (!noBody && reply.body.length > 0) {
        try (OutputStream out = x.getResponseBody()) {
          out.write(reply.body);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
