package io.freshcache.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One request to the origin and its response, on the event loop of its {@link OriginClient}.
 *
 * <p>The request head is sent when a connection is ready; body chunks given before that are queued.
 * The response arrives through the {@link Listener} one message at a time, and the next is read only
 * when the listener calls {@link #read()}: a listener relaying to a client calls it once the previous
 * chunk was written, so a slow client slows the origin down instead of filling memory.
 *
 * <p>The response timeout runs while the call waits for the origin (after sending, and after each
 * {@link #read()} until a message arrives), never while it waits for the client. A request without
 * body that fails on a pooled connection before any response byte is retried once on a new
 * connection: the origin may have closed the idle connection just as we reused it.
 */
final class OriginCall {

  /** Receives the response. Called on the event loop; takes ownership of content messages. */
  interface Listener {
    /**
     * An interim response (1xx but 100 and 101, such as 103 Early Hints) before the final one; the
     * message is released after the call. Ignored unless overridden.
     */
    default void onInterim(OriginCall call, HttpResponse interim) {}

    void onResponse(OriginCall call, HttpResponse head);

    void onContent(OriginCall call, HttpContent content);

    void onFailure(OriginCall call, OriginFailure failure);
  }

  /** Interim (1xx) responses an origin may send before its final one. */
  static final int MAX_INTERIM_RESPONSES = 16;

  private final OriginClient client;
  private final HttpRequest head;
  private final boolean hasBody;
  private Listener listener;
  private Channel channel;
  private boolean reused;
  private boolean retried;
  private boolean responseStarted;
  private boolean requestComplete;
  private boolean keepAlive;
  private boolean done;
  private boolean informational;
  private int interims;
  private ArrayDeque<Object[]> queued;
  private ScheduledFuture<?> timer;

  private OriginCall(OriginClient client, HttpRequest head, boolean hasBody, Listener listener) {
    this.client = client;
    this.head = head;
    this.hasBody = hasBody;
    this.listener = listener;
  }

  /**
   * Starts a call. Without a body the request is complete at once; with one, the caller sends it
   * with {@link #send} and ends it with a {@link LastHttpContent}.
   */
  static OriginCall start(OriginClient client, HttpRequest head, boolean hasBody, Listener listener) {
    OriginCall call = new OriginCall(client, head, hasBody, listener);
    call.connect(false);
    return call;
  }

  /** Hands the response to another listener (the leader taking over a response too large to cache). */
  void listener(Listener l) {
    this.listener = l;
  }

  boolean isDone() {
    return done;
  }

  private void connect(boolean fresh) {
    client.acquire(fresh, (ch, wasReused, failure) -> {
      if (done) {
        if (ch != null) {
          client.release(ch);
        }
        return;
      }
      if (failure != null) {
        String what = failure instanceof ConnectTimeoutException ? "connect timed out" : "connect failed";
        fail(new OriginFailure("origin: " + what + ": " + failure.getMessage(), false, failure));
        return;
      }
      channel = ch;
      reused = wasReused;
      ch.pipeline().get(OriginClient.OriginHandler.class).call = this;
      ch.write(head).addListener(writeFailure());
      if (!hasBody) {
        requestComplete = true;
        ch.write(LastHttpContent.EMPTY_LAST_CONTENT).addListener(writeFailure());
      } else if (queued != null) {
        Object[] q;
        while ((q = queued.poll()) != null) {
          writeContent((HttpContent) q[0], (Runnable) q[1]);
        }
      }
      ch.flush();
      read();
    });
  }

  private ChannelFutureListener writeFailure() {
    return f -> {
      if (!f.isSuccess()) {
        onClosed(f.cause());
      }
    };
  }

  /** Sends a request body chunk (ownership passes); {@code written} runs once it is on the wire. */
  void send(HttpContent content, Runnable written) {
    if (done || !hasBody || requestComplete) {
      ReferenceCountUtil.release(content);
      return;
    }
    if (channel == null) {
      if (queued == null) {
        queued = new ArrayDeque<>();
      }
      queued.add(new Object[] {content, written});
      return;
    }
    Channel ch = channel;
    writeContent(content, written);
    ch.flush();
  }

  private void writeContent(HttpContent content, Runnable written) {
    if (content instanceof LastHttpContent) {
      requestComplete = true;
    }
    channel.write(content).addListener((ChannelFutureListener) f -> {
      if (!f.isSuccess()) {
        onClosed(f.cause());
      } else if (written != null) {
        written.run();
      }
    });
  }

  /** Asks for the next response message. */
  void read() {
    if (done || channel == null) {
      return;
    }
    if (timer == null) {
      timer = client.loop.schedule(this::timedOut, client.responseTimeoutMillis, TimeUnit.MILLISECONDS);
    }
    channel.read();
  }

  private void timedOut() {
    timer = null;
    if (!done) {
      fail(new OriginFailure("origin: no response within " + client.responseTimeoutMillis + " ms", true, null));
    }
  }

  private void cancelTimer() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  /**
   * Ends the call after a {@code 101 Switching Protocols} and hands its connection over (to a {@link
   * Tunnel}): it goes back to no pool and the call reports nothing more. Null if the call is over.
   */
  Channel takeChannel() {
    if (done || channel == null) {
      return null;
    }
    done = true;
    cancelTimer();
    releaseQueued();
    detach();
    Channel ch = channel;
    channel = null;
    return ch;
  }

  /** Stops the call: the connection is closed (it is mid-exchange), queued chunks released. */
  void abort() {
    finish();
  }

  /**
   * Ends the call once, for {@link #abort} and {@link #fail}: cancels the timer, releases queued
   * chunks and closes the connection (it is mid-exchange). Returns false if it had already ended.
   */
  private boolean finish() {
    if (done) {
      return false;
    }
    done = true;
    cancelTimer();
    releaseQueued();
    if (channel != null) {
      detach();
      channel.close();
    }
    return true;
  }

  void onMessage(Object msg) {
    cancelTimer();
    if (done) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpResponse r) {
      if (r.decoderResult().isFailure()) {
        ReferenceCountUtil.release(msg);
        fail(new OriginFailure("origin: malformed response: " + r.decoderResult().cause().getMessage(), false, true, null));
        return;
      }
      int code = r.status().code();
      if (code < 100 || code > 599 || code == 101 && !head.headers().contains(HttpHeaderNames.UPGRADE)) {
        // Not a status a client could act on (RFC 9110 section 15), or a switch to a protocol the
        // request did not offer (section 15.2.2), after which the bytes that follow are the origin's
        // to choose: relayed, they would be read as the next response on the client's connection.
        ReferenceCountUtil.release(msg);
        fail(new OriginFailure("origin: status " + code + (code == 101 ? " to a request that offered no Upgrade"
            : " out of range (expected: 100..599)"), false, true, null));
        return;
      }
      if (code >= 100 && code < 200 && code != 101) {
        // Not the response; the final one follows. Each restarts the response timeout, so an origin
        // that sent them forever would hold the request forever: a bound.
        if (++interims > MAX_INTERIM_RESPONSES) {
          ReferenceCountUtil.release(msg);
          fail(new OriginFailure("origin: more than " + MAX_INTERIM_RESPONSES + " interim responses",
              false, true, null));
          return;
        }
        informational = !(msg instanceof LastHttpContent);
        if (code != 100) {
          // 100 Continue is ours to send (ExpectContinue answers the client; the origin never sees
          // Expect); 102, 103 and the rest belong to the client (RFC 9110 section 15.2).
          listener.onInterim(this, r);
        }
        ReferenceCountUtil.release(msg);
        read();
        return;
      }
      responseStarted = true;
      keepAlive = HttpUtil.isKeepAlive(r) && HttpUtil.isKeepAlive(head);
      listener.onResponse(this, r);
    }
    if (msg instanceof HttpContent c) {
      if (informational) {
        informational = !(c instanceof LastHttpContent);
        c.release();
        read();
        return;
      }
      if (c.decoderResult().isFailure()) {
        c.release();
        fail(new OriginFailure("origin: malformed body: " + c.decoderResult().cause().getMessage(), false, true, null));
        return;
      }
      if (c instanceof LastHttpContent) {
        done = true;
        Channel ch = channel;
        detach();
        if (keepAlive && requestComplete) {
          client.release(ch);
        } else {
          ch.close();
        }
      }
      listener.onContent(this, c);
    }
  }

  void onClosed(Throwable cause) {
    if (done) {
      return;
    }
    if (!responseStarted && reused && !retried && !hasBody) {
      retried = true; // a pooled connection the origin had already closed
      cancelTimer();
      detach();
      channel.close();
      channel = null;
      connect(true);
      return;
    }
    String why = cause == null ? "connection closed" : String.valueOf(cause.getMessage());
    fail(new OriginFailure("origin: " + (responseStarted ? "response cut short: " : "no response: ") + why, false, cause));
  }

  private void fail(OriginFailure f) {
    if (finish()) {
      listener.onFailure(this, f);
    }
  }

  private void detach() {
    OriginClient.OriginHandler h = channel.pipeline().get(OriginClient.OriginHandler.class);
    if (h != null && h.call == this) {
      h.call = null;
    }
  }

  private void releaseQueued() {
    if (queued != null) {
      Object[] q;
      while ((q = queued.poll()) != null) {
        ReferenceCountUtil.release(q[0]);
      }
    }
  }
}
