package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshcache.testkit.SeededProperty;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link HttpDate}: the three formats of RFC 9110 section 5.6.7 and the rules RFC 9111 adds. */
class HttpDateTest {
  private static final Instant RFC_EXAMPLE = Instant.parse("1994-11-06T08:49:37Z");
  private static final Instant NOW = Instant.parse("2026-05-01T00:00:00Z");

  @Test
  void theRfcsThreeExamplesAreTheSameInstant() {
    assertThat(HttpDate.parse("Sun, 06 Nov 1994 08:49:37 GMT", NOW)).isEqualTo(RFC_EXAMPLE);
    assertThat(HttpDate.parse("Sunday, 06-Nov-94 08:49:37 GMT", NOW)).isEqualTo(RFC_EXAMPLE);
    assertThat(HttpDate.parse("Sun Nov  6 08:49:37 1994", NOW)).isEqualTo(RFC_EXAMPLE);
  }

  @Test
  void formatsImfFixdate() {
    assertThat(HttpDate.format(RFC_EXAMPLE)).isEqualTo("Sun, 06 Nov 1994 08:49:37 GMT");
    assertThat(HttpDate.format(Instant.parse("2026-01-02T03:04:05.999Z"))).isEqualTo("Fri, 02 Jan 2026 03:04:05 GMT");
  }

  @Test
  void namesMatchCaseInsensitivelyAndOwsIsTrimmed() {
    assertThat(HttpDate.parse("sun, 06 nov 1994 08:49:37 gmt", NOW)).isEqualTo(RFC_EXAMPLE);
    assertThat(HttpDate.parse("SUNDAY, 06-NOV-94 08:49:37 GMT", NOW)).isEqualTo(RFC_EXAMPLE);
    assertThat(HttpDate.parse("SUN NOV  6 08:49:37 1994", NOW)).isEqualTo(RFC_EXAMPLE);
    assertThat(HttpDate.parse(" \tSun, 06 Nov 1994 08:49:37 GMT\t ", NOW)).isEqualTo(RFC_EXAMPLE);
  }

  @Test
  void theDayNameIsNotCheckedAgainstTheDate() {
    assertThat(HttpDate.parse("Mon, 06 Nov 1994 08:49:37 GMT", NOW)).isEqualTo(RFC_EXAMPLE);
  }

  @Test
  void asctimeAcceptsATwoDigitDay() {
    assertThat(HttpDate.parse("Thu Nov 24 08:49:37 1994", NOW)).isEqualTo(Instant.parse("1994-11-24T08:49:37Z"));
  }

  @Test
  void aLeapSecondIsReadAsTheSecondBefore() {
    assertThat(HttpDate.parse("Wed, 31 Dec 2008 23:59:60 GMT", NOW)).isEqualTo(Instant.parse("2008-12-31T23:59:59Z"));
  }

