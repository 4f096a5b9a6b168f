package io.freshcache.proxy;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A raw-socket HTTP/1.1 client for event streams in tests: sends one GET, reads the response head,
 * decodes the chunked body and queues each SSE block (comments included) as it arrives.
 */
final class LiveSseClient implements AutoCloseable {

  /** One SSE block: its fields (id, event, data) and whether it was only a comment. */
  record Block(String id, String event, String data, String raw) {}

  final int status;
  final Map<String, String> headers = new LinkedHashMap<>();
  private final Socket socket;
  private final InputStream in;
  private final BlockingQueue<Block> blocks = new LinkedBlockingQueue<>();
  private final Thread reader;
  private final StringBuilder body = new StringBuilder();

  LiveSseClient(InetSocketAddress server, String uri, Map<String, String> requestHeaders) throws IOException {
    socket = new Socket();
    socket.connect(server, 5000);
    socket.setSoTimeout(30_000);
    StringBuilder req = new StringBuilder("GET " + uri + " HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n");
    requestHeaders.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
    OutputStream out = socket.getOutputStream();
    out.write(req.append("\r\n").toString().getBytes(StandardCharsets.UTF_8));
    out.flush();
    in = new BufferedInputStream(socket.getInputStream());
    String statusLine = line();
    status = Integer.parseInt(statusLine.split(" ")[1]);
    for (String l = line(); !l.isEmpty(); l = line()) {
      int colon = l.indexOf(':');
      headers.put(l.substring(0, colon).toLowerCase(), l.substring(colon + 1).strip());
    }
    reader = new Thread(this::read, "sse-client");
    reader.setDaemon(true);
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      reader.start();
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new IOException("eof");
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.UTF_8);
  }

  private void read() {
    try {
      while (true) {
        int size = Integer.parseInt(line().strip(), 16);
        if (size == 0) {
          return;
        }
        byte[] chunk = in.readNBytes(size);
        line(); // CRLF after the chunk
        body.append(new String(chunk, StandardCharsets.UTF_8));
        for (int end = body.indexOf("\n\n"); end >= 0; end = body.indexOf("\n\n")) {
          String raw = body.substring(0, end + 2);
          body.delete(0, end + 2);
          String id = null;
          String event = null;
          String data = null;
          for (String l : raw.split("\n")) {
            if (l.startsWith("id: ")) {
              id = l.substring(4);
            } else if (l.startsWith("event: ")) {
              event = l.substring(7);
            } else if (l.startsWith("data: ")) {
              data = l.substring(6);
            }
          }
          blocks.add(new Block(id, event, data, raw));
        }
      }
    } catch (IOException | RuntimeException e) {
      // closed
    }
  }

  /** The next block with an event name (skipping retry, comments and heartbeats). */
  Block nextEvent() throws InterruptedException {
    while (true) {
      Block b = blocks.poll(10, TimeUnit.SECONDS);
      if (b == null) {
        throw new AssertionError("no event within 10 s");
      }
      if (b.event() != null) {
        return b;
      }
    }
  }

  /** The next block of any kind, or null after {@code millis}. */
  Block poll(long millis) throws InterruptedException {
    return blocks.poll(millis, TimeUnit.MILLISECONDS);
  }

  /** Reads the rest of a non-streamed body (Content-Length). */
  String fullBody() throws IOException {
    return new String(in.readNBytes(Integer.parseInt(headers.get("content-length"))), StandardCharsets.UTF_8);
  }

  Socket socket() {
    return socket;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
