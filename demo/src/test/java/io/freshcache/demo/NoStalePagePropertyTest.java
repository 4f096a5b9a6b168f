package io.freshcache.demo;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.core.Tag;
import java.net.URLEncoder;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The demo's core correctness property: no stale page through the proxy.
 *
 * <p>For random changes (text edits with random links, includes, listings; renames; creations;
 * deletions; unchanged and conflicting saves; dashboard events), every cacheable response is
 * rendered before and after, and every one whose bytes changed must have declared a tag that the
 * change's invalidation ({@code Cache-Invalidate} of the edit's response, or the tags given to the
 * {@link Invalidator}) matches. If that holds, a proxy that keeps each response until one of its
 * tags is invalidated never serves a stale one.
 *
 * <p>Seeded: {@code -Dfreshcache.demo.seed=N} repeats a run, {@code -Dfreshcache.demo.runs=N} runs
 * longer. The seed is in every failure message.
 */
class NoStalePagePropertyTest {

  static final int RUNS = Integer.getInteger("freshcache.demo.runs", 40);
  static final int STEPS = 40;
  static final List<String> USERS = List.of("alice", "bob", "carol");

  /** Names the random changes create, link to and list, besides the seed pages. */
  static final List<String> CANDIDATES = List.of("Projects/Gamma", "Projects/Alpha/Roadmap/Q4", "People/Dave",
      "Misc", "Misc/Sub", "Misc/Sub/Deep", "Projects/Beta/Notes/Old", "Ideas");

  /** An advancing clock: every change happens a minute after the previous one. */
  static final class StepClock implements InstantSource {
    Instant now = Instant.parse("2026-12-01T10:00:00Z");

    @Override
    public Instant instant() {
      return now;
    }
  }

  record Key(String path, String user) {
    @Override
    public String toString() {
      return path + (user == null ? "" : " as " + user);
    }
  }

  record Rendered(int status, String body, List<String> tags) {}

  static final class World {
    final StepClock clock = new StepClock();
    final WikiStore store = new WikiStore(clock);
    final Dashboard dashboard;
    final Site site;

    World(long seed) {
      Seed.into(store);
      dashboard = new Dashboard(seed, clock.now);
      site = new Site(store, dashboard, true);
    }

    /** Every cacheable response there is, or may be after a change, by path and viewer. */
    Map<Key, Rendered> renderAll() {
      Set<String> names = new TreeSet<>(store.names());
      names.addAll(CANDIDATES);
      List<Key> keys = new ArrayList<>();
      keys.add(new Key("/", null));
      for (String n : names) {
        keys.add(new Key("/" + n, null));
      }
      keys.add(new Key("/_bar", null));
      for (String u : USERS) {
        keys.add(new Key("/_bar", u));
        keys.add(new Key("/_my", u));
      }
      for (String w : Dashboard.WIDGETS) {
        keys.add(new Key("/_widget/" + w, null));
      }
      keys.add(new Key("/_static/wiki.css", null));
      Map<Key, Rendered> result = new LinkedHashMap<>();
      for (Key k : keys) {
        Response r = site.handle(Request.get(k.path(), k.user()));
        String cc = r.header("Cache-Control");
        if (cc.contains("no-store") || !(cc.contains("s-maxage=") || cc.contains("max-age=3600"))) {
          continue;
        }
        String tags = r.header("Cache-Tag");
        assertThat(tags).as("Cache-Tag of cacheable %s", k).isNotBlank();
        result.put(k, new Rendered(r.status(), r.text(), Arrays.asList(tags.split(",\\s*"))));
      }
      return result;
    }

    Response post(String path, String user, Map<String, String> fields) {
      String body = fields.entrySet().stream()
          .map(e -> URLEncoder.encode(e.getKey(), UTF_8) + "=" + URLEncoder.encode(e.getValue(), UTF_8))
          .collect(Collectors.joining("&"));
      return site.handle(new Request("POST", path, Map.of("cookie", "demo_user=" + user,
          "content-type", "application/x-www-form-urlencoded"), body.getBytes(UTF_8)));
    }
  }

  /** A change applied, with what it said was invalidated. */
  record Change(String description, List<String> invalidated) {}

