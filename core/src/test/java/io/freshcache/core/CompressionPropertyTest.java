package io.freshcache.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshcache.testkit.SeededProperty;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Seeded property tests of the stored codings: every coding round-trips any body, directly and
 * through a transcode from every other coding; a stored body is in the configured coding only when
 * that saves an eighth; and a page hands out its body in every coding, end to end through the cache.
 *
 * <p>Iterations: {@code -Dfreshcache.property.iterations=N}; seed: {@code
 * -Dfreshcache.property.seed=S} (see {@link SeededProperty}).
 */
class CompressionPropertyTest {
  private static final String CLASS = "CompressionPropertyTest";
  private static final String[] WORDS = {"<p>", "</p>", "<div class=\"item\">", "</div>", "lorem", "ipsum",
      "dolor", "sit", "amet", " ", "\n", "&amp;", "Ünïcödé", "2026-12-01"};

  /** A body of one of four kinds: empty-ish, compressible text, random bytes, or runs of one byte. */
  static byte[] body(SplittableRandom r) {
    int length = switch (r.nextInt(4)) {
      case 0 -> r.nextInt(8);
      case 1 -> r.nextInt(2_000);
      default -> r.nextInt(40_000);
    };
    switch (r.nextInt(4)) {
      case 0 -> {
        StringBuilder b = new StringBuilder(length + 32);
        while (b.length() < length) {
          b.append(WORDS[r.nextInt(WORDS.length)]);
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
      }
      case 1 -> {
        byte[] b = new byte[length];
        r.nextBytes(b);
        return b;
      }
      case 2 -> {
        byte[] b = new byte[length];
        int i = 0;
        while (i < length) {
          byte v = (byte) r.nextInt(256);
          int run = 1 + r.nextInt(300);
          for (int k = 0; k < run && i < length; k++) {
            b[i++] = v;
          }
        }
        return b;
      }
      default -> {
        // text with random bytes sprinkled in: compressible, but not uniformly
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
          b[i] = r.nextInt(10) == 0 ? (byte) r.nextInt(256) : (byte) ('a' + r.nextInt(4));
        }
        return b;
      }
    }
  }

  private static String describe(byte[] b) {
    return b.length + " bytes, first " + SeededProperty.quoted(
        new String(b, 0, Math.min(40, b.length), StandardCharsets.ISO_8859_1));
  }

  @Test
  void everyCodingRoundTripsEveryBody() {
    SeededProperty.forAll(CLASS + "#everyCodingRoundTripsEveryBody", 400, 1, (r, trace) -> {
      byte[] identity = body(r);
      trace.add("body: " + describe(identity));
      for (Encoding e : Encoding.values()) {
        byte[] coded = Compression.encode(identity, e);
        trace.add(e.token() + ": " + coded.length + " bytes");
        assertThat(Compression.decode(coded, e, identity.length)).as("decode(encode(body, %s))", e)
            .isEqualTo(identity);
      }
    });
  }

  @Test
  void transcodingFromEveryCodingToEveryOtherKeepsTheBody() {
    SeededProperty.forAll(CLASS + "#transcodingFromEveryCodingToEveryOtherKeepsTheBody", 200, 1, (r, trace) -> {
      byte[] identity = body(r);
      trace.add("body: " + describe(identity));
      for (Encoding from : Encoding.values()) {
        byte[] stored = Compression.encode(identity, from);
        for (Encoding to : Encoding.values()) {
          byte[] out = Compression.transcode(stored, from, to, identity.length);
          if (from == to) {
            assertThat(out).as("%s to itself is the same array", from).isSameAs(stored);
          }
          assertThat(Compression.decode(out, to, identity.length)).as("%s -> %s", from, to).isEqualTo(identity);
        }
      }
    });
  }

  @Test
  void storedCompressedOnlyWhenThatSavesAnEighth() {
    SeededProperty.forAll(CLASS + "#storedCompressedOnlyWhenThatSavesAnEighth", 400, 1, (r, trace) -> {
      byte[] identity = body(r);
      Encoding wanted = Encoding.values()[r.nextInt(Encoding.values().length)];
      trace.add("body: " + describe(identity) + ", wanted " + wanted);
      Compression.Coded c = Compression.encodeIfSmaller(identity, wanted);
      byte[] full = Compression.encode(identity, wanted);
      if (wanted == Encoding.IDENTITY || full.length > identity.length - identity.length / 8) {
        assertThat(c).as("not worth it: %s of %s bytes", full.length, identity.length).isNull();
      } else {
        assertThat(c).isNotNull();
        assertThat(c.encoding()).isEqualTo(wanted);
        assertThat(c.bytes().length).isLessThanOrEqualTo(identity.length - identity.length / 8);
        assertThat(Compression.decode(c.bytes(), wanted, identity.length)).isEqualTo(identity);
      }
    });
  }

  @Test
  void pagesHandOutTheirBodyInEveryCoding() {
    for (Encoding stored : Encoding.values()) {
      try (Freshcache cache = Freshcache.builder().executor(Runnable::run).compressionThreshold(0)
          .storedEncoding(stored).build()) {
        assertThat(cache.storedEncoding()).isEqualTo(stored);
        int[] next = {0};
        SeededProperty.forAll(CLASS + "#pagesHandOutTheirBodyInEveryCoding/" + stored.token(), 100, 1, (r, trace) -> {
          byte[] identity = body(r);
          CacheKey key = CacheKey.of("/p" + next[0]++); // a new entry per case
          trace.add("stored " + stored + ", " + key + ", body: " + describe(identity));
          Page page = cache.get(key, ctx -> new Content(identity, "application/octet-stream", null));
          boolean pays = stored != Encoding.IDENTITY
              && Compression.encode(identity, stored).length <= identity.length - identity.length / 8;
          assertThat(page.storedEncoding()).isEqualTo(pays ? stored : Encoding.IDENTITY);
          assertThat(page.body()).isEqualTo(identity);
          for (Encoding e : Encoding.values()) {
            assertThat(Compression.decode(page.body(e), e, identity.length)).as("body(%s)", e).isEqualTo(identity);
          }
          assertThat(page.body(page.storedEncoding())).isSameAs(page.storedBody());
        });
      }
    }
  }

  @Test
  void theNativeCodingsAreAvailableOnTheBuildMachines() {
    // Linux x86-64 (the build and deployment platform) ships both natives; were one missing the cache
    // would quietly store gzip, so the build says so here.
    assertThat(Encoding.BR.isAvailable()).isTrue();
    assertThat(Encoding.ZSTD.isAvailable()).isTrue();
  }

  @Test
  void storedEncodingIsValidated() {
    assertThatThrownBy(() -> Freshcache.builder().storedEncoding(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("encoding");
    assertThat(Encoding.ofToken(" ZSTD")).isEqualTo(Encoding.ZSTD);
    assertThatThrownBy(() -> Encoding.ofToken("lz4")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("encoding: 'lz4' (expected: gzip, br, zstd or identity)");
  }

  @Test
  void gzipStaysTheDefault() {
    try (Freshcache cache = Freshcache.builder().build()) {
      assertThat(cache.storedEncoding()).isEqualTo(Encoding.GZIP);
    }
  }
}
