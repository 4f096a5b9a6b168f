package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.testkit.SeededProperty;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link SurrogateControl#wantsEsi} and {@link SurrogateControl#targetsAnotherDevice}. */
class EsiSurrogateControlTest {

  private static boolean wants(String... lines) {
    Fields f = Fields.EMPTY;
    for (String line : lines) {
      f = f.with("Surrogate-Control", line);
    }
    return SurrogateControl.wantsEsi(f);
  }

  @Test
  void aFieldIsForAnotherDeviceWhenOneOfItsDirectivesNamesOne() {
    assertThat(SurrogateControl.targetsAnotherDevice(List.of("content=\"ESI/1.0\";cdn"), "freshcache")).isTrue();
    assertThat(SurrogateControl.targetsAnotherDevice(List.of("max-age=60", "no-store;CDN"), "freshcache")).isTrue();
    assertThat(SurrogateControl.targetsAnotherDevice(List.of("content=\"ESI/1.0\";Freshcache, max-age=5"), "freshcache"))
        .isFalse();
    assertThat(SurrogateControl.targetsAnotherDevice(List.of("content=\"ESI/1.0\""), "freshcache")).isFalse();
    assertThat(SurrogateControl.targetsAnotherDevice(List.of(";;, =x;", ""), "freshcache")).isFalse();
  }

  @Test
  void theContentDirective() {
    assertThat(wants("content=\"ESI/1.0\"")).isTrue();
    assertThat(wants("max-age=60, content=\"ESI/1.0\"")).isTrue();
    assertThat(wants("max-age=60", "content=\"ESI/1.0\"")).isTrue();
    assertThat(wants("content=\"ESI/1.0 ESI-INV/1.0\"")).isTrue();
    assertThat(wants("content=\"ESI-INV/1.0, ESI/1.0\", no-store-remote")).isTrue();
    assertThat(wants("Content = \"esi/1.0\"")).isTrue();
    assertThat(wants("content=ESI/1.0")).isTrue(); // unquoted, as some servers write it
    assertThat(wants("content=\"ESI\\/1.0\"")).isTrue(); // a quoted-pair
  }

  @Test
  void noEsi() {
    assertThat(SurrogateControl.wantsEsi(Fields.EMPTY)).isFalse();
    assertThat(SurrogateControl.wantsEsi(Fields.of("Cache-Control", "content=\"ESI/1.0\""))).isFalse();
    assertThat(wants("")).isFalse();
    assertThat(wants("max-age=60")).isFalse();
    assertThat(wants("content=\"ESI/1.01\"")).isFalse();
    assertThat(wants("content=\"ESI-INV/1.0\"")).isFalse();
    assertThat(wants("content")).isFalse();
    assertThat(wants("no-store, max-age=\"ESI/1.0\"")).isFalse();
    assertThat(wants("x=\"content=ESI/1.0\"")).isFalse(); // quoted text is not a directive
    assertThat(wants("content=\"ESI/1.0")).isFalse(); // unterminated
    assertThat(wants("content=\"ESI/1.0\" junk")).isFalse(); // malformed element skipped
  }

  @Test
  void malformedElementsDoNotHideWellFormedOnes() {
    assertThat(wants("=x, content=\"ESI/1.0\"")).isTrue();
    assertThat(wants("a=\"b, c\" d, content=\"ESI/1.0\"")).isTrue();
    assertThat(wants("content=\"ESI/1.0\" junk, content=\"ESI/1.0\"")).isTrue();
  }

  @Test
  void targeting() {
    assertThat(wants("content=\"ESI/1.0\";freshcache")).isTrue();
    assertThat(wants("content=\"ESI/1.0\" ; FreshCache")).isTrue();
    // Targeted at another device (a CDN in front of us): not ours to process.
    assertThat(wants("content=\"ESI/1.0\";cdn")).isFalse();
    assertThat(wants("content=\"ESI/1.0\";cdn, max-age=5;freshcache")).isFalse();
    // A directive targeted at us takes precedence over an untargeted one, either way.
    assertThat(wants("content=\"ESI/1.0\", content=\"ESI-INV/1.0\";freshcache")).isFalse();
    assertThat(wants("content=\"ESI-INV/1.0\", content=\"ESI/1.0\";freshcache")).isTrue();
    assertThat(wants("content=\"ESI/1.0\";")).isFalse(); // an empty device token is malformed
    assertThat(SurrogateControl.wantsEsi(List.of("content=\"ESI/1.0\";edge1"), "edge1")).isTrue();
  }

  @Test
  void theCapabilityWeAdvertise() {
    assertThat(SurrogateControl.CAPABILITY).isEqualTo("freshcache=\"ESI/1.0\"");
  }

  @Test
  void neverThrows() {
    String[] pieces = {"content", "=", "\"", "ESI/1.0", ";", "freshcache", ",", " ", "\\", "max-age", "60", "\t", "x"};
    SeededProperty.forAll("EsiSurrogateControlTest#neverThrows", 20_000, 1, (random, trace) -> {
      StringBuilder b = new StringBuilder();
      int n = random.nextInt(0, 12);
      for (int i = 0; i < n; i++) {
        b.append(random.nextInt(8) == 0 ? (char) random.nextInt(0, 256) : pieces[random.nextInt(pieces.length)]);
      }
      trace.add(b.toString());
      SurrogateControl.wantsEsi(List.of(b.toString()), "freshcache");
    });
  }
}
