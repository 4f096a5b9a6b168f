package io.freshcache.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.freshcache.feeds.ChangeSource;
import io.freshcache.feeds.Checkpoints;
import io.freshcache.feeds.InvalidationRule;
import io.freshcache.feeds.Rules;
import io.freshcache.feeds.Sources;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A feeds file (docs/feeds.md) as {@code serve --feeds} and {@code feeds check} read it: the rules,
 * and every declared source built (not started) to check its settings. Reading never stops at the
 * first problem: the rules' problems and every source's are listed together, each as {@code <path>:
 * rule|source '<name>': <reason>}.
 */
final class FeedsFile {
  private static final YAMLMapper YAML = new YAMLMapper();
  /** {@code source '<name>': <key>: <reason>}, as {@link Sources#fromSettings} words a problem. */
  private static final Pattern SOURCE_PROBLEM = Pattern.compile("source '(.*)': (\\w+): (.*)");

  final Path file;
  /** The rules, or null if they have problems. */
  final Rules rules;
  /** Each source's settings by name, in file order (empty if the rules have problems). */
  final Map<String, JsonNode> sourceSettings;
  final List<String> problems;
  /** Not errors, but probably not what was meant: a rule no source feeds. */
  final List<String> warnings;

  private FeedsFile(Path file, Rules rules, Map<String, JsonNode> sourceSettings, List<String> problems,
      List<String> warnings) {
    this.file = file;
    this.rules = rules;
    this.sourceSettings = sourceSettings;
    this.problems = List.copyOf(problems);
    this.warnings = List.copyOf(warnings);
  }

  /** Reads and checks {@code file}; never throws for what is in it (see {@link #problems}). */
  static FeedsFile read(Path file) {
    List<String> problems = new ArrayList<>();
    if (!Files.isRegularFile(file)) {
      problems.add(file + ": no such file");
      return new FeedsFile(file, null, Map.of(), problems, List.of());
    }
    Rules rules = null;
    try {
      rules = Rules.load(file);
    } catch (IllegalArgumentException e) {
      // "<file>: N problem(s) in rules:\n  <problem>\n  ...", or one message ("not valid YAML",
      // whose parser text spans lines: made one line here).
      String m = e.getMessage();
      int heading = m.indexOf(" problem(s) in rules:\n");
      if (heading >= 0) {
        for (String line : m.substring(m.indexOf('\n', heading) + 1).split("\n")) {
          problems.add(line.strip());
        }
      } else {
        problems.add(m.replaceAll("\\s*\\R\\s*", " "));
      }
    } catch (UncheckedIOException e) {
      problems.add(file + ": cannot read it: " + e.getCause().getMessage());
      return new FeedsFile(file, null, Map.of(), problems, List.of());
    }
    // The sources are checked even when the rules have problems, so one run shows everything.
    Map<String, JsonNode> settings = new LinkedHashMap<>();
    JsonNode list = sourcesList(file);
    for (int i = 0; i < list.size(); i++) {
      JsonNode entry = list.get(i);
      String name = entry.path("name").asText("");
      if (!entry.isObject() || name.isBlank()) {
        continue; // Rules reported it
      }
      try {
        Sources.fromSettings(entry, Checkpoints.inMemory());
        settings.putIfAbsent(name, entry);
      } catch (IllegalArgumentException e) {
        for (String line : e.getMessage().split("\n")) {
          Matcher m = SOURCE_PROBLEM.matcher(line);
          problems.add(m.matches()
              ? "sources[" + i + "]." + m.group(2) + ": source '" + m.group(1) + "': " + m.group(3)
              : "sources[" + i + "]: " + line);
        }
      }
    }
    List<String> warnings = new ArrayList<>();
    if (rules != null && problems.isEmpty()) {
      if (settings.isEmpty()) {
        warnings.add(file + ": no sources (serve --feeds needs at least one under 'sources:')");
      } else {
        for (InvalidationRule r : rules.rules()) {
          if (settings.keySet().stream().noneMatch(r::appliesTo)) {
            warnings.add("rule '" + r.name() + "' applies to none of the sources " + settings.keySet());
          }
        }
      }
    }
    return new FeedsFile(file, problems.isEmpty() ? rules : null, settings, problems, warnings);
  }

  /** The {@code sources:} list as written, or an empty list if there is none or it is not one. */
  private static JsonNode sourcesList(Path file) {
    try {
      JsonNode root = YAML.readTree(file.toFile());
      JsonNode list = root == null ? null : root.path("sources");
      return list != null && list.isArray() ? list : YAML.createArrayNode();
    } catch (IOException e) {
      return YAML.createArrayNode(); // not YAML: Rules reported it
    }
  }

  boolean ok() {
    return problems.isEmpty();
  }

  /** The problems as one block: a heading line, then one indented line each. */
  String report() {
    return file + ": " + problems.size() + " problem(s):\n  " + String.join("\n  ", problems);
  }

  /**
   * Builds the sources with {@code checkpoints}; only after {@link #ok()}, when every source was
   * built once already.
   */
  List<ChangeSource> sources(Checkpoints checkpoints) {
    if (!ok()) {
      throw new IllegalStateException(report());
    }
    List<ChangeSource> out = new ArrayList<>();
    for (JsonNode s : sourceSettings.values()) {
      out.add(Sources.fromSettings(s, checkpoints));
    }
    return out;
  }

  /** A source's type as the file gives it (postgres when left out). */
  static String type(JsonNode settings) {
    return settings.path("type").asText("postgres");
  }
}
