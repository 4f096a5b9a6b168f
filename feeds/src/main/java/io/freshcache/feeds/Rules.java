package io.freshcache.feeds;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rules and per-source settings loaded from YAML, so the common cases need no code:
 *
 * <pre>{@code
 * sources:
 *   - name: postgres-main
 *     gapPolicy: invalidate-all        # or log-only
 *     # further keys are the source's own settings, see sourceSettings()
 * rules:
 *   - name: wiki-pages
 *     source: postgres-*               # glob on the source name (default *)
 *     match: { table: pages, kind: "update|insert" }   # globs on topic (= table), kind (= type)
 *     when:                            # all must hold
 *       - { pointer: /new/status, equals: published }
 *       - { pointer: /new/space, in: [docs, wiki] }
 *       - { pointer: /new/title, exists: true }
 *     invalidate: [ "page:{/new/title}", "page:{/old/title}" ]
 *     prefixes: [ "space:{/new/space}/" ]
 * }</pre>
 *
 * <p>Globs: {@code *}, {@code ?}, alternatives with {@code |}, {@code \} escapes. Templates: see
 * the syntax of {@code {/json/pointer}} and {@code {$id}} placeholders in docs/feeds.md; a template
 * whose pointer is missing or null for a change produces nothing for that change.
 *
 * <p>Everything is checked at load time: unknown keys, bad globs, bad JSON pointers, bad templates
 * and templates that can never form a valid tag fail the load with one {@link
 * IllegalArgumentException} listing every problem as {@code rules[2].when[0].pointer: rule
 * 'wiki-pages': <reason>}.
 */
public final class Rules {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Set<String> TOP_KEYS = Set.of("rules", "sources");
  private static final Set<String> RULE_KEYS = Set.of("name", "source", "match", "when",
      "invalidate", "prefixes");
  private static final Set<String> MATCH_KEYS = Set.of("topic", "table", "kind", "type");
  private static final Set<String> CONDITION_KEYS = Set.of("pointer", "equals", "in", "exists");

  private final List<InvalidationRule> rules;
  private final Map<String, GapPolicy> gapPolicies;
  private final Map<String, JsonNode> sourceSettings;

