package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing and validating {@code POST /invalidate} bodies, and the admin handler's pure helpers. */
class InvalidateRequestTest {

  private static InvalidateRequest parse(String json) {
    return InvalidateRequest.parse(json.getBytes(StandardCharsets.UTF_8), 10);
  }

  private static void refused(String json, int status, String message) {
    assertThatThrownBy(() -> parse(json)).isInstanceOfSatisfying(AdminError.class,
        e -> assertThat(e.status()).isEqualTo(status)).hasMessage(message);
  }

  @Test
  void readsAllThreeLists() {
    InvalidateRequest r = parse("{\"tags\":[\"page:A\",\"page:B#title\"],\"prefixes\":[\"page:P/\"],"
        + "\"urls\":[\"/x?y=1\",\"https://h.example/z\"]}");

    assertThat(r.tags()).containsExactly("page:A", "page:B#title");
    assertThat(r.prefixes()).containsExactly("page:P/");
    assertThat(r.urls()).containsExactly("/x?y=1", "https://h.example/z");
    assertThat(r.size()).isEqualTo(5);
    assertThat(InvalidateRequest.result(r, 3, 7)).containsExactly(
        java.util.Map.entry("tags", 2), java.util.Map.entry("prefixes", 1), java.util.Map.entry("urls", 2),
        java.util.Map.entry("removed", 3), java.util.Map.entry("tookMicros", 7L));
  }

  /** What the client sent is named; the parser's internals (its source, its settings) are not. */
  @Test
  void unreadableJsonIsDescribedWithoutTheParsersInternals() {
    for (String body : List.of("[".repeat(3000), "{\"tags\":", "{\"tags\" 1}", "{\"a\":\"\\u12\"}")) {
      assertThatThrownBy(() -> parse(body)).hasMessageStartingWith("body: not valid JSON: ")
          .hasMessageNotContaining("Source").hasMessageNotContaining("StreamReadConstraints")
          .hasMessageNotContaining("`");
    }
  }

  @Test
  void emptyObjectIsAnEmptyRequest() {
    assertThat(parse("{}").size()).isZero();
    assertThat(parse("{\"tags\":null}").size()).isZero();
  }

  @Test
  void theItemLimitCountsAllLists() {
    refused("{\"tags\":[\"a\",\"b\",\"c\",\"d\"],\"prefixes\":[\"p\",\"q\",\"r\",\"s\"],\"urls\":[\"/1\",\"/2\",\"/3\"]}",
        413, "items: 11 (expected: at most 10 tags, prefixes and urls in all per request; send several requests, "
            + "or use a prefix)");
  }

  @Test
  void prefixesAreCheckedLikeCoreChecksThem() {
    refused("{\"prefixes\":[\"ok:\", \" \"]}", 400, "prefixes[1]: blank (expected: a tag prefix such as 'page:Projects/')");
    refused("{\"prefixes\":[\"" + "p".repeat(513) + "\"]}", 400, "prefixes[0]: 513 characters (expected: <= 512)");
    refused("{\"prefixes\":[\"a\\nb\"]}", 400,
        "prefixes[0]: 'a?b' contains white space or control characters (expected: a tag prefix such as 'page:Projects/')");
  }

  @Test
  void tagErrorsComeFromCore() {
    assertThatThrownBy(() -> parse("{\"tags\":[\"\"]}")).hasMessageStartingWith("tags[0]: tag: blank");
    assertThatThrownBy(() -> parse("{\"tags\":[\"a,b\"]}")).hasMessageStartingWith("tags[0]: tag 'a,b'");
  }

  @Test
  void urlsMustBeAbsolutePathsOrHttpUrls() {
    for (String ok : List.of("/", "/a/b?c=d&e", "http://h/x", "HTTPS://h:8443/x?y", "/%7Euser")) {
      InvalidateRequest.checkUrl("u", ok);
    }
    String expected = " (expected: an absolute path such as '/wiki/Home' or a URL such as 'http://example.org/wiki/Home')";
    assertThatThrownBy(() -> InvalidateRequest.checkUrl("u", "wiki/Home")).hasMessage("u: 'wiki/Home'" + expected);
    assertThatThrownBy(() -> InvalidateRequest.checkUrl("u", "//host/x")).hasMessage("u: '//host/x'" + expected);
    assertThatThrownBy(() -> InvalidateRequest.checkUrl("u", "ftp://h/x")).hasMessage("u: 'ftp://h/x'" + expected);
    assertThatThrownBy(() -> InvalidateRequest.checkUrl("u", "http://user@h/x")).hasMessage("u: 'http://user@h/x'" + expected);
    assertThatThrownBy(() -> InvalidateRequest.checkUrl("u", "/a#b")).hasMessage("u: '/a#b' has a fragment" + expected);
    assertThatThrownBy(() -> InvalidateRequest.checkUrl("u", "/a b")).hasMessageStartingWith("u: '/a b' contains white space");
    assertThatThrownBy(() -> InvalidateRequest.checkUrl("u", "/a|{")).hasMessageStartingWith("u: '/a|{' is not a URI: ");
    assertThatThrownBy(() -> InvalidateRequest.checkUrl("u", "")).hasMessage("u: empty" + expected);
    assertThatThrownBy(() -> InvalidateRequest.checkUrl("u", "/" + "x".repeat(AdminServer.MAX_URL_LENGTH)))
        .hasMessage("u: 8193 characters (expected: <= 8192)");
  }

  @Test
  void previewShowsAFewItems() {
    assertThat(InvalidateRequest.preview(List.of())).isEqualTo("[]");
    assertThat(InvalidateRequest.preview(List.of("a", "b", "c", "d", "e", "f", "g"))).isEqualTo("[a, b, c, d, e] and 2 more");
  }

  @Test
  void bearerTokensAreComparedAfterHashing() {
    byte[] hash = AdminHandler.sha256("tok");

    assertThat(AdminHandler.bearerMatches("Bearer tok", hash)).isTrue();
    assertThat(AdminHandler.bearerMatches("BEARER  tok ", hash)).isTrue();
    assertThat(AdminHandler.bearerMatches("Bearer tok2", hash)).isFalse();
    assertThat(AdminHandler.bearerMatches("Bearer ", hash)).isFalse();
    assertThat(AdminHandler.bearerMatches("Bearertok", hash)).isFalse();
    assertThat(AdminHandler.bearerMatches("Basic tok", hash)).isFalse();
    assertThat(AdminHandler.bearerMatches(null, hash)).isFalse();
  }

  @Test
  void loopbackHostValues() {
    for (String ok : List.of("127.0.0.1", "127.0.0.1:9090", "127.1.2.3:1", "localhost", "LOCALHOST:80", "[::1]", "[::1]:9090")) {
      assertThat(AdminHandler.isLoopbackHost(ok)).as(ok).isTrue();
    }
    for (String bad : List.of("evil.example", "evil.example:9090", "10.0.0.1:9090", "[::2]:1", "[::1", "localhost.evil",
        "127.0.0.1.evil.example", "[127.0.0.1]", "")) {
      assertThat(AdminHandler.isLoopbackHost(bad)).as(bad).isFalse();
    }
  }
}
