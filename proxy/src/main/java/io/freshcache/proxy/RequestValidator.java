package io.freshcache.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/**
 * Turns requests the proxy must not forward into {@link BadRequest}s: decoder failures (a request
 * line too long: 414; a header section too large: 431; anything else malformed: 400) and message
 * shapes that two HTTP parsers can read differently (400):
 *
 * <ul>
 *   <li>Transfer-Encoding whose final coding is not {@code chunked} (RFC 9112 section 6.3: the length
 *       cannot be determined);
 *   <li>several Content-Length values (Netty already refuses them; checked again so the rule does not
 *       depend on a decoder option);
 *   <li>HTTP/1.1 without exactly one Host (RFC 9112 section 3.2);
 *   <li>a version other than HTTP/1.0 and HTTP/1.1: 505.
 * </ul>
 *
 * After a bad request everything else on the connection is dropped; the proxy handler answers and
 * closes.
 */
final class RequestValidator extends ChannelInboundHandlerAdapter {
  private boolean broken;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (broken) {
      ReferenceCountUtil.release(msg);
      return;
    }
    BadRequest bad = null;
    if (msg instanceof BadRequest b) {
      bad = b;
    } else if (msg instanceof HttpObject o && o.decoderResult().isFailure()) {
      bad = fromDecoder(o.decoderResult());
    } else if (msg instanceof HttpRequest r) {
      bad = check(r);
    }
    if (bad != null) {
      broken = true;
      ReferenceCountUtil.release(msg);
      ctx.fireChannelRead(bad);
      return;
    }
    ctx.fireChannelRead(msg);
  }

  static BadRequest fromDecoder(DecoderResult result) {
    Throwable cause = result.cause();
    if (cause instanceof TooLongHttpLineException) {
      return new BadRequest(414, "request line too long");
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return new BadRequest(431, "request header fields too large");
    }
    if (cause instanceof TooLongFrameException) {
      return new BadRequest(400, "request too long");
    }
    return new BadRequest(400, "malformed request");
  }

  static BadRequest check(HttpRequest r) {
    HttpVersion v = r.protocolVersion();
    if (v.majorVersion() != 1 || v.minorVersion() > 1) {
      return new BadRequest(505, "HTTP version not supported");
    }
    List<String> te = r.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
    if (!te.isEmpty()) {
      if (r.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
        return new BadRequest(400, "Content-Length and Transfer-Encoding together");
      }
      List<String> codings = Fields.listMembers(te);
      if (codings.isEmpty() || !codings.get(codings.size() - 1).equalsIgnoreCase("chunked")) {
        return new BadRequest(400, "Transfer-Encoding must end with chunked");
      }
      if (v.minorVersion() == 0) {
        return new BadRequest(400, "Transfer-Encoding in an HTTP/1.0 request");
      }
    }
    List<String> cl = r.headers().getAll(HttpHeaderNames.CONTENT_LENGTH);
    if (cl.size() > 1 || cl.size() == 1 && cl.get(0).indexOf(',') >= 0) {
      return new BadRequest(400, "several Content-Length values");
    }
    if (v.minorVersion() == 1) {
      List<String> host = r.headers().getAll(HttpHeaderNames.HOST);
      if (host.size() != 1) {
        return new BadRequest(400, host.isEmpty() ? "missing Host" : "several Host fields");
      }
    }
    return null;
  }
}
