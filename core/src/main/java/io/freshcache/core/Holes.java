package io.freshcache.core;

/**
 * The holes of an entry: where in the identity body each goes, and what fills it. The renderer is
 * kept so a hole can be rendered on a miss at serve time.
 */
record Holes(int[] offsets, CacheKey[] keys, Renderer[] renderers) {

  int count() {
    return offsets.length;
  }
}
