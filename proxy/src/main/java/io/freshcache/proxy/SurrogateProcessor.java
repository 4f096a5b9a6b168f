package io.freshcache.proxy;

import io.freshcache.core.RenderContext;
import java.util.concurrent.CompletionStage;

/**
 * The hook for responses that ask the proxy to process their body ({@code Surrogate-Control:
 * content="ESI/1.0"}), used when {@link ProxyConfig#esi()} is on and a processor is installed with
 * {@link FreshcacheProxy#surrogateProcessor(SurrogateProcessor)}. Without one, such responses are
 * cached as they are.
 *
 * <p>Called on the event loop of the request that fetched the response, inside the cache's render:
 * the processor may declare dependencies and leave holes ({@link RenderContext#hole}) for per-user
 * parts; it must not block. The entry stores the body the stage completes with.
 */
@FunctionalInterface
interface SurrogateProcessor {

  /**
   * Processes a body.
   *
   * @param context the render of the entry (dependencies, includes, holes)
   * @param resource the resource being rendered
   * @param response the origin response's fields
   * @param body the identity body
   * @return the body to store
   */
  CompletionStage<byte[]> process(RenderContext context, String resource, Fields response, byte[] body);
}
