package io.freshcache.demo;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The wiki's pages and change log, in memory.
 *
 * <p>Thread-safe: every method holds the store's monitor, so a save (compare, write, log) is atomic
 * and readers see whole pages. A render reads several pages one call at a time and may see a save
 * half-way through its reads; that is fine behind the proxy, which takes its snapshot before asking
 * the origin and so never keeps such a render once the save's invalidation is done.
 */
final class WikiStore {

  /** One page. {@code version} counts saves, for detecting concurrent edits. */
  record Page(String name, String title, String text, String author, Instant modified, long version) {}

  /** One entry of the change log, with the title the page had after the change. */
  record Change(String name, String title, String author, Instant at, Kind kind) {
    enum Kind {
      CREATED,
      EDITED,
      DELETED
    }
  }

  /** What a save did. */
  sealed interface SaveResult {
    /** The page was written; {@code before} is null for a created page. */
    record Saved(Page before, Page after) implements SaveResult {}

    /** Title and text were already as given; nothing was written. */
    record Unchanged(Page current) implements SaveResult {}

    /** The page changed since the editor loaded it ({@code current} is null if it was deleted). */
    record Conflict(Page current) implements SaveResult {}
  }

  static final int LOG_SIZE = 50;

  private final InstantSource clock;
  // Both guarded by this store's monitor.
  private final NavigableMap<String, Page> pages = new TreeMap<>();
  private final Deque<Change> log = new ArrayDeque<>();

  WikiStore(InstantSource clock) {
    this.clock = requireNonNull(clock, "clock");
  }

  synchronized Optional<Page> get(String name) {
    return Optional.ofNullable(pages.get(name));
  }

  synchronized List<String> names() {
    return new ArrayList<>(pages.keySet());
  }

  /** Existing pages strictly below {@code name}, in name order. */
  synchronized List<Page> subtree(String name) {
    String prefix = name + "/";
    // '0' is the character after '/', so this is exactly the names starting with the prefix.
    return new ArrayList<>(pages.subMap(prefix, true, name + "0", false).values());
  }

  /** Existing pages exactly one level below {@code name}, in name order. */
  synchronized List<Page> children(String name) {
    List<Page> result = new ArrayList<>();
    for (Page p : subtree(name)) {
      if (p.name().indexOf('/', name.length() + 1) < 0) {
        result.add(p);
      }
    }
    return result;
  }

  synchronized boolean hasChildren(String name) {
    return !subtree(name).isEmpty();
  }

  /** The newest {@code n} changes, newest first. */
  synchronized List<Change> recent(int n) {
    List<Change> result = new ArrayList<>(Math.min(n, log.size()));
    for (Change c : log) {
      if (result.size() == n) {
        break;
      }
      result.add(c);
    }
    return result;
  }

  /**
   * Creates or updates a page.
   *
   * @param expectedVersion the version the editor saw: 0 to create a page that must not exist yet
   */
  synchronized SaveResult save(String name, String title, String text, String author, long expectedVersion) {
    Page before = pages.get(name);
    long current = before == null ? 0 : before.version();
    if (current != expectedVersion) {
      return new SaveResult.Conflict(before);
    }
    if (before != null && before.title().equals(title) && before.text().equals(text)) {
      return new SaveResult.Unchanged(before);
    }
    Instant now = clock.instant();
    Page after = new Page(name, title, text, author, now, current + 1);
    pages.put(name, after);
    record(new Change(name, title, author, now, before == null ? Change.Kind.CREATED : Change.Kind.EDITED));
    return new SaveResult.Saved(before, after);
  }

  /** Deletes a page; returns the deleted page, or empty if there was none. */
  synchronized Optional<Page> delete(String name, String author) {
    Page before = pages.remove(name);
    if (before != null) {
      record(new Change(name, before.title(), author, clock.instant(), Change.Kind.DELETED));
    }
    return Optional.ofNullable(before);
  }

  /** Writes a page at version 1, logged as created, without checks: for seeding only. */
  synchronized void seed(String name, String title, String text, String author) {
    Instant now = clock.instant();
    pages.put(name, new Page(name, title, text, author, now, 1));
    record(new Change(name, title, author, now, Change.Kind.CREATED));
  }

  private void record(Change change) {
    log.addFirst(change);
    while (log.size() > LOG_SIZE) {
      log.removeLast();
    }
  }
}
