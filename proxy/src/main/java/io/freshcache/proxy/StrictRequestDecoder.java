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
 *       header section before Netty parses it, only while a request head is expected, each byte
 *       once as it arrives, whichever reads the head is split across;
 *   <li>Content-Length together with Transfer-Encoding (RFC 9112 section 6.1: "ought to be handled as
 *       an error"; Netty drops the Content-Length and goes on).
 * </ul>
 *
 * After a refusal the rest of the input is discarded: the framing can no longer be trusted. A
 * {@link BadRequest} goes down the pipeline in place of the request.
 */
final class StrictRequestDecoder extends HttpRequestDecoder {
  /** Scan states of a request head: before its request line, inside a line, at a line's start, past its end. */
  private static final int LEADING = 0;
  private static final int IN_LINE = 1;
  private static final int LINE_START = 2;
  private static final int DONE = 3;

  private final int maxHeadBytes;
  /** Whether the next bytes begin a request head (not a body). */
  private boolean expectingHead = true;
  private boolean failed;
  /**
   * The obs-fold scan of the current head, kept across reads: Netty consumes each complete header
   * line as it arrives, so a folded line arriving in a later read than the line before it starts
   * at the buffer's reader index, and a scan that began there would not know it is at a line's start
   * (a client could pass a fold by splitting its request after a CRLF).
   */
  private int scanState = LEADING;
  /** Bytes at the front of the input (from its reader index) already scanned. */
  private int scannedAhead;
  /** Bytes of the current head scanned so far (the scan stops at {@link #maxHeadBytes}: Netty refuses more). */
  private int headBytesScanned;

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
    if (expectingHead && scanObsFold(in)) {
      failed = true;
      in.skipBytes(in.readableBytes());
      out.add(new BadRequest(400, "obsolete line folding in the header section"));
      return;
    }
    int before = out.size();
    int readerBefore = in.readerIndex();
    super.decode(ctx, in, out);
    scannedAhead = Math.max(0, scannedAhead - (in.readerIndex() - readerBefore));
    for (int i = before; i < out.size(); i++) {
      Object m = out.get(i);
      if (m instanceof HttpMessage) {
        expectingHead = false;
      }
      if (m instanceof LastHttpContent) {
        expectingHead = true;
        scanState = LEADING;
        scannedAhead = 0;
        headBytesScanned = 0;
      }
    }
  }

  /**
   * Scans the bytes of the current head that arrived since the last scan; true if a line of its
   * header section starts with SP or HTAB.
   */
  private boolean scanObsFold(ByteBuf in) {
    if (scanState == DONE) {
      return false;
    }
    int from = in.readerIndex() + scannedAhead;
    int end = Math.min(in.writerIndex(), from + Math.max(0, maxHeadBytes - headBytesScanned));
    int i = from;
    int state = scanState;
    for (; i < end && state != DONE; i++) {
      byte b = in.getByte(i);
      switch (state) {
        case LEADING -> {
          // Empty lines a client may send before a request line (RFC 9112 section 2.2).
          if (b != '\r' && b != '\n') {
            state = IN_LINE;
          }
        }
        case LINE_START -> {
          if (b == ' ' || b == '\t') {
            return true;
          }
          state = b == '\r' || b == '\n' ? DONE : IN_LINE; // an empty line ends the head
        }
        default -> {
          if (b == '\n') {
            state = LINE_START;
          }
        }
      }
    }
    scanState = state;
    headBytesScanned += i - from;
    scannedAhead += i - from;
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
