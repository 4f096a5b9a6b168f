package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Protocol switches through the proxy (RFC 9110 section 7.8): a WebSocket handshake reaches the
 * origin with its {@code Upgrade} and {@code Connection: upgrade}; the origin's 101 turns the
 * client's connection into a tunnel to that origin connection, both ways, until either side closes
 * or the tunnel idles; any other answer is an ordinary response and the connection stays HTTP.
 */
class UpgradeTunnelTest extends ProxyTestSupport {
  private static final String HANDSHAKE = "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
      + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

  /** The JDK's own WebSocket client against a WebSocket origin, through the proxy. */
  @Test
  void aWebSocketClientTalksToAWebSocketOriginThroughTheProxy() throws Exception {
    try (UpgradeOrigin o = new UpgradeOrigin(UpgradeOrigin.Mode.WEBSOCKET)) {
      start(b -> b.origin(o.uri()));
      CompletableFuture<String> got = new CompletableFuture<>();
      StringBuilder text = new StringBuilder();
      WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
          .buildAsync(URI.create("ws://127.0.0.1:" + proxy.address().getPort() + "/chat"), new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
              text.append(data);
              if (last) {
                got.complete(text.toString());
              }
              w.request(1);
              return null;
            }
          }).get(10, TimeUnit.SECONDS);
      ws.sendText("hello", true).get(10, TimeUnit.SECONDS);
      assertThat(got.get(10, TimeUnit.SECONDS)).isEqualTo("echo: hello");
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
      assertThat(o.closedByPeer.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(o.requests.get(0)).containsIgnoringCase("upgrade: websocket").containsIgnoringCase("connection: upgrade");
      assertThat(proxy.stats()).containsEntry("upgrades", 1L);
    }
  }

  @Test
  void theHandshakeAnswerIsTheOriginsWithTheProxysFieldsAndBytesFlowBothWaysUnchanged() throws Exception {
    try (UpgradeOrigin o = new UpgradeOrigin(UpgradeOrigin.Mode.RAW)) {
      start(b -> b.origin(o.uri()));
      try (Socket s = connect()) {
        send(s, HANDSHAKE);
        String head = readUntil(s.getInputStream(), "\r\n\r\n");
        assertThat(head).startsWith("HTTP/1.1 101 Switching Protocols\r\n")
            .containsIgnoringCase("upgrade: websocket\r\n").containsIgnoringCase("connection: upgrade\r\n")
            .contains("Sec-WebSocket-Accept: " + UpgradeOrigin.accept("dGhlIHNhbXBsZSBub25jZQ==") + "\r\n")
            .contains("X-Origin: yes\r\n", "fwd=bypass; fwd-status=101; detail=upgrade")
            .containsIgnoringCase("via: 1.1 freshcache")
            .doesNotContainIgnoringCase("content-length").doesNotContainIgnoringCase("transfer-encoding");
        // The origin's greeting came in the packet of its 101: it is not lost in the switch.
        assertThat(readExactly(s.getInputStream(), UpgradeOrigin.GREETING.length()))
            .isEqualTo(UpgradeOrigin.GREETING.getBytes(StandardCharsets.ISO_8859_1));
        // Four megabytes each way, with a writer and a reader at once: back-pressure, order, no loss.
        byte[] data = new byte[4 << 20];
        new Random(7).nextBytes(data);
        Thread writer = new Thread(() -> {
          try {
            OutputStream out = s.getOutputStream();
            for (int at = 0; at < data.length; at += 65536) {
              out.write(data, at, Math.min(65536, data.length - at));
            }
            out.flush();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
        writer.start();
        byte[] back = readExactly(s.getInputStream(), data.length);
        writer.join(10_000);
        assertThat(MessageDigest.getInstance("SHA-256").digest(back))
            .isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
      }
      assertThat(o.closedByPeer.await(10, TimeUnit.SECONDS)).as("the client's close reaches the origin").isTrue();
      await(() -> (Long) proxy.stats().get("tunnelBytesIn") == 4L << 20, "bytes counted");
      assertThat((Long) proxy.stats().get("tunnelBytesOut")).isEqualTo((4L << 20) + UpgradeOrigin.GREETING.length());
    }
  }

  @Test
  void theOriginClosingItsEndClosesTheClients() throws Exception {
    try (UpgradeOrigin o = new UpgradeOrigin(UpgradeOrigin.Mode.RAW)) {
      start(b -> b.origin(o.uri()));
      try (Socket s = connect()) {
        switched(s);
        o.closeConnections();
        assertThat(readToEnd(s.getInputStream())).isEmpty();
      }
    }
  }

  /** An origin gone right after its 101 (its greeting in the same packet): the client gets both, then the end. */
  @Test
  void anOriginThatClosesWithItsSwitchIsPassedOnAndEnds() throws Exception {
    try (UpgradeOrigin o = new UpgradeOrigin(UpgradeOrigin.Mode.GONE)) {
      start(b -> b.origin(o.uri()));
      try (Socket s = connect()) {
        assertThat(switched(s)).startsWith("HTTP/1.1 101 ");
        assertThat(readToEnd(s.getInputStream())).isEmpty();
      }
    }
  }

  @Test
  void anIdleTunnelIsClosed() throws Exception {
    try (UpgradeOrigin o = new UpgradeOrigin(UpgradeOrigin.Mode.RAW)) {
      start(b -> b.origin(o.uri()).clientIdleTimeout(Duration.ofMillis(300)));
      try (Socket s = connect()) {
        switched(s);
        long t0 = System.nanoTime();
        assertThat(readToEnd(s.getInputStream())).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
      }
      assertThat(o.closedByPeer.await(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  /** An origin that does not switch answers as usual; the connection stays HTTP and serves the next request. */
  @Test
  void anOriginThatDeclinesTheSwitchIsRelayedAndTheConnectionStaysHttp() throws Exception {
    try (UpgradeOrigin o = new UpgradeOrigin(UpgradeOrigin.Mode.RAW)) {
      start(b -> b.origin(o.uri()));
      try (Socket s = connect()) {
        send(s, HANDSHAKE.replace("Upgrade: websocket", "Upgrade: something-else"));
        String first = readUntil(s.getInputStream(), "upgrade me\n");
        assertThat(first).startsWith("HTTP/1.1 426 Upgrade Required\r\n").contains("fwd-status=426; detail=upgrade");
        send(s, "GET /plain HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        assertThat(readToEnd(s.getInputStream())).startsWith("HTTP/1.1 426 ");
      }
      assertThat(o.requests).hasSize(2);
      assertThat(o.requests.get(0)).containsIgnoringCase("upgrade: something-else");
      assertThat(o.requests.get(1)).doesNotContainIgnoringCase("upgrade");
    }
  }

  /** RFC 9110 section 7.8: Upgrade not named in Connection is not an offer, and is not sent on. */
  @Test
  void anUpgradeNotNamedInConnectionIsNotAnOffer() throws Exception {
    try (UpgradeOrigin o = new UpgradeOrigin(UpgradeOrigin.Mode.RAW)) {
      start(b -> b.origin(o.uri()));
      try (Socket s = connect()) {
        send(s, HANDSHAKE.replace("Connection: Upgrade\r\n", "Connection: close\r\n"));
        assertThat(readToEnd(s.getInputStream())).startsWith("HTTP/1.1 426 ");
      }
      assertThat(o.requests.get(0)).doesNotContainIgnoringCase("upgrade:");
    }
  }

  /** A switch to a protocol the client did not offer would hand it bytes it cannot read: 502. */
  @Test
  void aSwitchToAProtocolTheClientDidNotOfferIsABadGateway() throws Exception {
    try (UpgradeOrigin o = new UpgradeOrigin(UpgradeOrigin.Mode.RAW, "h2c")) {
      start(b -> b.origin(o.uri()));
      try (Socket s = connect()) {
        send(s, HANDSHAKE);
        String r = readToEnd(s.getInputStream());
        assertThat(r).startsWith("HTTP/1.1 502 ").doesNotContain(UpgradeOrigin.GREETING);
      }
      assertThat(proxy.stats()).containsEntry("upgrades", 0L);
    }
  }

  private Socket connect() throws IOException {
    Socket s = new Socket();
    s.connect(proxy.address(), 2000);
    s.setSoTimeout(10_000);
    return s;
  }

  /** Sends the handshake on {@code s} and reads the answer up to the origin's greeting, which it returns. */
  private static String switched(Socket s) throws IOException {
    send(s, HANDSHAKE);
    return readUntil(s.getInputStream(), UpgradeOrigin.GREETING);
  }

  private static void send(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
  }

  private static String readUntil(InputStream in, String marker) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    while (!got.toString(StandardCharsets.ISO_8859_1).endsWith(marker)) {
      int c = in.read();
      if (c < 0) {
        throw new AssertionError("closed before '" + marker + "'; got: " + got);
      }
      got.write(c);
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }

  private static byte[] readExactly(InputStream in, int n) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length != n) {
      throw new AssertionError("closed after " + b.length + " of " + n + " bytes: " + Arrays.toString(
          Arrays.copyOf(b, Math.min(b.length, 64))));
    }
    return b;
  }

  /** Everything up to the end of the stream; fails if the connection is not closed within the read timeout. */
  private static String readToEnd(InputStream in) throws IOException {
    try {
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the connection was not closed", e);
    }
  }
}
