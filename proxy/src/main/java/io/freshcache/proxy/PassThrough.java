package io.freshcache.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;

/**
 * An origin response that must not be stored or shared, thrown through the cache's render stage.
 *
 * <p>Only the request whose renderer ran (the leader) may relay it: it may be private to the
 * leader's user. Every other request that waited on the same render forwards its own request. The
 * leader owns {@link #body} and, when the response is not complete ({@link #call} not null), the
 * origin call it continues reading from. No stack trace: this is control flow, not an error.
 */
final class PassThrough extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The response head as received from the origin. */
  final transient HttpResponse head;
  /** The body received so far (owned by the leader; released by whoever consumes or drops it). */
  final transient ByteBuf body;
  /** The origin call to keep reading from, or null when {@link #body} is complete. */
  final transient OriginCall call;
  /** Why the response is not stored (Cache-Status detail). */
  final String reason;
  /** Whether later requests may skip the cache for a while (hit-for-pass). */
  final boolean hitForPass;
  /** Whether the origin answered with a server error (500, 502, 503, 504): a stale entry may stand in. */
  final boolean originError;

  PassThrough(HttpResponse head, ByteBuf body, OriginCall call, String reason, boolean hitForPass) {
    super(reason, null, false, false);
    this.head = head;
    this.body = body;
    this.call = call;
    this.reason = reason;
    this.hitForPass = hitForPass;
    int s = head.status().code();
    this.originError = s == 500 || s == 502 || s == 503 || s == 504;
  }

  /** Releases what the leader would have relayed, when it cannot (client gone, stale served instead). */
  void discard() {
    ReferenceCountUtil.safeRelease(body);
    if (call != null) {
      call.abort();
    }
  }
}
