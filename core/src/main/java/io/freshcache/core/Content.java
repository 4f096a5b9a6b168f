package io.freshcache.core;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;

/**
 * What a {@link Renderer} produces: body bytes and their media type. The bytes are not copied; the
 * renderer must not change them afterwards.
 *
 * @param body the identity body
 * @param contentType the media type, e.g. {@code text/html; charset=utf-8}
 */
public record Content(byte[] body, String contentType) {

  /** Checks for nulls. */
  public Content {
    requireNonNull(body, "body");
    requireNonNull(contentType, "contentType");
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
