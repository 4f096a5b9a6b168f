package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;

/** {@link EsiLimits}: validation and the values taken from {@link ProxyConfig}. */
class EsiLimitsTest {

  @Test
  void badValuesAreNamed() {
    assertThatThrownBy(() -> new EsiLimits(-1, 3, 10, 10)).hasMessage("maxIncludes: -1 (expected: >= 0)");
    assertThatThrownBy(() -> new EsiLimits(1, -1, 10, 10)).hasMessage("maxDepth: -1 (expected: >= 0)");
    assertThatThrownBy(() -> new EsiLimits(1, 3, 0, 10)).hasMessage("maxSrcLength: 0 (expected: > 0)");
    assertThatThrownBy(() -> new EsiLimits(1, 3, 10, Integer.MAX_VALUE)).hasMessageContaining("maxOutputBytes");
  }

  @Test
  void fromTheProxyConfig() {
    ProxyConfig config = ProxyConfig.builder(URI.create("http://localhost:8081")).esiMaxDepth(5).esiMaxIncludes(9)
        .build();
    EsiLimits limits = EsiLimits.of(config);
    assertThat(limits).isEqualTo(new EsiLimits(9, 5, EsiLimits.DEFAULT_MAX_SRC_LENGTH, 64L << 20));
    assertThat(EsiLimits.of(ProxyConfig.builder(URI.create("http://localhost:8081")).build()))
        .isEqualTo(EsiLimits.DEFAULTS);
    assertThat(EsiLimits.of(ProxyConfig.builder(URI.create("http://localhost:8081")).maxCacheableBodyBytes(0).build())
        .maxOutputBytes()).isEqualTo(1 << 20);
  }
}
