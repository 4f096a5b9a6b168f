package io.freshcache.proxy;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One member of the Cache-Status response field (RFC 9211): how this cache handled the request.
 *
 * <p>The field is a Structured Field List (RFC 8941); each member is the cache's name (a Token or a
 * String) with parameters: {@code hit} (Boolean), {@code fwd} (Token, {@link Fwd}), {@code
 * fwd-status} (Integer), {@code ttl} (Integer, negative when stale), {@code stored} (Boolean), {@code
 * collapsed} (Boolean), {@code key} (String), {@code detail} (Token or String). {@code hit} and
 * {@code fwd} are exclusive (section 2.1); {@code fwd-status}, {@code stored} and {@code collapsed}
 * are only meaningful with {@code fwd} (sections 2.3, 2.5, 2.6), so the builder refuses them on a
 * hit. Parameters are written in the order the RFC defines them.
 *
 * <pre>
 * CacheStatus.hit().ttl(42)                         Freshcache; hit; ttl=42
 * CacheStatus.fwd(Fwd.URI_MISS).stored(true)         Freshcache; fwd=uri-miss; stored
 * CacheStatus.fwd(Fwd.STALE).fwdStatus(304)          Freshcache; fwd=stale; fwd-status=304
 * </pre>
 *
 * <p>{@link #appendTo} adds this member after those already in the response (caches closer to the
 * origin come first, section 2). Key and detail texts are sf-strings, which hold printable ASCII only:
 * other characters are percent-encoded as UTF-8 (and {@code %} itself as {@code %25}), so any
 * resource name can be shown without failing the response.
 *
 * @param cache the cache's name
 * @param isHit whether the response came from the cache
 * @param fwd why the request went forward, or {@code null} for a hit
 * @param fwdStatus the next hop's status code, or 0 if not given
 * @param ttl remaining freshness lifetime in seconds, or {@code null} if not given
 * @param stored whether the forwarded response was stored, or {@code null} if not given
 * @param collapsed whether the request was collapsed with others, or {@code null} if not given
 * @param key the cache key, or {@code null}
 * @param detail implementation-specific detail, or {@code null}
 */
