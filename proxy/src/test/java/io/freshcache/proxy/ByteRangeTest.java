package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link ByteRange}: RFC 9110 section 14.1.2's byte ranges against a body of known length. */
class ByteRangeTest {

  @ParameterizedTest(name = "{0} of {1} -> {2}")
  @CsvSource(delimiter = '|', value = {
      "bytes=0-0        | 20 | 0-0",
      "bytes=2-5        | 20 | 2-5",
      "bytes=15-        | 20 | 15-19",
      "bytes=10-999     | 20 | 10-19",
      "bytes=-3         | 20 | 17-19",
      "bytes=-999       | 20 | 0-19",
      "BYTES = 1-2      | 20 | 1-2",
      "bytes=0-99999999999999999999999 | 20 | 0-19",
      "bytes=20-        | 20 | 416",
      "bytes=99999999999999999999- | 20 | 416",
      "bytes=-0         | 20 | 416",
      "bytes=0-         | 0  | 416",
      "bytes=-5         | 0  | 416",
      "bytes=5-2        | 20 | whole",
      "bytes=0-1,4-5    | 20 | whole",
      "items=0-1        | 20 | whole",
      "bytes=x-         | 20 | whole",
      "bytes=-          | 20 | whole",
      "bytes=1-2-3      | 20 | whole",
      "bytes=+1-2       | 20 | whole",
      "bytes            | 20 | whole",
      "bytes=           | 20 | whole"})
  void answers(String value, long length, String expected) {
    ByteRange r = ByteRange.of(value, length);
    String got = r.whole() ? "whole" : !r.satisfiable() ? "416" : r.first() + "-" + r.last();
    assertThat(got).isEqualTo(expected);
  }

  /** Whatever the numbers, a satisfiable range lies inside the body and is not empty. */
  @Test
  void aSatisfiableRangeIsAlwaysInsideTheBody() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    for (int i = 0; i < 100_000; i++) {
      long length = random.nextInt(4) == 0 ? random.nextInt(3) : random.nextInt(1 << 20);
      long a = random.nextInt(1 << 21);
      long b = random.nextInt(1 << 21);
      String value = switch (random.nextInt(3)) {
        case 0 -> "bytes=" + a + "-" + b;
        case 1 -> "bytes=" + a + "-";
        default -> "bytes=-" + b;
      };
      ByteRange r = ByteRange.of(value, length);
      if (!r.whole() && r.satisfiable()) {
        assertThat(r.first()).as("seed %d: %s of %d", seed, value, length).isBetween(0L, length - 1);
        assertThat(r.last()).as("seed %d: %s of %d", seed, value, length).isBetween(r.first(), length - 1);
      }
    }
  }
}
