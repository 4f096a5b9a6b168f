package io.freshcache.proxy;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Memory per cached object in the proxy, in process: heap, direct memory and RSS growth after
 * caching N distinct 1 KB objects and hitting each once. Not a test (it takes a minute and wants a
 * fixed heap); run it as:
 *
 * <pre>{@code
 * mvn -q -B -o -pl proxy -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/fc-cp.txt
 * java -Xms2g -Xmx2g -XX:+UseG1GC -cp proxy/target/test-classes:proxy/target/classes:$(cat /tmp/fc-cp.txt) \
 *     io.freshcache.proxy.ProxyMemoryMain [objects=100000] [hits=identity|gzip|both|none]
 * }</pre>
 *
 * <p>The origin ({@link TestOrigin}, not recording) answers {@code /obj/N} with the 1,024-byte
 * lorem-ipsum page of shared/bench/peers.sh and nginx's fields (Server, Date, Content-Type,
 * Content-Length, Last-Modified, ETag, Expires, Cache-Control: max-age=3600, Accept-Ranges). Core
 * stores these bodies gzip-compressed (they are 1 KiB and compress well). Method: start origin and
 * proxy, warm both up on other paths, collect until the used heap is stable and note heap, direct
 * buffers ({@link BufferPoolMXBean} "direct") and VmRSS; fetch every object once (misses) and once
 * more (hits, so what a hit builds lazily exists too); collect until stable and take the differences
 * divided by N. The RSS figure also carries the JVM's heap sizing, so prefer heap + direct.
 */
final class ProxyMemoryMain {
  private static final int CONNECTIONS = 4;

