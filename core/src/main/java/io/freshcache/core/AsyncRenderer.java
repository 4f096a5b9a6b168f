package io.freshcache.core;

import java.util.concurrent.CompletionStage;

/**
 * Produces an entry's content on a miss without blocking the caller: for renderers that wait on I/O,
 * such as the proxy's request to the origin. See {@link Freshcache#getAsync(CacheKey, AsyncRenderer)}.
 *
 * <p>{@link #render} is called on the thread of the first {@code getAsync} to miss and should return
 * promptly; the stage may complete on any thread. Dependencies may be declared on the context until
 * the stage completes (from the completing thread, before completing it). The version snapshot is
 * taken before {@code render} is called, so declaring after reading is safe. An exception thrown or a
 * stage completed exceptionally is not cached and reaches every waiter as the cause of a {@link
 * RenderException}; completing with null is an error.
 */
@FunctionalInterface
public interface AsyncRenderer {

  /** Starts rendering; the stage completes with the content. */
  CompletionStage<Content> render(RenderContext context) throws Exception;
}
