package io.freshcache.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Answers {@code Expect: 100-continue} with 100 Continue when the announced body is within {@link
 * ProxyConfig#maxRequestBodyBytes()}. A larger one gets no 100: the request goes on and the proxy
 * handler answers 413 and closes, so the client never sends the body. (Netty's
 * HttpServerExpectContinueHandler would answer the rejection itself, out of turn with pipelined
 * responses.)
 */
final class ExpectContinue extends ChannelInboundHandlerAdapter {
  private final long maxBody;

  ExpectContinue(long maxBody) {
    this.maxBody = maxBody;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest req && HttpUtil.is100ContinueExpected(req)
        && HttpUtil.getContentLength(req, 0L) <= maxBody) {
      ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
      req.headers().remove(HttpHeaderNames.EXPECT);
    }
    ctx.fireChannelRead(msg);
  }
}
