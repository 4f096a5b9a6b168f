package io.freshcache.core;

/**
 * Produces an entry's content on a miss. While it runs it declares what it depends on through the
 * {@link RenderContext}; the order of declaring and reading does not matter for correctness (the
 * version snapshot is taken before the renderer starts).
 *
 * <p>It runs on the calling thread of the first {@link Freshcache#get} to miss; concurrent callers
 * for the same key wait for it. What it throws is not cached and reaches every waiter as the cause
 * of a {@link RenderException}. Returning {@code null} is an error.
 */
@FunctionalInterface
public interface Renderer {

  /** Renders the content, declaring dependencies on {@code context}. */
  Content render(RenderContext context) throws Exception;
}
