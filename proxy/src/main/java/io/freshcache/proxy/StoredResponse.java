package io.freshcache.proxy;

import io.freshcache.core.Encoding;
import io.freshcache.core.Page;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * What the proxy keeps with a cache entry ({@code Content.attachment()}): the stored response's
 * status, header fields and freshness, and, built on the first hit, the header block and body as
 * direct buffers ready to write.
 *
 * <p>Immutable except for the lazily built {@link Encoded} (a benign race: two threads may build equal
 * values and one wins).
 *
 * <p>What a hit writes: the pre-encoded status line and stored fields (with Content-Length, ETag, Via
 * and Vary), then the per-request fields (Date, Age, Cache-Status, Connection), then the body. Date is
 * the time of sending (the age since the origin made the response is in Age).
 */
final class StoredResponse {

  /** Fields never stored: they are per message, per connection, or for this proxy only. */
  static final Set<String> NOT_STORED = Set.of("age", "cache-status", "content-length",
      "transfer-encoding", "connection", "keep-alive", "cache-tag", "surrogate-key", "xkey",
      "cache-invalidate", "surrogate-control", "via");

  /** Fields not copied from the stored ones into the pre-encoded block (written per request or rebuilt). */
  static final Set<String> NOT_ENCODED = Set.of("date", "age", "cache-status", "etag", "vary",
      "content-length", "content-encoding");

  static final String VIA = "1.1 freshcache";

  final int status;
  final String reasonPhrase;
  /** The stored fields (with Date, without {@link #NOT_STORED}), as {@link StoredFields} made them. */
  final Fields fields;
  final Freshness freshness;
  /** The Vary of this response (the key it was stored under was computed with it). */
  final Vary vary;
  /** Cache-Status members from caches before us, joined, or empty. */
  final String upstreamCacheStatus;
  /** Whether this entry came from an origin 304 that freshened the previous one. */
  final boolean revalidated;
  final long receivedAtMillis;
  private final long initialAgeMillis;
  private final long lifetimeMillis;
  /** Whether no request directive can make a difference beyond plain freshness: no no-cache response. */
  private final boolean simple;

  /**
   * The parsed ESI template when the response asked for ESI and has includes, else null. The entry's
   * body is then the template's body (the markup as the origin sent it); the response is assembled
   * per request ({@link EsiAssembly}), so nothing is pre-encoded.
   */
  final EsiTemplate template;

  private volatile Encoded encoded;

  StoredResponse(int status, String reasonPhrase, Fields fields, Freshness freshness, Vary vary,
      String upstreamCacheStatus, boolean revalidated) {
    this(status, reasonPhrase, fields, freshness, vary, upstreamCacheStatus, revalidated, null);
  }

  private StoredResponse(int status, String reasonPhrase, Fields fields, Freshness freshness, Vary vary,
      String upstreamCacheStatus, boolean revalidated, EsiTemplate template) {
    this.template = template;
    this.status = status;
    this.reasonPhrase = reasonPhrase;
    this.fields = fields;
    this.freshness = freshness;
    this.vary = vary;
    this.upstreamCacheStatus = upstreamCacheStatus;
    this.revalidated = revalidated;
    this.receivedAtMillis = freshness.responseTime().toEpochMilli();
    this.initialAgeMillis = freshness.correctedInitialAge().toMillis();
    this.lifetimeMillis = freshness.lifetime().toMillis();
    this.simple = !freshness.directives().noCache();
  }

  /** current_age in milliseconds at {@code nowMillis} (the clock stepping back counts as no time). */
  long ageMillis(long nowMillis) {
    return initialAgeMillis + Math.max(0, nowMillis - receivedAtMillis);
  }

  /** The Age field value at {@code nowMillis}. */
  long ageSeconds(long nowMillis) {
    return Math.min(ageMillis(nowMillis) / 1000, ResponseDirectives.MAX_DELTA);
  }

  /** Remaining freshness in whole seconds, negative when stale (Cache-Status ttl). */
  long ttlSeconds(long nowMillis) {
    return Math.floorDiv(lifetimeMillis - ageMillis(nowMillis), 1000);
  }

  /** The fast test of a request without directives: fresh, and not no-cache. */
  boolean servableWithoutDirectives(long nowMillis) {
    return simple && lifetimeMillis > ageMillis(nowMillis);
  }

  /** The same response, assembled from {@code t} when served (null: served as it is). */
  StoredResponse withTemplate(EsiTemplate t) {
    return new StoredResponse(status, reasonPhrase, fields, freshness, vary, upstreamCacheStatus, revalidated, t);
  }

  /** The pre-encoded form for {@code page} (this entry's page), built on first use. */
  Encoded encoded(Page page) {
    Encoded e = encoded;
    if (e == null) {
      e = new Encoded(this, page);
      encoded = e;
    }
    return e;
  }

  /** The ETag to send: the origin's, else core's strong hash of the body. */
  String etag(Page page) {
    String origin = fields.first("ETag");
    return origin != null ? origin : page.etag().toString();
  }

  /** The header block and bodies of one entry, as unreleasable direct buffers. */
  static final class Encoded {
    final ByteBuf identityHead;
    final ByteBuf identityBody;
    /** Null when the entry is stored as identity. */
    final ByteBuf gzipHead;
    final ByteBuf gzipBody;
    /** The stored fields with the ETag sent, for conditional requests. */
    final Fields identityFields;
    final Fields gzipFields;
    final String cacheStatusPrefix;

