package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link ClientTimeouts}' phases on an {@link EmbeddedChannel} whose clock is advanced, not waited
 * for: which deadline runs when, and that none runs while the client is waiting for the proxy.
 */
class ClientTimeoutsStateTest {
  private final List<Object> events = new ArrayList<>();
  /** Stands in for ProxyHandler: records timeout events; {@link #answer} ends a request and asks for the next. */
  private final ChannelInboundHandlerAdapter proxy = new ChannelInboundHandlerAdapter() {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      events.add(evt);
    }
  };
  private final EmbeddedChannel ch = new EmbeddedChannel(false, false);
  private final ClientTimeouts timeouts = new ClientTimeouts(ProxyConfig.builder(URI.create("http://127.0.0.1:1"))
      .clientHeaderTimeout(Duration.ofSeconds(10)).clientIdleTimeout(Duration.ofSeconds(60))
      .clientBodyTimeout(Duration.ofSeconds(30)).build());

  ClientTimeoutsStateTest() throws Exception {
    ch.config().setAutoRead(false);
    ch.pipeline().addLast(timeouts, new HttpRequestDecoder(), timeouts.requests(), proxy);
    ch.register();
  }

  private void in(String text) {
    ch.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
  }

  private void advance(long seconds) {
    ch.advanceTimeBy(seconds, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
  }

  /** The proxy has answered and asks for the next request. */
  private void answer() {
    ch.read();
  }

  @Test
  void theHeadDeadlineRunsFromItsFirstByteAfterAnIdlePause() {
    in("GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
    answer();
    advance(50); // idle, under 60 s
    in("GET /b HTTP/1.1\r\n");
    advance(9);
    in("X: 1\r\n"); // progress does not move the head's deadline
    assertThat(events).isEmpty();
    advance(2);
    assertThat(events).containsExactly(ClientTimeouts.Expired.HEADER);
  }

  @Test
  void anIdleConnectionIsClosedWithoutAnEvent() {
    in("GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
    answer();
    advance(59);
    assertThat(ch.isOpen()).isTrue();
    advance(2);
    assertThat(ch.isOpen()).isFalse();
    assertThat(events).isEmpty();
  }

  @Test
  void nothingIsTimedWhileTheProxyIsAnswering() {
    in("GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
    advance(600); // waiting for the origin: no read asked for
    assertThat(ch.isOpen()).isTrue();
    assertThat(events).isEmpty();
    answer();
    advance(61);
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void aBodyMayPauseUpToTheBodyTimeoutBetweenReads() {
    in("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab");
    ch.read(); // the proxy wants the rest
    advance(29);
    in("c");
    ch.read();
    advance(29);
    assertThat(events).isEmpty();
    advance(2);
    assertThat(events).containsExactly(ClientTimeouts.Expired.BODY);
  }

  @Test
  void aBodyBlockedOnTheOriginIsNotTimed() {
    in("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab");
    advance(120); // no read asked for: the proxy waits for the origin to take the chunk
    assertThat(events).isEmpty();
    assertThat(ch.isOpen()).isTrue();
  }

  @Test
  void anExemptConnectionIsNeverTimed() {
    in("GET /_freshcache/events?f=/a HTTP/1.1\r\nHost: a\r\n\r\n");
    ClientTimeouts.exempt(ch);
    answer();
    advance(3600);
    assertThat(ch.isOpen()).isTrue();
    assertThat(events).isEmpty();
  }

  @Test
  void aNewConnectionThatSendsNothingIsClosedAfterTheHeaderTimeout() {
    advance(9);
    assertThat(ch.isOpen()).isTrue();
    advance(2);
    assertThat(ch.isOpen()).isFalse();
    assertThat(events).isEmpty();
  }
}
