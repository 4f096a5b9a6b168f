package io.freshcache.demo;

/** The pages the wiki starts with: a small site that uses every kind of dependency. */
final class Seed {

  private Seed() {}

  static void into(WikiStore store) {
    store.seed("Home", "Welcome to the Freshcache wiki", """
        This wiki is an ordinary web application behind the **Freshcache** proxy. Every page tells the proxy \
        what it depends on (see the footer), and every edit tells it exactly what changed, so pages are \
        cached for an hour yet never stale.

        == Start here
        * [[Projects]] lists its children's titles: it depends on the pattern page:Projects/*#title.
        * [[Projects/Alpha]] includes [[Projects/Alpha/Roadmap]]: edit the roadmap and Alpha changes too.
        * [[Overview]] shows whole subtrees; [[Dashboard]] has widgets fed by background events.
        * [[People]] has a page per user; the bar at the top is a per-user fragment.

        == Recent changes
        {{recent 5}}
        """, "alice");
    store.seed("Projects", "Projects", """
        Our projects. The list below shows each child page's **title**, so it changes when a project is \
        created, deleted or renamed, and not when a project's text is edited.

        {{children Projects}}
        """, "alice");
    store.seed("Projects/Alpha", "Project Alpha", """
        Alpha is the **caching layer** of the product. It is led by [[People/Alice]], with [[People/Bob]] \
        reviewing. Its sister project is [[Projects/Beta]].

        {{include Projects/Alpha/Roadmap}}
        """, "alice");
    store.seed("Projects/Alpha/Roadmap", "Alpha roadmap", """
        * Q1: tag patterns and aspects
        * Q2: the caching proxy with ESI
        * Q3: change feeds from the database
        """, "bob");
    store.seed("Projects/Beta", "Project Beta", """
        Beta is the **mobile client**, led by [[People/Carol]]. It reads from [[Projects/Alpha]].

        {{children Projects/Beta}}
        """, "carol");
    store.seed("Projects/Beta/Notes", "Beta meeting notes", """
        Decided to ship offline mode first. Open question for [[People/Bob]]: do we cache per user?
        """, "carol");
    store.seed("People", "People", """
        Everyone on the team.

        {{children People}}
        """, "bob");
    store.seed("People/Alice", "Alice Liddell", """
        Alice leads [[Projects/Alpha]]. Log in as alice and your bar shows this page's title.
        """, "alice");
    store.seed("People/Bob", "Bob Builder", """
        Bob reviews [[Projects/Alpha]] and keeps the build green.
        """, "bob");
    store.seed("People/Carol", "Carol Danvers", """
        Carol leads [[Projects/Beta]].
        """, "carol");
    store.seed("Overview", "Site overview", """
        Every page under Projects and People, as trees: each depends on a subtree pattern of titles.

        {{tree Projects}}
        {{tree People}}
        """, "bob");
    store.seed("Recent", "Recent changes", """
        The last twenty saves, newest first.

        {{recent 20}}
        """, "bob");
    store.seed("Dashboard", "Dashboard", """
        Each widget is a fragment with its own cache entry and tag, updated by simulated build and bug \
        events while this page itself stays cached.

        {{widget builds}}
        {{widget bugs}}
        {{widget activity}}
        """, "carol");
  }
}
