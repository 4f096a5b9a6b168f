package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.core.Tag;
import io.freshcache.proxy.TagHeaders.Dependencies;
import io.freshcache.proxy.TagHeaders.Invalidations;
import io.freshcache.testkit.SeededProperty;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link TagHeaders}: Cache-Tag, Surrogate-Key, xkey and Cache-Invalidate. */
class TagHeadersTest {

  private static List<String> texts(Dependencies d) {
    return d.tags().stream().map(Tag::toString).toList();
  }

  @Test
  void allThreeHeadersInEitherStyle() {
    Fields f = Fields.of("Cache-Tag", "page:A, page:B", "Surrogate-Key", "page:C page:D", "xkey", "page:E\tpage:A",
        "cache-tag", "page:Projects/*,page:Projects/**#title");
    Dependencies d = TagHeaders.dependencies(f);
    // Cache-Tag lines first, then Surrogate-Key, then xkey; duplicates dropped.
    assertThat(texts(d)).containsExactly("page:A", "page:B", "page:Projects/*", "page:Projects/**#title", "page:C",
        "page:D", "page:E");
    assertThat(d.rejected()).isEmpty();
    assertThat(d.complete()).isTrue();
  }

  @Test
  void invalidTagsAreSkippedAndReportedWithTheReason() {
    Dependencies d = TagHeaders.dependencies(List.of("page:A, page:A#b#c, page:*/x, #x, /**, page:B\u0001"));
    assertThat(texts(d)).containsExactly("page:A");
    assertThat(d.rejected()).extracting(TagHeaders.Rejected::text)
        .containsExactly("page:A#b#c", "page:*/x", "#x", "/**", "page:B?");
    assertThat(d.rejected().get(0).reason()).contains("second '#'");
    assertThat(d.rejected().get(4).reason()).contains("U+0001");
    assertThat(d.complete()).isTrue(); // invalid tags can never be invalidated anyway
  }

  @Test
  void emptyAndAbsent() {
    assertThat(TagHeaders.dependencies(Fields.EMPTY).tags()).isEmpty();
    assertThat(TagHeaders.dependencies(List.of(" , ,, ", "")).tags()).isEmpty();
  }

  @Test
  void theTagLimitCutsOffAndMarksIncomplete() {
    List<String> tags = new ArrayList<>();
    for (int i = 0; i < TagHeaders.MAX_TAGS + 10; i++) {
      tags.add("t" + i);
    }
    tags.add("t0"); // a duplicate beyond the limit is not a rejection
    Dependencies d = TagHeaders.dependencies(List.of(String.join(" ", tags)));
    assertThat(d.tags()).hasSize(TagHeaders.MAX_TAGS);
    assertThat(d.rejected()).hasSize(10);
    assertThat(d.rejected().get(0).reason()).contains("tag limit reached: 256");
    assertThat(d.complete()).isFalse();
  }

  @Test
  void theLengthLimitCutsAtASeparatorAndMarksIncomplete() {
    String tag = "page:" + "x".repeat(95); // 100 characters
    // 200 distinct tags of 104 characters with separators: ~20 KiB, over the 16 KiB limit.
    List<String> distinct = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      distinct.add(tag.substring(0, 97) + String.format("%03d", i));
    }
    Dependencies d = TagHeaders.dependencies(List.of(String.join(", ", distinct), "page:after"));
    assertThat(d.complete()).isFalse();
    assertThat(d.tags().size()).isLessThan(200).isGreaterThan(150);
    assertThat(d.tags()).allSatisfy(t -> assertThat(t.path()).hasSize(100)); // none cut in half
    assertThat(texts(d)).doesNotContain("page:after");
    assertThat(d.rejected()).last().extracting(TagHeaders.Rejected::reason).asString().contains("16384");
  }

  @Test
  void invalidationsSplitIntoExactTagsAndPrefixes() {
    Invalidations inv = TagHeaders.invalidations(Fields.of("Cache-Invalidate",
        "page:A, page:A#title, page:Projects/**, page:Docs/*, page:Docs/*#title, page:A"));
    assertThat(inv.exact()).containsExactly("page:A", "page:A#title");
    assertThat(inv.prefixes()).containsExactlyInAnyOrder("page:Projects/", "page:Docs/");
    assertThat(inv.rejected()).isEmpty();
    assertThat(inv.complete()).isTrue();
    assertThat(inv.isEmpty()).isFalse();
  }

  @Test
  void prefixesCoveredByShorterOnesAreDropped() {
    Invalidations inv = TagHeaders.invalidations(List.of("page:P/Q/**", "page:P/**, page:P/Q/R/*, page:Z/**"));
    assertThat(inv.prefixes()).containsExactly("page:P/", "page:Z/");
  }

  @Test
  void invalidInvalidationsAreReported() {
    Invalidations inv = TagHeaders.invalidations(List.of("page:A, **, page:a/**/b"));
    assertThat(inv.exact()).containsExactly("page:A");
    assertThat(inv.rejected()).hasSize(2);
    assertThat(TagHeaders.invalidations(List.of()).isEmpty()).isTrue();
  }

  /** Dropping an invalidation would serve a stale page to the client that made the change. */
  @Test
  void invalidationsHaveNoCountLimitAndCoveredPrefixesMergeInOneSort() {
    List<String> items = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) { // about 36 KB of field value
      items.add("t" + i);
      items.add("page:P" + i + "/Q/**");
      items.add("page:P" + i + "/**");
    }
    Invalidations inv = TagHeaders.invalidations(List.of(String.join(",", items)));
    assertThat(inv.exact()).hasSize(1_000);
    assertThat(inv.prefixes()).hasSize(1_000).allMatch(p -> p.matches("page:P\\d+/"));
    assertThat(inv.rejected()).isEmpty();
    assertThat(inv.complete()).isTrue();
  }

  @Test
  void invalidationsBeyondTheOriginsHeaderSectionAreCut() {
    String line = "t".repeat(99) + ",";
    Invalidations inv = TagHeaders.invalidations(List.of(line.repeat(TagHeaders.MAX_INVALIDATION_CHARS / 100 + 5)));
    assertThat(inv.complete()).isFalse();
    assertThat(inv.rejected()).isNotEmpty();
  }

  @Test
  void neverThrowsOnArbitraryInput() {
    String alphabet = "ab:/*#, \t\u0000\u00e9-.";
    SeededProperty.forAll("TagHeadersTest#neverThrowsOnArbitraryInput", 5_000, 1, (random, trace) -> {
      StringBuilder b = new StringBuilder();
      int n = random.nextInt(0, 60);
      for (int i = 0; i < n; i++) {
        b.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      trace.add(b.toString());
      Dependencies d = TagHeaders.dependencies(List.of(b.toString()));
      for (Tag t : d.tags()) {
        assertThat(Tag.parse(t.toString())).isEqualTo(t);
      }
      Invalidations inv = TagHeaders.invalidations(List.of(b.toString()));
      for (String e : inv.exact()) {
        assertThat(Tag.parse(e).isPattern()).isFalse();
      }
      for (String p : inv.prefixes()) {
        assertThat(p).endsWith("/");
      }
    });
  }
}
