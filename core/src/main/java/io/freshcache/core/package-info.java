/**
 * Freshcache core: a page and fragment cache that knows what each entry depends on.
 *
 * <p>Start with {@link io.freshcache.core.Freshcache} (the cache and its design notes) and {@link
 * io.freshcache.core.Freshcache#builder()}. The public API is the cache, its builder, {@link
 * io.freshcache.core.CacheKey}, {@link io.freshcache.core.Scope}, {@link io.freshcache.core.Tag},
 * the {@link io.freshcache.core.Renderer} and its {@link io.freshcache.core.RenderContext}, the
 * {@link io.freshcache.core.Page} handed out, {@link io.freshcache.core.ETag}, events and stats,
 * {@link io.freshcache.core.Weighable} (an attachment the byte bound counts), and the {@link
 * io.freshcache.core.EntryStore} SPI. Everything else is package-private: the tag
 * registry (versions, {@code TagRegistry}), the reverse index ({@code TagState}, {@code
 * DependentSet}), single-flight ({@code Flight}), the background invalidation worker, background
 * rebuilds ({@code Rebuilder}), predictive pre-caching of users' pages ({@code Precacher}) and the
 * Caffeine store.
 */
package io.freshcache.core;
