package io.freshcache.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The floor under the proxy, for benchmarks only: a Netty server on one event loop that decodes each
 * request and writes one pre-encoded response (1 KB unless told), nothing else (no cache, no headers
 * to compute).
 * Run beside Freshcache in the same minutes, it tells which part of a figure is Netty's and the
 * kernel's on the machine and which is ours (bench/tail-vs-bare-netty.sh, docs/benchmarks.md).
 *
 * <p>Arguments: port, {@code nio} or {@code epoll}, optionally the body's length in bytes (1024).
 * Listens on 127.0.0.1 until killed.
 */
public final class BareNettyServer {
  private BareNettyServer() {
  }

  public static void main(String[] args) throws InterruptedException {
    int port = Integer.parseInt(args[0]);
    boolean epoll = args.length > 1 && args[1].equals("epoll");
    byte[] body = new byte[args.length > 2 ? Integer.parseInt(args[2]) : 1024];
    Arrays.fill(body, (byte) 'x');
    String head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + body.length + "\r\n\r\n";
    ByteBuf response = Unpooled.unreleasableBuffer(Unpooled.directBuffer()
        .writeBytes(head.getBytes(StandardCharsets.US_ASCII)).writeBytes(body));
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
        epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    new ServerBootstrap().group(group)
        .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpRequestDecoder(), new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof LastHttpContent) {
                  ctx.write(response.retainedDuplicate());
                }
                ReferenceCountUtil.release(msg);
              }

              @Override
              public void channelReadComplete(ChannelHandlerContext ctx) {
                ctx.flush();
              }
            });
          }
        })
        .bind("127.0.0.1", port).sync();
    System.out.println("bare netty (" + (epoll ? "epoll" : "nio") + ") on 127.0.0.1:" + port);
    Thread.currentThread().join();
  }
}
