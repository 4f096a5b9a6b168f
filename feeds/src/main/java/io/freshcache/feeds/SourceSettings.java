package io.freshcache.feeds;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * Reads one entry of a rules file's {@code sources:} list for a source's {@code fromSettings}
 * method: each value is type-checked and handed to a builder setter, and every problem (unknown
 * key, wrong type, a value the builder refused) is collected, so that one exception lists them
 * all. Each problem reads {@code source '<name>': <key>: <reason> (expected: ...)}.
 *
 * <pre>{@code
 * public static MySource fromSettings(JsonNode settings, Checkpoints checkpoints) {
 *   SourceSettings s = SourceSettings.of(settings, "my-type", Set.of("url", "timeout"));
 *   s.require("url", "e.g. http://127.0.0.1:8000");
 *   Builder b = s.create("name", () -> builder(s.name()));
 *   s.text("url", b::url);
 *   s.duration("timeout", b::timeout);
 *   return s.build(() -> b.checkpoints(checkpoints).build());
 * }
 * }</pre>
 *
 * <p>Not thread-safe: one instance per {@code fromSettings} call.
 */
public final class SourceSettings {
  /**
   * Keys every entry may have besides the source's own: {@code name}, {@code type} (which source
   * class, see {@link Sources}) and {@code gapPolicy} (read by {@link Rules}).
   */
  public static final Set<String> COMMON_KEYS = Set.of("name", "type", "gapPolicy");

  private final JsonNode settings;
  private final String name;
  private final List<String> problems = new ArrayList<>();

  private SourceSettings(JsonNode settings, String name) {
    this.settings = settings;
    this.name = name;
  }

