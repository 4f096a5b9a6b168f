package io.freshcache.feeds;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A rule declared in YAML (see {@link Rules} for the syntax): matches a change by source and
 * topic/kind globs and JSON-pointer conditions, then fills tag and prefix templates. Immutable.
 */
final class YamlRule implements InvalidationRule {

  /** One {@code when} entry. */
  record Condition(Object pointer, Op op, List<JsonNode> values, boolean exists) {
    enum Op { EQUALS, IN, EXISTS }

    boolean test(Change change) {
      JsonNode v = Template.resolve(pointer, change);
      return switch (op) {
        case EXISTS -> (v != null) == exists;
        case EQUALS, IN -> v != null && values.stream().anyMatch(want -> same(want, v));
      };
    }

    /**
     * YAML {@code equals: 3} and JSON {@code "3"} compare equal, as do {@code true} and {@code
     * "true"}: rules are written by people who do not think about a column's JSON type.
     */
    private static boolean same(JsonNode want, JsonNode got) {
      if (want.isContainerNode() || got.isContainerNode()) {
        return want.equals(got);
      }
      return want.asText().equals(got.asText());
    }
  }

  private final String name;
  private final Glob source;
  private final Glob topic;
  private final Glob kind;
  private final List<Condition> when;
  private final List<Template> tags;
  private final List<Template> prefixes;
  private final Invalidations onGap;

  YamlRule(String name, Glob source, Glob topic, Glob kind, List<Condition> when,
      List<Template> tags, List<Template> prefixes) {
    this.name = name;
    this.source = source;
    this.topic = topic;
    this.kind = kind;
    this.when = List.copyOf(when);
    this.tags = List.copyOf(tags);
    this.prefixes = List.copyOf(prefixes);
    this.onGap = gapInvalidations();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean appliesTo(String sourceName) {
    return source.matches(sourceName);
  }

  @Override
  public Invalidations apply(Change change) {
    if (!source.matches(change.source()) || !topic.matches(change.topic())
        || !kind.matches(change.kind())) {
      return Invalidations.none();
    }
    for (Condition c : when) {
      if (!c.test(change)) {
        return Invalidations.none();
      }
    }
    List<String> t = fill(tags, change);
    List<String> p = fill(prefixes, change);
    return t.isEmpty() && p.isEmpty() ? Invalidations.none() : Invalidations.of(t, p);
  }

  private static List<String> fill(List<Template> templates, Change change) {
    if (templates.isEmpty()) {
      return List.of();
    }
    List<String> out = new ArrayList<>(templates.size());
    for (Template t : templates) {
      String s = t.fill(change);
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  @Override
  public Invalidations onGap() {
    return onGap;
  }

  /**
   * Everything this rule could produce: each literal tag; for a template, every tag starting with
   * its literal text before the first placeholder; the whole cache if that text is empty.
   */
  private Invalidations gapInvalidations() {
    List<String> t = new ArrayList<>();
    List<String> p = new ArrayList<>();
    for (Template tag : tags) {
      if (tag.isLiteral()) {
        t.add(tag.literalPrefix());
      } else if (tag.literalPrefix().isBlank()) {
        return Invalidations.everything();
      } else {
        p.add(tag.literalPrefix());
      }
    }
    for (Template prefix : prefixes) {
      if (prefix.literalPrefix().isBlank()) {
        return Invalidations.everything();
      }
      p.add(prefix.literalPrefix());
    }
    return Invalidations.of(t, p);
  }

  @Override
  public String toString() {
    return "rule '" + name + "'";
  }
}
