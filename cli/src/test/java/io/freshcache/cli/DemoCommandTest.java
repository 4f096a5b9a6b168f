package io.freshcache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** {@code freshcache demo}: the README's first command, in its {@code --check} form. */
class DemoCommandTest {

  @Test
  void servesTheWikiThroughTheProxyMissThenHit() {
    Run run = Run.of("demo", "--port", "0", "--no-ticker", "--check");
    assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
    assertThat(run.out())
        .contains("the wiki is served through the proxy at http://127.0.0.1:")
        .containsPattern("GET /\\s+200 .*Cache-Status: Freshcache; fwd=uri-miss; stored")
        .containsPattern("GET /\\s+200 .*Cache-Status: Freshcache; hit")
        .contains("check: ok")
        .doesNotContain("Exception");
    assertThat(run.err()).isEmpty();
  }

  @Test
  void aTakenPortIsAClearErrorNotAStackTrace() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Run run = Run.of("demo", "--port", String.valueOf(taken.getLocalPort()), "--no-ticker", "--check");
      assertThat(run.exitCode()).isEqualTo(1);
      assertThat(run.err()).startsWith("freshcache demo: cannot start:").contains("--port").doesNotContain("\tat ");
    }
  }

  @Test
  void aBadPortIsAUsageError() {
    Run run = Run.of("demo", "--port", "70000");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--port 70000 (expected: 0..65535)");
  }

  @Test
  void helpListsTheOptions() {
    Run run = Run.of("demo", "--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("--port", "--host", "--[no-]ticker", "--check");
  }
}
