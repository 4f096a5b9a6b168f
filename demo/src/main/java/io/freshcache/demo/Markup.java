package io.freshcache.demo;

import static io.freshcache.demo.Html.escape;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The wiki's markup, rendered to HTML with its dependencies declared as it goes.
 *
 * <ul>
 *   <li>paragraphs separated by blank lines; {@code == Heading}; {@code * item} lists;
 *   <li>{@code **bold**}; {@code [[Page/Name]]}: a link showing the target's title (depends on
 *       {@code page:Target#title} only);
 *   <li>on a line of its own: {@code {{include Page}}} (the page's text, rendered in place: depends on
 *       {@code page:Page} and on whatever the included text depends on), {@code {{children Page}}}
 *       ({@code page:Page/*#title}), {@code {{tree Page}}} ({@code page:Page/**#title}), {@code
 *       {{recent N}}} ({@code recent}), {@code {{widget name}}} (a hole: its own cache entry).
 * </ul>
 *
 * Everything taken from the text or the store is HTML-escaped; the only markup in the output is
 * what this class writes.
 */
final class Markup {

  static final int MAX_RECENT = WikiStore.LOG_SIZE;

  private static final Pattern MACRO = Pattern.compile("\\{\\{\\s*([a-z]+)(?:\\s+([^\\s}]+))?\\s*}}");

  private Markup() {}

  /** Renders {@code text} into {@code out}. */
  static void render(String text, RenderContext ctx, StringBuilder out) {
    List<String> paragraph = new ArrayList<>();
    boolean inList = false;
    for (String raw : text.split("\r\n|\r|\n", -1)) {
      String line = raw.strip();
      boolean item = line.startsWith("* ");
      Matcher macro = MACRO.matcher(line);
      boolean block = line.isEmpty() || item || line.startsWith("== ") || macro.matches();
      if (block) {
        flushParagraph(paragraph, ctx, out);
      }
      if (inList && !item) {
        out.append("</ul>\n");
        inList = false;
      }
      if (line.isEmpty()) {
        continue;
      }
      if (item) {
        if (!inList) {
          out.append("<ul>\n");
          inList = true;
        }
        out.append("<li>");
        inline(line.substring(2).strip(), ctx, out);
        out.append("</li>\n");
      } else if (line.startsWith("== ")) {
        out.append("<h2>");
        inline(line.substring(3).strip(), ctx, out);
        out.append("</h2>\n");
      } else if (macro.matches()) {
        macro(macro.group(1), macro.group(2), ctx, out);
      } else {
        paragraph.add(line);
      }
    }
    flushParagraph(paragraph, ctx, out);
    if (inList) {
      out.append("</ul>\n");
    }
  }

  private static void flushParagraph(List<String> lines, RenderContext ctx, StringBuilder out) {
    if (lines.isEmpty()) {
      return;
    }
    out.append("<p>");
    inline(String.join("\n", lines), ctx, out);
    out.append("</p>\n");
    lines.clear();
  }

  /** Bold and links; everything else escaped. */
  static void inline(String s, RenderContext ctx, StringBuilder out) {
    int i = 0;
    while (i < s.length()) {
      int link = s.indexOf("[[", i);
      int bold = s.indexOf("**", i);
      int next = link < 0 ? bold : bold < 0 ? link : Math.min(link, bold);
      if (next < 0) {
        out.append(escape(s.substring(i)));
        return;
      }
      out.append(escape(s.substring(i, next)));
      if (next == link) {
        int end = s.indexOf("]]", link + 2);
        String target = end < 0 ? null : s.substring(link + 2, end).strip();
        if (target == null || !PageNames.isValid(target)) {
          // Not a link after all: show it as typed.
          out.append("[[");
          i = link + 2;
        } else {
          link(target, ctx, out);
          i = end + 2;
        }
      } else {
        int end = s.indexOf("**", bold + 2);
        if (end < 0 || end == bold + 2) {
          out.append("**");
          i = bold + 2;
        } else {
          out.append("<strong>");
          inline(s.substring(bold + 2, end), ctx, out);
          out.append("</strong>");
          i = end + 2;
        }
      }
    }
  }

  /** A link showing the target's title: the only thing of the target it shows. */
  static void link(String target, RenderContext ctx, StringBuilder out) {
    ctx.depend(Tags.title(target));
    Optional<WikiStore.Page> page = ctx.store.get(target);
    if (page.isPresent()) {
      out.append("<a href=\"/").append(escape(target)).append("\">")
          .append(escape(page.get().title())).append("</a>");
    } else {
      out.append("<a class=\"missing\" rel=\"nofollow\" href=\"/edit/").append(escape(target))
          .append("\" title=\"create this page\">").append(escape(target)).append("</a>");
    }
  }

  private static void macro(String name, String arg, RenderContext ctx, StringBuilder out) {
    switch (name) {
      case "include" -> {
        if (checkPage(name, arg, out)) {
          include(arg, ctx, out);
        }
      }
      case "children" -> {
        if (checkPage(name, arg, out)) {
          children(arg, ctx, out);
        }
      }
      case "tree" -> {
        if (checkPage(name, arg, out)) {
          tree(arg, ctx, out);
        }
      }
      case "recent" -> recent(arg, ctx, out);
      case "widget" -> widget(arg, ctx, out);
      default -> error("unknown macro '" + name + "' (expected: include, children, tree, recent, widget)", out);
    }
  }

  private static boolean checkPage(String macro, String arg, StringBuilder out) {
    String problem = PageNames.problem(arg);
    if (problem != null) {
      error(macro + ": " + problem, out);
      return false;
    }
    return true;
  }

  private static void include(String name, RenderContext ctx, StringBuilder out) {
    // The included text shows, and so does whatever it shows in turn: depend on the page as a whole.
    ctx.depend(Tags.page(name));
    Optional<WikiStore.Page> page = ctx.store.get(name);
    if (page.isEmpty()) {
      out.append("<div class=\"include missing\">No page ");
      link(name, ctx, out);
      out.append(" to include.</div>\n");
      return;
    }
    if (!ctx.enter(name)) {
      error("include " + name + ": cycle or nested deeper than " + RenderContext.MAX_INCLUDE_DEPTH, out);
      return;
    }
    try {
      out.append("<div class=\"include\"><div class=\"include-title\">Included from <a href=\"/")
          .append(escape(name)).append("\">").append(escape(page.get().title())).append("</a></div>\n");
      render(page.get().text(), ctx, out);
      out.append("</div>\n");
    } finally {
      ctx.exit();
    }
  }

  private static void children(String name, RenderContext ctx, StringBuilder out) {
    ctx.depend(Tags.childTitles(name));
    List<WikiStore.Page> children = ctx.store.children(name);
    if (children.isEmpty()) {
      out.append("<p class=\"empty\">No pages below ").append(escape(name)).append(".</p>\n");
      return;
    }
    out.append("<ul class=\"children\">\n");
    for (WikiStore.Page p : children) {
      out.append("<li><a href=\"/").append(escape(p.name())).append("\">").append(escape(p.title()))
          .append("</a></li>\n");
    }
    out.append("</ul>\n");
  }

  private static void tree(String name, RenderContext ctx, StringBuilder out) {
    ctx.depend(Tags.subtreeTitles(name));
    List<WikiStore.Page> pages = ctx.store.subtree(name);
    if (pages.isEmpty()) {
      out.append("<p class=\"empty\">No pages below ").append(escape(name)).append(".</p>\n");
      return;
    }
    out.append("<div class=\"tree\">");
    treeLevel(name, pages, out);
    out.append("</div>\n");
  }

  /** One level of a tree; a level with no page of its own (only deeper ones) shows its name. */
  private static void treeLevel(String base, List<WikiStore.Page> pages, StringBuilder out) {
    out.append("<ul>\n");
    String prefix = base + "/";
    String last = null;
    for (WikiStore.Page p : pages) {
      if (!p.name().startsWith(prefix)) {
        continue;
      }
      int slash = p.name().indexOf('/', prefix.length());
      String child = slash < 0 ? p.name() : p.name().substring(0, slash);
      if (child.equals(last)) {
        continue;
      }
      last = child;
      out.append("<li>");
      WikiStore.Page own = find(pages, child);
      if (own != null) {
        out.append("<a href=\"/").append(escape(child)).append("\">").append(escape(own.title())).append("</a>");
      } else {
        out.append("<span class=\"gap\">").append(escape(PageNames.leaf(child))).append("</span>");
      }
      if (hasBelow(pages, child)) {
        treeLevel(child, pages, out);
      }
      out.append("</li>\n");
    }
    out.append("</ul>\n");
  }

  private static WikiStore.Page find(List<WikiStore.Page> pages, String name) {
    for (WikiStore.Page p : pages) {
      if (p.name().equals(name)) {
        return p;
      }
    }
    return null;
  }

  private static boolean hasBelow(List<WikiStore.Page> pages, String name) {
    for (WikiStore.Page p : pages) {
      if (p.name().startsWith(name + "/")) {
        return true;
      }
    }
    return false;
  }

  private static void recent(String arg, RenderContext ctx, StringBuilder out) {
    int n;
    try {
      n = arg == null ? 10 : Integer.parseInt(arg);
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 1 || n > MAX_RECENT) {
      error("recent: '" + arg + "' (expected: a count from 1 to " + MAX_RECENT + ")", out);
      return;
    }
    ctx.depend(Tags.RECENT);
    changes(ctx.store.recent(n), out);
  }

  /**
   * A list of changes. Each shows the title recorded with the change, not the page's current one, so
   * the list depends on the log alone ({@code recent}), which every save changes anyway.
   */
  static void changes(List<WikiStore.Change> changes, StringBuilder out) {
    if (changes.isEmpty()) {
      out.append("<p class=\"empty\">No changes yet.</p>\n");
      return;
    }
    out.append("<ul class=\"changes\">\n");
    for (WikiStore.Change c : changes) {
      out.append("<li><a href=\"/").append(escape(c.name())).append("\">").append(escape(c.title()))
          .append("</a> <span class=\"kind ").append(c.kind().name().toLowerCase(java.util.Locale.ROOT))
          .append("\">").append(c.kind().name().toLowerCase(java.util.Locale.ROOT)).append("</span>")
          .append(" <span class=\"who\">by ").append(escape(c.author())).append(", ")
          .append(Html.time(c.at())).append("</span></li>\n");
    }
    out.append("</ul>\n");
  }

  private static void widget(String name, RenderContext ctx, StringBuilder out) {
    if (name == null || !Dashboard.WIDGETS.contains(name)) {
      error("widget: '" + name + "' (expected: one of " + String.join(", ", Dashboard.WIDGETS) + ")", out);
      return;
    }
    // A hole, not a dependency: the widget is its own cache entry with its own tags, so a build event
    // re-renders one small fragment, not the dashboard page.
    String src = "/_widget/" + name;
    out.append("<div class=\"widget\" data-freshcache-fragment=\"").append(src).append("\">")
        .append(ctx.hole(src)).append("</div>\n");
  }

  private static void error(String message, StringBuilder out) {
    out.append("<p class=\"macro-error\">").append(escape(message)).append("</p>\n");
  }
}
