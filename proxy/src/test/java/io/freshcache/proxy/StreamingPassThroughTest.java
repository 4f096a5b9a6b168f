package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A response the cache may not store reaches its client as the origin sends it: an event stream, a
 * long poll or a slow download is not held back until it ends. The origin here sends its head and a
 * first part, then waits until the test has read that part through the proxy; a proxy that buffered
 * the response would make the test time out.
 */
class StreamingPassThroughTest extends ProxyTestSupport {

  /**
   * Fields that make a response unstorable, each decided on the head alone; an event stream is
   * never stored, whatever freshness it claims.
   */
  @ParameterizedTest
  @ValueSource(strings = {
      "Content-Type: text/event-stream\r\nCache-Control: no-cache\r\n|event-stream",
      "Content-Type: application/json\r\n|no-explicit-freshness",
      "Cache-Control: max-age=60, no-store\r\n|no-store",
      "Cache-Control: max-age=60, private\r\n|private",
      "Cache-Control: max-age=60\r\nVary: *\r\n|vary-star",
      "Content-Type: Text/Event-Stream; charset=utf-8\r\nCache-Control: max-age=60\r\n|event-stream"})
  void anUnstorableChunkedResponseStreamsThrough(String fieldsAndDetail) throws Exception {
    String fields = fieldsAndDetail.substring(0, fieldsAndDetail.indexOf('|'));
    String detail = fieldsAndDetail.substring(fieldsAndDetail.indexOf('|') + 1);
    try (HoldingOrigin o = new HoldingOrigin(fields + "Transfer-Encoding: chunked\r\n", chunk("data: one\n\n"),
        chunk("data: two\n\n") + "0\r\n\r\n")) {
      start(b -> b.origin(o.uri()));
      try (Socket s = send("GET /events HTTP/1.1\r\nHost: a\r\n\r\n")) {
        String first = readUntil(s, "data: one\n\n");
        assertThat(first).startsWith("HTTP/1.1 200 OK\r\n").contains("stored=?0", "detail=" + detail);
        assertThat(first).doesNotContain("data: two");
        o.release.countDown();
        assertThat(readUntil(s, "0\r\n\r\n")).contains("data: two\n\n");
      }
    }
  }

  /** A body with a Content-Length beyond what may be stored streams as it arrives too. */
  @Test
  void aSlowDownloadThatMayNotBeStoredStreamsThrough() throws Exception {
    try (HoldingOrigin o = new HoldingOrigin("Cache-Control: no-store\r\nContent-Length: 10\r\n", "first", "later")) {
      start(b -> b.origin(o.uri()));
      try (Socket s = send("GET /file HTTP/1.1\r\nHost: a\r\n\r\n")) {
        assertThat(readUntil(s, "first")).containsIgnoringCase("content-length: 10").contains("detail=no-store");
        o.release.countDown();
        assertThat(readUntil(s, "later")).isEqualTo("later");
      }
    }
  }

  /**
   * Two clients of one stream: the second, arriving while the first's fetch is on, gets a fetch of
   * its own (never the first's response) and streams as well.
   */
  @Test
  void concurrentClientsOfAStreamEachGetTheirOwnLiveStream() throws Exception {
    try (HoldingOrigin o = new HoldingOrigin("Content-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n",
        chunk("data: one\n\n"), "0\r\n\r\n")) {
      start(b -> b.origin(o.uri()));
      try (Socket a = send("GET /events HTTP/1.1\r\nHost: a\r\n\r\n");
           Socket b = send("GET /events HTTP/1.1\r\nHost: a\r\n\r\n")) {
        assertThat(readUntil(a, "data: one\n\n")).startsWith("HTTP/1.1 200 OK\r\n");
        assertThat(readUntil(b, "data: one\n\n")).startsWith("HTTP/1.1 200 OK\r\n");
        assertThat(o.answered.get()).isEqualTo(2);
        o.release.countDown();
        assertThat(readUntil(a, "0\r\n\r\n")).endsWith("0\r\n\r\n");
        assertThat(readUntil(b, "0\r\n\r\n")).endsWith("0\r\n\r\n");
      }
    }
  }

  private static String chunk(String data) {
    return Integer.toHexString(data.getBytes(StandardCharsets.ISO_8859_1).length) + "\r\n" + data + "\r\n";
  }

  private Socket send(String request) throws IOException {
    Socket s = new Socket();
    s.connect(proxy.address(), 2000);
    s.setSoTimeout(200);
    s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
    return s;
  }

  /** What arrives on {@code s} up to and including {@code marker}; fails if it does not within 10 s. */
  private static String readUntil(Socket s, String marker) throws IOException {
    InputStream in = s.getInputStream();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!got.toString(StandardCharsets.ISO_8859_1).contains(marker)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("'" + marker.replace("\n", "\\n") + "' did not arrive while the origin held "
            + "the rest back; got: " + got.toString(StandardCharsets.ISO_8859_1));
      }
      try {
        int c = in.read();
        if (c < 0) {
          throw new AssertionError("connection closed before '" + marker + "'; got: " + got);
        }
        got.write(c);
      } catch (SocketTimeoutException e) {
        // nothing yet: look again until the deadline
      }
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }

  /**
   * An origin that answers every request, each on its own thread, with a 200 head, a first part, and
   * then, once {@link #release} is counted down, the rest; then it closes the connection.
   */
  private static final class HoldingOrigin implements AutoCloseable {
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger answered = new AtomicInteger();
    private final ServerSocket socket = new ServerSocket();

    HoldingOrigin(String fields, String first, String rest) throws IOException {
      socket.bind(new InetSocketAddress("127.0.0.1", 0));
      Thread acceptor = new Thread(() -> {
        while (!socket.isClosed()) {
          try {
            Socket c = socket.accept();
            Thread t = new Thread(() -> answer(c, "HTTP/1.1 200 OK\r\n" + fields + "\r\n" + first, rest));
            t.setDaemon(true);
            t.start();
          } catch (IOException e) {
            return; // closed
          }
        }
      }, "holding-origin");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    private void answer(Socket c, String head, String rest) {
      try (c) {
        InputStream in = c.getInputStream();
        int last4 = 0;
        int ch;
        while (last4 != 0x0d0a0d0a && (ch = in.read()) >= 0) {
          last4 = last4 << 8 | ch;
        }
        answered.incrementAndGet(); // before the write: the client may read it before this thread goes on
        c.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
        c.getOutputStream().flush();
        if (release.await(30, TimeUnit.SECONDS)) {
          c.getOutputStream().write(rest.getBytes(StandardCharsets.ISO_8859_1));
          c.getOutputStream().flush();
        }
      } catch (IOException | InterruptedException e) {
        // the proxy went away or the test ended
      }
    }

    URI uri() {
      return URI.create("http://127.0.0.1:" + socket.getLocalPort());
    }

    @Override
    public void close() throws IOException {
      release.countDown();
      socket.close();
    }
  }
}
