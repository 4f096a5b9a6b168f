package io.freshcache.core;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** gzip encoding and decoding of bodies. */
final class Compression {
  private Compression() {}

  /** Compresses with gzip; returns null when that does not save at least an eighth. */
  static byte[] gzipIfSmaller(byte[] identity) {
    byte[] z = gzip(identity);
    return z.length <= identity.length - identity.length / 8 ? z : null;
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
      byte[] out = in.readNBytes(identityLength);
      if (out.length != identityLength) {
        throw new IllegalStateException("gzip body: " + out.length + " bytes (expected: " + identityLength + ")");
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] transcode(byte[] stored, Encoding from, Encoding to, int identityLength) {
    if (from == to) {
      return stored;
    }
    byte[] identity = from == Encoding.GZIP ? gunzip(stored, identityLength) : stored;
    return to == Encoding.GZIP ? gzip(identity) : identity;
  }
}
