package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshcache.core.CacheKey;
import io.freshcache.testkit.SeededProperty;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@link Vary}: parsing and the secondary cache key of RFC 9111 section 4.1. */
class VaryTest {

  @Test
  void parsesNamesCaseInsensitivelySortedAndDeduplicated() {
    Vary v = Vary.parse(List.of("Accept-Encoding, User-Agent", "accept-encoding , ,Cookie"));
    assertThat(v.names()).containsExactly("accept-encoding", "cookie", "user-agent");
    assertThat(v.isStar()).isFalse();
    assertThat(v.toString()).isEqualTo("accept-encoding, cookie, user-agent");
  }

  @Test
  void starOrAnInvalidMemberNeverMatches() {
    assertThat(Vary.parse(List.of("*")).isStar()).isTrue();
    assertThat(Vary.parse(List.of("Accept", "*")).isStar()).isTrue();
    assertThat(Vary.parse(List.of("Accept Encoding")).isStar()).isTrue();
    assertThat(Vary.parse(List.of("\"Accept\"")).isStar()).isTrue();
    assertThatThrownBy(() -> Vary.parse(List.of("*")).variant(Fields.EMPTY))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("isStar");
  }

  @Test
  void noVary() {
    assertThat(Vary.parse(List.of())).isEqualTo(Vary.NONE);
    assertThat(Vary.parse(List.of("", " , "))).isEqualTo(Vary.NONE);
    assertThat(Vary.NONE.variant(Fields.of("Accept", "x"))).isEqualTo(Vary.NO_VARY);
  }

  @Test
  void variantFormat() {
    Vary v = Vary.parse(List.of("Accept-Encoding, Cookie"));
    assertThat(v.variant(Fields.of("accept-encoding", "gzip"))).isEqualTo("accept-encoding=\"gzip\";cookie=-");
    assertThat(v.variant(Fields.of("Cookie", "a=\"1\"\\"))).isEqualTo("accept-encoding=-;cookie=\"a=\\\"1\\\"\\\\\"");
  }

  @Test
  void normalization() {
    Vary v = Vary.parse(List.of("Accept-Language"));
    String one = v.variant(Fields.of("Accept-Language", "en, de"));
    assertThat(v.variant(Fields.of("ACCEPT-LANGUAGE", "  en, de\t"))).isEqualTo(one);
    assertThat(v.variant(Fields.of("Accept-Language", "en", "Accept-Language", "de"))).isEqualTo(one);
    assertThat(v.variant(Fields.of("Accept-Language", "de, en"))).isNotEqualTo(one); // order kept
    assertThat(v.variant(Fields.of("Accept-Language", "EN, de"))).isNotEqualTo(one); // values case-sensitive
    // Absent and empty differ.
    assertThat(v.variant(Fields.EMPTY)).isNotEqualTo(v.variant(Fields.of("Accept-Language", "")));
    // Vary's own order and case do not matter.
    Fields request = Fields.of("A", "1", "B", "2");
    assertThat(Vary.parse(List.of("a, B")).variant(request)).isEqualTo(Vary.parse(List.of("b", "A")).variant(request));
  }

  @Test
  void longVariantsAreHashedToAValidCoreVariant() {
    Vary v = Vary.parse(List.of("Cookie"));
    String variant = v.variant(Fields.of("Cookie", "x".repeat(10_000)));
    assertThat(variant).startsWith("v:").hasSize(45);
    assertThat(new CacheKey("/r", variant, io.freshcache.core.Scope.PUBLIC).variant()).isEqualTo(variant);
    assertThat(v.variant(Fields.of("Cookie", "x".repeat(10_000)))).isEqualTo(variant);
    assertThat(v.variant(Fields.of("Cookie", "x".repeat(9_999) + "y"))).isNotEqualTo(variant);
  }

  /**
   * Random requests over a few fields: the variant is always a valid core variant, and two requests
   * get the same variant exactly when their normalized selecting values are equal (a reference
   * model: a map from name to the joined, trimmed lines, or absent).
   */
  @Test
  void variantsAreEqualExactlyWhenSelectingFieldsMatch() {
    String[] names = {"Accept", "accept-encoding", "Cookie", "X-Device", "Accept-Language"};
    String[] values = {"", "gzip", " gzip ", "br", "a=\"1\"", "\\", "en, de", "x".repeat(120), "\u00e9", ","};
    SeededProperty.forAll("VaryTest#variantsAreEqualExactlyWhenSelectingFieldsMatch", 5_000, 1, (random, trace) -> {
      List<String> varyLines = new ArrayList<>();
      for (String n : names) {
        if (random.nextBoolean()) {
          varyLines.add(random.nextBoolean() ? n.toUpperCase(java.util.Locale.ROOT) : n);
        }
      }
      Vary vary = Vary.parse(varyLines);
      trace.add("vary " + vary);
      Fields[] requests = new Fields[2];
      List<Map<String, String>> models = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        Fields f = Fields.EMPTY;
        int lines = random.nextInt(0, 6);
        for (int i = 0; i < lines; i++) {
          // Small value space so that equal selections happen often.
          f = f.with(names[random.nextInt(names.length)], values[random.nextInt(random.nextBoolean() ? 3 : values.length)]);
        }
        requests[r] = f;
        Map<String, String> model = new TreeMap<>();
        for (String n : vary.names()) {
          List<String> all = f.all(n);
          model.put(n, all.isEmpty() ? null : String.join(", ", all.stream().map(Fields::trimOws).toList()));
        }
        models.add(model);
        trace.add("request " + r + ":\n" + f);
      }
      String a = vary.variant(requests[0]);
      String b = vary.variant(requests[1]);
      for (String v : new String[] {a, b}) {
        assertThat(v).isNotBlank();
        assertThat(v.length()).isLessThanOrEqualTo(CacheKey.MAX_VARIANT_LENGTH);
      }
      assertThat(a.equals(b)).isEqualTo(models.get(0).equals(models.get(1)));
    });
  }
}
