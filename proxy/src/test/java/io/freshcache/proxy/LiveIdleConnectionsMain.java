package io.freshcache.proxy;

import io.freshcache.core.CacheKey;
import io.freshcache.core.Content;
import io.freshcache.core.Freshcache;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Measures what idle SSE connections cost a {@link LiveServer}, and how long one event takes to reach
 * all of them. Not a unit test: run by hand, results go to docs/live.md.
 *
 * <p>The server runs in this JVM; the clients in a second JVM it starts (so their sockets do not
 * count towards the server's heap). Both need more file descriptors than the usual 1024:
 *
 * <pre>
 * ulimit -n 20000     # as root, or raise the hard limit first
 * mvn -q -o -pl proxy -am test-compile
 * mvn -q -o -pl proxy dependency:build-classpath -Dmdep.outputFile=/tmp/live-cp.txt
 * java -Xms256m -Xmx1g -cp proxy/target/test-classes:proxy/target/classes:core/target/classes:$(cat /tmp/live-cp.txt) \
 *     io.freshcache.proxy.LiveIdleConnectionsMain 10000 1
 * </pre>
 *
 * Arguments: connections (default 10000), server event loop threads (default 1), rounds of fan-out
 * (default 5). Every client subscribes to the same fragment, the worst case for fan-out.
 */
final class LiveIdleConnectionsMain {

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("clients")) {
      clients(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
      return;
    }
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;

    LiveEvents live = LiveEvents.builder().build();
    Freshcache cache = Freshcache.builder().listener(live).build();
    LiveServer server = LiveServer.start(live, new InetSocketAddress("127.0.0.1", 0), LiveConfig.defaults(), threads,
        req -> Set.of());
    render(cache, 0); // warm the render path
    long heap0 = usedHeapAfterGc();
    long rss0 = rssBytes();
    System.out.printf("baseline: heap %.1f MiB after GC, RSS %.1f MiB%n", heap0 / 1048576.0, rss0 / 1048576.0);

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
        LiveIdleConnectionsMain.class.getName(), "clients", server.address().getHostString() + ":"
        + server.address().getPort(), Integer.toString(n), Integer.toString(rounds))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader fromChild = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    long t0 = System.nanoTime();
    expect(fromChild, "CONNECTED");
    while (live.subscriptionCount() < n) {
      Thread.sleep(10);
    }
    System.out.printf("%d streams open in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
    Thread.sleep(1000);
    long heap1 = usedHeapAfterGc();
    long rss1 = rssBytes();
    System.out.printf("with %d idle streams: heap %.1f MiB after GC (+%.0f bytes per stream), "
            + "RSS %.1f MiB (+%.0f bytes per stream)%n",
        n, heap1 / 1048576.0, (heap1 - heap0) / (double) n, rss1 / 1048576.0, (rss1 - rss0) / (double) n);

    long[] publish = new long[rounds];
    long[] all = new long[rounds];
    for (int r = 1; r <= rounds; r++) {
      long start = System.nanoTime();
      render(cache, r); // a changed rendering: one event to all n streams
      publish[r - 1] = System.nanoTime() - start;
      String line = expect(fromChild, "RECEIVED");
      all[r - 1] = Long.parseLong(line.split(" ")[1]) - start; // same host: nanoTime is CLOCK_MONOTONIC
      System.out.printf("round %d: publish (hand-off to %d event loops' queues) %.2f ms, last client had it after %.2f ms%n",
          r, threads, publish[r - 1] / 1e6, all[r - 1] / 1e6);
      Thread.sleep(200);
    }
    Arrays.sort(all);
    long heap2 = usedHeapAfterGc();
    String summary = String.format("date %s, %s %s, %d cores, server threads %d: %d idle streams cost %.0f bytes of heap each"
            + " (%.1f MiB in all) and %.0f bytes of RSS each; one event reached all of them in %.1f ms median"
            + " (min %.1f, max %.1f) over %d rounds; heap after the rounds %.1f MiB",
        LocalDate.now(), System.getProperty("java.vm.name"), System.getProperty("java.version"),
        Runtime.getRuntime().availableProcessors(), threads, n, (heap1 - heap0) / (double) n,
        (heap1 - heap0) / 1048576.0, (rss1 - rss0) / (double) n, all[rounds / 2] / 1e6, all[0] / 1e6,
        all[rounds - 1] / 1e6, rounds, heap2 / 1048576.0);
    System.out.println(summary);
    child.destroy();
    child.waitFor();
    server.close();
    cache.close();
  }

  private static void render(Freshcache cache, int round) {
    cache.invalidate("hot");
    cache.get(CacheKey.of("/hot"), ctx -> {
      ctx.dependsOn("hot");
      return Content.html("<p>round " + round + "</p>");
    });
  }

  private static String expect(BufferedReader in, String prefix) throws IOException {
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      if (line.startsWith(prefix)) {
        return line;
      }
      System.out.println("clients: " + line);
    }
    throw new IOException("clients ended before " + prefix);
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static long rssBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }

  // ------------------------------------------------------------------ the client process

  /** Per connection: the partial line read so far, and what it has seen. */
  private static final class Conn {
    String carry = "";
    int changed;
    boolean ready;
  }

  private static void clients(String hostPort, int n, int rounds) throws IOException {
    int colon = hostPort.lastIndexOf(':');
    InetSocketAddress server = new InetSocketAddress(hostPort.substring(0, colon),
        Integer.parseInt(hostPort.substring(colon + 1)));
    byte[] request = "GET /_freshcache/events?f=/hot HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n"
        .getBytes(StandardCharsets.US_ASCII);
    Selector selector = Selector.open();
    List<SocketChannel> open = new ArrayList<>(n);
    int ready = 0;
    int[] received = new int[rounds + 1];
    ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
    int connecting = 0;
    while (ready < n || received[rounds] < n) {
      // Open connections in batches so the accept backlog never overflows.
      while (open.size() < n && connecting < 512) {
        SocketChannel ch = SocketChannel.open();
        ch.setOption(StandardSocketOptions.SO_RCVBUF, 8192);
        ch.configureBlocking(false);
        ch.connect(server);
        ch.register(selector, SelectionKey.OP_CONNECT, new Conn());
        open.add(ch);
        connecting++;
      }
      selector.select(1000);
      for (SelectionKey key : selector.selectedKeys()) {
        SocketChannel ch = (SocketChannel) key.channel();
        Conn c = (Conn) key.attachment();
        if (key.isConnectable()) {
          ch.finishConnect();
          ch.write(ByteBuffer.wrap(request)); // small: fits the empty send buffer
          key.interestOps(SelectionKey.OP_READ);
          continue;
        }
        buf.clear();
        int read = ch.read(buf);
        if (read < 0) {
          System.out.println("closed by server");
          key.cancel();
          continue;
        }
        buf.flip();
        String text = c.carry + StandardCharsets.UTF_8.decode(buf);
        int nl = text.lastIndexOf('\n');
        c.carry = text.substring(nl + 1); // a partial line waits for the rest
        String lines = text.substring(0, nl + 1);
        for (int i = lines.indexOf("event: "); i >= 0; i = lines.indexOf("event: ", i + 1)) {
          if (lines.startsWith("event: ready\n", i) && !c.ready) {
            c.ready = true;
            ready++;
            connecting--;
            if (ready == n) {
              System.out.println("CONNECTED");
              System.out.flush();
            }
          } else if (lines.startsWith("event: changed\n", i)) {
            c.changed++;
            if (c.changed <= rounds && ++received[c.changed] == n) {
              System.out.println("RECEIVED " + System.nanoTime() + " round " + c.changed);
              System.out.flush();
            }
          }
        }
      }
      selector.selectedKeys().clear();
    }
    // Stay connected until the server process kills us.
    while (true) {
      selector.select();
      selector.selectedKeys().clear();
    }
  }

  private LiveIdleConnectionsMain() {}
}