  private ProxyMemoryMain() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    String hits = args.length > 1 ? args[1] : "identity";
    byte[] page = peersPage(1024);
    try (TestOrigin origin = new TestOrigin().quiet()) {
      origin.onPrefix("/obj/", r -> nginxLike(page));
      origin.onPrefix("/warm/", r -> nginxLike(page));
      FreshcacheProxy proxy = FreshcacheProxy.start(ProxyConfig.builder(origin.uri())
          .listen(new InetSocketAddress("127.0.0.1", 0))
          .maximumBytes(1L << 30)
          .ioThreads(2)
          .build());
      try {
        InetSocketAddress at = proxy.address();
        // Warm-up: classes loaded, pools and connections made, JIT busy on something else than the measurement.
        int warm = Integer.getInteger("warm", 5_000);
        long w0 = System.nanoTime();
        fetchAll(at, "/warm/", warm, "identity");
        long w1 = System.nanoTime();
        fetchAll(at, "/warm/", warm, "both");
        System.out.printf(Locale.ROOT, "warm-up: %,d misses %.1f s, %,d hits %.1f s%n", warm, (w1 - w0) / 1e9, 2 * warm,
            (System.nanoTime() - w1) / 1e9);
        long heap0 = usedAfterGc();
        long direct0 = direct();
        long rss0 = rss();
        long t0 = System.nanoTime();
        fetchAll(at, "/obj/", n, "identity");
        long missNanos = System.nanoTime() - t0;
        long heapM = usedAfterGc();
        long directM = direct();
        long rssM = rss();
        long t1 = System.nanoTime();
        if (!hits.equals("none")) {
          fetchAll(at, "/obj/", n, hits);
        }
        long t2 = System.nanoTime();
        long heap1 = usedAfterGc();
        long direct1 = direct();
        long rss1 = rss();
        long netty = io.netty.util.internal.PlatformDependent.usedDirectMemory();
        System.out.printf(Locale.ROOT, "ProxyMemoryMain: %,d objects of %d B, hits %s; JDK %s, max heap %,d MB%n", n,
            page.length, hits, System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20);
        System.out.printf(Locale.ROOT, "misses %.1f s, hits %.1f s%n", missNanos / 1e9, (t2 - t1) / 1e9);
        System.out.printf(Locale.ROOT, "after the misses only: heap %.0f B/object, direct %.0f B/object, heap + direct %.0f, "
            + "RSS %.0f B/object%n", (heapM - heap0) / (double) n, (directM - direct0) / (double) n,
            (heapM - heap0 + directM - direct0) / (double) n, (rssM - rss0) / (double) n);
        System.out.println("after the hits too:");
        System.out.printf(Locale.ROOT, "heap   %,14d -> %,14d  %8.0f B/object%n", heap0, heap1, (heap1 - heap0) / (double) n);
        System.out.printf(Locale.ROOT, "direct %,14d -> %,14d  %8.0f B/object%n", direct0, direct1,
            (direct1 - direct0) / (double) n);
        System.out.printf(Locale.ROOT, "heap + direct                     %8.0f B/object%n",
            (heap1 - heap0 + direct1 - direct0) / (double) n);
        System.out.printf(Locale.ROOT, "Netty's own direct memory (pools, not in the figure above): %,d%n", netty);
        System.out.printf(Locale.ROOT, "RSS    %,14d -> %,14d  %8.0f B/object%n", rss0, rss1, (rss1 - rss0) / (double) n);
        if (System.getProperty("histogram") != null) {
          System.out.println("pid " + ProcessHandle.current().pid() + "; sleeping for jcmd GC.class_histogram");
          Thread.sleep(Long.getLong("histogram") * 1000);
        }
      } finally {
        proxy.close();
      }
    }
  }

  /** The first {@code size} bytes of peers.sh's generated page, ending in its footer. */
  static byte[] peersPage(int size) {
    StringBuilder b = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>peers bench 1k</title>"
        + "</head><body>\n");
    for (int i = 1; b.length() < size; i++) {
      b.append("<p class=\"item\">Item ").append(i).append(": lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n");
    }
    String foot = "</body></html>";
    return (b.substring(0, size - foot.length()) + foot).getBytes(StandardCharsets.US_ASCII);
  }

  /** The fields nginx sends with a static file under {@code expires 1h} (Date and Content-Length come from the server). */
  private static TestOrigin.Reply nginxLike(byte[] body) {
    return new TestOrigin.Reply().body(body)
        .header("Server", "nginx/1.22.1")
        .header("Content-Type", "text/html")
        .header("Last-Modified", "Mon, 01 Dec 2025 10:00:00 GMT")
        .header("ETag", "\"692d6720-400\"")
        .header("Expires", HttpDate.format(java.time.Instant.now().plusSeconds(3600)))
        .header("Cache-Control", "max-age=3600")
        .header("Accept-Ranges", "bytes");
  }

  /** GETs prefix + 0..n-1 over a few keep-alive connections; {@code coding} "both" alternates. */
  private static void fetchAll(InetSocketAddress at, String prefix, int n, String coding) throws Exception {
    AtomicInteger next = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int c = 0; c < CONNECTIONS; c++) {
      Thread t = new Thread(() -> {
        try (Socket s = new Socket()) {
          s.connect(at, 2000);
          s.setTcpNoDelay(true);
          OutputStream out = s.getOutputStream();
          InputStream in = new BufferedInputStream(s.getInputStream(), 16384);
          int i;
          while ((i = next.getAndIncrement()) < n) {
            boolean gzip = coding.equals("gzip") || coding.equals("both");
            String req = "GET " + prefix + i + " HTTP/1.1\r\nHost: bench\r\n"
                + (gzip ? "Accept-Encoding: gzip\r\n" : "") + "\r\n";
            out.write(req.getBytes(StandardCharsets.US_ASCII));
            readResponse(in, prefix + i);
            if (coding.equals("both")) {
              out.write(("GET " + prefix + i + " HTTP/1.1\r\nHost: bench\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
              readResponse(in, prefix + i);
            }
          }
        } catch (Throwable e) {
          errors.add(e);
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    if (!errors.isEmpty()) {
      throw new IllegalStateException("fetching failed", errors.get(0));
    }
  }

  private static void readResponse(InputStream in, String what) throws IOException {
    StringBuilder head = new StringBuilder();
    int state = 0;
    while (state < 4) {
      int c = in.read();
      if (c < 0) {
        throw new IOException(what + ": connection closed");
      }
      head.append((char) c);
      state = c == '\r' && (state == 0 || state == 2) ? state + 1 : c == '\n' && (state == 1 || state == 3) ? state + 1 : 0;
    }
    String h = head.toString();
    if (!h.startsWith("HTTP/1.1 200")) {
      throw new IOException(what + ": " + h.lines().findFirst().orElse(""));
    }
    int at = h.toLowerCase(Locale.ROOT).indexOf("\r\ncontent-length:");
    int end = h.indexOf('\r', at + 2);
    int length = Integer.parseInt(h.substring(at + 17, end).trim());
    if (in.readNBytes(length).length != length) {
      throw new IOException(what + ": short body");
    }
  }

  private static long usedAfterGc() {
    long previous = -1;
    for (int round = 0; round < 20; round++) {
      System.gc();
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      if (round >= 2 && Math.abs(used - previous) <= 64 * 1024) {
        return used;
      }
      previous = used;
    }
    return previous;
  }

  private static long direct() {
    for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (b.getName().equals("direct")) {
        return b.getMemoryUsed();
      }
    }
    return -1;
  }

  /** VmRSS in bytes, or -1 off Linux. */
  private static long rss() throws IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.exists(status)) {
      return -1;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }
}
