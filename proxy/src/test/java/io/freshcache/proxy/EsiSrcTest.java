package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.freshcache.testkit.SeededProperty;
import org.junit.jupiter.api.Test;

/** {@link EsiSrc}: resolving include srcs to same-origin request targets. */
class EsiSrcTest {

  private static final String ORIGIN = "app.internal:8081";

  private static String resolve(String src, String parent) throws EsiException {
    return EsiSrc.resolve(src, parent, ORIGIN);
  }

  private static String rejected(String src) {
    EsiException e = catchThrowableOfType(() -> resolve(src, "/a/b"), EsiException.class);
    assertThat(e).as("src %s", src).isNotNull();
    assertThat(e.error().kind()).isEqualTo(EsiError.Kind.SRC);
    return e.getMessage();
  }

  @Test
  void absolutePathsAndQueries() throws Exception {
    assertThat(resolve("/frag/bar?x=1", "/page")).isEqualTo("/frag/bar?x=1");
    assertThat(resolve("/", "/page")).isEqualTo("/");
    assertThat(resolve("/a?", "/page")).isEqualTo("/a?");
  }

  @Test
  void relativeReferencesResolveAgainstTheParentsPath() throws Exception {
    // The examples of RFC 3986 section 5.4.1 that stay on the origin (base http://a/b/c/d;p?q).
    String base = "/b/c/d;p?q";
    assertThat(resolve("g", base)).isEqualTo("/b/c/g");
    assertThat(resolve("./g", base)).isEqualTo("/b/c/g");
    assertThat(resolve("g/", base)).isEqualTo("/b/c/g/");
    assertThat(resolve("?y", base)).isEqualTo("/b/c/d;p?y");
    assertThat(resolve("g?y", base)).isEqualTo("/b/c/g?y");
    assertThat(resolve("g#s", base)).isEqualTo("/b/c/g");
    assertThat(resolve(";x", base)).isEqualTo("/b/c/;x");
    assertThat(resolve(".", base)).isEqualTo("/b/c/");
    assertThat(resolve("./", base)).isEqualTo("/b/c/");
    assertThat(resolve("..", base)).isEqualTo("/b/");
    assertThat(resolve("../g", base)).isEqualTo("/b/g");
    assertThat(resolve("../..", base)).isEqualTo("/");
    assertThat(resolve("../../g", base)).isEqualTo("/g");
    // Abnormal examples (section 5.4.2): ".." never climbs above the root.
    assertThat(resolve("../../../g", base)).isEqualTo("/g");
    assertThat(resolve("/./g", base)).isEqualTo("/g");
    assertThat(resolve("/../g", base)).isEqualTo("/g");
    assertThat(resolve("g.", base)).isEqualTo("/b/c/g.");
    assertThat(resolve("..g", base)).isEqualTo("/b/c/..g");
    assertThat(resolve("./../g", base)).isEqualTo("/b/g");
    assertThat(resolve("g/./h", base)).isEqualTo("/b/c/g/h");
    assertThat(resolve("g/../h", base)).isEqualTo("/b/c/h");
    assertThat(resolve("g?y/./x", base)).isEqualTo("/b/c/g?y/./x"); // dots in the query stay
  }

  @Test
  void sameOriginAbsoluteUrlsAreAccepted() throws Exception {
    assertThat(resolve("http://app.internal:8081/x?y=1#f", "/p")).isEqualTo("/x?y=1");
    assertThat(resolve("HTTP://APP.internal:8081/a/../b", "/p")).isEqualTo("/b");
    assertThat(resolve("https://app.internal:8081", "/p")).isEqualTo("/");
    assertThat(resolve("//app.internal:8081/x", "/p")).isEqualTo("/x");
    assertThat(EsiSrc.resolve("http://example.com:80/x", "/p", "example.com")).isEqualTo("/x");
    assertThat(EsiSrc.resolve("https://example.com/x", "/p", "example.com")).isEqualTo("/x");
    assertThat(EsiSrc.resolve("http://[::1]:8080/x", "/p", "[::1]:8080")).isEqualTo("/x");
  }

