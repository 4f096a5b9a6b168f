package io.freshcache.demo;

import static io.freshcache.demo.Html.escape;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;

/**
 * The data behind the dashboard's widgets, changed by simulated events (builds finishing, bugs
 * opened and closed) rather than by requests. Each widget is a fragment of its own, {@code
 * /_widget/NAME} with tag {@code widget:NAME}; an event changes one or two widgets and says which.
 *
 * <p>Thread-safe: every method holds this object's monitor.
 */
final class Dashboard {

  static final List<String> WIDGETS = List.of("builds", "bugs", "activity");

  private static final List<String> PROJECTS = List.of("alpha", "beta", "gamma-lib");
  private static final List<String> BUG_TITLES = List.of(
      "Login bar flickers on slow networks", "Tree listing misses deep pages",
      "Edit form loses text over 20k", "Recent changes shows wrong author",
      "Dashboard widget stuck after reconnect", "Title with <angle brackets> breaks links");
  private static final int SHOWN = 5;

  record Build(int number, String project, boolean passed, Instant at) {}

  record Bug(int id, String title, String severity) {}

  record Activity(Instant at, String text) {}

  private final Random random;
  // All guarded by this object's monitor.
  private final Deque<Build> builds = new ArrayDeque<>();
  private final List<Bug> openBugs = new ArrayList<>();
  private final Deque<Activity> activity = new ArrayDeque<>();
  private int nextBuild = 100;
  private int nextBug = 40;
  private int closed;

  Dashboard(long seed, Instant start) {
    this.random = new Random(seed);
    for (int i = 0; i < 3; i++) {
      build(start);
    }
    for (int i = 0; i < 3; i++) {
      openBug(start);
    }
  }

  /**
   * Runs one simulated event at {@code now}.
   *
   * @return the tags of the widgets it changed
   */
  synchronized List<String> tick(Instant now) {
    int kind = random.nextInt(openBugs.isEmpty() ? 2 : 3);
    String changed = switch (kind) {
      case 0 -> build(now);
      case 1 -> openBug(now);
      default -> closeBug(now);
    };
    return List.of(Tags.widget(changed), Tags.widget("activity"));
  }

  private String build(Instant now) {
    Build b = new Build(nextBuild++, PROJECTS.get(random.nextInt(PROJECTS.size())), random.nextInt(4) != 0, now);
    push(builds, b);
    push(activity, new Activity(now, "Build #" + b.number() + " of " + b.project() + (b.passed() ? " passed" : " failed")));
    return "builds";
  }

  private String openBug(Instant now) {
    Bug bug = new Bug(nextBug++, BUG_TITLES.get(random.nextInt(BUG_TITLES.size())),
        random.nextInt(3) == 0 ? "major" : "minor");
    openBugs.add(0, bug);
    push(activity, new Activity(now, "Bug " + bug.id() + " opened: " + bug.title()));
    return "bugs";
  }

  private String closeBug(Instant now) {
    Bug bug = openBugs.remove(random.nextInt(openBugs.size()));
    closed++;
    push(activity, new Activity(now, "Bug " + bug.id() + " closed"));
    return "bugs";
  }

  private static <T> void push(Deque<T> deque, T item) {
    deque.addFirst(item);
    while (deque.size() > SHOWN) {
      deque.removeLast();
    }
  }

  /** The HTML of one widget, or null if there is no such widget. */
  synchronized String render(String widget) {
    StringBuilder out = new StringBuilder(512);
    switch (widget) {
      case "builds" -> {
        out.append("<h2>Builds</h2>\n<ul class=\"builds\">\n");
        for (Build b : builds) {
          out.append("<li class=\"").append(b.passed() ? "ok" : "fail").append("\">#").append(b.number())
              .append(' ').append(escape(b.project())).append(" <b>").append(b.passed() ? "passed" : "failed")
              .append("</b> <span class=\"who\">").append(Html.clock(b.at())).append("</span></li>\n");
        }
        out.append("</ul>\n");
      }
      case "bugs" -> {
        long major = openBugs.stream().filter(b -> b.severity().equals("major")).count();
        out.append("<h2>Bugs</h2>\n<p class=\"big\">").append(openBugs.size()).append(" open <span class=\"who\">(")
            .append(major).append(" major, ").append(closed).append(" closed)</span></p>\n<ul>\n");
        for (Bug b : openBugs.subList(0, Math.min(SHOWN, openBugs.size()))) {
          out.append("<li>").append(b.id()).append(' ').append(escape(b.title())).append(" <span class=\"who\">")
              .append(b.severity()).append("</span></li>\n");
        }
        out.append("</ul>\n");
      }
      case "activity" -> {
        out.append("<h2>Activity</h2>\n<ul class=\"activity\">\n");
        for (Activity a : activity) {
          out.append("<li>").append(escape(a.text())).append(" <span class=\"who\">").append(Html.clock(a.at()))
              .append("</span></li>\n");
        }
        out.append("</ul>\n");
      }
      default -> {
        return null;
      }
    }
    out.append("<p class=\"fragment-tags\">fragment <code>/_widget/").append(widget).append("</code> · Cache-Tag <code>")
        .append(Tags.widget(widget)).append("</code></p>\n");
    return out.toString();
  }
}
