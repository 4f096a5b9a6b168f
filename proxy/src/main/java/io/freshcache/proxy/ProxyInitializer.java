package io.freshcache.proxy;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpResponseEncoder;

/**
 * The pipeline of a client connection:
 *
 * <pre>
 * timeouts  ClientTimeouts         client header, idle and body timeouts (408, close); sees raw bytes and reads
 * decoder   StrictRequestDecoder   bytes → request, content (limits: 414, 431; obs-fold, CL+TE: 400)
 * ends      ClientTimeouts part    where a request head and a whole request have been read
 * encoder   HttpResponseEncoder    response objects → bytes (pre-encoded hits are written past it)
 * validator RequestValidator       refuses what must not reach the origin (400, 414, 431, 505)
 * live      LiveHandler            /_freshcache/events (Server-Sent Events) and /_freshcache/live.js
 * proxy     ProxyHandler           answers: cache, pass, relay
 * </pre>
 *
 * A separate decoder and encoder rather than HttpServerCodec: the codec pairs each response with a
 * request method, which pre-encoded responses written past the encoder would put out of step.
 */
final class ProxyInitializer extends ChannelInitializer<SocketChannel> {
  /** The longest request line (414 beyond it). */
  static final int MAX_INITIAL_LINE = 8192;

  private final ProxyRuntime rt;

  ProxyInitializer(ProxyRuntime rt) {
    this.rt = rt;
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    HttpDecoderConfig limits = new HttpDecoderConfig()
        .setMaxInitialLineLength(MAX_INITIAL_LINE)
        .setMaxHeaderSize(rt.config.maxHeaderBytes())
        .setMaxChunkSize(64 * 1024)
        .setAllowDuplicateContentLengths(false);
    ChannelPipeline p = ch.pipeline();
    ClientTimeouts timeouts = new ClientTimeouts(rt.config);
    p.addLast("timeouts", timeouts);
    p.addLast("decoder", new StrictRequestDecoder(limits));
    p.addLast("ends", timeouts.requests());
    p.addLast("encoder", new HttpResponseEncoder());
    p.addLast("validator", new RequestValidator());
    p.addLast("continue", new ExpectContinue(rt.config.maxRequestBodyBytes()));
    p.addLast("live", new LiveHandler(rt.live, LiveConfig.defaults(), rt::audience));
    p.addLast("proxy", new ProxyHandler(rt));
    rt.clients.add(ch);
  }
}