  @Test
  void everyChangedResponseDeclaredATagThatTheChangeInvalidates() {
    long base = Long.getLong("freshcache.demo.seed", new SplittableRandom().nextLong());
    int changed = 0;
    int steps = 0;
    for (int run = 0; run < RUNS; run++) {
      long seed = base + run;
      SplittableRandom random = new SplittableRandom(seed);
      World world = new World(seed);
      Map<Key, Rendered> before = world.renderAll();
      assertThat(world.renderAll()).as("rendering is deterministic (seed %d)", seed).isEqualTo(before);
      for (int step = 0; step < STEPS; step++) {
        world.clock.now = world.clock.now.plus(Duration.ofMinutes(1));
        Change change = randomChange(world, random);
        Map<Key, Rendered> after = world.renderAll();
        for (String inv : change.invalidated()) {
          Tag.parse(inv); // every invalidation is a tag the proxy accepts
        }
        List<String> violations = violations(before, after, change.invalidated());
        assertThat(violations).as("seed %d (-Dfreshcache.demo.seed=%d), run %d, step %d: %s invalidated %s",
            seed, base, run, step, change.description(), change.invalidated()).isEmpty();
        for (Map.Entry<Key, Rendered> e : before.entrySet()) {
          changed += e.getValue().equals(after.get(e.getKey())) ? 0 : 1;
        }
        steps++;
        before = after;
      }
    }
    // The property is only as good as the changes: make sure they changed plenty.
    assertThat(changed).as("responses changed over %d steps", steps).isGreaterThan(steps);
  }

  /** The responses that changed without a matching invalidation, described. */
  static List<String> violations(Map<Key, Rendered> before, Map<Key, Rendered> after, List<String> invalidated) {
    List<String> result = new ArrayList<>();
    for (Map.Entry<Key, Rendered> e : before.entrySet()) {
      Rendered now = after.get(e.getKey());
      if (now != null && now.status() == e.getValue().status() && now.body().equals(e.getValue().body())) {
        continue;
      }
      boolean covered = false;
      for (String dep : e.getValue().tags()) {
        for (String inv : invalidated) {
          boolean match = TagMatch.matches(dep, inv);
          // Our reading of the contract must agree with core's, which the proxy uses.
          assertThat(match).as("TagMatch(%s, %s) against core", dep, inv)
              .isEqualTo(Tag.parse(dep).isInvalidatedBy(Tag.parse(inv)));
          covered |= match;
        }
      }
      if (!covered) {
        result.add(e.getKey() + " changed (status " + e.getValue().status() + " -> "
            + (now == null ? "not cacheable" : now.status()) + ") but declared only " + e.getValue().tags());
      }
    }
    return result;
  }

  static Change randomChange(World w, SplittableRandom random) {
    List<String> existing = w.store.names();
    String user = USERS.get(random.nextInt(USERS.size()));
    int op = random.nextInt(100);
    if (op < 10) {
      return new Change("event", w.dashboard.tick(w.clock.now));
    }
    if (op < 20) {
      Optional<String> absent = CANDIDATES.stream().filter(n -> !existing.contains(n))
          .skip(random.nextInt(CANDIDATES.size())).findFirst();
      if (absent.isPresent()) {
        return save(w, absent.get(), user, "New " + random.nextInt(1000), randomText(w, random), 0, "create");
      }
    }
    String name = existing.get(random.nextInt(existing.size()));
    WikiStore.Page page = w.store.get(name).orElseThrow();
    if (op < 28) {
      Response r = w.post("/delete/" + name, user, Map.of());
      return new Change("delete " + name + " (" + r.status() + ")", invalidated(r));
    }
    if (op < 33) {
      return save(w, name, user, page.title(), page.text(), page.version(), "unchanged save");
    }
    if (op < 37) {
      return save(w, name, user, "Lost", "lost update", page.version() - 1, "conflicting save");
    }
    if (op < 55) {
      return save(w, name, user, randomTitle(random), page.text(), page.version(), "rename");
    }
    if (op < 65) {
      return save(w, name, user, randomTitle(random), randomText(w, random), page.version(), "rename and edit");
    }
    return save(w, name, user, page.title(), randomText(w, random), page.version(), "text edit");
  }

