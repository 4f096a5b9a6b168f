package io.freshcache.core;

/**
 * A content coding (RFC 9110 section 8.4.1) in which an entry's body can be stored and handed out.
 */
public enum Encoding {
  /** No transformation. */
  IDENTITY("identity"),
  /** gzip (RFC 1952), the JDK's deflater. */
  GZIP("gzip");

  private final String token;

  Encoding(String token) {
    this.token = token;
  }

  /** The token used in Content-Encoding and Accept-Encoding. */
  public String token() {
    return token;
  }
}
