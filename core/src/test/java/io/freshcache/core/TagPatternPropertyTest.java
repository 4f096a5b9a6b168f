package io.freshcache.core;

import static io.freshcache.testkit.SeededProperty.quoted;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;

import io.freshcache.testkit.SeededProperty;
import io.freshcache.testkit.SeededProperty.Trace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Seeded property tests of {@link Tag} syntax and pattern semantics, checked against a reference
 * model written here from the documentation, both on {@link Tag} itself and end to end through a
 * {@link Freshcache} (invalidate, invalidatePrefix, getIfPresent).
 *
 * <p>The reference model: paths are split on {@code /} (empty segments kept). An exact dependency
 * matches the same path. {@code base/*} matches a path with exactly one segment more than {@code
 * base}, the same leading segments, and a non-empty last segment. {@code base/**} matches a path with
 * more segments than {@code base}, the same leading segments, and a non-empty remainder (so {@code
 * base/} alone is no descendant). A pattern never matches its base. Aspects: a dependency is hit by
 * a changed tag iff the paths match and the aspects are compatible (either side without aspect, or
 * equal).
 *
 * <p>Paths come from a tiny alphabet ({@code p}, {@code pa}, {@code q:x}, then {@code a}, {@code b},
 * {@code ab}, {@code x}) so that equal paths, nesting, and string prefixes that are not segment
 * prefixes ({@code p} / {@code pa}, {@code a} / {@code ab}) happen all the time. A "degenerate"
 * style adds empty segments, leading and trailing slashes.
 *
 * <p>Iterations: {@code -Dfreshcache.property.iterations=N}; seed: {@code
 * -Dfreshcache.property.seed=S} (see {@link SeededProperty}).
 */
class TagPatternPropertyTest {
  private static final String CLASS = "TagPatternPropertyTest";

  // ------------------------------------------------------------------ reference model

  enum RefKind { EXACT, CHILDREN, SUBTREE }

  /** A tag as the reference model sees it. */
  record Ref(String path, RefKind kind, String aspect) {
    String text() {
      String base = switch (kind) {
        case EXACT -> path;
        case CHILDREN -> path + "/*";
        case SUBTREE -> path + "/**";
      };
      return aspect == null ? base : base + "#" + aspect;
    }

    boolean isPattern() {
      return kind != RefKind.EXACT;
    }

    @Override
    public String toString() {
      return quoted(text());
    }
  }

  static List<String> segments(String path) {
    return Arrays.asList(path.split("/", -1));
  }

  /** Whether {@code dep}'s path and kind match the exact path {@code exact} (aspects ignored). */
  static boolean refMatchesPath(Ref dep, String exact) {
    if (dep.kind == RefKind.EXACT) {
      return dep.path.equals(exact);
    }
    List<String> base = segments(dep.path);
    List<String> e = segments(exact);
    if (e.size() <= base.size() || !e.subList(0, base.size()).equals(base)) {
      return false;
    }
    List<String> below = e.subList(base.size(), e.size());
    if (dep.kind == RefKind.CHILDREN) {
      return below.size() == 1 && !below.get(0).isEmpty();
    }
    return !(below.size() == 1 && below.get(0).isEmpty());
  }

  static boolean aspectsCompatible(String a, String b) {
    return a == null || b == null || a.equals(b);
  }

  /** Whether a dependency on {@code dep} is invalidated by invalidating the exact tag {@code changed}. */
  static boolean refInvalidatedBy(Ref dep, Ref changed) {
    return aspectsCompatible(dep.aspect, changed.aspect) && refMatchesPath(dep, changed.path);
  }

  /**
   * Whether {@code dep} names or could match an exact tag whose path starts with {@code prefix}. For
   * a pattern a witness is looked for among {@code base/z}, the prefix itself and the prefix plus
   * {@code z}: if any tag under the prefix matches, one of those does.
   */
  static boolean refCouldBeUnderPrefix(Ref dep, String prefix) {
    if (dep.kind == RefKind.EXACT) {
      return dep.path.startsWith(prefix);
    }
    for (String witness : List.of(dep.path + "/z", prefix, prefix + "z")) {
      if (witness.startsWith(prefix) && refMatchesPath(dep, witness)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether {@code dep} clearly has nothing to do with {@code prefix}: an exact tag not starting with
   * it, or a pattern that cannot match under it and whose first segment is unrelated to the
   * prefix's (the implementation may be conservative for the other patterns).
   */
  static boolean refClearlyNotUnderPrefix(Ref dep, String prefix) {
    if (dep.kind == RefKind.EXACT) {
      return !dep.path.startsWith(prefix);
    }
    String depFirst = firstSegment(dep.path);
    String prefixFirst = firstSegment(prefix);
    return !refCouldBeUnderPrefix(dep, prefix)
        && !depFirst.startsWith(prefixFirst) && !prefixFirst.startsWith(depFirst);
  }

  static String firstSegment(String s) {
    int slash = s.indexOf('/');
    return slash < 0 ? s : s.substring(0, slash);
  }

  /**
   * The reference grammar: at most {@link Tag#MAX_LENGTH} characters; an optional {@code #aspect}
   * after the first {@code #} (non-empty, no {@code /}); a body ending in {@code /**} (subtree) or
   * {@code /*} (children) or neither (exact); a non-empty path; no {@code *}, {@code #}, {@code ,},
   * white space or control characters in path or aspect. Returns null for anything else.
   */
  static Ref refParse(String text) {
    if (text.isEmpty() || text.length() > Tag.MAX_LENGTH || !wellFormedUtf16(text)) {
      return null;
    }
    int hash = text.indexOf('#');
    String body = hash < 0 ? text : text.substring(0, hash);
    String aspect = hash < 0 ? null : text.substring(hash + 1);
    if (aspect != null) {
      if (aspect.isEmpty()) {
        return null;
      }
      for (int i = 0; i < aspect.length(); i++) {
        if (!nameChar(aspect.charAt(i)) || aspect.charAt(i) == '/') {
          return null;
        }
      }
    }
    RefKind kind = RefKind.EXACT;
    String path = body;
    if (body.endsWith("/**")) {
      kind = RefKind.SUBTREE;
      path = body.substring(0, body.length() - 3);
    } else if (body.endsWith("/*")) {
      kind = RefKind.CHILDREN;
      path = body.substring(0, body.length() - 2);
    }
    if (path.isEmpty()) {
      return null;
    }
    for (int i = 0; i < path.length(); i++) {
      if (!nameChar(path.charAt(i))) {
        return null;
      }
    }
    return new Ref(path, kind, aspect);
  }

  /** Whether every surrogate in {@code text} is half of a pair (a lone one is no character). */
  static boolean wellFormedUtf16(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  static boolean nameChar(char c) {
    if (c == '*' || c == '#' || c == ',') {
      return false;
    }
    int type = Character.getType(c);
    return type != Character.CONTROL && type != Character.SPACE_SEPARATOR
        && type != Character.LINE_SEPARATOR && type != Character.PARAGRAPH_SEPARATOR;
  }

  static Tag.Kind toKind(RefKind k) {
    return switch (k) {
      case EXACT -> Tag.Kind.EXACT;
      case CHILDREN -> Tag.Kind.CHILDREN;
      case SUBTREE -> Tag.Kind.SUBTREE;
    };
  }

  // ------------------------------------------------------------------ generators

  enum Style { WELL_FORMED, DEGENERATE }

  private static final String[] FIRST = {"p", "pa", "q:x"};
  private static final String[] SEGMENTS = {"a", "b", "ab", "x"};
  private static final String[] ODD_SEGMENTS = {"", "", "a", "b", "\u00e9", ":", ".", "a.b", "-"};
  private static final String[] ASPECTS = {"t", "u", "tt"};

  static <T> T pick(SplittableRandom r, T[] from) {
    return from[r.nextInt(from.length)];
  }

  static <T> T pick(SplittableRandom r, List<T> from) {
    return from.get(r.nextInt(from.size()));
  }

  static String path(SplittableRandom r, Style style, int minDepth, int maxDepth) {
    int depth = minDepth + r.nextInt(maxDepth - minDepth + 1);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < depth; i++) {
      if (i > 0) {
        b.append('/');
      }
      if (style == Style.WELL_FORMED) {
        b.append(i == 0 ? pick(r, FIRST) : pick(r, SEGMENTS));
      } else {
        b.append(i == 0 && r.nextInt(3) > 0 ? pick(r, FIRST) : pick(r, ODD_SEGMENTS));
      }
    }
    if (style == Style.DEGENERATE && r.nextInt(4) == 0) {
      b.append('/');
    }
    return b.isEmpty() ? "/" : b.toString();
  }

  static String aspect(SplittableRandom r) {
    return r.nextBoolean() ? null : pick(r, ASPECTS);
  }

  static Ref exact(SplittableRandom r, Style style) {
    return new Ref(path(r, style, 1, 4), RefKind.EXACT, aspect(r));
  }

  static Ref pattern(SplittableRandom r, Style style) {
    return new Ref(path(r, style, 1, 3), r.nextBoolean() ? RefKind.CHILDREN : RefKind.SUBTREE, aspect(r));
  }

  static Ref dependency(SplittableRandom r, Style style) {
    return r.nextInt(100) < 45 ? exact(r, style) : pattern(r, style);
  }

  /** An exact tag to invalidate: usually near one of {@code deps} (same path, a child, a parent), else random. */
  static Ref changedNear(SplittableRandom r, Style style, List<Ref> deps) {
    if (deps.isEmpty() || r.nextInt(3) == 0) {
      return exact(r, style);
    }
    Ref d = pick(r, deps);
    String seg = style == Style.WELL_FORMED ? pick(r, SEGMENTS) : pick(r, ODD_SEGMENTS);
    String p = switch (r.nextInt(5)) {
      case 0 -> d.path;
      case 1, 2 -> d.path + "/" + seg;
      case 3 -> d.path + "/" + seg + "/" + pick(r, SEGMENTS);
      default -> d.path.contains("/") ? d.path.substring(0, d.path.lastIndexOf('/')) : d.path + seg;
    };
    if (p.isEmpty()) {
      p = "/";
    }
    String a = switch (r.nextInt(3)) {
      case 0 -> null;
      case 1 -> d.aspect;
      default -> pick(r, ASPECTS);
    };
    return new Ref(p, RefKind.EXACT, a);
  }

  static String prefixNear(SplittableRandom r, Style style, List<Ref> deps) {
    String base = deps.isEmpty() || r.nextInt(4) == 0 ? path(r, style, 1, 4)
        : pick(r, deps).path + (r.nextBoolean() ? "/" + pick(r, SEGMENTS) : "");
    String p = base.substring(0, 1 + r.nextInt(base.length()));
    if (r.nextInt(5) == 0 && !p.endsWith("/")) {
      p += "/";
    }
    return p.isBlank() ? "p" : p;
  }

  // ------------------------------------------------------------------ the registry's prefix ranges

  /**
   * {@code TagRegistry} finds what a prefix invalidation bumps by ranges of its name-ordered index;
   * the definition is {@link TagRegistry#affectedByPrefix} over every state. Both must give the same
   * states, each once, with states retired (and some names created again) between the checks, so an
   * index that kept a retired state or missed a successor fails too. Prefixes come from {@link
   * #prefixNear} and from cutting a registered name anywhere, into its pattern or aspect included.
   */
  @Test
  void prefixInvalidationBumpsExactlyWhatTheDefinitionSays() {
    SeededProperty.forAll(CLASS + "#prefixInvalidationBumpsExactlyWhatTheDefinitionSays", 6_000, 6, (r, trace) -> {
      Style style = r.nextInt(3) == 0 ? Style.DEGENERATE : Style.WELL_FORMED;
      TagRegistry registry = new TagRegistry();
      List<Ref> deps = new ArrayList<>();
      List<String> names = new ArrayList<>();
      for (int i = 1 + r.nextInt(40); i > 0; i--) {
        Ref d = dependency(r, style);
        deps.add(d);
        names.addAll(TagRegistry.dependencyNames(Tag.parse(d.text())));
      }
      for (String name : names) {
        registry.state(name);
      }
      trace.add("names " + names);
      for (int step = 0; step < 6; step++) {
        for (TagState s : registry.snapshotStates()) {
          if (r.nextInt(5) == 0) {
            registry.tryRetire(s); // no entry depends on it, so it goes
            trace.add("retired " + quoted(s.name));
          }
        }
        for (int i = r.nextInt(4); i > 0; i--) {
          String name = pick(r, names);
          registry.state(name);
          trace.add("state " + quoted(name));
        }
        String prefix;
        if (r.nextBoolean()) {
          prefix = prefixNear(r, style, deps);
        } else {
          String name = pick(r, names);
          prefix = name.substring(0, 1 + r.nextInt(name.length()));
        }
        trace.add("invalidatePrefix " + quoted(prefix));
        Set<String> expected = new HashSet<>();
        for (TagState s : registry.snapshotStates()) {
          if (TagRegistry.affectedByPrefix(s.name, prefix)) {
            expected.add(s.name);
          }
        }
        List<String> bumped = new ArrayList<>();
        long v = registry.invalidatePrefix(prefix, s -> bumped.add(s.name));
        assertThat(bumped).as("states bumped by invalidatePrefix(%s)", quoted(prefix))
            .doesNotHaveDuplicates()
            .containsExactlyInAnyOrderElementsOf(expected);
        for (TagState s : registry.snapshotStates()) {
          assertThat(s.version >= v).as("%s at the version of invalidatePrefix(%s)", quoted(s.name), quoted(prefix))
              .isEqualTo(expected.contains(s.name));
        }
      }
    });
  }

  // ------------------------------------------------------------------ properties on Tag

  @Test
  void parseAndToStringRoundTrip() {
    SeededProperty.forAll(CLASS + "#parseAndToStringRoundTrip", 30_000, 1, (r, trace) -> {
      Style style = r.nextBoolean() ? Style.WELL_FORMED : Style.DEGENERATE;
      Ref ref = dependency(r, style);
      String text = ref.text();
      trace.add("text=" + quoted(text) + " expected " + ref.path + " " + ref.kind + " aspect=" + ref.aspect);
      Tag t = Tag.parse(text);
      assertThat(t.path()).as("path of %s", quoted(text)).isEqualTo(ref.path);
      assertThat(t.kind()).as("kind of %s", quoted(text)).isEqualTo(toKind(ref.kind));
      assertThat(t.aspect()).as("aspect of %s", quoted(text)).isEqualTo(ref.aspect);
      assertThat(t.isPattern()).isEqualTo(ref.isPattern());
      assertThat(t.toString()).as("toString of parse(%s)", quoted(text)).isEqualTo(text);
      assertThat(Tag.parse(t.toString())).isEqualTo(t);
      assertThat(new Tag(ref.path, toKind(ref.kind), ref.aspect)).isEqualTo(t);
      Tag whole = t.whole();
      assertThat(whole.aspect()).isNull();
      assertThat(whole.path()).isEqualTo(t.path());
      assertThat(whole.kind()).isEqualTo(t.kind());
      assertThat(Tag.parse(whole.toString())).isEqualTo(whole);
    });
  }

  @Test
  void matchesPathAndIsInvalidatedByAgreeWithTheReference() {
    SeededProperty.forAll(CLASS + "#matchesPathAndIsInvalidatedByAgreeWithTheReference", 40_000, 1, (r, trace) -> {
      Style style = r.nextInt(3) == 0 ? Style.DEGENERATE : Style.WELL_FORMED;
      Ref dep = dependency(r, style);
      Ref changed = changedNear(r, style, List.of(dep));
      trace.add("dependency " + dep + ", changed " + changed);
      Tag d = Tag.parse(dep.text());
      Tag c = Tag.parse(changed.text());
      assertThat(d.matchesPath(changed.path))
          .as("%s.matchesPath(%s)", dep, quoted(changed.path)).isEqualTo(refMatchesPath(dep, changed.path));
      assertThat(d.isInvalidatedBy(c))
          .as("%s.isInvalidatedBy(%s)", dep, changed).isEqualTo(refInvalidatedBy(dep, changed));
      // aspects only narrow: the whole dependency is hit whenever an aspect of it is
      if (d.isInvalidatedBy(c)) {
        assertThat(d.whole().isInvalidatedBy(c)).as("whole of %s by %s", dep, changed).isTrue();
        assertThat(d.isInvalidatedBy(c.whole())).as("%s by whole of %s", dep, changed).isTrue();
      }
      Ref asPattern = pattern(r, style);
      assertThatThrownBy(() -> d.isInvalidatedBy(Tag.parse(asPattern.text())))
          .as("isInvalidatedBy(pattern %s)", asPattern)
          .isInstanceOf(IllegalArgumentException.class);
    });
  }

  // ------------------------------------------------------------------ end to end through the cache

  /** What the model knows of one live entry. */
  record Live(List<Ref> deps, String body) {}

  /** A cache plus the reference model of which entries must be present. */
  static final class CacheModel implements AutoCloseable {
    final Freshcache cache = Freshcache.builder().build();
    final Map<CacheKey, Live> live = new LinkedHashMap<>();
    final List<CacheKey> gone = new ArrayList<>();
    final SplittableRandom r;
    final Trace trace;
    final Style style;
    int next;

    CacheModel(SplittableRandom r, Trace trace, Style style) {
      this.r = r;
      this.trace = trace;
      this.style = style;
    }

    List<Ref> randomDeps() {
      int n = r.nextInt(10) < 7 ? 1 : 2 + r.nextInt(2);
      List<Ref> deps = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        deps.add(dependency(r, style));
      }
      return deps;
    }

    List<Ref> allDeps() {
      List<Ref> all = new ArrayList<>();
      live.values().forEach(l -> all.addAll(l.deps));
      return all;
    }

    /** Renders {@code key} depending on {@code deps}; checks it is then present with the declared tags. */
    void render(CacheKey key, List<Ref> deps, String body) {
      String[] texts = deps.stream().map(Ref::text).toArray(String[]::new);
      trace.add("render " + key.resource() + " dependsOn " + deps);
      Renderer renderer = ctx -> {
        ctx.dependsOn(texts);
        return Content.text(body);
      };
      for (int attempt = 1; ; attempt++) {
        Page got = cache.get(key, renderer);
        assertThat(new String(got.body(), UTF_8)).as("body of %s", key).isEqualTo(body);
        Page present = cache.getIfPresent(key);
        if (present != null) {
          assertThat(new String(present.body(), UTF_8)).as("body of %s", key).isEqualTo(body);
          assertThat(present.tags()).as("tags() of %s declared as %s", key, deps)
              .containsExactlyElementsOf(new LinkedHashSet<>(Arrays.asList(texts)));
          break;
        }
        // A render may legitimately go uncached if a tag state retired under it (a rare race with
        // the background sweep); never three times in a row.
        if (attempt == 3) {
          fail("%s rendered 3 times (dependsOn %s) but getIfPresent returned null each time", key, deps);
        }
      }
      live.put(key, new Live(deps, body));
    }

    void addEntries() {
      int adds = live.size() < 8 ? 2 + r.nextInt(6) : r.nextInt(3);
      for (int i = 0; i < adds; i++) {
        int n = next++;
        render(CacheKey.of("/e/" + n), randomDeps(), "body " + n);
      }
      if (!gone.isEmpty() && r.nextInt(4) == 0) {
        CacheKey again = gone.remove(r.nextInt(gone.size()));
        render(again, randomDeps(), "again " + next++);
      }
    }

    /** Invalidates 1 (sometimes 2) exact tags and checks every live entry against the reference. */
    void invalidateStep() {
      List<Ref> deps = allDeps();
      List<Ref> changed = new ArrayList<>();
      int n = r.nextInt(8) == 0 ? 2 : 1;
      for (int i = 0; i < n; i++) {
        changed.add(changedNear(r, style, deps));
      }
      trace.add("invalidate " + changed);
      cache.invalidate(changed.stream().map(Ref::text).toArray(String[]::new));
      List<String> wrong = new ArrayList<>();
      List<CacheKey> nowGone = new ArrayList<>();
      for (Map.Entry<CacheKey, Live> e : live.entrySet()) {
        boolean expectGone = e.getValue().deps.stream()
            .anyMatch(d -> changed.stream().anyMatch(c -> refInvalidatedBy(d, c)));
        Page p = cache.getIfPresent(e.getKey());
        if (expectGone && p != null) {
          wrong.add(e.getKey().resource() + " dependsOn " + e.getValue().deps + " survived invalidate "
              + changed + " (expected: gone)");
        } else if (!expectGone && p == null) {
          wrong.add(e.getKey().resource() + " dependsOn " + e.getValue().deps + " was removed by invalidate "
              + changed + " (expected: present, no dependency matches)");
        } else if (p != null) {
          assertThat(new String(p.body(), UTF_8)).isEqualTo(e.getValue().body);
        }
        if (p == null) {
          nowGone.add(e.getKey());
        }
      }
      assertThat(wrong).as("after invalidate %s", changed).isEmpty();
      settle(nowGone);
    }

    /** Invalidates a prefix: entries that could be under it must go, clearly unrelated ones must stay. */
    void prefixStep() {
      String prefix = prefixNear(r, style, allDeps());
      trace.add("invalidatePrefix " + quoted(prefix));
      cache.invalidatePrefix(prefix);
      List<String> wrong = new ArrayList<>();
      List<CacheKey> nowGone = new ArrayList<>();
      for (Map.Entry<CacheKey, Live> e : live.entrySet()) {
        List<Ref> deps = e.getValue().deps;
        boolean mustGo = deps.stream().anyMatch(d -> refCouldBeUnderPrefix(d, prefix));
        boolean mustStay = deps.stream().allMatch(d -> refClearlyNotUnderPrefix(d, prefix));
        Page p = cache.getIfPresent(e.getKey());
        if (mustGo && p != null) {
          wrong.add(e.getKey().resource() + " dependsOn " + deps + " survived invalidatePrefix "
              + quoted(prefix) + " (expected: gone)");
        } else if (mustStay && p == null) {
          wrong.add(e.getKey().resource() + " dependsOn " + deps + " was removed by invalidatePrefix "
              + quoted(prefix) + " (expected: present, nothing can be under the prefix)");
        }
        if (p == null) {
          nowGone.add(e.getKey());
        }
      }
      assertThat(wrong).as("after invalidatePrefix %s", quoted(prefix)).isEmpty();
      settle(nowGone);
    }

    /** Moves entries found gone out of the live set; checks a few earlier ones stay gone. */
    void settle(List<CacheKey> nowGone) {
      for (int i = 0; i < 3 && !gone.isEmpty(); i++) {
        CacheKey old = pick(r, gone);
        assertThat(cache.getIfPresent(old)).as("%s was invalidated earlier and came back", old).isNull();
      }
      for (CacheKey k : nowGone) {
        live.remove(k);
        gone.add(k);
      }
    }

    @Override
    public void close() {
      cache.close();
    }
  }

  private static final int STEPS_PER_TRIAL = 40;

  private static void runCacheModel(SplittableRandom r, Trace trace, Style style, int prefixPercent) {
    try (CacheModel m = new CacheModel(r, trace, style)) {
      for (int step = 0; step < STEPS_PER_TRIAL; step++) {
        m.addEntries();
        if (r.nextInt(100) < prefixPercent) {
          m.prefixStep();
        } else {
          m.invalidateStep();
        }
      }
    }
  }

  @Test
  void invalidateRemovesExactlyTheDependentsTheReferenceSays() {
    SeededProperty.forAll(CLASS + "#invalidateRemovesExactlyTheDependentsTheReferenceSays", 20_000,
        STEPS_PER_TRIAL, (r, trace) -> runCacheModel(r, trace, Style.WELL_FORMED, 0));
  }

  @Test
  void invalidatePrefixRemovesEverythingThatCouldBeUnderThePrefix() {
    SeededProperty.forAll(CLASS + "#invalidatePrefixRemovesEverythingThatCouldBeUnderThePrefix", 10_000,
        STEPS_PER_TRIAL, (r, trace) -> runCacheModel(r, trace, Style.WELL_FORMED, 35));
  }

  /**
   * The same with empty segments, leading and trailing slashes: the cache must agree with {@link
   * Tag#isInvalidatedBy} there too.
   */
  @Test
  void invalidateAgreesWithTagSemanticsForEmptySegmentsAndTrailingSlashes() {
    SeededProperty.forAll(CLASS + "#invalidateAgreesWithTagSemanticsForEmptySegmentsAndTrailingSlashes", 6_000,
        STEPS_PER_TRIAL, (r, trace) -> runCacheModel(r, trace, Style.DEGENERATE, 15));
  }

  /** The cache agrees with {@link Tag#isInvalidatedBy} itself, not only with the reference model. */
  @Test
  void cacheAgreesWithTagIsInvalidatedBy() {
    SeededProperty.forAll(CLASS + "#cacheAgreesWithTagIsInvalidatedBy", 1_500, 1, (r, trace) -> {
      Style style = r.nextInt(4) == 0 ? Style.DEGENERATE : Style.WELL_FORMED;
      Ref dep = dependency(r, style);
      Ref changed = changedNear(r, style, List.of(dep));
      trace.add("dependency " + dep + ", invalidate " + changed);
      boolean expected = Tag.parse(dep.text()).isInvalidatedBy(Tag.parse(changed.text()));
      try (Freshcache cache = Freshcache.builder().build()) {
        CacheKey key = CacheKey.of("/one");
        cache.get(key, ctx -> {
          ctx.dependsOn(dep.text());
          return Content.text("x");
        });
        cache.invalidate(changed.text());
        assertThat(cache.getIfPresent(key) == null)
            .as("entry depending on %s gone after invalidate %s (Tag.isInvalidatedBy says %s)", dep, changed, expected)
            .isEqualTo(expected);
      }
    });
  }

  // ------------------------------------------------------------------ malformed tags

  /** Characters that a mutation inserts: valid ones, syntax ones, and every kind of forbidden one. */
  private static final char[] POOL = {'a', 'b', '/', '/', '*', '*', '#', ',', ':', '\u00e9', ' ', '\t', '\n', '\r',
      '\u000B', '\f', '\u0000', '\u001B', '\u001F', '\u007F', '\u0080', '\u0085', '\u009F', '\u00A0', '\u1680',
      '\u2003', '\u2028', '\u2029', '\u202F', '\u3000', '\uD83D', '\uDE00'};
  private static final String[] TOKENS = {"*", "**", "/*", "/**", "#", "#t", "/", "//", ",", " ", "##", "*#t"};

  /** A valid tag with one or two random mutations; may still be valid. */
  static String mutated(SplittableRandom r) {
    StringBuilder b = new StringBuilder(dependency(r, r.nextBoolean() ? Style.WELL_FORMED : Style.DEGENERATE).text());
    int n = 1 + r.nextInt(2);
    for (int i = 0; i < n; i++) {
      int at = r.nextInt(b.length() + 1);
      switch (r.nextInt(6)) {
        case 0 -> b.insert(at, POOL[r.nextInt(POOL.length)]);
        case 1 -> {
          if (b.length() > 0) {
            b.deleteCharAt(Math.min(at, b.length() - 1));
          }
        }
        case 2 -> {
          if (b.length() > 0) {
            b.setCharAt(Math.min(at, b.length() - 1), POOL[r.nextInt(POOL.length)]);
          }
        }
        case 3 -> b.insert(at, pick(r, TOKENS));
        case 4 -> b.append(pick(r, TOKENS));
        default -> b.insert(0, pick(r, TOKENS));
      }
    }
    return b.toString();
  }

  /** Whether {@code message} contains {@code text}, allowing control characters and lone surrogates to be masked. */
  static boolean namesTheTag(String message, String text) {
    if (message == null) {
      return false;
    }
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1));
      boolean lone = Character.isSurrogate(c) && !paired;
      if (paired) {
        re.append(Pattern.quote(text.substring(i, i + 2))); // the pair as one code point
        i++;
        continue;
      }
      re.append(Character.isISOControl(c) || lone ? "(?s:.)" : Pattern.quote(String.valueOf(c)));
    }
    return Pattern.compile(re.toString()).matcher(message).find();
  }

  static void assertRejectedNamingTheTag(Throwable thrown, String text, String what) {
    assertThat(thrown).as("%s %s", what, quoted(text)).isInstanceOf(IllegalArgumentException.class);
    String message = thrown.getMessage();
    if (text.isBlank()) {
      assertThat(message).as("message of %s %s", what, quoted(text)).contains("blank");
    } else if (text.length() <= Tag.MAX_LENGTH) {
      assertThat(namesTheTag(message, text))
          .as("message of %s %s names the tag; message: %s", what, quoted(text), quoted(message)).isTrue();
    }
  }

  @Test
  void parseAcceptsExactlyTheReferenceGrammarAndNamesRejectedTags() {
    SeededProperty.forAll(CLASS + "#parseAcceptsExactlyTheReferenceGrammarAndNamesRejectedTags", 40_000, 1,
        (r, trace) -> {
          String text = mutated(r);
          Ref ref = refParse(text);
          trace.add("text=" + quoted(text) + " reference: " + (ref == null ? "invalid" : ref.path + " " + ref.kind
              + " aspect=" + ref.aspect));
          if (ref != null) {
            Tag t = Tag.parse(text);
            assertThat(t.path()).as("path of %s", quoted(text)).isEqualTo(ref.path);
            assertThat(t.kind()).as("kind of %s", quoted(text)).isEqualTo(toKind(ref.kind));
            assertThat(t.aspect()).as("aspect of %s", quoted(text)).isEqualTo(ref.aspect);
            assertThat(t.toString()).isEqualTo(text);
          } else {
            assertRejectedNamingTheTag(catchThrowable(() -> Tag.parse(text)), text, "Tag.parse");
          }
        });
  }

  /** The examples the documentation and the brief name, through Tag.parse, invalidate and dependsOn. */
  @Test
  void documentedMalformedTagsAreRejectedEverywhereNamingTheTag() {
    List<String> malformed = List.of("", " ", "\t \n", "page:Pro*", "a/*/b", "*", "a*", "a/b*", "a/*x",
        "a/**/b", "a/**b", "**", "a/***", "a/**/*", "a#", "a/*#", "a/**#", "a#b#c", "a##b", "#a", "#",
        "a b", "a\tb", "a\u00A0b", "a\u2003b", " a", "a ", "a,b", "a/b,c", "a\u0000b", "a\u0001", "a\u007Fb",
        "a\u0085b", "a\nb", "/*", "/**", "/*#t", "a#t/u", "a#t*", "page:Foo#ti tle");
    try (Freshcache cache = Freshcache.builder().build()) {
      CacheKey ok = CacheKey.of("/ok");
      cache.get(ok, ctx -> {
        ctx.dependsOn("page:Ok");
        return Content.text("ok");
      });
      for (String text : malformed) {
        assertThat(refParse(text)).as("reference model rejects %s", quoted(text)).isNull();
        assertRejectedNamingTheTag(catchThrowable(() -> Tag.parse(text)), text, "Tag.parse");
        assertRejectedNamingTheTag(catchThrowable(() -> cache.invalidate(text)), text, "invalidate");
        AtomicReference<Throwable> inRenderer = new AtomicReference<>();
        CacheKey key = CacheKey.of("/bad");
        Throwable thrown = catchThrowable(() -> cache.get(key, ctx -> {
          inRenderer.set(catchThrowable(() -> ctx.dependsOn(text)));
          ctx.dependsOn(text);
          return Content.text("never");
        }));
        assertRejectedNamingTheTag(inRenderer.get(), text, "dependsOn");
        assertThat(thrown).as("get with a renderer declaring %s", quoted(text)).isInstanceOf(RenderException.class)
            .hasCauseInstanceOf(IllegalArgumentException.class);
        assertThat(cache.getIfPresent(key)).isNull();
        assertThat(cache.getIfPresent(ok)).as("unrelated entry after the failures for %s", quoted(text)).isNotNull();
      }
      for (String pattern : List.of("page:Projects/*", "page:Projects/**", "a/*#t", "a/**#t")) {
        Throwable thrown = catchThrowable(() -> cache.invalidate(pattern));
        assertThat(thrown).as("invalidate(%s)", pattern).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining(pattern);
      }
      cache.invalidate("page:Ok");
      assertThat(cache.getIfPresent(ok)).isNull();
      assertThat(cache.get(ok, ctx -> {
        ctx.dependsOn("page:Ok");
        return Content.text("ok2");
      }).body()).asString(UTF_8).isEqualTo("ok2");
      assertThat(cache.getIfPresent(ok)).isNotNull();
    }
  }

  /**
   * Failed calls (invalidate of a malformed tag or a pattern, a renderer declaring a malformed tag,
   * a blank or too long prefix) have no effect, and the cache keeps working exactly per the model.
   */
  @Test
  void failedCallsLeaveTheCacheWorking() {
    SeededProperty.forAll(CLASS + "#failedCallsLeaveTheCacheWorking", 6_000, STEPS_PER_TRIAL, (r, trace) -> {
      try (CacheModel m = new CacheModel(r, trace, Style.WELL_FORMED)) {
        for (int step = 0; step < STEPS_PER_TRIAL; step++) {
          m.addEntries();
          int op = r.nextInt(4);
          String bad;
          do {
            bad = op == 0 && r.nextInt(3) == 0 ? pattern(r, Style.WELL_FORMED).text() : mutated(r);
          } while (refParse(bad) != null && (op != 0 || !refParse(bad).isPattern()));
          String badTag = bad;
          switch (op) {
            case 0 -> {
              trace.add("invalidate " + quoted(badTag) + " (must fail)");
              Throwable thrown = catchThrowable(() -> m.cache.invalidate(badTag));
              assertThat(thrown).as("invalidate(%s)", quoted(badTag)).isInstanceOf(IllegalArgumentException.class);
              if (refParse(badTag) == null) {
                assertRejectedNamingTheTag(thrown, badTag, "invalidate");
              } else {
                assertThat(thrown).hasMessageContaining(badTag);
              }
            }
            case 1 -> {
              // the renderer declares a valid tag, then a malformed one, and lets the exception out
              CacheKey key = CacheKey.of("/failed/" + m.next++);
              Ref valid = dependency(r, Style.WELL_FORMED);
              trace.add("render " + key.resource() + " dependsOn " + valid + " then " + quoted(badTag) + " (must fail)");
              Throwable thrown = catchThrowable(() -> m.cache.get(key, ctx -> {
                ctx.dependsOn(valid.text());
                ctx.dependsOn(badTag);
                return Content.text("never");
              }));
              assertThat(thrown).isInstanceOf(RenderException.class).hasCauseInstanceOf(IllegalArgumentException.class);
              if (refParse(badTag) == null) {
                assertRejectedNamingTheTag(thrown.getCause(), badTag, "dependsOn");
              }
              assertThat(m.cache.getIfPresent(key)).as("failed render of %s cached", key).isNull();
            }
            case 2 -> {
              // the renderer catches the rejection and carries on: the entry has its valid tags only
              CacheKey key = CacheKey.of("/caught/" + m.next++);
              List<Ref> deps = m.randomDeps();
              trace.add("render " + key.resource() + " dependsOn " + deps + " catching " + quoted(badTag));
              String body = "caught " + key.resource();
              for (int attempt = 1; ; attempt++) {
                AtomicReference<Throwable> caught = new AtomicReference<>();
                Page p = m.cache.get(key, ctx -> {
                  for (Ref d : deps) {
                    ctx.dependsOn(d.text());
                    caught.compareAndSet(null, catchThrowable(() -> ctx.dependsOn(badTag)));
                  }
                  return Content.text(body);
                });
                assertThat(caught.get()).as("dependsOn(%s)", quoted(badTag))
                    .isInstanceOf(IllegalArgumentException.class);
                assertThat(p.tags()).containsExactlyElementsOf(
                    new LinkedHashSet<>(deps.stream().map(Ref::text).toList()));
                if (m.cache.getIfPresent(key) != null) {
                  break;
                }
                if (attempt == 3) { // see CacheModel.render: once may go uncached, not thrice
                  fail("%s rendered 3 times but getIfPresent returned null each time", key);
                }
              }
              m.live.put(key, new Live(deps, body));
            }
            default -> {
              String prefix = r.nextBoolean() ? pick(r, new String[] {"", " ", "\t", " \n "})
                  : "p/" + "a".repeat(Tag.MAX_LENGTH);
              trace.add("invalidatePrefix " + quoted(prefix.length() > 20 ? prefix.substring(0, 20) + "..." : prefix)
                  + " (must fail)");
              assertThatThrownBy(() -> m.cache.invalidatePrefix(prefix)).isInstanceOf(IllegalArgumentException.class);
            }
          }
          for (Map.Entry<CacheKey, Live> e : m.live.entrySet()) {
            assertThat(m.cache.getIfPresent(e.getKey()))
                .as("%s dependsOn %s after a failed call", e.getKey().resource(), e.getValue().deps).isNotNull();
          }
          m.invalidateStep();
        }
      }
    });
  }

  // ------------------------------------------------------------------ findings kept as failing tests

  /**
   * A tag longer than {@link Tag#MAX_LENGTH} is rejected, and the message names it (its beginning at
   * least: the first 32 characters), as for every other malformed tag. Exactly MAX_LENGTH is fine.
   */
  @Test
  void tooLongTagsAreRejectedNamingTheTag() {
    SeededProperty.forAll(CLASS + "#tooLongTagsAreRejectedNamingTheTag", 2_000, 1, (r, trace) -> {
      Ref shape = dependency(r, Style.WELL_FORMED);
      String suffix = shape.text().substring(shape.path.length()); // "/*", "#t", ...
      int length = r.nextInt(4) == 0 ? Tag.MAX_LENGTH : Tag.MAX_LENGTH + 1 + r.nextInt(200);
      StringBuilder p = new StringBuilder(shape.path);
      while (p.length() + suffix.length() < length) {
        p.append(r.nextInt(4) == 0 ? '/' : (char) ('a' + r.nextInt(3)));
      }
      if (p.charAt(p.length() - 1) == '/') {
        p.setCharAt(p.length() - 1, 'z');
      }
      String text = p + suffix;
      trace.add("length " + text.length() + ": " + quoted(text));
      if (text.length() <= Tag.MAX_LENGTH) {
        assertThat(Tag.parse(text).toString()).isEqualTo(text);
        return;
      }
      Throwable thrown = catchThrowable(() -> Tag.parse(text));
      assertThat(thrown).isInstanceOf(IllegalArgumentException.class);
      assertThat(thrown.getMessage()).as("message for a %d-character tag", text.length())
          .contains(text.substring(0, 32));
    });
  }

  /**
   * Rejection messages never carry raw control characters nor lone surrogates (tags often come from
   * user input and the messages end up in logs and JSON errors).
   */
  @Test
  void rejectionMessagesContainNoControlCharacters() {
    SeededProperty.forAll(CLASS + "#rejectionMessagesContainNoControlCharacters", 30_000, 1, (r, trace) -> {
      String text = mutated(r);
      if (refParse(text) != null) {
        return;
      }
      trace.add("text=" + quoted(text));
      String message = catchThrowable(() -> Tag.parse(text)).getMessage();
      assertThat(message.chars().filter(c -> Character.isISOControl(c)).toArray())
          .as("control characters in the message for %s: %s", quoted(text), quoted(message)).isEmpty();
      assertThat(wellFormedUtf16(message)).as("lone surrogates in the message for %s", quoted(text)).isTrue();
    });
  }

  /**
   * The record constructor validates the components to the same grammar as {@link Tag#parse}, so
   * every Tag that exists prints as a string that parses back to it (the documentation: "at most
   * MAX_LENGTH characters in all").
   */
  @Test
  void everyConstructibleTagRoundTripsThroughItsText() {
    SeededProperty.forAll(CLASS + "#everyConstructibleTagRoundTripsThroughItsText", 20_000, 1, (r, trace) -> {
      Ref shape = dependency(r, Style.WELL_FORMED);
      int target = r.nextBoolean() ? shape.path.length() : Tag.MAX_LENGTH - 8 + r.nextInt(16);
      StringBuilder p = new StringBuilder(shape.path);
      while (p.length() < target) {
        p.append((char) ('a' + r.nextInt(3)));
      }
      String aspect = shape.aspect == null ? null : shape.aspect + "x".repeat(r.nextInt(12));
      trace.add("new Tag(path of " + p.length() + " chars, " + shape.kind + ", " + quoted(aspect) + ")");
      Tag t;
      try {
        t = new Tag(p.toString(), toKind(shape.kind), aspect);
      } catch (IllegalArgumentException rejected) {
        return;
      }
      String text = t.toString();
      Throwable thrown = catchThrowable(() -> assertThat(Tag.parse(text)).isEqualTo(t));
      assertThat(thrown).as("Tag.parse(new Tag(...).toString()) with %d characters (constructor accepted it)",
          text.length()).isNull();
    });
  }
}
