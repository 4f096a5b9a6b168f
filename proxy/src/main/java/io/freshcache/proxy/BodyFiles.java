package io.freshcache.proxy;

import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Large bodies of hot entries kept in files, so that hits send them with {@code sendfile(2)} from
 * the page cache instead of copying them from memory into the socket: at 100 KB that copy was the
 * largest single cost of a hit (docs/benchmarks.md), and nginx, which sends its cache files this
 * way, was ahead there.
 *
 * <p>Each body is one file, written once on the entry's first hit, opened for reading and unlinked at
 * once: nothing is left behind if the process dies, and the file's storage lives exactly as long as
 * the open channel. The channel is closed by a {@link Cleaner} when the {@link Body} is unreachable,
 * that is when the entry is gone and no response still sends from it (a region in flight holds its
 * body), the same lifetime the direct copies of large bodies had. The directory should be a tmpfs
 * ({@code /dev/shm} by default) so that the bytes are in memory and never written to a disk.
 *
 * <p>Open files are capped ({@link #maxOpen}); beyond the cap, or when a write fails, the caller
 * keeps the body in memory as before. Thread-safe.
 */
final class BodyFiles {
  private static final Logger LOG = LoggerFactory.getLogger(BodyFiles.class);
  private static final Cleaner CLEANER = Cleaner.create();

  /** Bodies at least this long go to a file; shorter ones are cheaper to copy. */
  static final int MIN_BYTES = 64 * 1024;

  private final Path dir;
  private final int maxOpen;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger sequence = new AtomicInteger();
  private volatile boolean failed;

  BodyFiles(Path dir, int maxOpen) {
    this.dir = dir;
    this.maxOpen = maxOpen;
  }

  /**
   * The files for {@code setting} ({@link #directory}), or null for none.
   *
   * @throws IllegalArgumentException if a named directory does not exist or cannot be written
   */
  static BodyFiles of(String setting, int maxOpen) {
    Path dir = directory(setting);
    return dir == null ? null : new BodyFiles(dir, maxOpen);
  }

  /**
   * The directory {@code setting} names, or null for none: "auto" means {@code /dev/shm} where it is
   * a writable directory (else none), "off" or empty means none, anything else is a directory that
   * must exist and be writable. {@link ProxyConfig} validates the setting with this.
   *
   * @throws IllegalArgumentException if a named directory does not exist or cannot be written
   */
  static Path directory(String setting) {
    if (setting == null || setting.isEmpty() || setting.equals("off")) {
      return null;
    }
    if (setting.equals("auto")) {
      Path shm = Path.of("/dev/shm");
      return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : null;
    }
    Path dir = Path.of(setting);
    if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
      throw new IllegalArgumentException("bodyFileDir: " + setting + " (expected: a writable directory, auto or off)");
    }
    return dir;
  }

  /** How many body files are open now. */
  int open() {
    return open.get();
  }

  /** {@code bytes} in a new unlinked file, or null (too short, too many open, or the write failed). */
  Body write(byte[] bytes) {
    if (bytes.length < MIN_BYTES || failed) {
      return null;
    }
    if (open.incrementAndGet() > maxOpen) {
      open.decrementAndGet();
      return null;
    }
    Path file = dir.resolve("freshcache-" + ProcessHandle.current().pid() + "-" + sequence.incrementAndGet() + ".body");
    FileChannel ch = null;
    try {
      ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
      Files.delete(file);
      ByteBuffer src = ByteBuffer.wrap(bytes);
      while (src.hasRemaining()) {
        ch.write(src);
      }
      return new Body(this, ch, bytes.length);
    } catch (IOException | RuntimeException e) {
      open.decrementAndGet();
      closeQuietly(ch);
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // nothing more to do: the write already failed
      }
      failed = true; // a full or broken directory: keep bodies in memory from now on
      LOG.warn("body files in {} disabled, large bodies stay in memory: {}", dir, e.toString());
      return null;
    }
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // closing a read channel of an unlinked file: nothing to lose
      }
    }
  }

  /** One body in a file; regions of it are written to sockets, each keeping it open while in flight. */
  static final class Body {
    private final FileChannel channel;
    final int length;

    private Body(BodyFiles files, FileChannel channel, int length) {
      this.channel = channel;
      this.length = length;
      CLEANER.register(this, new Close(files.open, channel));
    }

    /** A region of the whole body for one response (released by the transport after writing it). */
    FileRegion region() {
      return new Region(this, 0, length);
    }

    /** A region of {@code count} bytes of the body from {@code position}, for a range request's 206. */
    FileRegion region(long position, long count) {
      return new Region(this, position, count);
    }
  }

  /** The cleaning action: must not refer to its {@link Body}, or the body would never be unreachable. */
  private record Close(AtomicInteger open, FileChannel channel) implements Runnable {
    @Override
    public void run() {
      closeQuietly(channel);
      open.decrementAndGet();
    }
  }

  /**
   * A {@link DefaultFileRegion} (the type the epoll transport sends with sendfile) that leaves the
   * shared channel open when released: the channel belongs to its body.
   */
  private static final class Region extends DefaultFileRegion {
    @SuppressWarnings({"unused", "FieldCanBeLocal"}) // keeps the body, so its channel, open while in flight
    private final Body body;

    Region(Body body, long position, long count) {
      super(body.channel, position, count);
      this.body = body;
    }

    @Override
    protected void deallocate() {
      // The channel is the body's; its cleaner closes it.
    }
  }
}
