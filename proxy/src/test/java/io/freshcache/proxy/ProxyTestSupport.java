package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The shared kit of the proxy's end-to-end tests: a {@link TestOrigin}, a proxy in front of it on an
 * ephemeral port, a real HTTP client, raw sockets for what the client will not send, and a check
 * that Netty reported no buffer leak.
 */
abstract class ProxyTestSupport {
  TestOrigin origin;
  FreshcacheProxy proxy;
  final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void startOrigin() throws IOException {
    origin = new TestOrigin();
  }

  @AfterEach
  void stopAll() {
    if (proxy != null) {
      proxy.close();
    }
    origin.close();
  }

  @AfterAll
  static void noLeaks() {
    assertThat(LeakRecorder.collect()).as("Netty leak reports").isEmpty();
  }

  /** The default configuration for tests: ephemeral port, short timeouts, no access log. */
  ProxyConfig.Builder config() {
    return ProxyConfig.builder(origin.uri())
        .listen(new InetSocketAddress("127.0.0.1", 0))
        .originConnectTimeout(Duration.ofSeconds(1))
        .originResponseTimeout(Duration.ofSeconds(2))
        .shutdownGrace(Duration.ofMillis(200))
        .ioThreads(2);
  }

  FreshcacheProxy start() {
    return start(b -> { });
  }

  FreshcacheProxy start(Consumer<ProxyConfig.Builder> customize) {
    ProxyConfig.Builder b = config();
    customize.accept(b);
    proxy = FreshcacheProxy.start(b.build());
    return proxy;
  }

  URI url(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + proxy.address().getPort() + pathAndQuery);
  }

  HttpResponse<String> get(String path, String... headers) {
    return send(HttpRequest.newBuilder(url(path)).GET(), headers);
  }

  HttpResponse<String> send(HttpRequest.Builder b, String... headers) {
    return send(b, HttpResponse.BodyHandlers.ofString(), headers);
  }

  /** A GET whose body is kept as sent (coded bodies stay coded). */
  HttpResponse<byte[]> getBytes(String path, String... headers) {
    return send(HttpRequest.newBuilder(url(path)).GET(), HttpResponse.BodyHandlers.ofByteArray(), headers);
  }

  <T> HttpResponse<T> send(HttpRequest.Builder b, HttpResponse.BodyHandler<T> body, String... headers) {
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    try {
      return client.send(b.timeout(Duration.ofSeconds(10)).build(), body);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Sends raw bytes on a new connection and returns everything read until the proxy closes it (or 3 s pass). */
  String raw(String request) {
    try (Socket s = new Socket()) {
      s.connect(proxy.address(), 2000);
      s.setSoTimeout(3000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      try {
        int n;
        while ((n = in.read(buf)) >= 0) {
          got.write(buf, 0, n);
        }
      } catch (SocketTimeoutException | java.net.SocketException e) {
        // what arrived so far is the answer
      }
      return got.toString(StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  static String gunzip(byte[] gzip) {
    try {
      return new String(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gzip)).readAllBytes(),
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }
}
