package io.freshcache.core;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;

/**
 * What a {@link Renderer} produces: body bytes, their media type and, optionally, an attachment. The
 * bytes are not copied; the renderer must not change them afterwards.
 *
 * @param body the identity body
 * @param contentType the media type, e.g. {@code text/html; charset=utf-8}
 * @param attachment an immutable value kept with the entry and handed back by {@link
 *     Page#attachment()}, or null. The cache never looks into it, except to ask a {@link
 *     Weighable} one its size for the byte bound (others weigh nothing); the proxy keeps an HTTP
 *     response's status, stored header fields and freshness there. It does not take part in the
 *     ETag.
 */
public record Content(byte[] body, String contentType, Object attachment) {

  /** Checks for nulls. */
  public Content {
    requireNonNull(body, "body");
    requireNonNull(contentType, "contentType");
  }

  /** Content without an attachment. */
  public Content(byte[] body, String contentType) {
    this(body, contentType, null);
  }

  /** The same body and media type with {@code value} attached. */
  public Content withAttachment(Object value) {
    return new Content(body, contentType, value);
  }

  /** UTF-8 HTML. */
  public static Content html(String html) {
    return new Content(html.getBytes(StandardCharsets.UTF_8), "text/html; charset=utf-8");
  }

  /** UTF-8 plain text. */
  public static Content text(String text) {
    return new Content(text.getBytes(StandardCharsets.UTF_8), "text/plain; charset=utf-8");
  }

  /** The body decoded as UTF-8. */
  public String bodyAsString() {
    return new String(body, StandardCharsets.UTF_8);
  }
}
