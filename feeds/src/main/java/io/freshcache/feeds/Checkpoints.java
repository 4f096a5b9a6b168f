package io.freshcache.feeds;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Durable positions, one per source name. A source loads its position when it starts and saves it
 * after the changes up to it were applied.
 *
 * <p>Implementations must be thread-safe; {@link #save} must be durable when it returns (a crash
 * right after it must not lose the position).
 */
public interface Checkpoints {

  /**
   * The last saved position of {@code source}, or empty if none was ever saved.
   *
   * @throws UncheckedIOException if the store cannot be read
   */
  Optional<String> load(String source);

  /**
   * Saves {@code position} as {@code source}'s, durably.
   *
   * @throws UncheckedIOException if it could not be written (the previous position stays)
   */
  void save(String source, String position);

  /**
   * One file per source in {@code directory} (created if missing), replaced atomically: written to
   * a temporary file, fsynced, renamed over the old one, and the directory fsynced.
   */
  static Checkpoints directory(Path directory) {
    return new FileCheckpoints(directory);
  }

  /** Positions in memory only: for tests and for feeds that may replay from the start. */
  static Checkpoints inMemory() {
    return new MemoryCheckpoints();
  }
}
