/**
 * Freshcache's caching reverse proxy (issue 3, in progress): HTTP/1.1 on Netty in front of any
 * origin, with dependency tags taken from response headers ({@code Cache-Tag}, {@code
 * Surrogate-Key}, {@code xkey}).
 *
 * <p>So far this package holds the HTTP caching semantics as pure functions (RFC 9111 and RFC 9110):
 * parsing of Cache-Control and its targeted variants, freshness and Age, Vary, and tag headers. The
 * Netty server that uses them comes next.
 */
package io.freshcache.proxy;
