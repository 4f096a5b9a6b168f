package io.freshcache.proxy;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * An origin on raw sockets that accepts protocol switches, for the proxy's tunnel tests. Each
 * connection has its own thread. A request offering {@code Upgrade: websocket} gets a real RFC 6455
 * handshake ({@code Sec-WebSocket-Accept} computed from the key) and then, in {@link Mode#WEBSOCKET},
 * every text frame echoed back as {@code echo: TEXT}, or in {@link Mode#RAW}, a greeting written
 * with the 101 in one packet and then every byte echoed back unchanged. Any other request gets
 * {@code 426 Upgrade Required}.
 */
final class UpgradeOrigin implements AutoCloseable {
  /** What the origin speaks after its 101 ({@link #GONE}: the greeting, then it closes at once). */
  enum Mode { WEBSOCKET, RAW, GONE }

  static final String GREETING = "hello from the origin\n";
  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private final ServerSocket socket = new ServerSocket();
  private final Mode mode;
  private final String upgradeAnswer;
  /** The request heads received, in order. */
  final List<String> requests = new CopyOnWriteArrayList<>();
  /** Counted down when a tunnelled connection is closed by the other side (end of stream read). */
  final CountDownLatch closedByPeer = new CountDownLatch(1);
  private final List<Socket> open = new CopyOnWriteArrayList<>();

  UpgradeOrigin(Mode mode) throws IOException {
    this(mode, "websocket");
  }

  /** {@code upgradeAnswer}: the protocol the 101 names (another than the client's makes a bad switch). */
  UpgradeOrigin(Mode mode, String upgradeAnswer) throws IOException {
    this.mode = mode;
    this.upgradeAnswer = upgradeAnswer;
    socket.bind(new InetSocketAddress("127.0.0.1", 0));
    Thread acceptor = new Thread(() -> {
      while (!socket.isClosed()) {
        try {
          Socket c = socket.accept();
          open.add(c);
          Thread t = new Thread(() -> serve(c), "upgrade-origin-conn");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }, "upgrade-origin");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + socket.getLocalPort());
  }

  private void serve(Socket c) {
    try (c) {
      InputStream in = c.getInputStream();
      OutputStream out = c.getOutputStream();
      while (true) {
        String head = readHead(in);
        if (head.isEmpty()) {
          return;
        }
        requests.add(head);
        String key = field(head, "Sec-WebSocket-Key");
        String upgrade = field(head, "Upgrade");
        if (upgrade == null || !upgrade.toLowerCase(Locale.ROOT).contains("websocket")) {
          out.write("HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\nContent-Length: 11\r\n\r\nupgrade me\n"
              .getBytes(StandardCharsets.ISO_8859_1));
          out.flush();
          continue;
        }
        String answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: " + upgradeAnswer + "\r\nConnection: Upgrade\r\n"
            + (key == null ? "" : "Sec-WebSocket-Accept: " + accept(key) + "\r\n") + "X-Origin: yes\r\n\r\n"
            + (mode != Mode.WEBSOCKET ? GREETING : "");
        out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        if (mode == Mode.GONE) {
          return;
        } else if (mode == Mode.RAW) {
          in.transferTo(out);
        } else {
          echoFrames(new DataInputStream(in), out);
        }
        closedByPeer.countDown();
        return;
      }
    } catch (IOException e) {
      // the proxy closed the connection, or the test ended
    }
  }

  /** Echoes text frames (client frames are masked, RFC 6455 section 5.3) until a close frame or the end. */
  private static void echoFrames(DataInputStream in, OutputStream out) throws IOException {
    while (true) {
      int b0 = in.read();
      if (b0 < 0) {
        return;
      }
      int b1 = in.readUnsignedByte();
      int opcode = b0 & 0x0f;
      long len = b1 & 0x7f;
      if (len == 126) {
        len = in.readUnsignedShort();
      } else if (len == 127) {
        len = in.readLong();
      }
      byte[] mask = new byte[4];
      if ((b1 & 0x80) != 0) {
        in.readFully(mask);
      }
      byte[] payload = new byte[(int) len];
      in.readFully(payload);
      for (int i = 0; i < payload.length; i++) {
        payload[i] ^= mask[i % 4];
      }
      if (opcode == 8) { // close: answer with a close, then end
        out.write(new byte[] {(byte) 0x88, 0});
        out.flush();
        return;
      }
      if (opcode == 1) {
        byte[] text = ("echo: " + new String(payload, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(0x81);
        if (text.length < 126) {
          frame.write(text.length);
        } else {
          frame.write(126);
          frame.write(text.length >>> 8);
          frame.write(text.length & 0xff);
        }
        frame.write(text);
        out.write(frame.toByteArray());
        out.flush();
      }
    }
  }

  static String accept(String key) {
    try {
      byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static String field(String head, String name) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
        return line.substring(colon + 1).trim();
      }
    }
    return null;
  }

  /** Reads up to the blank line that ends a request head; empty at the end of the stream. */
  private static String readHead(InputStream in) throws IOException {
    String head = ScriptedOrigin.readHead(in);
    return head.endsWith("\r\n\r\n") ? head : "";
  }

  /** Closes the origin's end of every connection (as an origin that goes away would). */
  void closeConnections() throws IOException {
    for (Socket s : open) {
      s.close();
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
    closeConnections();
  }
}
