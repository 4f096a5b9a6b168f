package io.freshcache.feeds;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * {@link Checkpoints#directory}: {@code <dir>/<source>.checkpoint}, holding the position as UTF-8.
 *
 * <p>Why temp + fsync + rename + directory fsync: a crash at any point leaves either the old or the
 * new file, never a torn one, and once {@code save} returns the rename itself is on disk.
 */
final class FileCheckpoints implements Checkpoints {
  private final Path directory;

  FileCheckpoints(Path directory) {
    this.directory = requireNonNull(directory, "directory");
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException("checkpoints: cannot create " + directory, e);
    }
  }

  @Override
  public Optional<String> load(String source) {
    try {
      return Optional.of(Files.readString(file(source), StandardCharsets.UTF_8).strip());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("checkpoints: cannot read " + file(source), e);
    }
  }

  @Override
  public void save(String source, String position) {
    requireNonNull(position, "position");
    Path target = file(source);
    // One temp name per source: a source saves from one thread, so there is no writer to race.
    Path temp = directory.resolve("." + target.getFileName() + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE,
          StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buf = ByteBuffer.wrap((position + "\n").getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      syncDirectory();
    } catch (IOException e) {
      throw new UncheckedIOException("checkpoints: cannot write " + target, e);
    }
  }

  private void syncDirectory() {
    // Makes the rename durable on Linux; some platforms cannot open a directory, and there the
    // rename is as durable as the file system makes it.
    try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException | UnsupportedOperationException ignored) {
      // best effort, see above
    }
  }

  private Path file(String source) {
    requireNonNull(source, "source");
    if (source.isEmpty() || !source.matches("[A-Za-z0-9._-]+") || source.startsWith(".")) {
      throw new IllegalArgumentException(
          "source: '" + source + "' (expected: letters, digits, '.', '_' or '-', not starting with '.')");
    }
    return directory.resolve(source + ".checkpoint");
  }
}
