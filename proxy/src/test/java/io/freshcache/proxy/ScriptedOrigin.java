package io.freshcache.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * An origin that answers each request with bytes a test writes by hand, for what an HTTP server
 * library will not send (interim responses, malformed answers). One request per connection (its
 * body, by Content-Length, is read and dropped): the answer should end the exchange with {@code
 * Connection: close}, and the connection is closed after it.
 */
final class ScriptedOrigin implements AutoCloseable {
  private final ServerSocket socket;
  private final Thread acceptor;
  /** The request heads received, in order (request line and fields, without the body). */
  final List<String> requests = new CopyOnWriteArrayList<>();

  /** Starts on a free loopback port; {@code answer} maps a request head to the raw bytes sent back. */
  ScriptedOrigin(Function<String, String> answer) throws IOException {
    socket = new ServerSocket();
    socket.bind(new InetSocketAddress("127.0.0.1", 0));
    acceptor = new Thread(() -> {
      while (!socket.isClosed()) {
        try (Socket c = socket.accept()) {
          String head = readHead(c.getInputStream());
          // Read the body too: closing a socket with unread input sends a reset, which can reach the
          // proxy before it has read the answer.
          c.getInputStream().readNBytes(contentLength(head));
          requests.add(head);
          c.getOutputStream().write(answer.apply(head).getBytes(StandardCharsets.ISO_8859_1));
          c.getOutputStream().flush();
        } catch (IOException e) {
          // closed by the test, or the proxy went away: next connection
        }
      }
    }, "scripted-origin");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + socket.getLocalPort());
  }

  /** The head's Content-Length, or 0 (the proxy sends request bodies with one, or none). */
  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
        return Integer.parseInt(line.substring(colon + 1).trim());
      }
    }
    return 0;
  }

  /** Reads up to the blank line that ends a request head (or the end of the stream). */
  static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int last4 = 0;
    int c;
    while (last4 != 0x0d0a0d0a && (c = in.read()) >= 0) {
      b.write(c);
      last4 = last4 << 8 | c;
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    socket.close();
    try {
      acceptor.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