    Encoded(StoredResponse r, Page page) {
      String etag = r.etag(page);
      boolean gzip = page.storedEncoding() == Encoding.GZIP;
      String vary = r.vary.names().isEmpty() ? null : r.vary.toString();
      if (gzip) {
        vary = vary == null ? "Accept-Encoding" : vary.contains("accept-encoding") ? vary : vary + ", Accept-Encoding";
      }
      Fields base = r.fields.withoutAll(NOT_ENCODED);
      Fields id = base.with("ETag", etag);
      if (vary != null) {
        id = id.with("Vary", vary);
      }
      identityFields = id;
      byte[] identity = page.body();
      identityHead = block(r, id, identity.length, null);
      identityBody = direct(identity);
      if (gzip) {
        String weak = etag.startsWith("W/") ? etag : "W/" + etag;
        Fields gz = base.with("ETag", weak).with("Vary", vary);
        gzipFields = gz;
        byte[] z = page.storedBody();
        gzipHead = block(r, gz, z.length, "gzip");
        gzipBody = direct(z);
      } else {
        gzipFields = null;
        gzipHead = null;
        gzipBody = null;
      }
      cacheStatusPrefix = r.upstreamCacheStatus.isEmpty() ? "" : r.upstreamCacheStatus + ", ";
    }

    private static ByteBuf block(StoredResponse r, Fields f, int length, String coding) {
      return direct(headText(r, f, length, coding).getBytes(StandardCharsets.ISO_8859_1));
    }

    private static ByteBuf direct(byte[] bytes) {
      ByteBuffer d = ByteBuffer.allocateDirect(bytes.length);
      d.put(bytes).flip();
      // Freed by the JDK's cleaner when the entry is gone; never released through Netty.
      return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(d));
    }
  }

  /** The status line and fields of a response, with Content-Length, Content-Encoding and Via, without the end. */
  private static String headText(StoredResponse r, Fields f, int length, String coding) {
    StringBuilder b = new StringBuilder(256);
    b.append("HTTP/1.1 ").append(r.status).append(' ').append(r.reasonPhrase).append("\r\n");
    for (Fields.Field x : f.lines()) {
      b.append(x.name()).append(": ").append(x.value()).append("\r\n");
    }
    if (coding != null) {
      b.append("Content-Encoding: ").append(coding).append("\r\n");
    }
    if (r.status != 204 && r.status != 304) {
      b.append("Content-Length: ").append(length).append("\r\n");
    }
    b.append("Via: ").append(VIA).append("\r\n");
    return b.toString();
  }

  /** The header block of an identity response of this entry with other fields, for one request (an ESI assembly). */
  ByteBuf head(ByteBufAllocator alloc, Fields f, int length) {
    String text = headText(this, f, length, null);
    ByteBuf out = alloc.buffer(text.length());
    out.writeCharSequence(text, StandardCharsets.ISO_8859_1);
    return out;
  }

  // ------------------------------------------------------------------ per-request blocks

  private static final byte[] DATE = "Date: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] AGE = "\r\nAge: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CACHE_STATUS = "\r\nCache-Status: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CLOSE = "\r\nConnection: close".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] KEEP_ALIVE = "\r\nConnection: keep-alive".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] END = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  /**
   * The per-request fields and the end of the header section.
   *
   * @param connection 0: nothing, 1: Connection: close, 2: Connection: keep-alive (HTTP/1.0)
   */
  static ByteBuf perRequest(ByteBufAllocator alloc, byte[] date, long age, String cacheStatus, int connection) {
    ByteBuf b = alloc.buffer(96 + cacheStatus.length());
    b.writeBytes(DATE).writeBytes(date);
    if (age >= 0) {
      b.writeBytes(AGE);
      writeLong(b, age);
    }
    b.writeBytes(CACHE_STATUS);
    b.writeCharSequence(cacheStatus, StandardCharsets.ISO_8859_1);
    if (connection == 1) {
      b.writeBytes(CLOSE);
    } else if (connection == 2) {
      b.writeBytes(KEEP_ALIVE);
    }
    return b.writeBytes(END);
  }

  private static void writeLong(ByteBuf b, long v) {
    if (v < 10) {
      b.writeByte('0' + (int) v);
      return;
    }
    b.writeCharSequence(Long.toString(v), StandardCharsets.US_ASCII);
  }

  /** The header block of a 304 generated from this entry (RFC 9110 section 15.4.5), without per-request fields. */
  static ByteBuf notModifiedBlock(ByteBufAllocator alloc, Fields storedWithEtag) {
    StringBuilder b = new StringBuilder(256).append("HTTP/1.1 304 Not Modified\r\n");
    for (Fields.Field x : Conditional.notModifiedFields(storedWithEtag).lines()) {
      if (!x.is("Date")) {
        b.append(x.name()).append(": ").append(x.value()).append("\r\n");
      }
    }
    b.append("Via: ").append(VIA).append("\r\n");
    ByteBuf out = alloc.buffer(b.length());
    out.writeCharSequence(b, StandardCharsets.ISO_8859_1);
    return out;
  }

  /** The reason phrase to use for a status. */
  static String reason(int status, String given) {
    return given != null && !given.isEmpty() ? given : HttpResponseStatus.valueOf(status).reasonPhrase();
  }

  /** Existing Cache-Status lines joined, for prefixing our member. */
  static String upstream(List<String> lines) {
    if (lines.isEmpty()) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    for (String line : lines) {
      String v = Fields.trimOws(line);
      if (!v.isEmpty()) {
        b.append(b.length() == 0 ? "" : ", ").append(v);
      }
    }
    return b.toString();
  }
}
