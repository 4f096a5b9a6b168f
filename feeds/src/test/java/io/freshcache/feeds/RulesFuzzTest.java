package io.freshcache.feeds;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;

/**
 * Rules files (the YAML form of {@code should_invalidate}) from a fuzzer, and a change to apply
 * them to: the input is the YAML, a NUL byte, then the change's JSON payload. Oracles: a file either
 * parses or is refused with an {@link IllegalArgumentException} whose message names the file; a
 * parsed rule applied to any change returns invalidations (never null, never an exception), with no
 * null or empty tag.
 *
 * <p>In {@code mvn test} this runs once per input under
 * {@code src/test/resources/io/freshcache/feeds/RulesFuzzTestInputs/}; docs/fuzzing.md says how to
 * fuzz it.
 */
class RulesFuzzTest {
  private static final String[][] CHANGES = {
    {"postgres-main", "pages", "update"}, {"postgres-main", "pages", "insert"}, {"couch", "comments", "delete"},
  };

  @FuzzTest(maxDuration = "2m")
  void aRulesFileParsesOrSaysWhy(byte[] input) {
    int nul = 0;
    while (nul < input.length && input[nul] != 0) {
      nul++;
    }
    String yaml = new String(input, 0, nul, StandardCharsets.UTF_8);
    String payload = nul + 1 < input.length
        ? new String(input, nul + 1, input.length - nul - 1, StandardCharsets.UTF_8) : "{}";
    Rules rules;
    try {
      rules = Rules.parse(yaml, "fuzz.yaml");
    } catch (IllegalArgumentException refused) {
      assertThat(refused.getMessage()).as("a refusal names the file").contains("fuzz.yaml");
      return;
    }
    try {
      Changes.JSON.readTree(payload);
    } catch (JsonProcessingException notJson) {
      payload = "{}";
    }
    for (InvalidationRule rule : rules.rules()) {
      for (String[] c : CHANGES) {
        Invalidations inv = rule.apply(Changes.row(c[0], c[1], c[2], payload));
        assertThat(inv).as("rule %s", rule.name()).isNotNull();
        for (String t : inv.tags()) {
          assertThat(t).as("a tag of rule %s", rule.name()).isNotEmpty();
        }
        for (String p : inv.prefixes()) {
          assertThat(p).as("a prefix of rule %s", rule.name()).isNotEmpty();
        }
      }
    }
  }
}
