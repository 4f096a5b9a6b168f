package io.freshcache.proxy;

/**
 * The origin could not be reached or did not answer in time. Answered with 502 or 504 unless a
 * stale entry may stand in (stale-if-error). No stack trace: the cause says what happened.
 */
final class OriginFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Whether the origin accepted the request but did not answer within the response timeout. */
  final boolean timeout;
  /** Whether the origin answered, but not with HTTP the proxy can relay. */
  final boolean malformed;

  OriginFailure(String message, boolean timeout, Throwable cause) {
    this(message, timeout, false, cause);
  }

  OriginFailure(String message, boolean timeout, boolean malformed, Throwable cause) {
    super(message, cause, false, false);
    this.timeout = timeout;
    this.malformed = malformed;
  }

  /** What the client is told: what happened, never how (the message, with its details, is logged). */
  String clientText() {
    return timeout ? "origin timed out" : malformed ? "bad response from origin" : "origin unreachable";
  }

  /** The status to answer with: 504 for a timeout, 502 otherwise. */
  int status() {
    return timeout ? 504 : 502;
  }
}
