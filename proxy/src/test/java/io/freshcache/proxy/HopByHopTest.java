package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

/** {@link HopByHop} (RFC 9110 section 7.6.1). */
class HopByHopTest {

  @Test
  void removesTheListedFieldsAndConnectionOptions() {
    Fields f = Fields.of("Connection", "keep-alive, X-Foo", "connection", "x-bar , , close",
        "X-Foo", "1", "X-BAR", "2", "Keep-Alive", "timeout=5", "Proxy-Connection", "keep-alive",
        "TE", "trailers", "Transfer-Encoding", "chunked", "Upgrade", "h2c", "Trailer", "X-Checksum",
        "Proxy-Authorization", "Basic x", "Cache-Control", "max-age=5", "Host", "example.com");
    assertThat(HopByHop.strip(f).names()).containsExactly("proxy-authorization", "cache-control", "host");
  }

  @Test
  void invalidConnectionOptionsAreIgnored() {
    Fields f = Fields.of("Connection", "\"quoted\", a b, X-Ok", "X-Ok", "1", "a b", "2");
    assertThat(HopByHop.names(f)).contains("x-ok").doesNotContain("a b", "\"quoted\"");
  }

  @Test
  void nothingToRemoveReturnsTheSameFields() {
    Fields f = Fields.of("Content-Type", "text/html");
    assertThat(HopByHop.strip(f)).isSameAs(f);
  }

  @Test
  void worksOnNettyHeaders() {
    HttpHeaders h = new DefaultHttpHeaders();
    h.add("Connection", "X-Foo");
    h.add("X-Foo", "1");
    h.add("Content-Type", "text/plain");
    HttpHeaders out = HopByHop.strip(Fields.of(h)).toNetty();
    assertThat(out.names()).containsExactly("Content-Type");
  }
}
