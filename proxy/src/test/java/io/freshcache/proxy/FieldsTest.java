package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link Fields}: the header-section value the semantics layer works on. */
class FieldsTest {

  @Test
  void lookupsAreCaseInsensitiveAndKeepEveryLineInOrder() {
    Fields f = Fields.of("Vary", "Accept", "X", "1", "VARY", "Cookie");
    assertThat(f.all("vary")).containsExactly("Accept", "Cookie");
    assertThat(f.first("vArY")).isEqualTo("Accept");
    assertThat(f.contains("x")).isTrue();
    assertThat(f.all("missing")).isEmpty();
    assertThat(f.first("missing")).isNull();
    assertThat(f.names()).containsExactly("vary", "x");
  }

  @Test
  void valuesAreTrimmedOfOws() {
    assertThat(Fields.of("A", " \t b \t").first("a")).isEqualTo("b");
  }

  @Test
  void editsReturnNewFields() {
    Fields f = Fields.of("A", "1", "B", "2", "a", "3");
    assertThat(f.without("A").names()).containsExactly("b");
    assertThat(f.replacing("a", "9").all("A")).containsExactly("9");
    assertThat(f.with("C", "4").names()).containsExactly("a", "b", "c");
    assertThat(f.withoutAll(Set.of("a", "b"))).isEqualTo(Fields.EMPTY);
    assertThat(f.withoutAll(Set.of())).isSameAs(f);
    assertThat(f.all("a")).containsExactly("1", "3"); // unchanged
  }

  @Test
  void badInputIsRejectedWithAMessage() {
    assertThatThrownBy(() -> Fields.of("A")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 strings (expected: an even number");
    assertThatThrownBy(() -> Fields.of("", "x")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("field name: empty");
  }

  @Test
  void listMembers() {
    assertThat(Fields.listMembers(List.of("a, b,,c ", " ", ",d"))).containsExactly("a", "b", "c", "d");
  }

  @Test
  void nettyRoundTrip() {
    Fields f = Fields.of("A", "1", "B", "2", "A", "3");
    assertThat(Fields.of(f.toNetty())).isEqualTo(f);
  }
}
