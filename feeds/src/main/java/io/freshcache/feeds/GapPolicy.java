package io.freshcache.feeds;

/** What a feed does when a source reports that changes may have been lost. */
public enum GapPolicy {
  /**
   * Invalidate everything the rules of the source could produce (for YAML rules: each literal tag,
   * and for each template the literal prefix before its first {@code {}); the default, because a
   * stale page is worse than a re-render.
   */
  INVALIDATE_ALL,
  /** Only log (at ERROR) and count. */
  LOG_ONLY;

  /** Parses {@code invalidate-all} or {@code log-only} (any case). */
  public static GapPolicy parse(String text) {
    return switch (text.strip().toLowerCase(java.util.Locale.ROOT)) {
      case "invalidate-all" -> INVALIDATE_ALL;
      case "log-only" -> LOG_ONLY;
      default -> throw new IllegalArgumentException(
          "gapPolicy: " + text + " (expected: invalidate-all or log-only)");
    };
  }
}
