package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The per-request fields of a hit, whose numbers are written digit by digit rather than through a String. */
class PerRequestFieldsTest {
  /** Tue, 01 Dec 2026 10:00:00 GMT. */
  private static final long DATE = java.time.Instant.parse("2026-12-01T10:00:00Z").getEpochSecond();

  private static String block(long age, int connection) {
    ByteBuf b = StoredResponse.perRequest(UnpooledByteBufAllocator.DEFAULT, DATE, age, "Freshcache; hit", connection, null);
    try {
      return b.toString(StandardCharsets.US_ASCII);
    } finally {
      b.release();
    }
  }

  @Test
  void everyAgeIsWrittenInDecimal() {
    for (long age : new long[] {0, 7, 9, 10, 11, 99, 100, 12_345, 2_147_483_648L, Long.MAX_VALUE}) {
      assertThat(block(age, 0)).isEqualTo("Date: Tue, 01 Dec 2026 10:00:00 GMT\r\nAge: " + age
          + "\r\nCache-Status: Freshcache; hit\r\n\r\n");
    }
  }

  @Test
  void noAgeAndTheConnectionFields() {
    assertThat(block(-1, 1)).isEqualTo("Date: Tue, 01 Dec 2026 10:00:00 GMT\r\nCache-Status: Freshcache; hit"
        + "\r\nConnection: close\r\n\r\n");
    assertThat(block(3, 2)).endsWith("\r\nConnection: keep-alive\r\n\r\n");
  }
}
