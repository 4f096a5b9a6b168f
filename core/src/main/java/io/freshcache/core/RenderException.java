package io.freshcache.core;

/**
 * A renderer failed; the cause is what it threw. Every caller waiting on that render receives an
 * exception with the same cause; nothing is cached.
 */
public class RenderException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public RenderException(String message, Throwable cause) {
    super(message, cause);
  }
}
