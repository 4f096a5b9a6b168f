package io.freshcache.feeds;

/**
 * A stream of changes with a durable position, e.g. {@link io.freshcache.feeds.postgres.PostgresSource}.
 *
 * <p>A source reads changes from its {@link Checkpoints} position on, delivers each to the sink in
 * order and, only after the sink returned, saves the new position (or acknowledges the message).
 * It reconnects with {@link Backoff} when the service is unreachable and logs each attempt. When it
 * detects that changes were lost (checkpoint older than retention, reset sequence) it calls {@link
 * ChangeSink#gap} before moving on.
 *
 * <p>Threading: {@link #start} returns at once; the source delivers from a thread of its own.
 */
public interface ChangeSource extends AutoCloseable {

  /** The source's name: used in changes, checkpoints, logs and rule matching. */
  String name();

  /**
   * Starts reading and delivering to {@code sink}.
   *
   * @throws IllegalStateException if already started
   */
  void start(ChangeSink sink);

  /**
   * Stops reading: waits (briefly) for the change being delivered, saves the checkpoint and
   * releases connections. Idempotent.
   */
  void stop();

  /** {@link #stop()}. */
  @Override
  default void close() {
    stop();
  }
}
