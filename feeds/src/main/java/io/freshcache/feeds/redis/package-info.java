/**
 * The Redis Streams change source: a consumer group per cache node, {@code XREADGROUP} with
 * {@code BLOCK}, {@code XACK} after the invalidation was applied, pending entries re-read after a
 * crash and claimed from dead consumers ({@code XAUTOCLAIM}), and gaps reported when entries were
 * trimmed before they were read. Start with {@link
 * io.freshcache.feeds.redis.RedisStreamSource#builder}.
 *
 * <p>Why no checkpoint file: the group's last-delivered id and pending entries list, kept by Redis,
 * are the position. Setup and semantics: docs/feeds.md.
 */
package io.freshcache.feeds.redis;
