package io.freshcache.feeds;

/**
 * Decides what a change invalidates: Fedora Hubs' {@code should_invalidate(message)}, generalized
 * from a yes/no to the tags and prefixes concerned. Rules written in YAML ({@link Rules}) cover
 * the common cases; implement this for the rest.
 *
 * <p>Implementations must be thread-safe (sources deliver on their own threads) and quick: a
 * source waits for its rule before it takes the next change. An exception thrown by {@link #apply}
 * is logged and counted, and the change is treated as a gap for this rule ({@link #onGap} is
 * applied), so a rule's bug errs towards invalidating too much.
 */
@FunctionalInterface
public interface InvalidationRule {

  /** A name for logs and errors. */
  default String name() {
    return getClass().getName();
  }

  /** Whether this rule reads changes of the source named {@code source} at all. */
  default boolean appliesTo(String source) {
    return true;
  }

  /** What {@code change} invalidates; {@link Invalidations#none()} if nothing. Never null. */
  Invalidations apply(Change change);

  /**
   * What to invalidate when changes of a source this rule {@linkplain #appliesTo applies to} may
   * have been lost: everything this rule could ever produce. The default, for rules that cannot
   * enumerate it, is {@link Invalidations#everything()}.
   */
  default Invalidations onGap() {
    return Invalidations.everything();
  }
}
