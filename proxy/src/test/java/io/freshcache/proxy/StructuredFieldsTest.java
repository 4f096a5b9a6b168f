package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshcache.proxy.StructuredFields.Type;
import io.freshcache.proxy.StructuredFields.Value;
import io.freshcache.testkit.SeededProperty;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link StructuredFields}: RFC 8941 dictionaries, including the RFC's examples and failure rules. */
class StructuredFieldsTest {

  private static Map<String, Value> dict(String... lines) throws StructuredFields.ParseException {
    return StructuredFields.parseDictionary(List.of(lines));
  }

  @Test
  void theRfcsDictionaryExamples() throws Exception {
    assertThat(dict("en=\"Applepie\", da=:w4ZibGV0w6ZydGUK:")).containsExactly(
        Map.entry("en", new Value(Type.STRING, "Applepie")),
        Map.entry("da", new Value(Type.BYTE_SEQUENCE, "w4ZibGV0w6ZydGUK")));
    assertThat(dict("a=?0, b, c; foo=bar")).containsExactly(
        Map.entry("a", new Value(Type.BOOLEAN, "?0")),
        Map.entry("b", new Value(Type.BOOLEAN, "?1")),
        Map.entry("c", new Value(Type.BOOLEAN, "?1")));
    assertThat(dict("rating=1.5, feelings=(joy sadness)")).containsExactly(
        Map.entry("rating", new Value(Type.DECIMAL, "1.5")),
        Map.entry("feelings", new Value(Type.INNER_LIST, "(joy sadness)")));
    assertThat(dict("a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid")).hasSize(4);
  }

  @Test
  void typesOfValues() throws Exception {
    Map<String, Value> d = dict("i=-42, s=\"a \\\"q\\\" \\\\\", t=foo/bar:baz, star=*x, b=?1, dec=-0.125");
    assertThat(d.get("i")).isEqualTo(new Value(Type.INTEGER, "-42"));
    assertThat(d.get("s")).isEqualTo(new Value(Type.STRING, "a \"q\" \\"));
    assertThat(d.get("t")).isEqualTo(new Value(Type.TOKEN, "foo/bar:baz"));
    assertThat(d.get("star")).isEqualTo(new Value(Type.TOKEN, "*x"));
    assertThat(d.get("b").isTrue()).isTrue();
    assertThat(d.get("dec")).isEqualTo(new Value(Type.DECIMAL, "-0.125"));
  }

  @Test
  void linesAreJoinedAndARepeatedKeyTakesTheLastValueAtTheFirstPosition() throws Exception {
    assertThat(dict("a=1, b=2", "a=3")).containsExactly(
        Map.entry("a", new Value(Type.INTEGER, "3")), Map.entry("b", new Value(Type.INTEGER, "2")));
  }

  @Test
  void whiteSpaceRules() throws Exception {
    assertThat(dict("  a=1,\tb=2 ")).hasSize(2); // leading SP, OWS around commas, trailing SP
    assertThat(dict("")).isEmpty();
  }

  @Test
  void numberLimits() throws Exception {
    assertThat(dict("a=999999999999999").get("a").text()).isEqualTo("999999999999999");
    assertThat(dict("a=999999999999.999").get("a").type()).isEqualTo(Type.DECIMAL);
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "Max-Age=60",          // keys are lower case
    "max-age =60",         // no white space before '='
    "a=1,",                // trailing comma
    "a=1,,b=2",            // empty member
    "a=1 b=2",             // missing comma
    "a=\"unterminated",
    "a=\"bad \\n escape\"",
    "a=\"tab\tinside\"",
    "a=\"caf\u00e9\"",     // non-ASCII
    "a=1.",                // decimal ends with '.'
    "a=1.2345",            // four fraction digits
    "a=1234567890123.5",   // 13 integer digits in a decimal
    "a=1234567890123456",  // 16 digits
    "a=-",
    "a=?2",
    "a=:not base64!:",
    "a=:unterminated",
    "a=(1 2",
    "a=(1,2)",
    "a=1;B=2",             // parameter keys are lower case too
    "a=@1659578233",       // a Date (RFC 9651) is not an RFC 8941 item
    "1a=1",
    ",a=1",
    "a=1\u0000",
  })
  void invalidDictionariesFail(String field) {
    assertThatThrownBy(() -> dict(field)).isInstanceOf(StructuredFields.ParseException.class);
  }

  @Test
  void errorsSayWhere() {
    assertThatThrownBy(() -> dict("a=1, B=2"))
        .hasMessageContaining("at 5")
        .hasMessageContaining("'B'");
  }

  @Test
  void serializesStringsAndRecognisesTokens() {
    assertThat(StructuredFields.serializeString("a \"b\" \\c")).isEqualTo("\"a \\\"b\\\" \\\\c\"");
    assertThatThrownBy(() -> StructuredFields.serializeString("caf\u00e9"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("U+00E9");
    assertThat(StructuredFields.isToken("Freshcache")).isTrue();
    assertThat(StructuredFields.isToken("cache-1.example.com:8080/x")).isTrue();
    assertThat(StructuredFields.isToken("1cache")).isFalse();
    assertThat(StructuredFields.isToken("two words")).isFalse();
    assertThat(StructuredFields.isToken("")).isFalse();
    assertThat(StructuredFields.isKey("max-age")).isTrue();
    assertThat(StructuredFields.isKey("Max-Age")).isFalse();
  }

  @Test
  void neverThrowsAnythingButParseExceptionOnArbitraryInput() {
    String alphabet = "abcz019-_.*;=,() \t\"\\:?/+AZ@%\u00e9\u0000";
    SeededProperty.forAll("StructuredFieldsTest#neverThrowsAnythingButParseExceptionOnArbitraryInput", 20_000, 1,
        (random, trace) -> {
          StringBuilder b = new StringBuilder();
          int n = random.nextInt(0, 40);
          for (int i = 0; i < n; i++) {
            b.append(alphabet.charAt(random.nextInt(alphabet.length())));
          }
          trace.add(b.toString());
          try {
            StructuredFields.parseDictionary(List.of(b.toString()));
          } catch (StructuredFields.ParseException expected) {
            // fine: invalid input fails with a ParseException and nothing else
          }
        });
  }
}
