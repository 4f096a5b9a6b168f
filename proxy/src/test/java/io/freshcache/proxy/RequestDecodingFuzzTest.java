package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Request bytes from a fuzzer through the proxy's decoder and validator (the pipeline's first
 * handlers, as {@link ProxyInitializer} sets them up, limits included), with two oracles:
 *
 * <ul>
 *   <li><b>The same result however the bytes arrive.</b> The input is decoded whole, one byte per
 *       read, and split in two at a point the input chooses; the three must pass the same requests
 *       (method, target, version, fields, body) and refuse with the same status. A refusal that a
 *       client can avoid by splitting its request across TCP segments is a smuggling vector: this
 *       oracle fails on one the decoder had (an obs-fold line arriving in a later read than the line
 *       before it passed, and Netty unfolded it).
 *   <li><b>What passes is safe to forward.</b> Every request handed to the proxy handler is HTTP/1.0 or
 *       1.1, has no CR, LF or NUL in a field name or value, a resource (what the origin is sent)
 *       of plain visible ASCII, or none (the handler then refuses it), not both Content-Length and Transfer-Encoding, at most one all-digit
 *       Content-Length, exactly one valid Host when HTTP/1.1, and came from a head without obs-fold.
 * </ul>
 *
 * <p>In {@code mvn test} this runs once per input under
 * {@code src/test/resources/io/freshcache/proxy/RequestDecodingFuzzTestInputs/} (hand-written
 * shapes and what fuzzing found); {@code bash scripts/fuzz.sh} fuzzes it (docs/fuzzing.md).
 */
class RequestDecodingFuzzTest {
  /** The proxy's limits, smaller header section so that the fuzzer reaches the 431 path. */
  private static HttpDecoderConfig limits() {
    return new HttpDecoderConfig()
        .setMaxInitialLineLength(ProxyInitializer.MAX_INITIAL_LINE)
        .setMaxHeaderSize(1024)
        .setMaxChunkSize(64 * 1024)
        .setAllowDuplicateContentLengths(false);
  }

  @FuzzTest(maxDuration = "5m")
  void sameResultHoweverTheBytesArrive(byte[] input) {
    List<String> whole = decode(input, input.length);
    List<String> bytewise = decode(input, 1);
    int split = input.length == 0 ? 0 : Math.floorMod(input[0] * 31 + input[input.length - 1], input.length);
    List<String> two = decode(input, split, input.length);
    assertThat(bytewise).as("one byte per read against whole").isEqualTo(whole);
    assertThat(two).as("split at %d against whole", split).isEqualTo(whole);
    if (obsFoldInFirstHead(input)) {
      assertThat(whole).as("a head with obs-fold").isNotEmpty();
      assertThat(whole.get(0)).as("a head with obs-fold").startsWith("refused ");
    }
  }

  /** Decodes {@code input} in reads of at most {@code step} bytes, then the end of input. */
  private static List<String> decode(byte[] input, int step) {
    int n = step <= 0 ? 0 : (input.length + step - 1) / step;
    int[] ends = new int[n];
    for (int i = 0; i < n; i++) {
      ends[i] = Math.min(input.length, (i + 1) * step);
    }
    return decode(input, ends);
  }

  /** Decodes {@code input} in reads ending at each of {@code ends} (ascending), then the end of input. */
  private static List<String> decode(byte[] input, int... ends) {
    EmbeddedChannel ch = channel();
    List<String> seen = new ArrayList<>();
    int at = 0;
    for (int end : ends) {
      if (end > at) {
        ch.writeInbound(Unpooled.wrappedBuffer(input, at, end - at));
        drain(ch, seen);
        at = end;
      }
    }
    return finish(ch, seen);
  }

  private static EmbeddedChannel channel() {
    return new EmbeddedChannel(new StrictRequestDecoder(limits()), new RequestValidator());
  }

  private static List<String> finish(EmbeddedChannel ch, List<String> seen) {
    ch.finish();
    drain(ch, seen);
    ch.checkException();
    // Bodies arrive in as many pieces as the reads made: compare each message's whole body.
    List<String> merged = new ArrayList<>();
    StringBuilder body = null;
    for (String s : seen) {
      if (s.startsWith("content ")) {
        body = body == null ? new StringBuilder() : body;
        body.append(s, "content ".length(), s.length());
        continue;
      }
      if (body != null) {
        merged.add("body " + body);
        body = null;
      }
      merged.add(s);
    }
    if (body != null) {
      merged.add("body " + body);
    }
    return merged;
  }

