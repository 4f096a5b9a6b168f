/**
 * Freshcache's caching reverse proxy: HTTP/1.1 on Netty in front of any origin, with dependency
 * tags taken from response headers ({@code Cache-Tag}, {@code Surrogate-Key}, {@code xkey}). The
 * contract is docs/http.md.
 *
 * <p>Public: {@link io.freshcache.proxy.FreshcacheProxy} and its {@link io.freshcache.proxy.ProxyConfig},
 * and the live-push pieces a Java application can mount without the proxy ({@link
 * io.freshcache.proxy.LiveEvents}, {@link io.freshcache.proxy.LiveHandler}, {@link
 * io.freshcache.proxy.LiveServer}, {@link io.freshcache.proxy.LiveConfig}). Everything else is
 * package-private.
 *
 * <p>Start reading at {@link io.freshcache.proxy.FreshcacheProxy}, then
 * {@code ProxyInitializer} (the pipeline) and {@code ProxyHandler} (the request state machine);
 * {@code CacheFetch} is the cache's renderer (origin response to stored entry), {@code OriginCall}
 * and {@code OriginClient} the origin side, {@code StoredResponse} the entry's attachment and its
 * pre-encoded hit path ({@code BodyFiles} keeps large bodies of hit entries in files sent with
 * sendfile; {@code AcceptEncoding} picks the coding), {@code ClientTimeouts} the client header, idle
 * and body timeouts, {@code Tunnel} a connection switched to another protocol (WebSocket) after the
 * origin's 101.
 *
 * <p>Around the data path: {@code AdminServer} (its own listener: invalidation, stats, Prometheus
 * metrics; docs/admin.md) through {@code AdminActions}; {@code LiveEvents} (a cache listener) and
 * {@code LiveHandler} (in every client pipeline) push changes to browsers running live.js
 * (docs/live.md); {@code PathGlob} selects the paths whose entries are rebuilt in the background.
 *
 * <p>ESI (docs/esi.md): {@code EsiTemplate} parses, {@code EsiSrc} and {@code EsiExpansion} resolve
 * and bound includes, {@code EsiAssembler} holds the fill-in rules and {@code EsiAssembly} runs them
 * asynchronously; {@code ProxyHandler} fetches each include through the cache path as the client.
 *
 * <p>The HTTP caching semantics are pure functions over immutable values ({@link
 * io.freshcache.proxy.Fields} is a header section):
 *
 * <ul>
 *   <li>{@link io.freshcache.proxy.CacheDirectives}, {@link io.freshcache.proxy.ResponseDirectives},
 *       {@link io.freshcache.proxy.RequestDirectives}: Cache-Control (RFC 9111 section 5.2) and the
 *       targeted {@code Freshcache-Cache-Control} / {@code CDN-Cache-Control} (RFC 9213, parsed by
 *       {@link io.freshcache.proxy.StructuredFields} as RFC 8941 dictionaries);
 *   <li>{@link io.freshcache.proxy.Freshness}: Age, freshness lifetime, stale serving (RFC 9111
 *       section 4.2, RFC 5861) and whether a request may reuse a stored response;
 *   <li>{@link io.freshcache.proxy.Storability}: whether a response may be stored (RFC 9111 section 3)
 *       and in which scope; {@link io.freshcache.proxy.StoredFields}: which fields to store and how a
 *       304 updates them;
 *   <li>{@link io.freshcache.proxy.Vary}: the secondary cache key (RFC 9111 section 4.1);
 *   <li>{@link io.freshcache.proxy.Conditional}: 304 or 200 for conditional requests answered from
 *       the cache;
 *   <li>{@link io.freshcache.proxy.HopByHop}: fields removed before forwarding (RFC 9110 section
 *       7.6.1);
 *   <li>{@link io.freshcache.proxy.CacheStatus}: the Cache-Status field (RFC 9211);
 *   <li>{@link io.freshcache.proxy.TagHeaders}: dependency tags and {@code Cache-Invalidate};
 *   <li>{@link io.freshcache.proxy.HttpDate}: HTTP-date in its three formats.
 * </ul>
 */
package io.freshcache.proxy;
