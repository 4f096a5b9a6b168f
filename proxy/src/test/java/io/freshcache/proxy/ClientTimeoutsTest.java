package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Slowloris: a client that sends its request head or body a byte at a time, or holds a keep-alive
 * connection idle, used to keep a connection (and a file descriptor) forever. The timeouts are
 * shortened here; the event stream and a slow origin must not be cut by them.
 */
class ClientTimeoutsTest extends ProxyTestSupport {
  private static final Duration HEADER = Duration.ofMillis(400);
  private static final Duration IDLE = Duration.ofMillis(600);
  private static final Duration BODY = Duration.ofMillis(400);
  /** Far more than any timeout above: a close after it is a failure to time out. */
  private static final long LATE_MILLIS = 4000;

  private FreshcacheProxy startShort() {
    return start(b -> b.clientHeaderTimeout(HEADER).clientIdleTimeout(IDLE).clientBodyTimeout(BODY));
  }

  private Socket connect() throws IOException {
    Socket s = new Socket();
    s.connect(proxy.address(), 2000);
    s.setSoTimeout((int) LATE_MILLIS + 2000);
    return s;
  }

  private static void send(Socket s, String text) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /** Everything until the proxy closes the connection. */
  private static String readToEnd(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    for (int n; (n = in.read(buf)) >= 0; ) {
      got.write(buf, 0, n);
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }

  /** One response with a Content-Length body, leaving the connection open. */
  private static String readResponse(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("closed after: " + head);
      }
      head.write(c);
    }
    String h = head.toString(StandardCharsets.ISO_8859_1);
    int at = h.toLowerCase().indexOf("content-length: ");
    int length = Integer.parseInt(h.substring(at + 16, h.indexOf("\r\n", at)).trim());
    return h + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
  }

  private static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  @Test
  void aStalledRequestHeadIsAnswered408AndClosed() throws IOException {
    origin.on("/x", TestOrigin.Reply.ok("x").header("Cache-Control", "max-age=60"));
    startShort();
    try (Socket s = connect()) {
      send(s, "GET /x HTTP/1.1\r\nHost: a\r\n");
      long t0 = System.nanoTime();
      String answer = readToEnd(s);
      assertThat(millisSince(t0)).isBetween(HEADER.toMillis() - 50, LATE_MILLIS);
      assertThat(answer).startsWith("HTTP/1.1 408 ").containsIgnoringCase("Connection: close")
          .endsWith("request timeout\n");
    }
    assertThat(origin.count("/x")).isZero();
    assertThat(proxy.stats()).containsEntry("clientTimeouts", 1L);
  }

  @Test
  void aHeadSentAByteAtATimeStillHasToArriveWithinTheHeaderTimeout() throws Exception {
    startShort();
    byte[] head = "GET /drip HTTP/1.1\r\nHost: a\r\nX-Padding: ".getBytes(StandardCharsets.ISO_8859_1);
    try (Socket s = connect()) {
      long t0 = System.nanoTime();
      OutputStream out = s.getOutputStream();
      try {
        // A byte every 100 ms: far inside any "no progress" timeout, yet the head never ends.
        for (int i = 0; millisSince(t0) < LATE_MILLIS; i++) {
          out.write(head[Math.min(i, head.length - 1)]);
          out.flush();
          Thread.sleep(100);
        }
      } catch (IOException closed) {
        // the proxy closed the connection while we were still dripping
      }
      assertThat(readToEnd(s)).startsWith("HTTP/1.1 408 ");
      assertThat(millisSince(t0)).isLessThan(LATE_MILLIS);
    }
  }

  @Test
  void aConnectionThatSendsNothingIsClosedQuietly() throws IOException {
    startShort();
    try (Socket s = connect()) {
      long t0 = System.nanoTime();
      assertThat(readToEnd(s)).isEmpty();
      assertThat(millisSince(t0)).isBetween(HEADER.toMillis() - 50, LATE_MILLIS);
    }
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedQuietlyAndEachRequestRestartsItsClock() throws Exception {
    origin.on("/k", TestOrigin.Reply.ok("kept").header("Cache-Control", "max-age=60"));
    startShort();
    try (Socket s = connect()) {
      // Requests half an idle timeout apart: the connection outlives several idle timeouts.
      long t0 = System.nanoTime();
      for (int i = 0; i < 5; i++) {
        send(s, "GET /k HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(readResponse(s)).startsWith("HTTP/1.1 200 ").endsWith("kept");
        Thread.sleep(IDLE.toMillis() / 2);
      }
      assertThat(millisSince(t0)).isGreaterThan(IDLE.toMillis() * 2);
      long idleFrom = System.nanoTime();
      assertThat(readToEnd(s)).as("no 408 for a client that asked for nothing").isEmpty();
      assertThat(millisSince(idleFrom)).isLessThan(LATE_MILLIS);
    }
    assertThat(proxy.stats()).containsEntry("clientTimeouts", 0L);
  }

  @Test
  void aStalledRequestBodyIsAnswered408AndClosed() throws IOException {
    origin.on("/up", r -> TestOrigin.Reply.ok("got " + r.body().length));
    startShort();
    try (Socket s = connect()) {
      send(s, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789");
      long t0 = System.nanoTime();
      String answer = readToEnd(s);
      assertThat(millisSince(t0)).isBetween(BODY.toMillis() - 50, LATE_MILLIS);
      assertThat(answer).startsWith("HTTP/1.1 408 ").containsIgnoringCase("Connection: close");
    }
  }

  @Test
  void aSlowlySentBodyThatKeepsComingIsRead() throws Exception {
    origin.on("/up", r -> TestOrigin.Reply.ok("got " + r.body().length));
    startShort();
    try (Socket s = connect()) {
      send(s, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nConnection: close\r\n\r\n");
      for (int i = 0; i < 10; i++) { // 10 x 150 ms: longer than the body timeout in all, never idle for it
        Thread.sleep(BODY.toMillis() * 3 / 8);
        send(s, "z");
      }
      assertThat(readToEnd(s)).startsWith("HTTP/1.1 200 ").endsWith("got 10");
    }
  }

  @Test
  void anEventStreamOutlivesEveryClientTimeout() throws Exception {
    origin.on("/p", TestOrigin.Reply.ok("page").header("Cache-Control", "max-age=60"));
    startShort();
    try (LiveSseClient c = new LiveSseClient(proxy.address(), "/_freshcache/events?f=/p", Map.of())) {
      assertThat(c.status).isEqualTo(200);
      assertThat(c.nextEvent().event()).isEqualTo("ready");
      Thread.sleep(3 * Math.max(IDLE.toMillis(), HEADER.toMillis()));
      assertThat(get("/p").body()).isEqualTo("page");
      assertThat(c.nextEvent().event()).as("the stream is still open").isEqualTo("changed");
    }
  }

  @Test
  void aSlowOriginIsNotAClientTimeout() {
    long slow = 3 * Math.max(IDLE.toMillis(), Math.max(HEADER.toMillis(), BODY.toMillis()));
    origin.on("/slow", TestOrigin.Reply.ok("late").header("Cache-Control", "max-age=60").delay(slow));
    origin.on("/slowpost", r -> TestOrigin.Reply.ok("late " + r.body().length).delay(slow));
    start(b -> b.clientHeaderTimeout(HEADER).clientIdleTimeout(IDLE).clientBodyTimeout(BODY)
        .originResponseTimeout(Duration.ofMillis(slow + 3000)));
    HttpResponse<String> cached = get("/slow");
    assertThat(cached.statusCode()).isEqualTo(200);
    assertThat(cached.body()).isEqualTo("late");
    HttpResponse<String> passed = send(HttpRequest.newBuilder(url("/slowpost"))
        .POST(HttpRequest.BodyPublishers.ofString("body")));
    assertThat(passed.statusCode()).isEqualTo(200);
    assertThat(passed.body()).isEqualTo("late 4");
  }

  @Test
  void timeoutsAreValidated() {
    ProxyConfig.Builder b = ProxyConfig.builder(URI.create("http://127.0.0.1:3000"));
    assertThatThrownBy(() -> b.clientHeaderTimeout(Duration.ZERO).build())
        .hasMessage("clientHeaderTimeout: PT0S (expected: 1ms..24h)");
    assertThatThrownBy(() -> b.clientHeaderTimeout(Duration.ofSeconds(1)).clientIdleTimeout(Duration.ofDays(2)).build())
        .hasMessage("clientIdleTimeout: PT48H (expected: 1ms..24h)");
    assertThatThrownBy(() -> b.clientIdleTimeout(Duration.ofSeconds(1)).clientBodyTimeout(Duration.ofSeconds(-1)).build())
        .hasMessage("clientBodyTimeout: PT-1S (expected: 1ms..24h)");
    assertThatThrownBy(() -> b.clientBodyTimeout(null).build()).hasMessage("clientBodyTimeout");
    ProxyConfig d = ProxyConfig.builder(URI.create("http://127.0.0.1:3000")).build();
    assertThat(d.clientHeaderTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(d.clientIdleTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(d.clientBodyTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(d.clientSendTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThatThrownBy(() -> b.clientBodyTimeout(Duration.ofSeconds(1)).clientSendTimeout(Duration.ZERO).build())
        .hasMessage("clientSendTimeout: PT0S (expected: 1ms..24h)");
  }

  /** A client connected to the proxy with a small receive window, so the proxy's writes back up soon. */
  private Socket slowReceiver() throws java.io.IOException {
    Socket s = new Socket();
    s.setReceiveBufferSize(16 * 1024);
    s.connect(proxy.address(), 2000);
    s.setSoTimeout((int) LATE_MILLIS + 2000);
    return s;
  }

  /**
   * A client that stops reading a large relayed response leaves the proxy unable to write: after the
   * send timeout the connection is closed (the response ends short), instead of holding it, and the
   * origin request feeding it, for as long as the client likes.
   */
  @Test
  void aClientThatStopsReadingIsClosedAfterTheSendTimeout() throws Exception {
    int length = 48 << 20;
    origin.on("/huge", TestOrigin.Reply.ok("x".repeat(length)).header("Cache-Control", "no-store"));
    start(b -> b.clientSendTimeout(Duration.ofMillis(500)));
    try (Socket s = slowReceiver()) {
      send(s, "GET /huge HTTP/1.1\r\nHost: a\r\n\r\n");
      Thread.sleep(2500); // not reading: the proxy's writes back up, and its send timeout runs out
      long read = 0;
      InputStream in = s.getInputStream();
      byte[] buf = new byte[64 * 1024];
      try {
        for (int n; (n = in.read(buf)) >= 0; ) {
          read += n;
        }
      } catch (java.net.SocketException reset) {
        // closed with unsent data: a reset is as good as an end
      }
      assertThat(read).as("bytes received before the close").isLessThan(length);
    }
  }

  @Test
  void aClientThatReadsSlowlyButSteadilyIsNotClosed() throws Exception {
    // Progress, not speed: a client taking a little of the response every 100 ms, for longer than
    // the send timeout, keeps its connection and gets the whole body (the send timeout watches the
    // bytes waiting in the outbound buffer change, so a steady reader must never look stalled).
    int length = 2 << 20;
    origin.on("/slow", TestOrigin.Reply.ok("y".repeat(length)).header("Cache-Control", "no-store").chunked());
    start(b -> b.clientSendTimeout(Duration.ofMillis(500)));
    try (Socket s = slowReceiver()) {
      send(s, "GET /slow HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      InputStream in = s.getInputStream();
      byte[] buf = new byte[256 * 1024];
      long read = 0;
      long start = System.nanoTime();
      for (int n; (n = in.read(buf)) >= 0; ) {
        read += n;
        Thread.sleep(100);
      }
      assertThat(System.nanoTime() - start).as("longer than the send timeout").isGreaterThan(Duration.ofSeconds(1).toNanos());
      assertThat(read).as("the whole response").isGreaterThan(length);
    }
  }

  @Test
  void theDefaultsLeaveAShortPauseBetweenRequestsAlone() throws IOException {
    // With the defaults (10 s, 60 s, 30 s) a keep-alive client pausing a second keeps its connection.
    origin.on("/d", TestOrigin.Reply.ok("d").header("Cache-Control", "max-age=60"));
    start();
    try (Socket s = connect()) {
      send(s, "GET /d HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(readResponse(s)).endsWith("d");
      s.setSoTimeout(1000);
      assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
    }
  }
}
