package io.freshcache.cli;

import io.freshcache.core.CacheKey;
import io.freshcache.core.Content;
import io.freshcache.core.RenderContext;
import io.freshcache.core.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The demo's wiki: a few pages in memory (the "database", slowed down on purpose) and the renderers
 * of the home page, its sidebar fragment and its per-user bar. Page data is written only between
 * requests, by the demo itself.
 */
final class DemoWiki {
  /** The home page: public, shared by every viewer. */
  static final CacheKey HOME = CacheKey.of("/wiki/Home");
  /** The sidebar: a static fragment included in the home page. */
  static final CacheKey SIDEBAR = CacheKey.of("/_sidebar/Projects");
  /** The per-user bar: a hole in the home page, filled for each viewer. */
  static final CacheKey BAR = new CacheKey("/_bar", "show", Scope.VIEWER);

  /** A page's data; a rename changes its title aspect, an edit its text aspect. */
  record PageData(String title, String text) {}

  private final Map<String, PageData> pages = new ConcurrentSkipListMap<>();
  private final long pageWorkMillis;
  private final long sidebarWorkMillis;

  /**
   * @param renderMillis simulated database time of one full render of the home page: three quarters
   *     for the page itself, one quarter for its sidebar
   */
  DemoWiki(long renderMillis) {
    this.sidebarWorkMillis = renderMillis / 4;
    this.pageWorkMillis = renderMillis - sidebarWorkMillis;
    pages.put("Home", new PageData("Home", "Welcome to the demo wiki. Our projects are listed below."));
    pages.put("Projects/Alpha", new PageData("Alpha", "Alpha is our first project."));
    pages.put("Projects/Beta", new PageData("Beta", "Beta follows Alpha."));
    pages.put("Projects/Gamma", new PageData("Gamma", "Gamma is still a plan."));
  }

  long pageWorkMillis() {
    return pageWorkMillis;
  }

  long sidebarWorkMillis() {
    return sidebarWorkMillis;
  }

  /** Changes a page's title (the data behind {@code page:<path>#title}). */
  void rename(String path, String title) {
    pages.computeIfPresent(path, (p, d) -> new PageData(title, d.text()));
  }

  /** Changes a page's text (the data behind {@code page:<path>#text}). */
  void edit(String path, String text) {
    pages.computeIfPresent(path, (p, d) -> new PageData(d.title(), text));
  }

  /** Renders {@link #HOME}: the home page's data, the sidebar (included) and a hole for the bar. */
  Content renderHome(RenderContext ctx) throws InterruptedException {
    ctx.dependsOn("page:Home");
    Thread.sleep(pageWorkMillis); // the "database" query for the page
    PageData home = pages.get("Home");
    String sidebar = ctx.include(SIDEBAR, this::renderSidebar).bodyAsString();
    String bar = ctx.hole(BAR, this::renderBar);
    return Content.html(String.join("\n",
        "<!doctype html>",
        "<title>" + home.title() + " - demo wiki</title>",
        bar,
        "<h1>" + home.title() + "</h1>",
        "<p>" + home.text() + "</p>",
        sidebar,
        ""));
  }

  /** Renders {@link #SIDEBAR}: the titles of the pages directly under Projects/. */
  Content renderSidebar(RenderContext ctx) throws InterruptedException {
    ctx.dependsOn("page:Projects/*#title");
    Thread.sleep(sidebarWorkMillis); // the "database" query for the list
    List<String> lines = new ArrayList<>();
    lines.add("<nav><h2>Projects</h2><ul>");
    pages.forEach((path, data) -> {
      if (path.startsWith("Projects/") && path.indexOf('/', "Projects/".length()) < 0) {
        lines.add("  <li><a href=\"/wiki/" + path + "\">" + data.title() + "</a></li>");
      }
    });
    lines.add("</ul></nav>");
    return Content.html(String.join("\n", lines));
  }

  /** Renders the bar for the viewer the hole is filled for (the key's scope). */
  Content renderBar(RenderContext ctx) {
    Scope viewer = ctx.key().scope();
    if (viewer.kind() == Scope.Kind.USER) {
      ctx.dependsOn("user:" + viewer.name());
      return Content.html("<div class=\"bar\">Signed in as " + viewer.name() + " | <a href=\"/logout\">log out</a></div>");
    }
    return Content.html("<div class=\"bar\"><a href=\"/login\">Sign in</a></div>");
  }
}