  @Test
  void rfc850TwoDigitYearsAreWithinFiftyYearsOfNow() {
    assertThat(HttpDate.parse("Thursday, 01-Jan-30 00:00:00 GMT", NOW)).isEqualTo(Instant.parse("2030-01-01T00:00:00Z"));
    assertThat(HttpDate.parse("Thursday, 01-Jan-76 00:00:00 GMT", NOW)).isEqualTo(Instant.parse("2076-01-01T00:00:00Z"));
    assertThat(HttpDate.parse("Monday, 01-Jan-80 00:00:00 GMT", NOW)).isEqualTo(Instant.parse("1980-01-01T00:00:00Z"));
    Instant late = Instant.parse("2095-06-01T00:00:00Z");
    assertThat(HttpDate.parse("Friday, 01-Jan-10 00:00:00 GMT", late)).isEqualTo(Instant.parse("2110-01-01T00:00:00Z"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "",
    "0",
    "-1",
    "garbage",
    "Sun, 06 Nov 1994 08:49:37 UTC",
    "Sun, 06 Nov 1994 08:49:37 +0000",
    "Sun, 06 Nov 1994 08:49:37",
    "Sun, 6 Nov 1994 08:49:37 GMT",
    "Sun,  06 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 94 08:49:37 GMT",
    "Xyz, 06 Nov 1994 08:49:37 GMT",
    "Sun, 06 Foo 1994 08:49:37 GMT",
    "Sun, 31 Feb 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 24:00:00 GMT",
    "Sun, 06 Nov 1994 08:60:00 GMT",
    "Sun, 06 Nov 1994 08:49:61 GMT",
    "Sun, 06 Nov 1994 08-49-37 GMT",
    "Sun, 06 Nov 1994 8:49:37  GMT",
    "Sunday, 06-Nov-1994 08:49:37 GMT",
    "Sun, 06-Nov-94 08:49:37 GMT",
    "Sundae, 06-Nov-94 08:49:37 GMT",
    "Sun Nov 6 08:49:37 1994",
    "Sun Nov  6 08:49:37 94",
    "Sun Nov  6 08:49:37 1994 GMT",
    "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",
    "\u0000un, 06 Nov 1994 08:49:37 GMT",
    "Sun, \u0660\u0666 Nov 1994 08:49:37 GMT",
  })
  void invalidDatesAreNull(String text) {
    assertThat(HttpDate.parse(text, NOW)).isNull();
  }

  @Test
  void nullIsNull() {
    assertThat(HttpDate.parse(null, NOW)).isNull();
  }

  @Test
  void formatThenParseIsTheIdentityOnWholeSeconds() {
    SeededProperty.forAll("HttpDateTest#formatThenParseIsTheIdentityOnWholeSeconds", 20_000, 1, (random, trace) -> {
      // Years 1900..2299, whole seconds.
      long seconds = random.nextLong(-2208988800L, 10413792000L);
      Instant t = Instant.ofEpochSecond(seconds);
      String text = HttpDate.format(t);
      trace.add(text);
      assertThat(HttpDate.parse(text, NOW)).isEqualTo(t);
      assertThat(HttpDate.parse(text.toLowerCase(java.util.Locale.ROOT), NOW)).isEqualTo(t);
    });
  }

  @Test
  void parseNeverThrowsOnArbitraryText() {
    SeededProperty.forAll("HttpDateTest#parseNeverThrowsOnArbitraryText", 20_000, 1, (random, trace) -> {
      String base = HttpDate.format(Instant.ofEpochSecond(random.nextLong(0, 4_000_000_000L)));
      char[] chars = base.toCharArray();
      int edits = random.nextInt(1, 4);
      for (int i = 0; i < edits; i++) {
        chars[random.nextInt(chars.length)] = (char) random.nextInt(0, 128);
      }
      String text = random.nextBoolean() ? new String(chars) : new String(chars).substring(random.nextInt(chars.length));
      trace.add(text);
      Instant parsed = HttpDate.parse(text, NOW);
      if (parsed != null) {
        assertThat(HttpDate.parse(HttpDate.format(parsed), NOW)).isEqualTo(parsed);
      }
    });
  }

  @Test
  void writeGivesTheSameTextAsFormatWithoutAString() {
    SeededProperty.forAll("HttpDateTest#writeGivesTheSameTextAsFormatWithoutAString", 20_000, 1, (random, trace) -> {
      long seconds = switch (random.nextInt(4)) {
        case 0 -> random.nextInt(0, 86400 * 3); // the first days
        case 1 -> HttpDate.LAST_WRITABLE_SECOND - random.nextInt(0, 86400 * 3); // the last ones
        default -> random.nextLong(0, HttpDate.LAST_WRITABLE_SECOND + 1);
      };
      trace.add(Long.toString(seconds));
      ByteBuf b = Unpooled.buffer();
      HttpDate.write(b, seconds);
      assertThat(b.toString(StandardCharsets.US_ASCII)).isEqualTo(HttpDate.format(Instant.ofEpochSecond(seconds)))
          .hasSize(HttpDate.IMF_FIXDATE_LENGTH);
    });
  }

  @Test
  void writeRefusesSecondsItCannotFormat() {
    assertThatThrownBy(() -> HttpDate.write(Unpooled.buffer(), -1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HttpDate.write(Unpooled.buffer(), HttpDate.LAST_WRITABLE_SECOND + 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
