package io.freshcache.proxy;

import static java.util.Objects.requireNonNull;

/**
 * What went wrong while processing ESI: a kind the data path can act on and a message for the log.
 * The proxy answers 502 for an error that fails the response, with a short body and no stack trace;
 * the message is for the log (it names the template, the byte offset or the include chain).
 *
 * @param kind what sort of error
 * @param message what was wrong and what was expected
 * @param offset the byte offset in the template the error is about, or -1
 */
record EsiError(Kind kind, String message, int offset) implements EsiStep {

  /** The sorts of ESI errors. */
  enum Kind {
    /** Malformed or unsupported markup in a template. */
    SYNTAX,
    /** A {@code src} or {@code alt} that is not a same-origin http(s) reference. */
    SRC,
    /** An include of a path already being expanded. */
    CYCLE,
    /** An include nested deeper than {@link EsiLimits#maxDepth}. */
    DEPTH,
    /** Too many includes, or too many bytes of output: these fail the whole response, whatever onerror says. */
    LIMIT,
    /** An include that could not be fetched (or whose own template failed). */
    FETCH
  }

  /** Checks the arguments. */
  EsiError {
    requireNonNull(kind, "kind");
    requireNonNull(message, "message");
  }

  /** An error not about a position in a template. */
  EsiError(Kind kind, String message) {
    this(kind, message, -1);
  }

  /** Whether this fails the whole response even for an include with {@code onerror="continue"}. */
  boolean fatal() {
    return kind == Kind.LIMIT;
  }

  @Override
  public String toString() {
    return kind + ": " + message;
  }
}