  @Test
  void otherHostsAreRejected() {
    assertThat(rejected("http://evil.example/x")).contains("names host evil.example")
        .contains("expected: the origin, app.internal:8081");
    assertThat(rejected("http://app.internal/x")).contains("names host"); // another port
    assertThat(rejected("http://app.internal:8081.evil.example/x")).contains("names host");
    assertThat(rejected("//evil.example/x")).contains("names host");
    assertThat(rejected("http://user@app.internal:8081/x")).contains("user info");
    assertThat(rejected("http://app.internal:8081@evil.example/x")).contains("user info");
    assertThat(rejected("http:/x")).contains("without authority");
    assertThat(rejected("http:x")).contains("without authority");
    assertThat(rejected("file:///etc/passwd")).contains("has scheme file");
    assertThat(rejected("javascript:alert(1)")).contains("has scheme javascript");
    assertThat(rejected("gopher://app.internal:8081/x")).contains("has scheme gopher");
  }

  @Test
  void badCharactersAndShapesAreRejected() {
    assertThat(rejected("/x\r\nHost: evil")).contains("U+000D at index 2");
    assertThat(rejected("/x\ny")).contains("U+000A");
    assertThat(rejected("/x\u0000")).contains("U+0000");
    assertThat(rejected("/x y")).contains("U+0020");
    assertThat(rejected("/\u00E9")).contains("U+00E9");
    assertThat(rejected("/x\\y")).contains("U+005C");
    assertThat(rejected("/x%zz")).contains("'%' at index 2");
    assertThat(rejected("/x%2")).contains("'%' at index 2");
    assertThat(rejected("#top")).contains("only a fragment");
    assertThat(rejected("")).contains("is empty");
    assertThat(rejected("/x\u007F")).contains("U+007F");
  }

  @Test
  void percentEncodedLineBreaksStayEncoded() throws Exception {
    assertThat(resolve("/x%0d%0aHost:%20evil", "/p")).isEqualTo("/x%0d%0aHost:%20evil");
  }

  @Test
  void theParentMustBeAPath() {
    assertThatThrownBy(() -> EsiSrc.resolve("/x", "x", ORIGIN)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("parentPath: 'x' (expected: a path starting with '/')");
  }

  @Test
  void unescapeDecodesXmlEntitiesAndCharacterReferencesOnly() {
    assertThat(EsiSrc.unescape("a&amp;b&lt;&gt;&quot;&apos;&#65;&#x42;&#X43;")).isEqualTo("a&b<>\"'ABC");
    assertThat(EsiSrc.unescape("&nbsp;&amp&#;&#x;&#99999999;&#xD800x;&")).isEqualTo("&nbsp;&amp&#;&#x;&#99999999;&#xD800x;&");
    assertThat(EsiSrc.unescape("plain")).isSameAs("plain");
  }

  @Test
  void resolutionIsTotalAndItsResultsAreFixedPoints() {
    String[] pieces = {"/", "a", "b", ".", "..", "?", "#", "x=1", "&", "%41", "%", ":", "//", "@", "http:", "https:",
      "app.internal:8081", "evil", ";", " ", "\r", "\u00E9", "\\", "[", "]", "~", "'"};
    String[] parents = {"/", "/a", "/a/b/", "/a/b?q=1", "/a/./b/../c"};
    SeededProperty.forAll("EsiSrcTest#resolutionIsTotalAndItsResultsAreFixedPoints", 20_000, 1, (random, trace) -> {
      StringBuilder b = new StringBuilder();
      int n = random.nextInt(0, 8);
      for (int i = 0; i < n; i++) {
        b.append(pieces[random.nextInt(pieces.length)]);
      }
      String src = b.toString();
      String parent = parents[random.nextInt(parents.length)];
      trace.add("src " + SeededProperty.quoted(src) + " parent " + parent);
      String path;
      try {
        path = EsiSrc.resolve(src, parent, ORIGIN);
      } catch (EsiException e) {
        assertThat(e.error().kind()).isEqualTo(EsiError.Kind.SRC);
        return;
      }
      trace.add("path " + path);
      assertThat(path).startsWith("/").doesNotContain("#");
      String pathOnly = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
      assertThat(("/" + pathOnly + "/").split("/", -1)).doesNotContain(".", "..");
      assertThat(path.chars()).allMatch(c -> c > 0x20 && c < 0x7F);
      if (!path.startsWith("//")) {
        // An origin-relative result means the same thing wherever it appears.
        assertThat(EsiSrc.resolve(path, parents[random.nextInt(parents.length)], ORIGIN)).isEqualTo(path);
      }
    });
  }
}
