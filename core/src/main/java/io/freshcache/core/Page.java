package io.freshcache.core;

import java.util.List;

/**
 * What {@link Freshcache#get} hands out: a rendered entry, with any holes already filled for the
 * viewer. Immutable and thread-safe; arrays it returns are shared and must not be modified.
 */
public interface Page {

  /** The key this page was looked up with. */
  CacheKey key();

  /** The media type. */
  String contentType();

  /** A strong entity tag derived from the identity body (holes included). */
  ETag etag();

  /** When the entry (the outermost one, for a composed page) was rendered. */
  long createdAtMillis();

  /** The identity body: decompressed and with holes filled. */
  byte[] body();

  /** The encoding of {@link #storedBody()}. */
  Encoding storedEncoding();

  /**
   * The body as stored, without decoding: a caller that can send {@link #storedEncoding()} (the
   * client accepts it) serves these bytes with no recompression. Shared; do not modify.
   */
  byte[] storedBody();

  /**
   * The body in the given encoding: the stored bytes when they already are in it, otherwise encoded
   * or decoded on every call (the page keeps no derived form: a caller that serves one repeatedly
   * keeps it, as the proxy does once per entry and coding).
   *
   * @throws IllegalStateException if {@code encoding} is not {@linkplain Encoding#isAvailable()
   *     available} here
   */
  byte[] body(Encoding encoding);

  /** The tags (and patterns) this page depends on, as declared, including static fragments'. */
  List<String> tags();

  /** The renderer's {@link Content#attachment()}, or null. */
  default Object attachment() {
    return null;
  }

  /**
   * Whether this page answers an If-None-Match field value with 304 Not Modified (RFC 9110 section
   * 13.1.2); see {@link ETag#notModified}. Does not touch the body.
   */
  default boolean notModified(String ifNoneMatch) {
    return ETag.notModified(ifNoneMatch, etag());
  }
}
