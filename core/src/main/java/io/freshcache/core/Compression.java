package io.freshcache.core;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.Decoder;
import com.aayushatharva.brotli4j.encoder.Encoder;
import com.github.luben.zstd.Zstd;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encoding and decoding of bodies in each {@link Encoding}. gzip is the JDK's; br (brotli4j) and zstd
 * (zstd-jni) call native code, loaded by the first {@link #available} check of each: a library that
 * cannot be loaded (no build for this platform, a jar left out) is logged once and its coding is
 * unavailable from then on, so the cache stores gzip instead and no request fails over it.
 *
 * <p>Levels: the stored form is made once per render, on the thread that completed the render (the
 * proxy's event loop), so each coder runs at a level commonly used for dynamic content rather than
 * its maximum (brotli's is many times slower than gzip): brotli quality 5, zstd level 3 (its
 * default). Not measured here; docs/architecture.md, "ETags, compression". At level 3 zstd's window
 * stays within the 8 MB that HTTP's "zstd" coding allows (RFC 9659).
 */
final class Compression {
  private static final Logger LOG = LoggerFactory.getLogger(Compression.class);
  static final int BROTLI_QUALITY = 5;
  static final int ZSTD_LEVEL = 3;
  /** Set by the first failure of a native coder on a body, so a broken library does not flood the log. */
  private static final AtomicBoolean CODER_FAILURE_LOGGED = new AtomicBoolean();

  private Compression() {}

  /** A body in a coding. */
  record Coded(byte[] bytes, Encoding encoding) {}

  /** Whether {@code e} can be used here; the first call for br or zstd loads its native library. */
  static boolean available(Encoding e) {
    return switch (e) {
      case IDENTITY, GZIP -> true;
      case BR -> BrotliHolder.AVAILABLE;
      case ZSTD -> ZstdHolder.AVAILABLE;
    };
  }

  /**
   * The body in {@code wanted}, or null when that does not save at least an eighth (or {@code
   * wanted} is identity). If the native coder of {@code wanted} throws, the body is gzipped instead
   * (logged once): a render never fails over compression.
   */
  static Coded encodeIfSmaller(byte[] identity, Encoding wanted) {
    if (wanted == Encoding.IDENTITY) {
      return null;
    }
    Encoding used = wanted;
    byte[] z;
    try {
      z = encode(identity, wanted);
    } catch (RuntimeException | LinkageError e) {
      if (wanted == Encoding.GZIP) {
        throw e;
      }
      if (CODER_FAILURE_LOGGED.compareAndSet(false, true)) {
        LOG.warn("{} compression failed; storing gzip instead (logged once)", wanted.token(), e);
      }
      used = Encoding.GZIP;
      z = gzip(identity);
    }
    return z.length <= identity.length - identity.length / 8 ? new Coded(z, used) : null;
  }

  /**
   * The identity body encoded in {@code to}.
   *
   * @throws IllegalStateException if {@code to} is not {@link #available}
   */
  static byte[] encode(byte[] identity, Encoding to) {
    return switch (checkAvailable(to)) {
      case IDENTITY -> identity;
      case GZIP -> gzip(identity);
      case BR -> BrotliHolder.encode(identity);
      case ZSTD -> ZstdHolder.encode(identity);
    };
  }

  /**
   * The identity body of {@code coded}, which is in {@code from} and decodes to {@code
   * identityLength} bytes.
   *
   * @throws IllegalStateException if it does not decode to that many bytes, or {@code from} is not
   *     available
   */
  static byte[] decode(byte[] coded, Encoding from, int identityLength) {
    byte[] out = switch (checkAvailable(from)) {
      case IDENTITY -> coded;
      case GZIP -> gunzip(coded, identityLength);
      case BR -> BrotliHolder.decode(coded);
      case ZSTD -> ZstdHolder.decode(coded, identityLength);
    };
    if (out.length != identityLength) {
      throw new IllegalStateException(from.token() + " body: " + out.length + " bytes (expected: " + identityLength + ")");
    }
    return out;
  }

  /** {@code stored} (in {@code from}) in {@code to}: the same array when they are equal. */
  static byte[] transcode(byte[] stored, Encoding from, Encoding to, int identityLength) {
    if (from == to) {
      return stored;
    }
    byte[] identity = decode(stored, from, identityLength);
    return encode(identity, to);
  }

  private static Encoding checkAvailable(Encoding e) {
    if (!available(e)) {
      throw new IllegalStateException(e.token() + " is not available (its native library did not load)");
    }
    return e;
  }

  static byte[] gzip(byte[] identity) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, identity.length / 3));
    try (GZIPOutputStream gz = new GZIPOutputStream(out, 8192)) {
      gz.write(identity);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static byte[] gunzip(byte[] gz, int identityLength) {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz), 8192)) {
      return in.readNBytes(identityLength);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** brotli4j, touched only through here so that a missing jar fails this class's loading, not the caller's. */
  private static final class BrotliHolder {
    static final boolean AVAILABLE = load();
    private static final Encoder.Parameters PARAMETERS = AVAILABLE ? new Encoder.Parameters().setQuality(BROTLI_QUALITY) : null;

    private static boolean load() {
      try {
        Brotli4jLoader.ensureAvailability();
        return true;
      } catch (RuntimeException | LinkageError e) {
        LOG.warn("br is unavailable ({}); bodies configured for br are stored gzip", e.toString());
        return false;
      }
    }

    static byte[] encode(byte[] identity) {
      try {
        return Encoder.compress(identity, PARAMETERS);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    static byte[] decode(byte[] br) {
      try {
        return Decoder.decompress(br, 0, br.length);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** zstd-jni, touched only through here (see {@link BrotliHolder}). */
  private static final class ZstdHolder {
    static final boolean AVAILABLE = load();

    private static boolean load() {
      try {
        com.github.luben.zstd.util.Native.load();
        return true;
      } catch (RuntimeException | LinkageError e) {
        LOG.warn("zstd is unavailable ({}); bodies configured for zstd are stored gzip", e.toString());
        return false;
      }
    }

    static byte[] encode(byte[] identity) {
      return Zstd.compress(identity, ZSTD_LEVEL);
    }

    static byte[] decode(byte[] zstd, int identityLength) {
      return Zstd.decompress(zstd, identityLength);
    }
  }
}