  static Change save(World w, String name, String user, String title, String text, long version, String what) {
    Response r = w.post("/edit/" + name, user, Map.of("version", Long.toString(version), "title", title, "text", text));
    assertThat(r.status()).as("%s of %s", what, name).isIn(303, 409);
    return new Change(what + " of " + name + " as " + user + " (" + r.status() + ")", invalidated(r));
  }

  static List<String> invalidated(Response r) {
    String header = r.header("Cache-Invalidate");
    return header == null ? List.of() : List.of(header.split(",\\s*"));
  }

  static String randomTitle(SplittableRandom random) {
    return List.of("Alpha", "Beta", "Roadmap", "Notes <draft>", "Ideas & plans", "Team").get(random.nextInt(6))
        + " " + random.nextInt(100);
  }

  /** Text using every kind of dependency, pointing at pages that exist and pages that may. */
  static String randomText(World w, SplittableRandom random) {
    List<String> names = new ArrayList<>(new LinkedHashSet<>(w.store.names()));
    names.addAll(CANDIDATES);
    StringBuilder text = new StringBuilder();
    int parts = 1 + random.nextInt(5);
    for (int i = 0; i < parts; i++) {
      String target = names.get(random.nextInt(names.size()));
      switch (random.nextInt(9)) {
        case 0 -> text.append("Plain words ").append(random.nextInt(1000)).append(".\n\n");
        case 1 -> text.append("See **[[").append(target).append("]]** now.\n\n");
        case 2 -> text.append("{{include ").append(target).append("}}\n");
        case 3 -> text.append("{{children ").append(target).append("}}\n");
        case 4 -> text.append("{{tree ").append(target).append("}}\n");
        case 5 -> text.append("{{recent ").append(1 + random.nextInt(5)).append("}}\n");
        case 6 -> text.append("{{widget ").append(Dashboard.WIDGETS.get(random.nextInt(3))).append("}}\n");
        case 7 -> text.append("* [[").append(target).append("]]\n* item\n");
        default -> text.append("== Heading [[").append(target).append("]]\n");
      }
    }
    return text.toString();
  }

  /** Negative control: the check catches a rename announced as a text edit. */
  @Test
  void theCheckCatchesAMissingTitleInvalidation() {
    World w = new World(1);
    Map<Key, Rendered> before = w.renderAll();
    WikiStore.Page alpha = w.store.get("Projects/Alpha").orElseThrow();
    Change rename = save(w, "Projects/Alpha", "bob", "Renamed", alpha.text(), alpha.version(), "rename");
    assertThat(rename.invalidated()).contains("page:Projects/Alpha#title");
    List<String> withoutTitle = rename.invalidated().stream().filter(t -> !t.endsWith("#title")).toList();
    assertThat(violations(before, w.renderAll(), withoutTitle))
        .anySatisfy(v -> assertThat(v).startsWith("/Projects changed"))
        .anySatisfy(v -> assertThat(v).startsWith("/Projects/Beta changed"));
    assertThat(violations(before, w.renderAll(), rename.invalidated())).isEmpty();
  }

  /** And precision: a text edit leaves pages that only link to the page alone. */
  @Test
  void aTextEditChangesNoPageThatOnlyLinksToIt() {
    World w = new World(2);
    Map<Key, Rendered> before = w.renderAll();
    WikiStore.Page alpha = w.store.get("Projects/Alpha").orElseThrow();
    Change edit = save(w, "Projects/Alpha", "bob", alpha.title(), "Different text.", alpha.version(), "text edit");
    Map<Key, Rendered> after = w.renderAll();
    for (Map.Entry<Key, Rendered> e : before.entrySet()) {
      boolean invalidated = e.getValue().tags().stream()
          .anyMatch(dep -> edit.invalidated().stream().anyMatch(inv -> TagMatch.matches(dep, inv)));
      if (e.getKey().path().equals("/Projects") || e.getKey().path().equals("/Projects/Beta")
          || e.getKey().path().equals("/Overview")) {
        assertThat(invalidated).as("%s is kept", e.getKey()).isFalse();
        assertThat(after.get(e.getKey())).isEqualTo(e.getValue());
      }
    }
  }
}
