package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshcache.proxy.CacheStatus.Fwd;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link CacheStatus} (RFC 9211). */
class CacheStatusTest {

  @Test
  void aSharedPlainHitIsTheSameAsABuiltOne() {
    for (long ttl : new long[] {-5, 0, 1, 59, 4095, 4096, 1_000_000}) {
      assertThat(CacheStatus.hitWithTtl(ttl)).isEqualTo(CacheStatus.hit().ttl(ttl))
          .hasToString(CacheStatus.hit().ttl(ttl).toString());
    }
    assertThat(CacheStatus.hitWithTtl(42)).isSameAs(CacheStatus.hitWithTtl(42));
  }

  @Test
  void theBriefsExamples() {
    assertThat(CacheStatus.hit()).hasToString("Freshcache; hit");
    assertThat(CacheStatus.fwd(Fwd.URI_MISS).stored(true)).hasToString("Freshcache; fwd=uri-miss; stored");
    assertThat(CacheStatus.fwd(Fwd.STALE).fwdStatus(200)).hasToString("Freshcache; fwd=stale; fwd-status=200");
    assertThat(CacheStatus.hit().ttl(42)).hasToString("Freshcache; hit; ttl=42");
    assertThat(CacheStatus.fwd(Fwd.BYPASS)).hasToString("Freshcache; fwd=bypass");
    assertThat(CacheStatus.fwd(Fwd.METHOD)).hasToString("Freshcache; fwd=method");
    assertThat(CacheStatus.fwd(Fwd.REQUEST)).hasToString("Freshcache; fwd=request");
  }

  @Test
  void theRfcsExamples() {
    assertThat(CacheStatus.hit().named("ExampleCache").ttl(376)).hasToString("ExampleCache; hit; ttl=376");
    assertThat(CacheStatus.hit().named("ExampleCache").ttl(-412)).hasToString("ExampleCache; hit; ttl=-412");
    assertThat(CacheStatus.fwd(Fwd.URI_MISS).named("ExampleCache")).hasToString("ExampleCache; fwd=uri-miss");
    assertThat(CacheStatus.fwd(Fwd.STALE).named("ExampleCache").fwdStatus(304))
        .hasToString("ExampleCache; fwd=stale; fwd-status=304");
    assertThat(CacheStatus.fwd(Fwd.URI_MISS).named("ExampleCache").collapsed(true))
        .hasToString("ExampleCache; fwd=uri-miss; collapsed");
    assertThat(CacheStatus.fwd(Fwd.URI_MISS).named("ExampleCache").collapsed(false))
        .hasToString("ExampleCache; fwd=uri-miss; collapsed=?0");
    assertThat(CacheStatus.hit().named("CDN Company Here").ttl(545)
            .appendTo(List.of("OriginCache; hit; ttl=1100")))
        .isEqualTo("OriginCache; hit; ttl=1100, \"CDN Company Here\"; hit; ttl=545");
  }

  @Test
  void everyParameterInTheRfcsOrder() {
    CacheStatus s = CacheStatus.fwd(Fwd.VARY_MISS).fwdStatus(200).ttl(60).stored(false).collapsed(true)
        .key("/page?x=\"1\"").detail("too-big");
    assertThat(s).hasToString(
        "Freshcache; fwd=vary-miss; fwd-status=200; ttl=60; stored=?0; collapsed; key=\"/page?x=\\\"1\\\"\"; detail=too-big");
    assertThat(CacheStatus.hit().detail("two words")).hasToString("Freshcache; hit; detail=\"two words\"");
  }

  @Test
  void everyFwdToken() {
    assertThat(java.util.Arrays.stream(Fwd.values()).map(Fwd::token))
        .containsExactly("bypass", "method", "uri-miss", "vary-miss", "miss", "request", "stale", "partial");
  }

  @Test
  void theOutputIsAValidStructuredList() throws Exception {
    // A List member with parameters is also valid dictionary syntax when its name is a key; check the
    // parameters parse as RFC 8941 says by parsing "k=" + member as a dictionary member.
    String member = CacheStatus.fwd(Fwd.STALE).fwdStatus(503).ttl(-3).stored(true).key("caf\u00e9 100%")
        .detail("x").toString();
    Map<String, StructuredFields.Value> d = StructuredFields.parseDictionary(List.of("k=" + member.replace("Freshcache", "freshcache")));
    assertThat(d).containsKey("k");
  }

  @Test
  void nonAsciiKeysArePercentEncoded() {
    assertThat(CacheStatus.hit().key("/caf\u00e9?q=100%\n\ud83d\ude00").toString())
        .endsWith("key=\"/caf%C3%A9?q=100%25%0A%F0%9F%98%80\"");
    assertThat(CacheStatus.printableAscii("plain")).isEqualTo("plain");
  }

  @Test
  void appendKeepsExistingMembers() {
    assertThat(CacheStatus.hit().appendTo(List.of())).isEqualTo("Freshcache; hit");
    assertThat(CacheStatus.hit().appendTo(List.of("A; hit", " ", "B; fwd=miss")))
        .isEqualTo("A; hit, B; fwd=miss, Freshcache; hit");
  }

  @Test
  void invalidCombinationsAreRejected() {
    assertThatThrownBy(() -> new CacheStatus("Freshcache", true, Fwd.MISS, 0, null, null, null, null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("hit and fwd=miss");
    assertThatThrownBy(() -> CacheStatus.hit().stored(true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("without fwd");
    assertThatThrownBy(() -> CacheStatus.hit().fwdStatus(200))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CacheStatus.fwd(Fwd.MISS).fwdStatus(42))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fwdStatus: 42");
    assertThatThrownBy(() -> CacheStatus.hit().named(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cache: empty");
  }

  /** Plain hits' texts are kept per ttl: the kept text must be what the rule would write, and only for plain hits. */
  @Test
  void keptHitTextsAreTheRenderedOnes() {
    for (long ttl : new long[] {0, 1, 9, 10, 4095, 4096, 100_000, -1}) {
      String first = CacheStatus.hit().ttl(ttl).toString();
      assertThat(first).isEqualTo("Freshcache; hit; ttl=" + ttl);
      assertThat(CacheStatus.hit().ttl(ttl).toString()).isEqualTo(first);
    }
    assertThat(CacheStatus.hit().ttl(5).toString()).isEqualTo("Freshcache; hit; ttl=5");
    assertThat(CacheStatus.hit().ttl(5).detail("stale-while-revalidate").toString())
        .isEqualTo("Freshcache; hit; ttl=5; detail=stale-while-revalidate");
    assertThat(CacheStatus.hit().ttl(5).named("edge").toString()).isEqualTo("edge; hit; ttl=5");
  }
}
