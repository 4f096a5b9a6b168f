package io.freshcache.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;

/** The markup on its own: what it writes and what it declares. */
class MarkupTest {

  final WikiStore store = new WikiStore(InstantSource.fixed(Instant.parse("2026-12-01T10:00:00Z")));

  RenderContext render(String name, StringBuilder out) {
    RenderContext ctx = new RenderContext(store, src -> "<esi:include src=\"" + src + "\"/>");
    ctx.depend(Tags.page(name));
    ctx.enter(name);
    Markup.render(store.get(name).orElseThrow().text(), ctx, out);
    return ctx;
  }

  @Test
  void blocksAndInlines() {
    store.seed("A", "Page A", "First **bold [[B]]** line\nsame paragraph\n\n== Head\n* one\n* two\nafter", "alice");
    store.seed("B", "Page B", "", "alice");
    StringBuilder out = new StringBuilder();
    RenderContext ctx = render("A", out);
    assertThat(out.toString()).isEqualTo("<p>First <strong>bold <a href=\"/B\">Page B</a></strong> line\nsame paragraph</p>\n"
        + "<h2>Head</h2>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<p>after</p>\n");
    assertThat(ctx.tags()).containsExactly("page:A", "page:B#title");
  }

  @Test
  void unfinishedMarkupIsShownAsTyped() {
    store.seed("A", "A", "a ** b [[ c [[bad name]] d e [[X\n\nx **** y", "alice");
    StringBuilder out = new StringBuilder();
    RenderContext ctx = render("A", out);
    assertThat(out.toString()).isEqualTo("<p>a ** b [[ c [[bad name]] d e [[X</p>\n<p>x **** y</p>\n");
    assertThat(ctx.tags()).containsExactly("page:A");
  }

  @Test
  void includeCyclesAndDepthAreCutOffButStillDeclared() {
    store.seed("A", "A", "{{include B}}", "alice");
    store.seed("B", "B", "in B\n\n{{include A}}\n{{include B}}", "alice");
    StringBuilder out = new StringBuilder();
    RenderContext ctx = render("A", out);
    assertThat(out.toString()).contains("in B", "include A: cycle", "include B: cycle");
    assertThat(ctx.tags()).containsExactly("page:A", "page:B");

    store.seed("C1", "C1", "{{include C2}}", "alice");
    store.seed("C2", "C2", "{{include C3}}", "alice");
    store.seed("C3", "C3", "{{include C4}}", "alice");
    store.seed("C4", "C4", "{{include C5}}", "alice");
    store.seed("C5", "C5", "deepest", "alice");
    StringBuilder deep = new StringBuilder();
    RenderContext d = render("C1", deep);
    assertThat(deep.toString()).doesNotContain("deepest").contains("nested deeper than 4");
    assertThat(d.tags()).contains("page:C5");
  }

  @Test
  void macroErrorsAreEscapedMessages() {
    store.seed("A", "A", "{{nope x}}\n{{recent 0}}\n{{recent x}}\n{{children a..b/_x}}\n{{widget <b>}}", "alice");
    StringBuilder out = new StringBuilder();
    render("A", out);
    assertThat(out.toString()).contains("unknown macro &#39;nope&#39;", "recent: &#39;0&#39;", "recent: &#39;x&#39;",
        "children: page name", "widget: &#39;&lt;b&gt;&#39;").doesNotContain("<b>");
  }

  @Test
  void treesShowGapsAndListingsDeclarePatterns() {
    store.seed("P", "P", "{{tree P}}\n{{children P}}", "alice");
    store.seed("P/A", "Title A", "", "alice");
    store.seed("P/B/C", "Title C", "", "alice");
    StringBuilder out = new StringBuilder();
    RenderContext ctx = render("P", out);
    assertThat(out.toString()).contains("<a href=\"/P/A\">Title A</a>", "<span class=\"gap\">B</span>",
        "<a href=\"/P/B/C\">Title C</a>");
    assertThat(ctx.tags()).containsExactly("page:P", "page:P/**#title", "page:P/*#title");
  }
}
