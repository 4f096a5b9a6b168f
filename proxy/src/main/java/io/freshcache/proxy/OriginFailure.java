package io.freshcache.proxy;

/**
 * The origin could not be reached or did not answer in time. Answered with 502 or 504 unless a
 * stale entry may stand in (stale-if-error). No stack trace: the cause says what happened.
 */
final class OriginFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Whether the origin accepted the request but did not answer within the response timeout. */
  final boolean timeout;

  OriginFailure(String message, boolean timeout, Throwable cause) {
    super(message, cause, false, false);
    this.timeout = timeout;
  }

  /** The status to answer with: 504 for a timeout, 502 otherwise. */
  int status() {
    return timeout ? 504 : 502;
  }
}
