package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RequestTargetTest {

  @Test
  void normalizes() {
    assertThat(RequestTarget.resource("/a/b?x=1&y=2")).isEqualTo("/a/b?x=1&y=2");
    assertThat(RequestTarget.resource("/a/./b/../c")).isEqualTo("/a/c");
    assertThat(RequestTarget.resource("/%7euser/%2f%41")).isEqualTo("/~user/%2FA");
    assertThat(RequestTarget.resource("http://example.com/p?q#frag")).isEqualTo("/p?q");
    assertThat(RequestTarget.resource("http://example.com")).isEqualTo("/");
    assertThat(RequestTarget.resource("/..")).isEqualTo("/");
    assertThat(RequestTarget.resource("/x#y")).isEqualTo("/x");
    assertThat(RequestTarget.resource("/a/.")).isEqualTo("/a/");
    assertThat(RequestTarget.resource("/a/b/..")).isEqualTo("/a/");
  }

  /** Dots that are not whole segments are kept (the fast path must not skip a real dot segment either). */
  @Test
  void keepsDotsInsideSegments() {
    assertThat(RequestTarget.resource("/1k.html")).isEqualTo("/1k.html");
    assertThat(RequestTarget.resource("/.well-known/x")).isEqualTo("/.well-known/x");
    assertThat(RequestTarget.resource("/a/...")).isEqualTo("/a/...");
    assertThat(RequestTarget.resource("/a/..b/c")).isEqualTo("/a/..b/c");
    assertThat(RequestTarget.resource("/a/.b/../c")).isEqualTo("/a/c");
    assertThat(RequestTarget.resource("/a.b/./c.d")).isEqualTo("/a.b/c.d");
    assertThat(RequestTarget.resource("/a/%2E%2E/c")).isEqualTo("/c");
  }

  @Test
  void refuses() {
    assertThat(RequestTarget.resource("*")).isNull();
    assertThat(RequestTarget.resource("")).isNull();
    assertThat(RequestTarget.resource("/bad%zz")).isNull();
    assertThat(RequestTarget.resource("/with space")).isNull();
    assertThat(RequestTarget.resource("/" + "a".repeat(5000))).isNull();
  }
}
