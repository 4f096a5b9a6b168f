package io.freshcache.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
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
 *   <li>a major version other than 1: 505 (HTTP/1.2 and later minors are read as HTTP/1.1, as RFC
 *       9110 section 2.5 asks).
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
    if (v.majorVersion() != 1) {
      return new BadRequest(505, "HTTP version not supported");
    }
    if (v.minorVersion() > 1) {
      // RFC 9110 section 2.5: a higher minor version of a major one we speak is read as the highest
      // minor we implement, and answered in it.
      r.setProtocolVersion(HttpVersion.HTTP_1_1);
      v = HttpVersion.HTTP_1_1;
    }
    // Every request passes here: the lists are only made for the fields a request has, and the
    // Host is read in place (each list and substring was garbage per request).
    HttpHeaders h = r.headers();
    if (h.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
      List<String> te = h.getAll(HttpHeaderNames.TRANSFER_ENCODING);
      if (h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
        return new BadRequest(400, "Content-Length and Transfer-Encoding together");
      }
      List<String> codings = Fields.listMembers(te);
      if (codings.isEmpty() || !codings.get(codings.size() - 1).equalsIgnoreCase("chunked")) {
        return new BadRequest(400, "Transfer-Encoding must end with chunked");
      }
      if (codings.size() > 1) {
        // RFC 9112 section 6.1: a coding we do not apply SHOULD be 501; decoding only the chunks would
        // send the origin, say, gzip bytes labelled as plain ones.
        return new BadRequest(501, "transfer codings other than chunked are not implemented");
      }
      if (v.minorVersion() == 0) {
        return new BadRequest(400, "Transfer-Encoding in an HTTP/1.0 request");
      }
    }
    if (h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      List<String> cl = h.getAll(HttpHeaderNames.CONTENT_LENGTH);
      if (cl.size() > 1 || cl.get(0).indexOf(',') >= 0) {
        return new BadRequest(400, "several Content-Length values");
      }
    }
    List<String> hosts = h.getAll(HttpHeaderNames.HOST);
    if (v.minorVersion() == 1 && hosts.size() != 1) {
      return new BadRequest(400, hosts.isEmpty() ? "missing Host" : "several Host fields");
    }
    for (int i = 0; i < hosts.size(); i++) {
      if (!isHost(hosts.get(i))) {
        return new BadRequest(400, "invalid Host"); // RFC 9112 section 3.2: MUST be 400
      }
    }
    return null;
  }

  /**
   * Whether a Host value is {@code uri-host [ ":" port ]} (RFC 9110 section 7.2, RFC 3986 section
   * 3.2.2): a registered name of unreserved characters, percent-encodings and sub-delims other than
   * the comma (which would make it a list), or an IP literal in brackets; a port of at most 5 digits.
   * Empty is allowed (a request with no authority).
   */
  static boolean isHost(String value) {
    // Optional white space around the value (RFC 9110 section 5.5), skipped by index.
    int from = 0;
    int to = value.length();
    while (from < to && Fields.isOws(value.charAt(from))) {
      from++;
    }
    while (to > from && Fields.isOws(value.charAt(to - 1))) {
      to--;
    }
    int portAt;
    if (from < to && value.charAt(from) == '[') {
      int close = value.indexOf(']', from);
      if (close < 0 || close >= to) {
        return false;
      }
      for (int i = from + 1; i < close; i++) {
        char c = value.charAt(i);
        if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.' || c == 'v' || c == 'V')) {
          return false;
        }
      }
      portAt = close + 1 < to ? close + 1 : -1;
      if (portAt > 0 && value.charAt(portAt) != ':') {
        return false;
      }
    } else {
      portAt = value.lastIndexOf(':', to - 1);
      if (portAt < from) {
        portAt = -1;
      }
      for (int i = from, end = portAt < 0 ? to : portAt; i < end; i++) {
        char c = value.charAt(i);
        boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
            || "-._~%!$&'()*+;=".indexOf(c) >= 0;
        if (!ok) {
          return false;
        }
      }
    }
    if (portAt >= 0) {
      if (to - portAt - 1 > 5) {
        return false;
      }
      for (int i = portAt + 1; i < to; i++) {
        if (value.charAt(i) < '0' || value.charAt(i) > '9') {
          return false;
        }
      }
    }
    return true;
  }

}
