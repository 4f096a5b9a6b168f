package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@link EsiExpansion}: cycles, depth and the include count. */
class EsiExpansionTest {

  private static final String ORIGIN = "origin:8081";

  private static EsiExpansion child(EsiStep step) {
    assertThat(step).isInstanceOf(EsiExpansion.class);
    return (EsiExpansion) step;
  }

  private static EsiError error(EsiStep step) {
    assertThat(step).isInstanceOf(EsiError.class);
    return (EsiError) step;
  }

  @Test
  void enterBuildsTheChain() {
    EsiExpansion root = EsiExpansion.root("/a", ORIGIN, EsiLimits.DEFAULTS);
    EsiExpansion c = child(child(root.enter("/b")).enter("/c"));
    assertThat(c.path()).isEqualTo("/c");
    assertThat(c.depth()).isEqualTo(2);
    assertThat(c.chain()).containsExactly("/a", "/b", "/c");
    assertThat(c.chainText()).isEqualTo("/a -> /b -> /c");
    assertThat(c.parent().parent()).isSameAs(root);
    assertThat(root.includeCount()).isEqualTo(2);
  }

  @Test
  void aCycleIsRefusedWithItsChain() {
    EsiExpansion b = child(EsiExpansion.root("/a", ORIGIN, EsiLimits.DEFAULTS).enter("/b"));
    EsiError e = error(b.enter("/a"));
    assertThat(e.kind()).isEqualTo(EsiError.Kind.CYCLE);
    assertThat(e.message()).isEqualTo("ESI include cycle: /a -> /b -> /a");
    assertThat(e.fatal()).isFalse();
    assertThat(error(b.enter("/b")).message()).isEqualTo("ESI include cycle: /a -> /b -> /b");
    // Siblings and a different query are not cycles.
    assertThat(b.enter("/a?x=1")).isInstanceOf(EsiExpansion.class);
  }

  @Test
  void depthBeyondTheLimitIsRefused() {
    EsiExpansion e = EsiExpansion.root("/0", ORIGIN, new EsiLimits(64, 2, 100, 1000));
    e = child(child(e.enter("/1")).enter("/2"));
    EsiError error = error(e.enter("/3"));
    assertThat(error.kind()).isEqualTo(EsiError.Kind.DEPTH);
    assertThat(error.message()).isEqualTo("ESI includes nested deeper than 2: /0 -> /1 -> /2 -> /3 (maxDepth: 2)");
    assertThat(error(EsiExpansion.root("/0", ORIGIN, new EsiLimits(64, 0, 100, 1000)).enter("/1")).kind())
        .isEqualTo(EsiError.Kind.DEPTH);
  }

  @Test
  void theIncludeCountIsSharedByAllBranchesAndFatal() {
    EsiExpansion root = EsiExpansion.root("/p", ORIGIN, new EsiLimits(3, 3, 100, 1000));
    EsiExpansion a = child(root.enter("/a"));
    child(a.enter("/a1"));
    child(root.enter("/b"));
    EsiError e = error(a.enter("/a2"));
    assertThat(e.kind()).isEqualTo(EsiError.Kind.LIMIT);
    assertThat(e.fatal()).isTrue();
    assertThat(e.message()).isEqualTo("more than 3 ESI includes for one response, at /p -> /a -> /a2 (maxIncludes: 3)");
    assertThat(root.includeCount()).isEqualTo(3);
    // A refused cycle is not counted.
    EsiExpansion other = EsiExpansion.root("/p", ORIGIN, new EsiLimits(1, 3, 100, 1000));
    error(other.enter("/p"));
    child(other.enter("/q"));
  }

  @Test
  void resolveIsRelativeToThisPath() throws Exception {
    EsiExpansion b = child(EsiExpansion.root("/x/page", ORIGIN, EsiLimits.DEFAULTS).enter("/y/frag"));
    assertThat(b.resolve("side?a=1")).isEqualTo("/y/side?a=1");
    assertThat(b.resolve("http://origin:8081/z")).isEqualTo("/z");
    assertThatThrownBy(() -> b.resolve("http://other/z")).isInstanceOf(EsiException.class);
  }

  @Test
  void theRootMustBeAPath() {
    assertThatThrownBy(() -> EsiExpansion.root("page", ORIGIN, EsiLimits.DEFAULTS))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: a path starting with '/'");
  }
}
