package io.freshcache.proxy;

/**
 * The bounds on ESI processing, so that a misbehaving origin (or a template that includes itself)
 * costs a bounded amount of work and memory.
 *
 * @param maxIncludes the most includes in one template ({@link EsiTemplate#parse}), and the most
 *     include fetches (alternatives included) for one response in all ({@link EsiExpansion#enter});
 *     {@link ProxyConfig#esiMaxIncludes()}
 * @param maxDepth how deeply includes may nest: the page itself is depth 0, its includes depth 1, and
 *     an include at depth {@code maxDepth + 1} is refused; {@link ProxyConfig#esiMaxDepth()}
 * @param maxSrcLength the most characters of a {@code src} or {@code alt} attribute (after entity
 *     decoding), which keeps the request line sent to the origin within what servers accept
 * @param maxOutputBytes the most bytes an assembled response may have: the parts are cached one by
 *     one, but the assembly is held in memory at once
 */
record EsiLimits(int maxIncludes, int maxDepth, int maxSrcLength, long maxOutputBytes) {

  /** The default {@link #maxSrcLength}: 2 KiB, well within the 8 KiB request lines servers accept. */
  static final int DEFAULT_MAX_SRC_LENGTH = 2048;

  /** The defaults: ProxyConfig's defaults (64 includes, depth 3), 2 KiB srcs, 64 MiB of output. */
  static final EsiLimits DEFAULTS = new EsiLimits(64, 3, DEFAULT_MAX_SRC_LENGTH, 64L << 20);

  /** Validates every value. */
  EsiLimits {
    if (maxIncludes < 0) {
      throw new IllegalArgumentException("maxIncludes: " + maxIncludes + " (expected: >= 0)");
    }
    if (maxDepth < 0) {
      throw new IllegalArgumentException("maxDepth: " + maxDepth + " (expected: >= 0)");
    }
    if (maxSrcLength < 1) {
      throw new IllegalArgumentException("maxSrcLength: " + maxSrcLength + " (expected: > 0)");
    }
    // An assembly is one byte array.
    if (maxOutputBytes < 0 || maxOutputBytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("maxOutputBytes: " + maxOutputBytes + " (expected: 0.."
          + (Integer.MAX_VALUE - 8) + ")");
    }
  }

  /**
   * The limits a proxy runs with: its {@code esiMaxIncludes} and {@code esiMaxDepth}, the default
   * src length, and 8 times {@code maxCacheableBodyBytes} of output (at least 1 MiB).
   */
  static EsiLimits of(ProxyConfig config) {
    long output = Math.max(1L << 20, Math.min(config.maxCacheableBodyBytes() * 8, Integer.MAX_VALUE - 8));
    return new EsiLimits(config.esiMaxIncludes(), config.esiMaxDepth(), DEFAULT_MAX_SRC_LENGTH, output);
  }
}
