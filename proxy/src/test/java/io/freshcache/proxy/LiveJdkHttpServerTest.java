package io.freshcache.proxy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.freshcache.core.CacheKey;
import io.freshcache.core.Content;
import io.freshcache.core.Freshcache;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The hub mounted in a servlet-less JDK HttpServer app, as docs/live.md shows it. */
class LiveJdkHttpServerTest {

  /** The example of docs/live.md, verbatim in spirit: one thread per open stream. */
  static void events(LiveEvents live, HttpExchange exchange) throws IOException {
    List<String> ids = new ArrayList<>();
    String query = exchange.getRequestURI().getRawQuery();
    for (String pair : query == null ? new String[0] : query.split("&")) {
      if (pair.startsWith("f=")) {
        ids.add(URLDecoder.decode(pair.substring(2), UTF_8));
      }
    }
    try {
      live.checkIds(ids);
    } catch (IllegalArgumentException e) {
      byte[] msg = ("f: " + e.getMessage() + "\n").getBytes(UTF_8);
      exchange.sendResponseHeaders(400, msg.length);
      exchange.getResponseBody().write(msg);
      exchange.close();
      return;
    }
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(200, 0); // chunked
    String lastEventId = exchange.getRequestHeaders().getFirst("Last-Event-ID");
    String user = null; // the same (hashed) user id your cache keys use, from your session
    BlockingQueue<String> frames = new LinkedBlockingQueue<>(1024);
    String overflow = "overflow"; // a slow client: end the stream; it reconnects and replays
    try (OutputStream out = exchange.getResponseBody();
        LiveEvents.Subscription sub = live.subscribe(ids, user, lastEventId, f -> {
          if (!frames.offer(f)) {
            frames.clear();
            frames.add(overflow);
          }
        })) {
      out.write("retry: 2000\n\n".getBytes(UTF_8));
      out.flush();
      while (true) {
        String f = frames.poll(15, TimeUnit.SECONDS);
        if (f == null) {
          sub.heartbeat(); // arrives through the queue, in order
        } else if (f == overflow) {
          return;
        } else {
          out.write(f.getBytes(UTF_8));
          out.flush();
        }
      }
    } catch (IOException | InterruptedException e) {
      // the client went away
    } finally {
      exchange.close();
    }
  }

  @Test
  void aJdkHttpServerAppStreamsTheHubsEvents() throws Exception {
    LiveEvents live = LiveEvents.builder().build();
    Freshcache cache = Freshcache.builder().listener(live).build();
    HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    ExecutorService pool = Executors.newCachedThreadPool();
    http.setExecutor(pool);
    http.createContext("/_freshcache/events", ex -> events(live, ex));
    http.start();
    try (LiveSseClient c = new LiveSseClient(http.getAddress(), "/_freshcache/events?f=%2Fa", Map.of())) {
      assertThat(c.status).isEqualTo(200);
      assertThat(c.nextEvent().event()).isEqualTo("ready");
      cache.get(CacheKey.of("/a"), ctx -> Content.html("a"));
      assertThat(c.nextEvent().event()).isEqualTo("changed");
    } finally {
      http.stop(0);
      pool.shutdownNow();
      cache.close();
    }
  }
}
