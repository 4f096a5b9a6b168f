package io.freshcache.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * Who a request comes from, for {@code Cache-Control: private} entries: the value of the configured
 * user header, else of the configured cookie, hashed with SHA-256 and a salt. The clear value is
 * never kept nor logged; only the hash becomes part of a cache key ({@code Scope.user(hash)}).
 *
 * <p>The salt is random per process, so hashes mean nothing outside it (and a key listing leaks no
 * session ids). A store shared between processes would need a configured salt.
 */
final class Identity {
  private final String cookie;
  private final String header;
  private final byte[] salt;

  Identity(String cookie, String header, byte[] salt) {
    this.cookie = cookie;
    this.header = header;
    this.salt = salt.clone();
  }

  /** An identity source with a fresh random salt. */
  static Identity of(ProxyConfig config) {
    byte[] salt = new byte[32];
    new SecureRandom().nextBytes(salt);
    return new Identity(config.userCookie(), config.userHeader(), salt);
  }

  /** Whether an identity source is configured at all. */
  boolean configured() {
    return cookie != null || header != null;
  }

  /**
   * The hashed identity of a request, or null if it has none (or none is configured), or if it names
   * more than one: an application may read the first of two {@code sid} cookies or the last (a
   * sibling subdomain can plant one), and keying on the other would store one user's page in
   * another's scope. Such a request gets no per-user entry at all.
   */
  String of(HttpHeaders headers) {
    String value = null;
    if (header != null) {
      for (String line : headers.getAll(header)) {
        if (line.isBlank()) {
          continue;
        }
        if (value != null && !line.equals(value)) {
          return null;
        }
        value = line;
      }
    }
    if (value == null && cookie != null) {
      value = cookieValue(headers.getAll(HttpHeaderNames.COOKIE), cookie);
    }
    return value == null ? null : hash(value);
  }

  private String hash(String value) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(salt);
      md.update(value.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }

  /**
   * The non-empty value of cookie {@code name} in Cookie field lines (RFC 6265 section 5.4 syntax), or
   * null when it is absent, empty, or given twice with different values.
   */
  static String cookieValue(List<String> lines, String name) {
    String found = null;
    for (String line : lines) {
      for (String pair : line.split(";")) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          continue;
        }
        if (Fields.trimOws(pair.substring(0, eq)).equals(name)) {
          String v = Fields.trimOws(pair.substring(eq + 1));
          if (v.length() >= 2 && v.charAt(0) == '"' && v.charAt(v.length() - 1) == '"') {
            v = v.substring(1, v.length() - 1);
          }
          if (!v.isEmpty()) {
            if (found != null && !found.equals(v)) {
              return null;
            }
            found = v;
          }
        }
      }
    }
    return found;
  }
}
