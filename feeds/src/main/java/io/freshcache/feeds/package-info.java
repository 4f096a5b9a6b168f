/**
 * Freshcache feeds: change streams (a changes table, a document database's {@code _changes}, a
 * message bus) turned into invalidations, with nothing lost.
 *
 * <p>Start with {@link io.freshcache.feeds.Feeds}, the facade that wires {@link
 * io.freshcache.feeds.ChangeSource}s, {@link io.freshcache.feeds.InvalidationRule}s and a cache.
 * The SPI for new sources is {@link io.freshcache.feeds.ChangeSource}, {@link
 * io.freshcache.feeds.ChangeSink}, {@link io.freshcache.feeds.Change}, {@link
 * io.freshcache.feeds.Checkpoints} and {@link io.freshcache.feeds.Backoff}; rules are code ({@link
 * io.freshcache.feeds.InvalidationRule}) or YAML ({@link io.freshcache.feeds.Rules}). The YAML
 * machinery (globs, JSON-pointer conditions, tag templates: {@code YamlRule}, {@code Glob}, {@code
 * Template}) is package-private. Sources live in sub-packages, e.g. {@code
 * io.freshcache.feeds.postgres}.
 *
 * <p>Delivery is at least once: a source hands a change to its sink, the sink returns only after
 * the invalidation was applied, and only then does the source advance its durable checkpoint. A
 * crash replays at most the changes after the last checkpoint; invalidation is idempotent, so a
 * duplicate costs a re-render, never a stale page.
 */
package io.freshcache.feeds;