  private static void drain(EmbeddedChannel ch, List<String> seen) {
    Object m;
    while ((m = ch.readInbound()) != null) {
      try {
        seen.addAll(describe(m));
      } finally {
        ReferenceCountUtil.release(m);
      }
    }
  }

  /** What reached the proxy handler, checking that a request is safe to forward. */
  private static List<String> describe(Object m) {
    List<String> out = new ArrayList<>();
    if (m instanceof BadRequest b) {
      out.add("refused " + b.status());
      return out;
    }
    assertThat(((HttpObject) m).decoderResult().isSuccess()).as("a failed decode must become a BadRequest").isTrue();
    if (m instanceof HttpRequest r) {
      checkForwardable(r);
      StringBuilder s = new StringBuilder("request ").append(r.method()).append(' ').append(r.uri()).append(' ')
          .append(r.protocolVersion());
      for (Map.Entry<String, String> f : r.headers()) {
        s.append('\n').append(f.getKey()).append(": ").append(f.getValue());
      }
      out.add(s.toString());
    }
    if (m instanceof HttpContent c && c.content().isReadable()) {
      out.add("content " + c.content().toString(StandardCharsets.ISO_8859_1));
    }
    if (m instanceof LastHttpContent last) {
      out.add("end " + last.trailingHeaders().size());
    }
    return out;
  }

  private static void checkForwardable(HttpRequest r) {
    assertThat(r.protocolVersion().majorVersion()).isEqualTo(1);
    assertThat(r.protocolVersion().minorVersion()).isBetween(0, 1);
    // The decoder passes some control characters in a target; the proxy handler refuses (400) a
    // target without a resource and sends the origin the resource, which must be visible ASCII.
    String resource = RequestTarget.resource(r.uri());
    if (resource != null) {
      for (int i = 0; i < resource.length(); i++) {
        char c = resource.charAt(i);
        assertThat(c > ' ' && c < 0x7f).as("resource %s of %s: character %d", Fields.printable(resource),
            Fields.printable(r.uri()), (int) c).isTrue();
      }
    }
    for (Map.Entry<String, String> f : r.headers()) {
      for (String part : new String[] {f.getKey(), f.getValue()}) {
        assertThat(part.indexOf('\r') < 0 && part.indexOf('\n') < 0 && part.indexOf('\0') < 0)
            .as("field %s", Fields.printable(f.getKey() + ": " + f.getValue())).isTrue();
      }
    }
    boolean te = r.headers().contains(HttpHeaderNames.TRANSFER_ENCODING);
    List<String> cl = r.headers().getAll(HttpHeaderNames.CONTENT_LENGTH);
    assertThat(te && !cl.isEmpty()).as("Content-Length with Transfer-Encoding").isFalse();
    assertThat(cl.size()).as("Content-Length fields").isLessThanOrEqualTo(1);
    if (!cl.isEmpty()) {
      assertThat(cl.get(0).strip()).as("Content-Length").matches("[0-9]+");
    }
    List<String> hosts = r.headers().getAll(HttpHeaderNames.HOST);
    if (r.protocolVersion().minorVersion() == 1) {
      assertThat(hosts).as("Host fields of HTTP/1.1").hasSize(1);
    }
    for (String h : hosts) {
      assertThat(RequestValidator.isHost(h)).as("Host %s", Fields.printable(h)).isTrue();
    }
  }

  /**
   * Whether the first request head of {@code input} (after any empty lines) has a line starting with
   * SP or HTAB before its empty line, computed on the raw bytes as a reference.
   */
  static boolean obsFoldInFirstHead(byte[] input) {
    int i = 0;
    while (i < input.length && (input[i] == '\r' || input[i] == '\n')) {
      i++;
    }
    for (; i + 1 < input.length; i++) {
      if (input[i] == '\n') {
        byte next = input[i + 1];
        if (next == ' ' || next == '\t') {
          return true;
        }
        if (next == '\r' || next == '\n') {
          return false;
        }
      }
    }
    return false;
  }
}
