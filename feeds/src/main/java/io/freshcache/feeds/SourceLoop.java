package io.freshcache.feeds;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.slf4j.Logger;

/**
 * The reader thread the built-in sources share: started once as a daemon named {@code
 * freshcache-feed-<name>}, stopped by clearing a flag the reader checks between steps, and, for
 * sources that connect and read until something fails, the reconnect loop with {@link Backoff}
 * and its log lines. A source keeps what is its own (connecting, reading, acknowledging,
 * checkpointing, closing) and asks this for the rest.
 *
 * <p>Threading: {@link #start}, {@link #stop}, {@link #crash} and {@link #interrupt} may be called
 * from any thread; {@link #retryUntilStopped}, {@link #sleep} and {@link #connectedOrReconnected}
 * only from the reader thread. For the sources of this module; not an extension point.
 */
public final class SourceLoop {
  private final String name;
  private final Logger log;
  // Guards thread: set once by start, read by stop and interrupt.
  private final Object lifecycle = new Object();
  private Thread thread;
  // Cleared by stop() and crash(); the reader checks it between steps and ends when it is false.
  private volatile boolean running;
  // Set by crash(): the reader must neither acknowledge nor save anything more.
  private volatile boolean crashed;
  // Reader thread only.
  private boolean connectedBefore;

  /**
   * @param name the source's name, for the thread and the log lines
   * @param log the source's logger, so the lines keep their logger name
   */
  public SourceLoop(String name, Logger log) {
    this.name = requireNonNull(name, "name");
    this.log = requireNonNull(log, "log");
  }

  /**
   * Checks a source's name: it names the reader thread and the checkpoint file.
   *
   * @return {@code name}
   * @throws IllegalArgumentException unless letters, digits, {@code . _ -}, not starting with {@code .}
   */
  public static String checkName(String name) {
    requireNonNull(name, "name");
    if (!name.matches("[A-Za-z0-9._-]+") || name.startsWith(".")) {
      throw new IllegalArgumentException("name: '" + name
          + "' (expected: letters, digits, '.', '_' or '-', not starting with '.')");
    }
    return name;
  }

  /**
   * Starts {@code reader} on the source's thread.
   *
   * @throws IllegalStateException if started before
   */
  public void start(Runnable reader) {
    requireNonNull(reader, "reader");
    synchronized (lifecycle) {
      if (thread != null) {
        throw new IllegalStateException("source " + name + ": started (expected: started once)");
      }
      running = true;
      thread = new Thread(reader, "freshcache-feed-" + name);
      thread.setDaemon(true);
      thread.start();
    }
  }

  /**
   * Tells the reader to end, wakes it from a backoff wait, and waits up to {@code timeout} for it.
   *
   * @return false if the source was never started (there is nothing to close), else true, whether
   *     or not the reader ended in time (see {@link #readerAlive})
   */
  public boolean stop(Duration timeout) {
    Thread t;
    synchronized (lifecycle) {
      running = false;
      t = thread;
    }
    if (t == null) {
      return false;
    }
    LockSupport.unpark(t); // out of a backoff wait
    join(t, timeout);
    return true;
  }

  /** For tests: the reader is to die like a killed process, acknowledging and saving nothing more. */
  public void crash() {
    crashed = true;
    running = false;
  }

  /** Interrupts the reader (out of any blocking call) and waits up to {@code timeout} for it. */
  public void interrupt(Duration timeout) {
    Thread t;
    synchronized (lifecycle) {
      t = thread;
    }
    if (t != null) {
      t.interrupt();
      join(t, timeout);
    }
  }

  /** Whether the source is to go on: started, and neither stopped nor crashed. */
  public boolean running() {
    return running;
  }

  /** Whether {@link #crash} was called. */
  public boolean crashed() {
    return crashed;
  }

  /** Whether the reader thread was started and has not ended. */
  public boolean readerAlive() {
    Thread t;
    synchronized (lifecycle) {
      t = thread;
    }
    return t != null && t.isAlive();
  }

  /**
   * {@code "connected"} the first time, {@code "reconnected"} after, for the line a source logs
   * when a connection is up; records that one was.
   */
  public String connectedOrReconnected() {
    String word = connectedBefore ? "reconnected" : "connected";
    connectedBefore = true;
    return word;
  }

  /** One connection's worth of reading, on the reader thread. */
  @FunctionalInterface
  public interface Session {
    /**
     * Connects and reads until the source stops (return) or something fails (throw: the loop logs
     * it, waits a backoff, and calls this again).
     */
    void run(Backoff backoff) throws Exception;
  }

  /**
   * Runs {@code session} until the source stops. After each failure (unless stopped meanwhile) it
   * logs {@code feed <name>: <describe(e)>; reconnecting in <ms> ms (attempt <n>)} at WARN, with
   * the stack trace of the sink's exception when a {@link SinkFailed}, runs {@code afterFailure}
   * and waits {@code backoff.nextDelay()}. Resetting the backoff on progress is the session's.
   */
  public void retryUntilStopped(Backoff backoff, Session session,
      Function<Exception, String> describe, Runnable afterFailure) {
    while (running) {
      try {
        session.run(backoff);
      } catch (Exception e) {
        if (!running) {
          break;
        }
        Duration delay = backoff.nextDelay();
        log.warn("feed {}: {}; reconnecting in {} ms (attempt {})", name, describe.apply(e),
            delay.toMillis(), backoff.failures(), e instanceof SinkFailed ? e.getCause() : null);
        afterFailure.run();
        sleep(delay);
      }
    }
  }

  /**
   * Waits {@code d}, or less if the source stops meanwhile ({@link #stop} wakes it). An interrupt
   * ends the wait and the source, as {@link #interrupt} means.
   */
  public void sleep(Duration d) {
    long end = System.nanoTime() + d.toNanos();
    // Parks in a loop: park may return early for no reason, and stop() unparks to cut it short.
    while (running) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        return;
      }
      LockSupport.parkNanos(this, left);
      if (Thread.interrupted()) {
        running = false;
        return;
      }
    }
  }

  private static void join(Thread t, Duration timeout) {
    try {
      t.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The sink threw on {@link #change}: the source reads it again after the backoff. */
  public static final class SinkFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** The change the sink failed on, for the log line. */
    public final transient Change change;

    /** The sink threw {@code cause} on {@code change}. */
    public SinkFailed(Change change, RuntimeException cause) {
      super(cause);
      this.change = change;
    }
  }
}
