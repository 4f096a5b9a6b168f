package io.freshcache.feeds;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What one change invalidates: exact tags (for {@code Freshcache.invalidate}) and tag prefixes
 * (for {@code Freshcache.invalidatePrefix}), possibly none; or, when a rule cannot say, everything.
 *
 * @param tags exact tags, e.g. {@code page:Projects/Alpha}; not yet validated against the tag
 *     syntax (the feed validates each and skips, with a log line, those that are malformed)
 * @param prefixes tag prefixes, e.g. {@code space:docs/}
 * @param all whether the whole cache must go: what a code rule that cannot enumerate its
 *     tags answers to a gap
 */
public record Invalidations(List<String> tags, List<String> prefixes, boolean all) {
  private static final Invalidations NONE = new Invalidations(List.of(), List.of(), false);
  private static final Invalidations EVERYTHING = new Invalidations(List.of(), List.of(), true);

  /** Copies the lists (dropping duplicates, keeping order). */
  public Invalidations {
    tags = List.copyOf(new LinkedHashSet<>(requireNonNull(tags, "tags")));
    prefixes = List.copyOf(new LinkedHashSet<>(requireNonNull(prefixes, "prefixes")));
  }

  /** Nothing to invalidate. */
  public static Invalidations none() {
    return NONE;
  }

  /** Every entry of the cache. */
  public static Invalidations everything() {
    return EVERYTHING;
  }

  /** These exact tags. */
  public static Invalidations tags(String... tags) {
    return new Invalidations(List.of(tags), List.of(), false);
  }

  /** These tags and prefixes. */
  public static Invalidations of(List<String> tags, List<String> prefixes) {
    return new Invalidations(tags, prefixes, false);
  }

  /** Whether there is nothing to do. */
  public boolean isEmpty() {
    return !all && tags.isEmpty() && prefixes.isEmpty();
  }

  /** The union of this and {@code other}. */
  public Invalidations and(Invalidations other) {
    requireNonNull(other, "other");
    if (other.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return other;
    }
    if (all || other.all) {
      return EVERYTHING;
    }
    List<String> t = new ArrayList<>(tags);
    t.addAll(other.tags);
    Set<String> p = new LinkedHashSet<>(prefixes);
    p.addAll(other.prefixes);
    return new Invalidations(t, List.copyOf(p), false);
  }
}
