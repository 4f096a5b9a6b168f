/**
 * The PostgreSQL change source: triggers write every row change of the watched tables to a
 * changes table ({@code freshcache_changes}); {@link io.freshcache.feeds.postgres.PostgresSource}
 * reads it in transaction order from its checkpoint, woken by {@code LISTEN freshcache_changes}
 * and polling as a fallback. Start with {@link io.freshcache.feeds.postgres.PostgresInstaller}
 * (the SQL, idempotent) and {@link io.freshcache.feeds.postgres.PostgresSource#builder}.
 *
 * <p>Why rows are read in {@code (xid, id)} order below the snapshot's {@code xmin}, and not by
 * {@code id} alone: see docs/feeds.md, "Transactions that commit out of order".
 */
package io.freshcache.feeds.postgres;