  /**
   * Starts reading {@code settings} for a source of {@code type}: checks the name, that {@code
   * type}, if given, is this one, and that every key is one of {@code keys} or {@link
   * #COMMON_KEYS}. ({@code gapPolicy} is the feed's, not the source's: {@link Rules} checks it.)
   *
   * @throws IllegalArgumentException if {@code settings} is not a map
   */
  public static SourceSettings of(JsonNode settings, String type, Set<String> keys) {
    requireNonNull(settings, "settings");
    requireNonNull(type, "type");
    requireNonNull(keys, "keys");
    if (!settings.isObject()) {
      throw new IllegalArgumentException("source: a " + settings.getNodeType().toString().toLowerCase(Locale.ROOT)
          + " (expected: a map such as {name: ..., type: " + type + ", ...})");
    }
    JsonNode n = settings.path("name");
    SourceSettings s = new SourceSettings(settings,
        n.isTextual() && !n.asText().isBlank() ? n.asText() : "");
    if (s.name.isEmpty()) {
      s.problem("name", (n.isMissingNode() ? "missing" : "'" + n.asText() + "'")
          + " (expected: a non-blank string)");
    }
    JsonNode t = settings.path("type");
    if (!t.isMissingNode() && !type.equals(t.asText())) {
      s.problem("type", "'" + t.asText() + "' (expected: " + type + " for this source)");
    }
    Set<String> known = new HashSet<>(keys);
    known.addAll(COMMON_KEYS);
    for (Iterator<String> it = settings.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!known.contains(key)) {
        s.problem(key, "unknown key (expected: one of " + new TreeSet<>(known) + ")");
      }
    }
    return s;
  }

  /** The source's name, or empty if it has none (a problem then). */
  public String name() {
    return name;
  }

  /** Whether {@code key} is present (and not null). */
  public boolean has(String key) {
    return !settings.path(key).isMissingNode() && !settings.path(key).isNull();
  }

  /** Records a problem with {@code key} if it is absent; {@code example} says what to write. */
  public void require(String key, String example) {
    if (!has(key)) {
      problem(key, "missing (expected: " + example + ")");
    }
  }

  /** Records a problem with {@code key}; {@code reason} ends with what was expected. */
  public void problem(String key, String reason) {
    problems.add("source '" + (name.isEmpty() ? "(unnamed)" : name) + "': " + key + ": " + reason);
  }

  /** A non-blank string, if present, to {@code setter}. */
  public void text(String key, Consumer<String> setter) {
    JsonNode v = settings.path(key);
    if (!has(key)) {
      return;
    }
    if (!v.isValueNode() || v.asText().isBlank()) {
      problem(key, shown(v) + " (expected: a non-blank string)");
      return;
    }
    apply(key, () -> setter.accept(v.asText()));
  }

  /** An integer (a YAML number or its text), if present, to {@code setter}. */
  public void integer(String key, IntConsumer setter) {
    JsonNode v = settings.path(key);
    if (!has(key)) {
      return;
    }
    int n;
    if (v.isIntegralNumber() && v.canConvertToInt()) {
      n = v.intValue();
    } else {
      try {
        n = Integer.parseInt(v.isTextual() ? v.asText().strip() : "x");
      } catch (NumberFormatException e) {
        problem(key, shown(v) + " (expected: an integer)");
        return;
      }
    }
    apply(key, () -> setter.accept(n));
  }

  /** {@code true} or {@code false}, if present, to {@code setter}. */
  public void bool(String key, Consumer<Boolean> setter) {
    JsonNode v = settings.path(key);
    if (!has(key)) {
      return;
    }
    String t = v.asText().strip().toLowerCase(Locale.ROOT);
    if (!v.isValueNode() || !(t.equals("true") || t.equals("false"))) {
      problem(key, shown(v) + " (expected: true or false)");
      return;
    }
    apply(key, () -> setter.accept(t.equals("true")));
  }

  /** A duration ({@link #parseDuration}), if present, to {@code setter}. */
  public void duration(String key, Consumer<Duration> setter) {
    JsonNode v = settings.path(key);
    if (!has(key)) {
      return;
    }
    Duration d;
    try {
      d = parseDuration(v.isValueNode() ? v.asText() : v.toString(), key);
    } catch (IllegalArgumentException e) {
      problems.add("source '" + (name.isEmpty() ? "(unnamed)" : name) + "': " + e.getMessage());
      return;
    }
    apply(key, () -> setter.accept(d));
  }

  /** A list of non-blank strings (a single string counts as a list of one), if present. */
  public void strings(String key, Consumer<List<String>> setter) {
    JsonNode v = settings.path(key);
    if (!has(key)) {
      return;
    }
    List<String> out = new ArrayList<>();
    if (v.isTextual() && !v.asText().isBlank()) {
      out.add(v.asText());
    } else if (v.isArray() && !v.isEmpty()) {
      for (JsonNode e : v) {
        if (!e.isValueNode() || e.isNull() || e.asText().isBlank()) {
          problem(key, "element " + shown(e) + " (expected: a non-blank string)");
          return;
        }
        out.add(e.asText());
      }
    } else {
      problem(key, shown(v) + " (expected: a string or a non-empty list of strings)");
      return;
    }
    apply(key, () -> setter.accept(List.copyOf(out)));
  }

  /**
   * Creates what the rest is read into (a builder); if that fails, nothing more can be read, so it
   * throws at once with every problem so far.
   *
   * @throws IllegalArgumentException listing every problem, if {@code create} threw
   */
  public <T> T create(String key, Supplier<T> create) {
    T t = null;
    if (!name.isEmpty()) {
      try {
        t = create.get();
      } catch (IllegalArgumentException | IllegalStateException e) {
        problem(key, withoutKey(key, e.getMessage()));
      }
    }
    if (t == null) {
      throw new IllegalArgumentException(String.join("\n", problems));
    }
    return t;
  }

  /**
   * Builds the source once everything was read.
   *
   * @throws IllegalArgumentException listing every problem (one per line), if there were any or
   *     {@code build} threw
   */
  public <T> T build(Supplier<T> build) {
    if (problems.isEmpty()) {
      try {
        return build.get();
      } catch (IllegalArgumentException | IllegalStateException e) {
        problems.add("source '" + name + "': " + e.getMessage());
      }
    }
    throw new IllegalArgumentException(String.join("\n", problems));
  }

  /**
   * Parses a duration as settings write it: {@code 500ms}, {@code 10s}, {@code 5m}, {@code 2h},
   * {@code 7d}, or ISO-8601 ({@code PT1M30S}).
   *
   * @param key names the value in the message
   * @throws IllegalArgumentException {@code <key>: '<text>' (expected: e.g. 500ms, 10s, 5m, 2h, 7d)}
   */
  public static Duration parseDuration(String text, String key) {
    requireNonNull(text, "text");
    String t = text.strip().toLowerCase(Locale.ROOT);
    try {
      if (t.startsWith("p")) {
        return Duration.parse(text.strip().toUpperCase(Locale.ROOT));
      }
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      long n = Long.parseLong(t.substring(0, t.length() - 1));
      switch (t.charAt(t.length() - 1)) {
        case 's': return Duration.ofSeconds(n);
        case 'm': return Duration.ofMinutes(n);
        case 'h': return Duration.ofHours(n);
        case 'd': return Duration.ofDays(n);
        default: break;
      }
    } catch (RuntimeException e) {
      // fall through to the message below
    }
    throw new IllegalArgumentException(key + ": '" + text + "' (expected: e.g. 500ms, 10s, 5m, 2h, 7d)");
  }

  /** Runs a builder setter; what it refuses becomes a problem of {@code key}. */
  private void apply(String key, Runnable setter) {
    try {
      setter.run();
    } catch (IllegalArgumentException | IllegalStateException e) {
      problem(key, withoutKey(key, e.getMessage()));
    }
  }

  /** Builder messages start with the option's name, usually the key: do not say it twice. */
  private static String withoutKey(String key, String message) {
    return message != null && message.startsWith(key + ": ") ? message.substring(key.length() + 2)
        : String.valueOf(message);
  }

  private static String shown(JsonNode v) {
    return v.isContainerNode() ? "a " + (v.isArray() ? "list" : "map") : "'" + v.asText() + "'";
  }
}
