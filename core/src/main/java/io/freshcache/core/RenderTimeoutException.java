package io.freshcache.core;

/**
 * A caller waited longer than the configured render timeout for a render started by another caller
 * of the same key. The render itself goes on and may still be cached.
 */
public final class RenderTimeoutException extends RenderException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public RenderTimeoutException(String message) {
    super(message, null);
  }
}
