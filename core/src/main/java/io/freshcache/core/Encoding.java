package io.freshcache.core;

import java.util.Locale;

/**
 * A content coding (RFC 9110 section 8.4.1) in which an entry's body can be stored and handed out.
 *
 * <p>gzip and identity are always available; br and zstd need native libraries (brotli4j, zstd-jni),
 * loaded on first use: where they cannot be loaded, {@link #isAvailable()} is false, the cache stores
 * gzip instead, and {@link Page#body(Encoding)} refuses them.
 */
public enum Encoding {
  /** No transformation. */
  IDENTITY("identity"),
  /** gzip (RFC 1952), the JDK's deflater at its default level. */
  GZIP("gzip"),
  /** Brotli (RFC 7932), brotli4j at quality 5. */
  BR("br"),
  /** Zstandard (RFC 8878), zstd-jni at level 3. */
  ZSTD("zstd");

  private final String token;

  Encoding(String token) {
    this.token = token;
  }

  /** The token used in Content-Encoding and Accept-Encoding. */
  public String token() {
    return token;
  }

  /**
   * Whether this coding can be encoded and decoded in this process: always for identity and gzip;
   * for br and zstd, whether their native library loaded (the first call tries, and logs a warning
   * if it cannot).
   */
  public boolean isAvailable() {
    return Compression.available(this);
  }

  /**
   * The coding a token names, ignoring case ({@code "gzip"}, {@code "br"}, {@code "zstd"}, {@code
   * "identity"}).
   *
   * @throws IllegalArgumentException naming the token and the expected ones
   */
  public static Encoding ofToken(String token) {
    String t = token == null ? "" : token.strip().toLowerCase(Locale.ROOT);
    for (Encoding e : values()) {
      if (e.token.equals(t)) {
        return e;
      }
    }
    throw new IllegalArgumentException("encoding: '" + token + "' (expected: gzip, br, zstd or identity)");
  }
}
