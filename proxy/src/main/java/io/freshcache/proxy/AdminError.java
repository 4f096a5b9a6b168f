package io.freshcache.proxy;

/**
 * A request the admin API refuses: the HTTP status and a message for the client, sent as {@code
 * {"error": message}}. Carries no stack trace: it is an answer, not a failure of the server.
 */
class AdminError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;

  AdminError(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  /** The HTTP status code. */
  int status() {
    return status;
  }
}
