package io.freshcache.proxy;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * The options of {@link LiveHandler} and {@link LiveServer}, validated when made. The hub's own
 * options (replay window, id limits) are on {@link LiveEvents.Builder}.
 *
 * @param heartbeat how often an idle stream gets a comment line (and the current event id), so
 *     intermediaries keep it open and dead peers are found
 * @param retry the reconnection delay suggested to EventSource ({@code retry:} field)
 * @param maxPendingBytes the most bytes queued for one stream; a client that reads slower than that
 *     is disconnected (it reconnects with Last-Event-ID and gets a replay), so memory stays bounded
 * @param allowOrigin the value of {@code Access-Control-Allow-Origin} on the stream and the script,
 *     for pages served from another origin than the live endpoint; null for none
 */
public record LiveConfig(Duration heartbeat, Duration retry, int maxPendingBytes, String allowOrigin) {

  /** Default heartbeat interval. */
  public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);

  /** Default reconnection delay hint. */
  public static final Duration DEFAULT_RETRY = Duration.ofSeconds(2);

  /** Default bound on the bytes queued for one stream. */
  public static final int DEFAULT_MAX_PENDING_BYTES = 64 * 1024;

  /** Validates every option. */
  public LiveConfig {
    requireNonNull(heartbeat, "heartbeat");
    requireNonNull(retry, "retry");
    if (heartbeat.toMillis() < 1) {
      throw new IllegalArgumentException("heartbeat: " + heartbeat + " (expected: >= 1 ms)");
    }
    if (retry.isNegative()) {
      throw new IllegalArgumentException("retry: " + retry + " (expected: >= 0)");
    }
    if (maxPendingBytes < 1024) {
      throw new IllegalArgumentException("maxPendingBytes: " + maxPendingBytes + " (expected: >= 1024)");
    }
    if (allowOrigin != null && (allowOrigin.isBlank() || allowOrigin.indexOf('\n') >= 0 || allowOrigin.indexOf('\r') >= 0)) {
      throw new IllegalArgumentException("allowOrigin: '" + allowOrigin + "' (expected: an origin or '*', one line)");
    }
  }

  /** The defaults: 15 s heartbeats, 2 s retry, 64 KiB pending, no CORS. */
  public static LiveConfig defaults() {
    return new LiveConfig(DEFAULT_HEARTBEAT, DEFAULT_RETRY, DEFAULT_MAX_PENDING_BYTES, null);
  }

  /** A copy with another heartbeat interval. */
  public LiveConfig withHeartbeat(Duration value) {
    return new LiveConfig(value, retry, maxPendingBytes, allowOrigin);
  }

  /** A copy with another bound on queued bytes. */
  public LiveConfig withMaxPendingBytes(int value) {
    return new LiveConfig(heartbeat, retry, value, allowOrigin);
  }

  /** A copy with another CORS origin. */
  public LiveConfig withAllowOrigin(String value) {
    return new LiveConfig(heartbeat, retry, maxPendingBytes, value);
  }
}
