package io.freshcache.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;

/**
 * Netty's request decoder with the refusals it does not make itself: a protocol name other than
 * {@code HTTP} in upper case (RFC 9112 section 2.3), and two request smuggling vectors (when a
 * proxy and an origin read a message differently):
 *
 * <ul>
 *   <li>obs-fold: a header line starting with SP or HTAB (RFC 9112 section 5.2 lets a server either
 *       reject the message with 400 or unfold it; Netty unfolds, we reject). The check scans the raw
 *       header section before Netty parses it, only while a request head is expected;
 *   <li>Content-Length together with Transfer-Encoding (RFC 9112 section 6.1: "ought to be handled as
 *       an error"; Netty drops the Content-Length and goes on).
 * </ul>
 *
 * After a refusal the rest of the input is discarded: the framing can no longer be trusted. A
 * {@link BadRequest} goes down the pipeline in place of the request.
 */
final class StrictRequestDecoder extends HttpRequestDecoder {
  private final int maxHeadBytes;
  /** Whether the next bytes begin a request head (not a body). */
  private boolean expectingHead = true;
  private boolean failed;

  StrictRequestDecoder(HttpDecoderConfig config) {
    super(config);
    this.maxHeadBytes = config.getMaxInitialLineLength() + config.getMaxHeaderSize() + 4;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (expectingHead && hasObsFold(in)) {
      failed = true;
      in.skipBytes(in.readableBytes());
      out.add(new BadRequest(400, "obsolete line folding in the header section"));
      return;
    }
    int before = out.size();
    super.decode(ctx, in, out);
    for (int i = before; i < out.size(); i++) {
      Object m = out.get(i);
      if (m instanceof HttpMessage) {
        expectingHead = false;
      }
      if (m instanceof LastHttpContent) {
        expectingHead = true;
      }
    }
  }

  /** Whether the head at the start of {@code in} (as far as it has arrived) has a line starting with SP or HTAB. */
  private boolean hasObsFold(ByteBuf in) {
    int start = in.readerIndex();
    int end = Math.min(in.writerIndex(), start + maxHeadBytes);
    // Skip the empty lines a client may send before a request line (RFC 9112 section 2.2).
    int i = start;
    while (i < end && (in.getByte(i) == '\r' || in.getByte(i) == '\n')) {
      i++;
    }
    boolean lineStart = false;
    for (; i < end; i++) {
      byte b = in.getByte(i);
      if (lineStart) {
        if (b == ' ' || b == '\t') {
          return true;
        }
        if (b == '\r' || b == '\n') {
          return false; // end of the header section
        }
      }
      lineStart = b == '\n';
    }
    return false;
  }

  @Override
  protected HttpMessage createMessage(String[] initialLine) throws Exception {
    // RFC 9112 section 2.3: the HTTP-name is case-sensitive; Netty upper-cases whatever it reads.
    if (!initialLine[2].startsWith("HTTP/")) {
      throw new IllegalArgumentException("protocol '" + initialLine[2] + "' (expected: HTTP/1.1 or HTTP/1.0)");
    }
    return super.createMessage(initialLine);
  }

  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
    throw new IllegalArgumentException("Content-Length and Transfer-Encoding together");
  }
}
