package io.freshcache.proxy;

import static java.util.Objects.requireNonNull;

/**
 * Thrown by {@link EsiTemplate#parse} and {@link EsiSrc#resolve}: the only exception they throw on
 * any input. Carries an {@link EsiError}; it has no stack trace, as it reports bad input, not a bug.
 */
final class EsiException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient EsiError error;

  EsiException(EsiError error) {
    super(requireNonNull(error, "error").message(), null, false, false);
    this.error = error;
  }

  /** What was wrong. */
  EsiError error() {
    return error;
  }
}
