package io.freshcache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DemoCommandTest {
  private static final Pattern REQUEST =
      Pattern.compile("(?m)^\\s+GET /wiki/Home(?: as (\\w+))?\\s+(HIT|MISS)\\s+\\S+ (?:ms|\u00b5s|us)\\s+ETag (\"[^\"]+\")\\s+(new|same|changed)$");

  private static Run run;

  @BeforeAll
  static void runDemo() {
    run = Run.of("demo", "--render-ms", "20");
  }

  @Test
  void succeedsQuietly() {
    assertThat(run.exitCode()).isZero();
    assertThat(run.err()).isEmpty();
    assertThat(run.out()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void showsMissHitInvalidateMissInThatOrder() {
    String out = run.out();
    int miss = out.indexOf("MISS");
    int hit = out.indexOf("HIT", miss);
    int invalidate = out.indexOf("cache.invalidate(\"page:Projects/Alpha#title\")", hit);
    int missAgain = out.indexOf("MISS", invalidate);

    assertThat(miss).isNotNegative();
    assertThat(hit).isGreaterThan(miss);
    assertThat(invalidate).isGreaterThan(hit);
    assertThat(missAgain).isGreaterThan(invalidate);
  }

  @Test
  void requestsHaveTheExpectedOutcomesAndEtags() {
    List<String[]> requests = requests(run.out());

    // viewer, outcome, ETag note
    assertThat(requests).extracting(r -> r[0] + " " + r[1] + " " + r[3]).containsExactly(
        "public MISS new",     // 1. first request
        "public HIT same",     // 2. again
        "public MISS changed", // 4. after Alpha's title changed
        "public HIT same",     // 5. after Alpha's text changed: the page shows only titles
        "alice HIT new",       // 6. shared page, alice's bar
        "bob HIT new",
        "alice HIT same");
    assertThat(requests.get(0)[2]).isEqualTo(requests.get(1)[2]);
    assertThat(requests.get(2)[2]).isNotEqualTo(requests.get(1)[2]);
    assertThat(requests.get(4)[2]).isNotEqualTo(requests.get(5)[2]);
  }

  @Test
  void newContentIsVisibleAfterTheInvalidation() {
    String out = run.out();
    int change = out.indexOf("\n3. ");
    int invalidate = out.indexOf("cache.invalidate(\"page:Projects/Alpha#title\")");

    assertThat(change).isNotNegative().isLessThan(invalidate);
    assertThat(out.substring(0, change)).contains(">Alpha</a>").doesNotContain("Alpha Centauri");
    assertThat(out.substring(invalidate))
        .containsPattern("removed in the background: (/_sidebar/Projects, /wiki/Home|/wiki/Home, /_sidebar/Projects)\\n")
        .contains("- <li><a href=\"/wiki/Projects/Alpha\">Alpha</a></li>")
        .contains("+ <li><a href=\"/wiki/Projects/Alpha\">Alpha Centauri</a></li>");
  }

  @Test
  void editingTextInvalidatesNothingTheHomePageShows() {
    assertThat(run.out()).contains("removed in the background: nothing (no entry depends on it)");
  }

  @Test
  void theSharedPageStaysOneEntry() {
    String out = run.out();

    assertThat(out).contains("rendered: /_bar (user:alice)").contains("rendered: /_bar (user:bob)");
    assertThat(out).containsPattern("(?m)^\\s+/wiki/Home\\s+1  public$");
    assertThat(out).containsPattern("(?m)^\\s+/_bar\\s+3  public, user:alice, user:bob$");
  }

  @Test
  void endsWithTheCacheStats() {
    String out = run.out();

    assertThat(out).contains("Cache stats");
    assertThat(stat(out, "renders")).isEqualTo(7);
    assertThat(stat(out, "hits")).isEqualTo(9);
    assertThat(stat(out, "misses") + stat(out, "stale rejections")).isEqualTo(7);
    assertThat(stat(out, "invalidations")).isEqualTo(2);
    assertThat(stat(out, "entries")).isEqualTo(5);
    assertThat(stat(out, "render failures")).isZero();
  }

  @Test
  void renderMsZeroIsAccepted() {
    Run r = Run.of("demo", "--render-ms=0");

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).containsPattern("database work\\s+0 ms per full render");
  }

  @Test
  void isFastWithTheDefaultRenderTime() {
    long t0 = System.nanoTime();
    Run r = Run.of("demo");
    long millis = (System.nanoTime() - t0) / 1_000_000;

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("100 ms per full render (page 75 ms + sidebar 25 ms)");
    assertThat(millis).isLessThan(3_000);
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "10001", "99999999999"})
  void outOfRangeRenderMsIsAClearUsageError(String value) {
    Run r = Run.of("demo", "--render-ms", value);

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("Invalid value for option '--render-ms'").contains(value);
    assertThat(r.out()).isEmpty();
  }

  @Test
  void nonNumericRenderMsIsAClearUsageError() {
    Run r = Run.of("demo", "--render-ms", "fast");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("Invalid value for option '--render-ms'").contains("'fast'");
  }

  @Test
  void inRangeErrorNamesTheRange() {
    assertThat(Run.of("demo", "--render-ms", "10001").err()).contains("expected: 0..10000");
  }

  private static List<String[]> requests(String out) {
    Matcher m = REQUEST.matcher(out);
    List<String[]> found = new java.util.ArrayList<>();
    while (m.find()) {
      found.add(new String[] {m.group(1) == null ? "public" : m.group(1), m.group(2), m.group(3), m.group(4)});
    }
    return found;
  }

  private static long stat(String out, String name) {
    Matcher m = Pattern.compile("(?m)(?:^|   )\\s*" + Pattern.quote(name) + "\\s+(\\d+)").matcher(out.substring(out.indexOf("Cache stats")));
    assertThat(m.find()).as("stat %s", name).isTrue();
    return Long.parseLong(m.group(1));
  }
}
