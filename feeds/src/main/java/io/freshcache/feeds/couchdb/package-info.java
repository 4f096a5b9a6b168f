/**
 * The CouchDB {@code _changes} change source (CouchDB 1.x to 3.x, pouchdb-server): a continuous feed
 * with {@code include_docs=true} and a heartbeat, read line by line with {@link
 * java.net.http.HttpClient}, resumed from a {@link io.freshcache.feeds.Checkpoints} position. Start
 * with {@link io.freshcache.feeds.couchdb.CouchDbSource#builder}.
 *
 * <p>Why sequence values are kept as JSON text and never parsed (but for the gap check's number
 * before the first {@code -}): CouchDB 2+ sequences are opaque strings, pouchdb-server's and
 * CouchDB 1.x's are integers. Setup and semantics: docs/feeds.md.
 */
package io.freshcache.feeds.couchdb;
