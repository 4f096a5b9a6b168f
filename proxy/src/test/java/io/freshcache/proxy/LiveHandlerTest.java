package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.core.CacheEvent;
import io.freshcache.core.CacheKey;
import io.freshcache.core.ETag;
import io.freshcache.core.Scope;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ResourceLeakDetector;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LiveHandlerTest {
  static {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
  }

  private final LiveEvents hub = LiveEvents.builder().epoch("ep").build();
  private EmbeddedChannel ch = channel(LiveConfig.defaults());

  private EmbeddedChannel channel(LiveConfig config) {
    return new EmbeddedChannel(new LiveHandler(hub, config, req -> {
      String user = req.headers().get("X-User");
      return user == null ? Set.of() : Set.of(Scope.user(user));
    }));
  }

  @AfterEach
  void close() {
    ch.finishAndReleaseAll();
  }

  private static FullHttpRequest get(String uri) {
    return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
  }

  /** The text of the stream written so far. */
  private String streamed() {
    ch.runPendingTasks();
    StringBuilder sb = new StringBuilder();
    Object o;
    while ((o = ch.readOutbound()) != null) {
      if (o instanceof HttpContent c) {
        sb.append(c.content().toString(StandardCharsets.UTF_8));
      }
      ReferenceCountUtil.release(o);
    }
    return sb.toString();
  }

  private FullHttpResponse full(String uri) {
    ch.writeInbound(get(uri));
    return ch.readOutbound();
  }

  @Test
  void streamsEventsWithHeadersRetryReadyAndHeartbeats() {
    ch.writeInbound(get("/_freshcache/events?f=/a&f=/b"));
    HttpResponse head = ch.readOutbound();
    assertThat(head.status().code()).isEqualTo(200);
    assertThat(head.headers().get("Content-Type")).isEqualTo("text/event-stream; charset=utf-8");
    assertThat(head.headers().get("Cache-Control")).isEqualTo("no-store");
    assertThat(head.headers().get("X-Accel-Buffering")).isEqualTo("no");
    assertThat(head.headers().get("Transfer-Encoding")).isEqualTo("chunked");
    assertThat(streamed()).isEqualTo("retry: 2000\n\nid: ep-0\nevent: ready\ndata: {\"ids\":[\"/a\",\"/b\"]}\n\n");

    hub.onEvent(new CacheEvent.Rendered(CacheKey.of("/b"), ETag.strong("b1"), true, Duration.ZERO, true));
    hub.onEvent(new CacheEvent.Invalidated(CacheKey.of("/a"), ETag.strong("a0")));
    assertThat(streamed()).isEqualTo(
        "id: ep-1\nevent: changed\ndata: {\"id\":\"/b\",\"etag\":\"\\\"b1\\\"\"}\n\n"
            + "id: ep-2\nevent: invalidated\ndata: {\"id\":\"/a\"}\n\n");

    ch.advanceTimeBy(15, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
    assertThat(streamed()).isEqualTo(": hb\nid: ep-2\n\n");

    assertThat(hub.subscriptionCount()).isEqualTo(1);
    ch.close();
    assertThat(hub.subscriptionCount()).isZero();
  }

  @Test
  void lastEventIdHeaderWinsOverTheQueryParameter() {
    String start = hub.lastEventId();
    hub.onEvent(new CacheEvent.Invalidated(CacheKey.of("/a"), ETag.strong("a0")));
    String mid = hub.lastEventId();
    hub.onEvent(new CacheEvent.Invalidated(CacheKey.of("/b"), ETag.strong("b0")));
    HttpRequest req = get("/_freshcache/events?f=/a&f=/b&lastEventId=" + start);
    req.headers().set("Last-Event-ID", mid);
    ch.writeInbound(req);
    ReferenceCountUtil.release(ch.readOutbound());
    String s = streamed();
    assertThat(s).contains("\"/b\"").doesNotContain("{\"id\":\"/a\"}");

    EmbeddedChannel other = channel(LiveConfig.defaults());
    other.writeInbound(get("/_freshcache/events?f=/a&lastEventId=" + start));
    other.runPendingTasks();
    StringBuilder sb = new StringBuilder();
    for (Object o; (o = other.readOutbound()) != null; ReferenceCountUtil.release(o)) {
      if (o instanceof HttpContent c) {
        sb.append(c.content().toString(StandardCharsets.UTF_8));
      }
    }
    assertThat(sb.toString()).contains("id: ep-1\nevent: invalidated\ndata: {\"id\":\"/a\"}");
    other.finishAndReleaseAll();
  }

  @Test
  void userScopedEventsReachOnlyThatUsersStream() {
    HttpRequest alice = get("/_freshcache/events?f=/a");
    alice.headers().set("X-User", "alice");
    ch.writeInbound(alice);
    EmbeddedChannel bob = channel(LiveConfig.defaults());
    HttpRequest bobReq = get("/_freshcache/events?f=/a");
    bobReq.headers().set("X-User", "bob");
    bob.writeInbound(bobReq);

    hub.onEvent(new CacheEvent.Rendered(new CacheKey("/a", "show", Scope.user("alice")), ETag.strong("alice-only"),
        true, Duration.ZERO, true));
    assertThat(streamed()).contains("alice-only");
    bob.runPendingTasks();
    StringBuilder sb = new StringBuilder();
    for (Object o; (o = bob.readOutbound()) != null; ReferenceCountUtil.release(o)) {
      if (o instanceof HttpContent c) {
        sb.append(c.content().toString(StandardCharsets.UTF_8));
      }
    }
    assertThat(sb.toString()).contains("ready").doesNotContain("alice-only");
    bob.finishAndReleaseAll();
  }

  @Test
  void badSubscriptionsAre400() {
    String many = String.join("&", Collections.nCopies(65, "f=/a"));
    for (String uri : new String[] {"/_freshcache/events", "/_freshcache/events?f=a", "/_freshcache/events?" + many,
        "/_freshcache/events?f=/" + "x".repeat(2048)}) {
      FullHttpResponse res = full(uri);
      assertThat(res.status().code()).as(uri).isEqualTo(400);
      assertThat(res.headers().get("Content-Type")).startsWith("text/plain");
      assertThat(res.content().toString(StandardCharsets.UTF_8)).as(uri).startsWith("f: ");
      res.release();
    }
    assertThat(hub.subscriptionCount()).isZero();
    FullHttpResponse post = (FullHttpResponse) writeAndRead(
        new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/_freshcache/events?f=/a"));
    assertThat(post.status().code()).isEqualTo(405);
    assertThat(post.headers().get("Allow")).isEqualTo("GET");
    post.release();
    FullHttpResponse unknown = full("/_freshcache/nope");
    assertThat(unknown.status().code()).isEqualTo(404);
    unknown.release();
  }

  private Object writeAndRead(Object in) {
    ch.writeInbound(in);
    return ch.readOutbound();
  }

  @Test
  void servesTheScriptWithAnEtagAndRevalidation() {
    FullHttpResponse res = full("/_freshcache/live.js");
    assertThat(res.status().code()).isEqualTo(200);
    assertThat(res.headers().get("Content-Type")).isEqualTo("text/javascript; charset=utf-8");
    assertThat(res.headers().get("Cache-Control")).isEqualTo("public, max-age=300");
    String etag = res.headers().get("ETag");
    assertThat(etag).startsWith("\"").endsWith("\"");
    assertThat(res.content().toString(StandardCharsets.UTF_8)).contains("data-freshcache-fragment", "EventSource");
    assertThat(res.content().readableBytes()).isLessThan(8 * 1024);
    res.release();

    FullHttpRequest again = get("/_freshcache/live.js");
    again.headers().set("If-None-Match", etag);
    FullHttpResponse notModified = (FullHttpResponse) writeAndRead(again);
    assertThat(notModified.status().code()).isEqualTo(304);
    assertThat(notModified.headers().get("ETag")).isEqualTo(etag);
    assertThat(notModified.content().readableBytes()).isZero();
    notModified.release();
  }

  @Test
  void passesOtherRequestsAndTheirBodiesOn() {
    HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/wiki/Foo");
    ch.writeInbound(req, new DefaultHttpContent(Unpooled.copiedBuffer("body", StandardCharsets.UTF_8)),
        new DefaultLastHttpContent());
    assertThat((Object) ch.readInbound()).isSameAs(req);
    HttpContent body = ch.readInbound();
    assertThat(body.content().toString(StandardCharsets.UTF_8)).isEqualTo("body");
    body.release();
    LastHttpContent last = ch.readInbound();
    last.release();
    assertThat((Object) ch.readOutbound()).isNull();
    assertThat(LiveHandler.handles(get("/_freshcache/events"))).isTrue();
    assertThat(LiveHandler.handles(get("/wiki/_freshcache/x"))).isFalse();
  }

  @Test
  void aClientThatStopsReadingIsDisconnectedNotBuffered() {
    long before = LiveHandler.SLOW_CONSUMERS_CLOSED.sum();
    ch.writeInbound(get("/_freshcache/events?f=/a"));
    ReferenceCountUtil.release(ch.readOutbound());
    streamed();
    // What a full socket looks like to the handler: more than maxPendingBytes queued.
    ch.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
    hub.onEvent(new CacheEvent.Invalidated(CacheKey.of("/a"), ETag.strong("a0")));
    ch.runPendingTasks();
    assertThat(ch.isActive()).isFalse();
    assertThat(hub.subscriptionCount()).isZero();
    assertThat(LiveHandler.SLOW_CONSUMERS_CLOSED.sum()).isEqualTo(before + 1);
  }

  @Test
  void configIsValidated() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> LiveConfig.defaults().withMaxPendingBytes(10))
        .hasMessage("maxPendingBytes: 10 (expected: >= 1024)");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> LiveConfig.defaults().withHeartbeat(Duration.ZERO))
        .hasMessage("heartbeat: PT0S (expected: >= 1 ms)");
  }
}
