package io.freshcache.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/config-table.md has one row per setting, in order, with its key, option and default: the
 * ProxyConfig components, then serve's own (feeds, feedsCheckpoints), which are CLI/YAML only.
 */
class ConfigTableTest {

  @Test
  void everySettingHasItsRow() throws Exception {
    Path table = Path.of("").toAbsolutePath().resolveSibling("docs").resolve("config-table.md");
    assumeTrue(Files.isRegularFile(table), "docs/config-table.md next to the cli module");
    String text = Files.readString(table);

    List<String> keys = new ArrayList<>();
    Matcher row = Pattern.compile("(?m)^\\| `(\\w+)` \\| `([^`]+)` \\| ([^|]+) \\|").matcher(text);
    while (row.find()) {
      String key = row.group(1);
      keys.add(key);
      ServeOptions.Setting s = ServeOptions.setting(key);
      assertThat(s).as("row %s names a setting", key).isNotNull();
      assertThat(row.group(2)).as(key).contains(s.option().substring(2));
      // The default's first word, as help shows it: "256m", "none", "0", "$FRESHCACHE_ADMIN_TOKEN".
      String first = s.defaultText().split("[ :,]")[0];
      assertThat(row.group(3).replace("`", "")).as(key).startsWith(first);
    }
    assertThat(keys).isEqualTo(ServeOptions.allSettings().stream().map(ServeOptions.Setting::key).toList());
  }
}
