package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.core.CacheKey;
import io.freshcache.core.Content;
import io.freshcache.core.Freshcache;
import io.freshcache.core.Scope;
import io.netty.util.ResourceLeakDetector;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The live endpoint on a real Netty server, driven by a real cache, read by a raw socket client. */
class LiveServerTest {
  static {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
  }

  private final LiveEvents live = LiveEvents.builder().build();
  private final Freshcache cache = Freshcache.builder().listener(live).build();
  private final LiveServer server;
  private final List<LiveSseClient> clients = new ArrayList<>();

  LiveServerTest() throws InterruptedException {
    server = LiveServer.start(live, new InetSocketAddress("127.0.0.1", 0), LiveConfig.defaults(), 1, req -> {
      String user = req.headers().get("X-User");
      return user == null ? Set.of() : Set.of(Scope.user(user));
    });
  }

  @AfterEach
  void stop() throws Exception {
    for (LiveSseClient c : clients) {
      c.close();
    }
    server.close();
    cache.close();
  }

  private LiveSseClient connect(String uri, Map<String, String> headers) throws Exception {
    LiveSseClient c = new LiveSseClient(server.address(), uri, headers);
    clients.add(c);
    return c;
  }

  private String render(String resource, String body, String... tags) {
    return cache.get(CacheKey.of(resource), ctx -> {
      ctx.dependsOn(tags);
      return Content.html(body);
    }).etag().toString();
  }

  private static long seq(LiveSseClient.Block b) {
    return Long.parseLong(b.id().substring(b.id().indexOf('-') + 1));
  }

  @Test
  void renderInvalidateRerenderArriveInOrderAndAReconnectMissesNothing() throws Exception {
    LiveSseClient c = connect("/_freshcache/events?f=/a", Map.of());
    assertThat(c.status).isEqualTo(200);
    assertThat(c.headers.get("content-type")).isEqualTo("text/event-stream; charset=utf-8");
    LiveSseClient.Block ready = c.nextEvent();
    assertThat(ready.event()).isEqualTo("ready");

    String e1 = render("/a", "<p>one</p>", "page:A");
    LiveSseClient.Block changed = c.nextEvent();
    assertThat(changed.event()).isEqualTo("changed");
    assertThat(changed.data()).isEqualTo("{\"id\":\"/a\",\"etag\":\"" + e1.replace("\"", "\\\"") + "\"}");

    cache.invalidate("page:A");
    LiveSseClient.Block invalidated = c.nextEvent();
    assertThat(invalidated.event()).isEqualTo("invalidated");
    assertThat(invalidated.data()).isEqualTo("{\"id\":\"/a\"}");

    render("/a", "<p>one</p>", "page:A"); // identical: nothing
    cache.invalidate("page:A");
    LiveSseClient.Block again = c.nextEvent();
    assertThat(again.event()).isEqualTo("invalidated");
    String e2 = render("/a", "<p>two</p>", "page:A");
    LiveSseClient.Block changed2 = c.nextEvent();
    assertThat(changed2.data()).contains(e2.replace("\"", "\\\""));
    assertThat(List.of(seq(ready), seq(changed), seq(invalidated), seq(again), seq(changed2))).isSorted()
        .doesNotHaveDuplicates();

    // Disconnect; changes happen; reconnect with Last-Event-ID as EventSource does.
    c.close();
    awaitSubscriptions(0);
    render("/b", "<p>b</p>", "page:B"); // someone else's fragment
    cache.invalidate("page:A");
    String e3 = render("/a", "<p>three</p>", "page:A");
    LiveSseClient r = connect("/_freshcache/events?f=/a", Map.of("Last-Event-ID", changed2.id()));
    LiveSseClient.Block missed = r.nextEvent();
    assertThat(missed.event()).isEqualTo("changed"); // the newest for /a; the invalidation before it is superseded
    assertThat(missed.data()).contains(e3.replace("\"", "\\\""));
    assertThat(seq(missed)).isGreaterThan(seq(changed2));
    assertThat(r.nextEvent().event()).isEqualTo("ready");
  }

  @Test
  void aFirstConnectCanResumeFromTheLastEventIdQueryParameter() throws Exception {
    String before = live.lastEventId();
    render("/a", "<p>one</p>", "page:A");
    LiveSseClient c = connect("/_freshcache/events?f=/a&lastEventId=" + before, Map.of());
    assertThat(c.nextEvent().event()).isEqualTo("changed");
    assertThat(c.nextEvent().event()).isEqualTo("ready");
  }

  @Test
  void aUsersFragmentsAreNotPushedToAnotherUser() throws Exception {
    LiveSseClient alice = connect("/_freshcache/events?f=/me", Map.of("X-User", "alice"));
    LiveSseClient bob = connect("/_freshcache/events?f=/me", Map.of("X-User", "bob"));
    alice.nextEvent();
    bob.nextEvent();
    cache.get(new CacheKey("/me", "show", Scope.user("alice")), ctx -> Content.html("alice's inbox"));
    cache.get(CacheKey.of("/me"), ctx -> Content.html("public"));
    assertThat(alice.nextEvent().data()).contains("\"etag\"");
    LiveSseClient.Block a2 = alice.nextEvent();
    LiveSseClient.Block b1 = bob.nextEvent();
    assertThat(b1.id()).isEqualTo(a2.id()); // bob's first event is the public one
  }

  @Test
  void badSubscriptionIs400AndTheScriptIsServed() throws Exception {
    LiveSseClient bad = connect("/_freshcache/events?f=nope", Map.of());
    assertThat(bad.status).isEqualTo(400);
    assertThat(bad.fullBody()).isEqualTo("f: ids[0]: 'nope' (expected: a path starting with '/')\n");
    LiveSseClient js = connect("/_freshcache/live.js", Map.of());
    assertThat(js.status).isEqualTo(200);
    assertThat(js.fullBody()).contains("freshcache:updated");
    LiveSseClient other = connect("/elsewhere", Map.of());
    assertThat(other.status).isEqualTo(404);
  }

  @Test
  void aClientThatNeverReadsIsDisconnected() throws Exception {
    LiveServer small = LiveServer.start(live, new InetSocketAddress("127.0.0.1", 0),
        LiveConfig.defaults().withMaxPendingBytes(16 * 1024), 1, req -> Set.of());
    try {
      String id = "/" + "x".repeat(2000);
      long before = LiveHandler.SLOW_CONSUMERS_CLOSED.sum();
      // A client that sends its request and never reads: kernel buffers fill, then Netty's queue.
      try (java.net.Socket raw = new java.net.Socket()) {
        raw.setReceiveBufferSize(4096);
        raw.connect(small.address());
        raw.getOutputStream().write(("GET /_freshcache/events?f=" + id + " HTTP/1.1\r\nHost: x\r\n\r\n")
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        awaitSubscriptions(1);
        for (int i = 0; i < 20_000 && LiveHandler.SLOW_CONSUMERS_CLOSED.sum() == before; i++) {
          live.publish(CacheKey.of(id), "invalidated", null);
          if (i % 500 == 0) {
            Thread.sleep(10);
          }
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (LiveHandler.SLOW_CONSUMERS_CLOSED.sum() == before && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        assertThat(LiveHandler.SLOW_CONSUMERS_CLOSED.sum()).isGreaterThan(before);
        awaitSubscriptions(0);
      }
    } finally {
      small.close();
    }
  }

  private void awaitSubscriptions(int n) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (live.subscriptionCount() != n && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(live.subscriptionCount()).isEqualTo(n);
  }
}
