package io.freshcache.core;

/**
 * Handed to a {@link Renderer} while it runs: it declares what the rendering depends on, renders
 * static fragments into it, and leaves holes for parts with their own scope. Used only on the
 * renderer's thread and only during {@link Renderer#render}; an {@link AsyncRenderer} may also use
 * it on the thread that completes its stage, before completing it.
 */
public interface RenderContext {

  /** The key being rendered (for a hole, with the viewer's scope filled in). */
  CacheKey key();

  /**
   * The entry this render will replace, if the store still had one: invalidated, or refused by the
   * caller's {@code usable} test (see {@link Freshcache#getAsync(CacheKey, java.util.function.Predicate,
   * AsyncRenderer)}). A renderer may revalidate it (an HTTP proxy asks the origin whether its ETag
   * still holds) and return its body again. Null when there was none.
   */
  default Page previous() {
    return null;
  }

  /**
   * Keeps this render's body exactly as given: not compressed for storage, so every client gets these
   * very bytes without a content coding (what HTTP's {@code Cache-Control: no-transform} asks of an
   * intermediary). Without it a body of at least the builder's compression threshold is stored
   * compressed when that saves enough.
   */
  default void storeUncompressed() {}

  /**
   * Declares dependencies: exact tags, aspects or patterns (see {@link Tag}). The entry is
   * invalidated when any of them is.
   *
   * @throws IllegalArgumentException naming the tag and the problem, if one is malformed
   */
  void dependsOn(String... tags);

  /**
   * Renders a static fragment through the cache and returns its content to embed. Its tags become
   * this entry's too (at any depth), so a change to the fragment's data invalidates every page that
   * embeds it. A fragment's own holes stay holes of this entry.
   */
  Content include(CacheKey key, Renderer renderer);

  /**
   * Leaves a hole: returns a placeholder to put into the body where the fragment goes. At serve time
   * the placeholder is replaced by the fragment's own entry, rendered on a miss. The fragment's tags
   * are <em>not</em> this entry's; use {@link Scope#VIEWER} in {@code key} for a per-user part of a
   * shared page. The placeholder is only meaningful in this render's output.
   */
  String hole(CacheKey key, Renderer renderer);
}
