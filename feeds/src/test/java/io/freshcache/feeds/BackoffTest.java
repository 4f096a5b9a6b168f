package io.freshcache.feeds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void delaysStayUnderADoublingCeilingCappedAtMax() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(2));
    for (int i = 0; i < 100; i++) {
      long ceiling = Math.min(2000, 100L << Math.min(i, 20));
      assertThat(b.nextDelay().toMillis()).isBetween(0L, ceiling);
    }
    assertThat(b.failures()).isEqualTo(100);
    b.reset();
    assertThat(b.nextDelay().toMillis()).isLessThanOrEqualTo(100);
  }

  @Test
  void validates() {
    assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)))
        .hasMessage("initial: PT0S (expected: > 0)");
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .hasMessage("max: PT1S (expected: >= initial PT2S)");
  }
}
