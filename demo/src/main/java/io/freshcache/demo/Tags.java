package io.freshcache.demo;

/**
 * The tags the wiki declares and invalidates; the one place that spells them. The design and the
 * reasons are in {@code docs/demo.md}:
 *
 * <ul>
 *   <li>{@code page:X}: page X as a whole (its existence, title, text, last editor). A page's own
 *       view and every {@code {{include X}}} depend on it. Created and deleted pages are invalidated
 *       whole; because an invalidation of an exact tag also reaches every pattern matching it, this
 *       is what reaches {@code page:Parent/*#title} and {@code page:Ancestor/**#title} dependents.
 *   <li>{@code page:X#title}: only X's title (and existence, as whole-tag invalidations cover every
 *       aspect). Links to X, breadcrumbs, the per-user bar (for the user's own page).
 *   <li>{@code page:X#text}: only X's text. Nobody depends on this aspect alone; it exists so that a
 *       text edit is invalidated as {@code page:X#text}, which reaches dependents of {@code page:X}
 *       but not those of {@code page:X#title}.
 *   <li>{@code page:X/*#title}, {@code page:X/**#title}: the titles (and existence) of X's direct
 *       children and of its whole subtree: {@code {{children X}}} and {@code {{tree X}}}.
 *   <li>{@code recent}: the change log, changed by every save: {@code {{recent N}}} and {@code /_my}.
 *   <li>{@code user:U}, {@code bar}: the per-user bar; {@code widget:W}: one dashboard widget;
 *       {@code static}: style sheet and script.
 * </ul>
 */
final class Tags {

  static final String RECENT = "recent";
  static final String BAR = "bar";
  static final String STATIC = "static";

  private Tags() {}

  static String page(String name) {
    return "page:" + name;
  }

  static String title(String name) {
    return "page:" + name + "#title";
  }

  static String text(String name) {
    return "page:" + name + "#text";
  }

  static String childTitles(String name) {
    return "page:" + name + "/*#title";
  }

  static String subtreeTitles(String name) {
    return "page:" + name + "/**#title";
  }

  static String user(String id) {
    return "user:" + id;
  }

  static String widget(String name) {
    return "widget:" + name;
  }
}