  private Rules(List<InvalidationRule> rules, Map<String, GapPolicy> gapPolicies,
      Map<String, JsonNode> sourceSettings) {
    this.rules = List.copyOf(rules);
    this.gapPolicies = Map.copyOf(gapPolicies);
    // In file order: tools list the sources as written.
    this.sourceSettings = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sourceSettings));
  }

  /**
   * Loads {@code file}.
   *
   * @throws IllegalArgumentException listing every problem, each with its path and rule name
   * @throws UncheckedIOException if the file cannot be read
   */
  public static Rules load(Path file) {
    requireNonNull(file, "file");
    try {
      return parse(Files.readString(file), file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("rules: cannot read " + file, e);
    }
  }

  /**
   * Parses YAML text; {@code origin} names it in messages (a file name).
   *
   * @throws IllegalArgumentException listing every problem, each with its path and rule name
   */
  public static Rules parse(String yaml, String origin) {
    requireNonNull(yaml, "yaml");
    requireNonNull(origin, "origin");
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (JacksonException e) {
      throw new IllegalArgumentException(origin + ": not valid YAML: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()), e);
    }
    Parser p = new Parser();
    Rules rules = p.document(root);
    if (!p.problems.isEmpty()) {
      throw new IllegalArgumentException(origin + ": " + p.problems.size() + " problem(s) in rules:\n  "
          + String.join("\n  ", p.problems));
    }
    return rules;
  }

  /** The rules, in file order. */
  public List<InvalidationRule> rules() {
    return rules;
  }

  /** The {@code gapPolicy} of each source that declares one. */
  public Map<String, GapPolicy> gapPolicies() {
    return gapPolicies;
  }

  /**
   * Each declared source's settings as written (an object with at least {@code name}), for the
   * code that builds the sources ({@link Sources#fromSettings}), in file order.
   */
  public Map<String, JsonNode> sourceSettings() {
    return sourceSettings;
  }

  /** Walks the tree, collecting problems instead of stopping at the first. */
  private static final class Parser {
    final List<String> problems = new ArrayList<>();

    void problem(String path, String rule, String reason) {
      problems.add(path + ": " + (rule == null ? "" : "rule '" + rule + "': ") + reason);
    }

    Rules document(JsonNode root) {
      List<InvalidationRule> rules = new ArrayList<>();
      Map<String, GapPolicy> policies = new LinkedHashMap<>();
      Map<String, JsonNode> settings = new LinkedHashMap<>();
      if (root == null || root.isMissingNode() || root.isNull()) {
        problem("(document)", null, "empty (expected: a map with 'rules' and optionally 'sources')");
        return new Rules(rules, policies, settings);
      }
      if (!root.isObject()) {
        problem("(document)", null, "a " + root.getNodeType().toString().toLowerCase()
            + " (expected: a map with 'rules' and optionally 'sources')");
        return new Rules(rules, policies, settings);
      }
      unknownKeys(root, TOP_KEYS, "", null);
      JsonNode sources = root.path("sources");
      if (!sources.isMissingNode()) {
        if (!sources.isArray()) {
          problem("sources", null, "not a list (expected: a list of {name: ..., gapPolicy: ...})");
        } else {
          for (int i = 0; i < sources.size(); i++) {
            source(sources.get(i), "sources[" + i + "]", policies, settings);
          }
        }
      }
      JsonNode list = root.path("rules");
      if (!list.isArray()) {
        problem("rules", null, list.isMissingNode() ? "missing (expected: a list of rules)"
            : "not a list (expected: a list of rules)");
        return new Rules(rules, policies, settings);
      }
      Set<String> names = new HashSet<>();
      for (int i = 0; i < list.size(); i++) {
        YamlRule r = rule(list.get(i), "rules[" + i + "]", names);
        if (r != null) {
          rules.add(r);
        }
      }
      return new Rules(rules, policies, settings);
    }

    void source(JsonNode s, String path, Map<String, GapPolicy> policies, Map<String, JsonNode> settings) {
      if (!s.isObject()) {
        problem(path, null, "not a map (expected: {name: ..., gapPolicy: ...})");
        return;
      }
      String name = text(s, "name", path + ".name", null, true);
      if (name == null) {
        return;
      }
      if (settings.containsKey(name)) {
        problem(path + ".name", null, "source '" + name + "' declared twice (expected: unique names)");
      }
      String policy = text(s, "gapPolicy", path + ".gapPolicy", null, false);
      if (policy != null) {
        try {
          policies.put(name, GapPolicy.parse(policy));
        } catch (IllegalArgumentException e) {
          problem(path + ".gapPolicy", null, e.getMessage());
        }
      }
      settings.put(name, ((ObjectNode) s).deepCopy());
    }

    YamlRule rule(JsonNode r, String path, Set<String> names) {
      if (!r.isObject()) {
        problem(path, null, "not a map (expected: {name: ..., invalidate: [...]})");
        return null;
      }
      String name = text(r, "name", path + ".name", null, true);
      String shown = name == null ? "#" + path : name;
      if (name != null && !names.add(name)) {
        problem(path + ".name", shown, "duplicate name (expected: unique rule names)");
      }
      int before = problems.size();
      unknownKeys(r, RULE_KEYS, path + ".", shown);
      Glob source = glob(r, "source", path + ".source", shown);
      Glob topic = Glob.any();
      Glob kind = Glob.any();
      JsonNode match = r.path("match");
      if (!match.isMissingNode()) {
        if (!match.isObject()) {
          problem(path + ".match", shown, "not a map (expected: e.g. {table: pages, kind: update})");
        } else {
          unknownKeys(match, MATCH_KEYS, path + ".match.", shown);
          if (match.has("topic") && match.has("table")) {
            problem(path + ".match", shown, "both 'topic' and 'table' (expected: one; they are the same field)");
          }
          if (match.has("kind") && match.has("type")) {
            problem(path + ".match", shown, "both 'kind' and 'type' (expected: one; they are the same field)");
          }
          topic = glob(match, match.has("table") ? "table" : "topic",
              path + ".match." + (match.has("table") ? "table" : "topic"), shown);
          kind = glob(match, match.has("type") ? "type" : "kind",
              path + ".match." + (match.has("type") ? "type" : "kind"), shown);
        }
      }
      List<YamlRule.Condition> when = new ArrayList<>();
      JsonNode w = r.path("when");
      if (!w.isMissingNode()) {
        if (!w.isArray()) {
          problem(path + ".when", shown, "not a list (expected: a list of {pointer: ..., equals|in|exists: ...})");
        } else {
          for (int i = 0; i < w.size(); i++) {
            YamlRule.Condition c = condition(w.get(i), path + ".when[" + i + "]", shown);
            if (c != null) {
              when.add(c);
            }
          }
        }
      }
      List<Template> tags = templates(r, "invalidate", path, shown, false);
      List<Template> prefixes = templates(r, "prefixes", path, shown, true);
      if (!r.has("invalidate") && !r.has("prefixes")) {
        problem(path, shown, "neither 'invalidate' nor 'prefixes' (expected: at least one tag or prefix template)");
      }
      if (problems.size() > before || name == null) {
        return null;
      }
      return new YamlRule(name, source, topic, kind, when, tags, prefixes);
    }

    YamlRule.Condition condition(JsonNode c, String path, String rule) {
      if (!c.isObject()) {
        problem(path, rule, "not a map (expected: {pointer: /new/x, equals|in|exists: ...})");
        return null;
      }
      unknownKeys(c, CONDITION_KEYS, path + ".", rule);
      String ptr = text(c, "pointer", path + ".pointer", rule, true);
      Object pointer = null;
      if (ptr != null) {
        try {
          pointer = Template.placeholder(ptr, ptr);
        } catch (IllegalArgumentException e) {
          problem(path + ".pointer", rule, e.getMessage());
        }
      }
      int ops = (c.has("equals") ? 1 : 0) + (c.has("in") ? 1 : 0) + (c.has("exists") ? 1 : 0);
      if (ops != 1) {
        problem(path, rule, ops + " of equals/in/exists (expected: exactly one)");
        return null;
      }
      if (c.has("equals")) {
        JsonNode v = c.get("equals");
        if (v.isNull()) {
          problem(path + ".equals", rule, "null (expected: a value; use 'exists: false' for missing or null)");
          return null;
        }
        return pointer == null ? null : new YamlRule.Condition(pointer, YamlRule.Condition.Op.EQUALS, List.of(v), true);
      }
      if (c.has("in")) {
        JsonNode v = c.get("in");
        if (!v.isArray() || v.isEmpty()) {
          problem(path + ".in", rule, "not a non-empty list (expected: e.g. [docs, wiki])");
          return null;
        }
        List<JsonNode> values = new ArrayList<>();
        v.forEach(values::add);
        return pointer == null ? null : new YamlRule.Condition(pointer, YamlRule.Condition.Op.IN, values, true);
      }
      JsonNode v = c.get("exists");
      if (!v.isBoolean()) {
        problem(path + ".exists", rule, "'" + v.asText() + "' (expected: true or false)");
        return null;
      }
      return pointer == null ? null
          : new YamlRule.Condition(pointer, YamlRule.Condition.Op.EXISTS, List.of(), v.booleanValue());
    }

    List<Template> templates(JsonNode r, String key, String path, String rule, boolean asPrefix) {
      JsonNode list = r.path(key);
      if (list.isMissingNode()) {
        return List.of();
      }
      if (list.isTextual()) {
        problem(path + "." + key, rule, "a string (expected: a list, e.g. [\"" + list.asText() + "\"])");
        return List.of();
      }
      if (!list.isArray()) {
        problem(path + "." + key, rule, "not a list (expected: a list of templates)");
        return List.of();
      }
      List<Template> out = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        String p = path + "." + key + "[" + i + "]";
        JsonNode t = list.get(i);
        if (!t.isTextual()) {
          problem(p, rule, "not a string (expected: a template such as 'page:{/new/title}')");
          continue;
        }
        try {
          out.add(Template.parse(t.asText(), asPrefix));
        } catch (IllegalArgumentException e) {
          problem(p, rule, e.getMessage());
        }
      }
      return out;
    }

    Glob glob(JsonNode parent, String key, String path, String rule) {
      JsonNode g = parent.path(key);
      if (g.isMissingNode()) {
        return Glob.any();
      }
      if (!g.isTextual()) {
        problem(path, rule, "not a string (expected: a glob such as 'pages' or 'insert|update')");
        return Glob.any();
      }
      try {
        return Glob.compile(g.asText());
      } catch (IllegalArgumentException e) {
        problem(path, rule, e.getMessage());
        return Glob.any();
      }
    }

    String text(JsonNode parent, String key, String path, String rule, boolean required) {
      JsonNode v = parent.path(key);
      if (v.isMissingNode()) {
        if (required) {
          problem(path, rule, "missing (expected: a string)");
        }
        return null;
      }
      if (!v.isTextual() || v.asText().isBlank()) {
        problem(path, rule, "'" + v.asText() + "' (expected: a non-blank string)");
        return null;
      }
      return v.asText();
    }

    void unknownKeys(JsonNode node, Set<String> known, String prefix, String rule) {
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (!known.contains(k)) {
          problem(prefix + k, rule, "unknown key (expected: one of " + new java.util.TreeSet<>(known) + ")");
        }
      }
    }
  }
}