record CacheStatus(
    String cache, boolean isHit, Fwd fwd, int fwdStatus, Long ttl, Boolean stored, Boolean collapsed,
    String key, String detail) {

  /** This proxy's name in Cache-Status. */
  static final String NAME = "Freshcache";

  /** The {@code fwd} values (RFC 9211 section 2.2). */
  enum Fwd {
    /** The cache was configured not to handle this request. */
    BYPASS("bypass"),
    /** The request method's semantics require the request to be forwarded. */
    METHOD("method"),
    /** The cache did not contain any responses that matched the request URI. */
    URI_MISS("uri-miss"),
    /** There were responses for the URI, but none whose Vary selection matched. */
    VARY_MISS("vary-miss"),
    /** No usable response (when uri-miss and vary-miss cannot be told apart). */
    MISS("miss"),
    /** A fresh response was available, but the request's directives (e.g. no-cache) forbade its use. */
    REQUEST("request"),
    /** The selected response was stale. */
    STALE("stale"),
    /** The selected response was partial and did not cover the request. */
    PARTIAL("partial");

    private final String token;

    Fwd(String token) {
      this.token = token;
    }

    /** The token written in the field. */
    String token() {
      return token;
    }
  }

  /** Validates the combination. */
  CacheStatus {
    requireNonNull(cache, "cache");
    if (cache.isEmpty()) {
      throw new IllegalArgumentException("cache: empty (expected: a name such as 'Freshcache')");
    }
    if (isHit && fwd != null) {
      throw new IllegalArgumentException("hit and fwd=" + fwd.token + " (expected: only one, RFC 9211 section 2.1)");
    }
    if (fwd == null && (fwdStatus != 0 || stored != null || collapsed != null)) {
      throw new IllegalArgumentException("fwd-status, stored or collapsed without fwd"
          + " (expected: only on a forwarded request, RFC 9211 sections 2.3, 2.5, 2.6)");
    }
    if (fwdStatus != 0 && (fwdStatus < 100 || fwdStatus > 999)) {
      throw new IllegalArgumentException("fwdStatus: " + fwdStatus + " (expected: a status code 100..999)");
    }
  }

  /** A hit by {@value #NAME}. */
  static CacheStatus hit() {
    return new CacheStatus(NAME, true, null, 0, null, null, null, null, null);
  }

  /**
   * {@code hit().ttl(seconds)}: for the ttls of most hits (0 to 4095 s) one shared instance each,
   * as every plain hit builds one (a racy fill is fine: the instances are immutable and equal).
   */
  static CacheStatus hitWithTtl(long seconds) {
    if (seconds < 0 || seconds >= PLAIN_HITS.length) {
      return hit().ttl(seconds);
    }
    int i = (int) seconds;
    CacheStatus s = PLAIN_HITS[i];
    if (s == null) {
      s = PLAIN_HITS[i] = hit().ttl(seconds);
    }
    return s;
  }

  private static final CacheStatus[] PLAIN_HITS = new CacheStatus[4096];

  /** A request forwarded by {@value #NAME} for {@code reason}. */
  static CacheStatus fwd(Fwd reason) {
    requireNonNull(reason, "reason");
    return new CacheStatus(NAME, false, reason, 0, null, null, null, null, null);
  }

  /** The same with another cache name (a Token if it can be one, else a String). */
  CacheStatus named(String name) {
    return new CacheStatus(name, isHit, fwd, fwdStatus, ttl, stored, collapsed, key, detail);
  }

  /** With the next hop's status code. */
  CacheStatus fwdStatus(int status) {
    return new CacheStatus(cache, isHit, fwd, status, ttl, stored, collapsed, key, detail);
  }

  /** With the remaining freshness lifetime in seconds (negative when stale). */
  CacheStatus ttl(long seconds) {
    return new CacheStatus(cache, isHit, fwd, fwdStatus, seconds, stored, collapsed, key, detail);
  }

  /** With whether the forwarded response was stored. */
  CacheStatus stored(boolean value) {
    return new CacheStatus(cache, isHit, fwd, fwdStatus, ttl, value, collapsed, key, detail);
  }

  /** With whether the request was collapsed with another (true: its response was reused). */
  CacheStatus collapsed(boolean value) {
    return new CacheStatus(cache, isHit, fwd, fwdStatus, ttl, stored, value, key, detail);
  }

  /** With a representation of the cache key. */
  CacheStatus key(String value) {
    return new CacheStatus(cache, isHit, fwd, fwdStatus, ttl, stored, collapsed, requireNonNull(value, "key"), detail);
  }

  /** With implementation-specific detail (e.g. why a response was not stored). */
  CacheStatus detail(String value) {
    return new CacheStatus(cache, isHit, fwd, fwdStatus, ttl, stored, collapsed, key, requireNonNull(value, "detail"));
  }

  /** With {@code value} added to the detail: {@code value}, or {@code <detail>+<value>}. */
  CacheStatus addDetail(String value) {
    requireNonNull(value, "value");
    return detail(detail == null ? value : detail + "+" + value);
  }

  /** The member as serialized in the field, e.g. {@code Freshcache; fwd=uri-miss; stored}. */
  @Override
  public String toString() {
    if (isHit && ttl != null && ttl >= 0 && ttl < HIT_TEXTS.length && stored == null && collapsed == null
        && key == null && detail == null && cache.equals(NAME)) {
      // Every plain hit writes one of these: built once per ttl value rather than once per hit.
      int i = (int) (long) ttl;
      String t = HIT_TEXTS[i];
      if (t == null) {
        t = HIT_TEXTS[i] = render();
      }
      return t;
    }
    return render();
  }

  /** The texts of plain hits by ttl ({@code Freshcache; hit; ttl=N}); a racy fill is fine, Strings are immutable. */
  private static final String[] HIT_TEXTS = new String[4096];

  private String render() {
    StringBuilder b = new StringBuilder(item(cache));
    if (isHit) {
      b.append("; hit");
    }
    if (fwd != null) {
      b.append("; fwd=").append(fwd.token);
    }
    if (fwdStatus != 0) {
      b.append("; fwd-status=").append(fwdStatus);
    }
    if (ttl != null) {
      b.append("; ttl=").append(Math.max(-999_999_999_999_999L, Math.min(ttl, 999_999_999_999_999L)));
    }
    flag(b, "stored", stored);
    flag(b, "collapsed", collapsed);
    if (key != null) {
      b.append("; key=").append(StructuredFields.serializeString(printableAscii(key)));
    }
    if (detail != null) {
      b.append("; detail=").append(item(detail));
    }
    return b.toString();
  }

  /**
   * The Cache-Status value with this member appended to the existing lines (RFC 9211: "caches SHOULD
   * preserve the existing contents").
   */
  String appendTo(List<String> existing) {
    StringBuilder b = new StringBuilder();
    for (String line : existing) {
      String v = Fields.trimOws(line);
      if (!v.isEmpty()) {
        b.append(v).append(", ");
      }
    }
    return b.append(this).toString();
  }

  private static void flag(StringBuilder b, String name, Boolean value) {
    if (value != null) {
      b.append("; ").append(name).append(value ? "" : "=?0");
    }
  }

  /** A Token if {@code text} is one, else an sf-string of its printable-ASCII form. */
  private static String item(String text) {
    return StructuredFields.isToken(text) ? text : StructuredFields.serializeString(printableAscii(text));
  }

  /** {@code text} with '%' and characters outside 0x20..0x7E percent-encoded as UTF-8. */
  static String printableAscii(String text) {
    StringBuilder b = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 0x20 && c <= 0x7E && c != '%') {
        if (b != null) {
          b.append(c);
        }
        continue;
      }
      if (b == null) {
        b = new StringBuilder(text.length() + 16).append(text, 0, i);
      }
      int end = Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))
          ? i + 2 : i + 1;
      for (byte x : text.substring(i, end).getBytes(StandardCharsets.UTF_8)) {
        b.append('%').append(Character.toUpperCase(Character.forDigit((x >> 4) & 0xF, 16)))
            .append(Character.toUpperCase(Character.forDigit(x & 0xF, 16)));
      }
      i = end - 1;
    }
    return b == null ? text : b.toString();
  }
}
