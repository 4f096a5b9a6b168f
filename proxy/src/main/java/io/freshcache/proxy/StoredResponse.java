package io.freshcache.proxy;

import com.github.benmanes.caffeine.cache.Interner;
import io.freshcache.core.Encoding;
import io.freshcache.core.Freshcache;
import io.freshcache.core.Page;
import io.freshcache.core.Weighable;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * What the proxy keeps with a cache entry ({@code Content.attachment()}): the stored response's
 * status, header fields and freshness, kept compact because there is one per cached object (memory
 * per object is a goal, docs/architecture.md "What a stored response keeps").
 *
 * <ul>
 *   <li>The fields are {@code Name: value CRLF} lines (ISO-8859-1) in two byte arrays: the {@link
 *       #SHAREABLE} ones that a hit sends as they are (Server, Content-Type, Cache-Control...),
 *       interned so that the entries of a site share one copy; and the entry's own: first those a
 *       hit sends as they are, then from {@link #sentEnd} the origin's ETag and the other {@link
 *       #NOT_ENCODED} ones, whose values a hit rebuilds. Date is not kept as text: it is rebuilt
 *       from the freshness inputs (a hit sends its own). Last-Modified and Expires in IMF-fixdate
 *       (as nearly every origin sends them) are kept as epoch seconds and written by each hit: 8
 *       bytes instead of about 85 per entry. {@link #fields()} parses them when a rarer path needs
 *       them (conditional requests, revalidation, ESI).
 *   <li>Freshness is kept as the primitive inputs of {@link Freshness} (directives interned, as most
 *       entries share them); {@link #freshness()} rebuilds the record for requests with directives.
 *   <li>A hit on the stored form of a body shorter than {@link #DIRECT_BODY_BYTES} (the common
 *       case) writes its ETag, Content-Length and Via lines from these fields and the page per
 *       request ({@link #storedBlock}), so nothing is kept for it. Otherwise what a hit writes
 *       beyond those bytes is built lazily per encoding actually requested: a
 *       small {@link Hit}, kept in a chain of at most one per encoding behind one field ({@link
 *       #hits}), so an entry never hit pays one null reference. The stored form and the identity
 *       form are kept when a hit builds them (a miss builds its own and drops it: most entries are
 *       never hit, and an identity copy of a compressed body is 1 KB or more); a coded form derived
 *       from the stored one (zstd, br or gzip from another) is kept whoever builds it, as it costs a
 *       compression, which happens at most once per entry and coding. Bodies are written from the
 *       form's bytes (copied into the per-request buffer with the header), except bodies of at least
 *       {@link #DIRECT_BODY_BYTES}, which get a direct copy written without copying (the copy per
 *       write would cost more CPU than the second copy costs memory).
 * </ul>
 *
 * <p>Immutable except for the chain of hits, which only grows, under the response's lock; readers
 * walk it without locking.
 *
 * <p>What a hit writes: the status line and stored fields (with Content-Length, ETag, Via and Vary),
 * then the per-request fields (Date, Age, Cache-Status, Connection), then the body. Date is the time
 * of sending (the age since the origin made the response is in Age).
 */
final class StoredResponse implements Weighable {

  /** Fields never stored: they are per message, per connection, or for this proxy only. */
  static final Set<String> NOT_STORED = Set.of("age", "cache-status", "content-length",
      "transfer-encoding", "connection", "keep-alive", "cache-tag", "surrogate-key", "xkey",
      "cache-invalidate", "surrogate-control", "via");

  /** Fields not copied from the stored ones into the pre-encoded block (written per request or rebuilt). */
  static final Set<String> NOT_ENCODED = Set.of("date", "age", "cache-status", "etag", "vary",
      "content-length", "content-encoding");

  static final String VIA = "1.1 freshcache";

  /** Bodies at least this long are written from a direct copy (zero-copy); shorter ones from the heap bytes. */
  static final int DIRECT_BODY_BYTES = 16 * 1024;

  /** Most entries share their directives: one instance each. */
  private static final Interner<ResponseDirectives> DIRECTIVES = Interner.newWeakInterner();

  /**
   * Fields whose lines most entries of a site share (the server, the media type, the policy
   * headers): kept once per distinct block of them ({@link #SHARED_LINES}) rather than per entry.
   * Fields that usually differ per page (ETag, Last-Modified, Expires, Location, Set-Cookie...) and
   * any field not named here stay with the entry, so a site whose responses differ only in those
   * adds nothing to the interner.
   */
  static final Set<String> SHAREABLE = Set.of("server", "content-type", "cache-control", "accept-ranges",
      "x-powered-by", "content-language", "x-frame-options", "x-content-type-options", "strict-transport-security",
      "referrer-policy", "access-control-allow-origin", "access-control-allow-credentials",
      "access-control-expose-headers", "x-xss-protection", "content-security-policy", "permissions-policy",
      "cross-origin-opener-policy", "cross-origin-resource-policy", "cross-origin-embedder-policy",
      "cdn-cache-control", "freshcache-cache-control", "pragma", "x-ua-compatible", "alt-svc",
      "timing-allow-origin");

  /** One instance per distinct block of {@link #SHAREABLE} lines while an entry uses it. */
  private static final Interner<SharedLines> SHARED_LINES = Interner.newWeakInterner();

  /** A block of shared lines; entries hold this object (the interner holds it weakly), not just the bytes. */
  private static final class SharedLines {
    static final SharedLines NONE = new SharedLines(new byte[0]);

    final byte[] bytes;
    private final int hash;

    SharedLines(byte[] bytes) {
      this.bytes = bytes;
      this.hash = Arrays.hashCode(bytes);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof SharedLines other && hash == other.hash && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /** Status lines with the standard reason phrase (see {@link #reason}), built once per status. */
  private static final AtomicReferenceArray<byte[]> STATUS_LINES = new AtomicReferenceArray<>(600);

  private static final String OK = HttpResponseStatus.OK.reasonPhrase();
  private static final byte[] OK_LINE = "HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.ISO_8859_1);

  final int status;
  final String reasonPhrase;
  /** The stored fields sent as they are that many entries share (interned); see the class comment. */
  private final SharedLines shared;
  /**
   * The other stored fields (without Date and {@link #NOT_STORED}) as lines: first those sent as
   * they are, then from {@link #sentEnd} the origin's ETag line if any, then the rest of {@link
   * #NOT_ENCODED}.
   */
  private final byte[] lines;
  /** Where the lines not sent as they are begin. */
  private final int sentEnd;
  /** The Vary of this response (the key it was stored under was computed with it). */
  final Vary vary;
  /** Cache-Status members from caches before us, joined, or empty. */
  final String upstreamCacheStatus;
  /** Whether this entry came from an origin 304 that freshened the previous one. */
  final boolean revalidated;
  /** The governing directives (interned). */
  final ResponseDirectives directives;
  /** The time from sending the request to receiving this response (requestTime = receivedAtMillis - this). */
  private final int requestDelayMillis;
  final long receivedAtMillis;
  private final long dateMillis;
  /** The Age field's seconds, at most 2^31 (RFC 9111 section 1.2.2), as an unsigned int. */
  private final int ageValue;
  private final long lifetimeMillis;
  /**
   * The Last-Modified and Expires values when each is a single field in IMF-fixdate form (nearly
   * always): their epoch seconds as unsigned ints, and no line for them in {@link #lines}; hits write
   * them ({@link #writeOwnLines}). {@link #NO_DATE} when the field is absent or kept as text (any
   * other form, a repeated field, a date {@link HttpDate#write} cannot write).
   */
  private final int lastModifiedSecond;
  private final int expiresSecond;
  private final boolean explicit;
  private final long initialAgeMillis;
  /** Whether no request directive can make a difference beyond plain freshness: no no-cache response. */
  private final boolean simple;

  /**
   * The parsed ESI template when the response asked for ESI and has includes, else null. The entry's
   * body is then the template's body (the markup as the origin sent it); the response is assembled
   * per request ({@link EsiAssembly}), so nothing is pre-encoded.
   */
  final EsiTemplate template;

  /**
   * The kept {@link Hit}s, newest first, at most one per encoding: null until one is kept. Written
   * under {@code synchronized (this)}; volatile so that readers see complete hits without locking.
   */
  private volatile Hit hits;

  StoredResponse(int status, String reasonPhrase, Fields fields, Freshness freshness, Vary vary,
      String upstreamCacheStatus, boolean revalidated) {
    this.template = null;
    this.status = status;
    this.reasonPhrase = reasonPhrase;
    StringBuilder common = new StringBuilder(128);
    StringBuilder own = new StringBuilder(160);
    StringBuilder etag = new StringBuilder(48);
    StringBuilder rest = new StringBuilder(64);
    int modified = compactDate(fields, LAST_MODIFIED);
    int expires = compactDate(fields, EXPIRES);
    for (Fields.Field f : fields.lines()) {
      String lower = Fields.lower(f.name());
      if (lower.equals("date")) {
        continue; // rebuilt from dateMillis by fields(); a hit sends its own
      }
      if (modified != NO_DATE && lower.equals("last-modified") || expires != NO_DATE && lower.equals("expires")) {
        continue; // kept as a number
      }
      StringBuilder b = !NOT_ENCODED.contains(lower) ? (SHAREABLE.contains(lower) ? common : own)
          : lower.equals("etag") && etag.length() == 0 ? etag : rest;
      b.append(f.name()).append(": ").append(f.value()).append("\r\n");
    }
    this.shared = common.length() == 0 ? SharedLines.NONE
        : SHARED_LINES.intern(new SharedLines(common.toString().getBytes(StandardCharsets.ISO_8859_1)));
    this.sentEnd = own.length();
    this.lines = own.append(etag).append(rest).toString().getBytes(StandardCharsets.ISO_8859_1);
    this.lastModifiedSecond = modified;
    this.expiresSecond = expires;
    this.vary = vary;
    this.upstreamCacheStatus = upstreamCacheStatus;
    this.revalidated = revalidated;
    this.directives = DIRECTIVES.intern(freshness.directives());
    this.receivedAtMillis = freshness.responseTime().toEpochMilli();
    this.requestDelayMillis = (int) Math.max(Integer.MIN_VALUE,
        Math.min(Integer.MAX_VALUE, receivedAtMillis - freshness.requestTime().toEpochMilli()));
    this.dateMillis = freshness.dateValue().toEpochMilli();
    this.ageValue = (int) Math.min(freshness.ageValue(), ResponseDirectives.MAX_DELTA); // fits unsigned
    this.lifetimeMillis = freshness.lifetime().toMillis();
    this.explicit = freshness.explicit();
    this.initialAgeMillis = freshness.correctedInitialAge().toMillis();
    this.simple = !directives.noCache();
  }

  private StoredResponse(StoredResponse r, EsiTemplate template) {
    this.template = template;
    this.status = r.status;
    this.reasonPhrase = r.reasonPhrase;
    this.shared = r.shared;
    this.lines = r.lines;
    this.lastModifiedSecond = r.lastModifiedSecond;
    this.expiresSecond = r.expiresSecond;
    this.sentEnd = r.sentEnd;
    this.vary = r.vary;
    this.upstreamCacheStatus = r.upstreamCacheStatus;
    this.revalidated = r.revalidated;
    this.directives = r.directives;
    this.requestDelayMillis = r.requestDelayMillis;
    this.receivedAtMillis = r.receivedAtMillis;
    this.dateMillis = r.dateMillis;
    this.ageValue = r.ageValue;
    this.lifetimeMillis = r.lifetimeMillis;
    this.explicit = r.explicit;
    this.initialAgeMillis = r.initialAgeMillis;
    this.simple = r.simple;
  }

  /**
   * The stored fields (without {@link #NOT_STORED}), parsed anew: the shared ones, the entry's own,
   * the ones a hit rebuilds, and Date (the origin's, or the time the response was received when it
   * sent none or an invalid one, as RFC 9110 section 6.6.1 asks of a cache).
   */
  Fields fields() {
    List<Fields.Field> list = new ArrayList<>(12);
    parse(list, shared.bytes, 0, shared.bytes.length);
    parse(list, lines, 0, lines.length);
    addDates(list);
    list.add(new Fields.Field("Date", HttpDate.format(Instant.ofEpochMilli(dateMillis))));
    return new Fields(list);
  }

  /**
   * The Date a response from this entry carries, in epoch seconds: the stored one (the origin's, or
   * when it sent none or an invalid one the time it was received), as every shared cache sends it.
   * A Date of the time of sending would make downstream caches count the age twice: they take
   * Expires minus Date as the lifetime and add Age to the apparent age (RFC 9111 section 4.2).
   * {@code nowMillis} only stands in for a stored Date that IMF-fixdate cannot write.
   */
  long sentDateSecond(long nowMillis) {
    long s = Math.floorDiv(dateMillis, 1000);
    return s >= 0 && s <= HttpDate.LAST_WRITABLE_SECOND ? s : Math.floorDiv(nowMillis, 1000);
  }

  /** The freshness this response was stored with, rebuilt. */
  Freshness freshness() {
    return new Freshness(directives, Instant.ofEpochMilli(receivedAtMillis - requestDelayMillis),
        Instant.ofEpochMilli(receivedAtMillis), Instant.ofEpochMilli(dateMillis), Integer.toUnsignedLong(ageValue),
        Duration.ofMillis(lifetimeMillis), explicit);
  }

  /**
   * What this response holds beyond core's entry, for the cache's byte bound: the field lines and
   * the strings it does not share, plus fixed estimates of its objects (JDK 17, compressed oops):
   *
   * <ul>
   *   <li>{@value #OBJECT_BYTES} B for this object (104 B measured: docs/benchmarks.md, "Memory
   *       per cached object") and the header of the lines array; interned directives, the shared reason
   *       phrases and {@code Vary.NONE} cost nothing per entry; a Vary's names and an upstream
   *       Cache-Status are counted when present;
   *   <li>an ESI template: its parts, include sources and body (the markup: the same array as
   *       core's entry body when core stores it uncompressed, then counted twice, which errs on the
   *       safe side; the only identity copy when core stores it gzip); its literals are slices of
   *       that body;
   *   <li>the {@link Hit}s kept by later uses ({@link Hit#heldBytes}): {@link #hit} has the cache
   *       weigh the entry again whenever it keeps one, so a decoded identity copy of a gzip-stored
   *       body, a derived coding or a direct or file copy of a large body counts toward the bound.
   * </ul>
   */
  @Override
  public long sizeInBytes() {
    long n = OBJECT_BYTES + lines.length; // the shared lines are counted nowhere: one copy serves many
    for (Hit h = hits; h != null; h = h.next) {
      n += h.heldBytes;
    }
    if (!upstreamCacheStatus.isEmpty()) {
      n += STRING_BYTES + upstreamCacheStatus.length();
    }
    if (!vary.names().isEmpty()) {
      n += VARY_BYTES;
      for (String name : vary.names()) {
        n += STRING_BYTES + name.length();
      }
    }
    if (template != null) {
      n += TEMPLATE_BYTES + template.body().length + PART_BYTES * template.parts().size();
      for (EsiTemplate.Part p : template.parts()) {
        if (p instanceof EsiTemplate.Include i) {
          n += STRING_BYTES + i.src().length() + (i.alt() == null ? 0 : STRING_BYTES + i.alt().length());
        }
      }
    }
    return n;
  }

  /** This object (104 B measured) and the lines array's header (16 B). */
  static final int OBJECT_BYTES = 120;
  /** A String and its array, beside the characters (Latin-1: one byte each). */
  private static final int STRING_BYTES = 40;
  /** A Vary record and its list of names. */
  private static final int VARY_BYTES = 48;
  /** An ESI template object, its parts list and array. */
  private static final int TEMPLATE_BYTES = 80;
  /** One part of a template: the record and its slot in the list. */
  private static final int PART_BYTES = 32;

  private static final String ETAG = "ETag";

  /** Whether the origin sent an ETag: its line is then the first at {@link #sentEnd}. */
  private boolean hasOriginEtag() {
    int n = ETAG.length();
    return lines.length - sentEnd > n && lines[sentEnd + n] == ':' && regionMatchesIgnoreCase(lines, sentEnd, ETAG);
  }

  /** Where the origin's ETag value ends ({@link #hasOriginEtag} is true; it begins at sentEnd + 6). */
  private int originEtagEnd() {
    return indexOf(lines, (byte) '\r', sentEnd);
  }

  private static boolean regionMatchesIgnoreCase(byte[] b, int at, String name) {
    for (int k = 0; k < name.length(); k++) {
      int c = b[at + k] & 0xff;
      int d = name.charAt(k);
      if (c != d && Character.toLowerCase(c) != Character.toLowerCase(d)) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(byte[] b, byte c, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == c) {
        return i;
      }
    }
    return b.length;
  }

  private static void parse(List<Fields.Field> list, byte[] b, int from, int to) {
    int i = from;
    while (i < to) {
      int colon = indexOf(b, (byte) ':', i);
      int eol = indexOf(b, (byte) '\r', colon);
      list.add(new Fields.Field(new String(b, i, colon - i, StandardCharsets.ISO_8859_1),
          new String(b, colon + 2, eol - colon - 2, StandardCharsets.ISO_8859_1)));
      i = eol + 2;
    }
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
    return new StoredResponse(this, t);
  }

  /**
   * What a response of {@code page} (this entry's page) in {@code coding} writes beyond the stored
   * lines; null for the stored form of a body shorter than {@link #DIRECT_BODY_BYTES}, which {@link
   * #storedBlock} writes from the page itself (most hits: nothing kept per entry for them). The stored and identity forms are kept for later hits when {@code keep} (a hit), else
   * built for this response only (a miss: most entries are never hit, and an identity copy of a
   * compressed body is 1 KB or more); another coded form is always kept, so each is compressed at
   * most once per entry (two threads wanting it at once: one builds, the other waits for it).
   *
   * @param transcodes counts the bodies converted from the stored coding into another
   * @param files where a kept large body goes, or null
   * @param cache the cache holding {@code page}: told to weigh it again when a form is kept
   */
  Hit hit(Page page, Encoding coding, boolean keep, LongAdder transcodes, BodyFiles files, Freshcache cache) {
    Encoding stored = page.storedEncoding();
    if (coding == stored && page.storedBody().length < DIRECT_BODY_BYTES) {
      return null;
    }
    Hit h = find(hits, coding);
    if (h != null) {
      return h;
    }
    if (!keep && (coding == stored || coding == Encoding.IDENTITY)) {
      if (coding != stored) {
        transcodes.increment();
      }
      return new Hit(this, page, coding);
    }
    return keep(page, coding, () -> {
      if (coding != stored) {
        transcodes.increment();
      }
      return coding == stored ? page.storedBody() : page.body(coding);
    }, files, cache);
  }

  /**
   * The {@link Hit} this response keeps for {@code coding}, made from {@code bytes} under this
   * response's lock if there is none yet (so a form is built at most once: a second thread waits
   * for the first's), and then counted toward the cache's byte bound.
   */
  private Hit keep(Page page, Encoding coding, Supplier<byte[]> bytes, BodyFiles files, Freshcache cache) {
    Hit h;
    boolean kept = false;
    synchronized (this) {
      h = find(hits, coding);
      if (h == null) {
        h = new Hit(this, page, coding, files, bytes.get());
        h.next = hits;
        hits = h;
        kept = true;
      }
    }
    if (kept) {
      cache.reweigh(page); // its copy counts toward the byte bound from now on
    }
    return h;
  }

  /**
   * {@code page}'s body uncompressed, for an ESI assembly that includes it: the stored bytes, or the
   * decoded copy kept for identity clients, made here once if there is none yet (as an identity
   * client's hit makes it, so the two share it), so that a compressed fragment is not inflated by
   * every assembly. A body of {@link #DIRECT_BODY_BYTES} or more, which a kept {@code Hit} holds
   * as a direct or file copy rather than an array, is decoded per use.
   *
   * @param transcodes counts the bodies converted from the stored coding
   * @param cache the cache holding {@code page}: told to weigh it again when a copy is kept
   */
  byte[] identityBody(Page page, LongAdder transcodes, Freshcache cache) {
    if (page.storedEncoding() == Encoding.IDENTITY) {
      return page.storedBody();
    }
    Hit h = find(hits, Encoding.IDENTITY);
    if (h != null && h.body != null) {
      return h.body;
    }
    byte[] decoded = page.body();
    transcodes.increment();
    if (h != null || decoded.length >= DIRECT_BODY_BYTES) {
      return decoded;
    }
    h = keep(page, Encoding.IDENTITY, () -> decoded, null, cache);
    return h.body != null ? h.body : decoded;
  }

  /** How many {@link Hit}s this response keeps (for tests: the stored form of a small body keeps none). */
  int keptHits() {
    int n = 0;
    for (Hit h = hits; h != null; h = h.next) {
      n++;
    }
    return n;
  }

  private static Hit find(Hit h, Encoding coding) {
    while (h != null && h.coding != coding) {
      h = h.next;
    }
    return h;
  }

  /** Whether {@code page} is stored compressed: its responses then vary with Accept-Encoding. */
  static boolean compressed(Page page) {
    return page.storedEncoding() != Encoding.IDENTITY;
  }

  /** The ETag to send: the origin's, else core's strong hash of the body. */
  String etag(Page page) {
    int from = sentEnd + ETAG.length() + 2;
    return hasOriginEtag() ? new String(lines, from, originEtagEnd() - from, StandardCharsets.ISO_8859_1)
        : page.etag().toString();
  }

  private String varyToSend(boolean compressed) {
    String v = vary.names().isEmpty() ? null : vary.toString();
    if (compressed) {
      v = v == null ? "Accept-Encoding" : v.contains("accept-encoding") ? v : v + ", Accept-Encoding";
    }
    return v;
  }

  /**
   * The ETag of a response in {@code coding}: weakened for a coded one, whose bytes differ from the
   * identity body the (strong) tag was made for, as from each other coding's.
   */
  private static String etagToSend(String etag, Encoding coding) {
    return coding != Encoding.IDENTITY && !etag.startsWith("W/") ? "W/" + etag : etag;
  }

  /**
   * The stored fields with the ETag and Vary a response in this encoding sends, for conditional
   * requests and 304s; the same lines as a hit's header block (without Date, Content-Length, Via).
   */
  Fields sentFields(Page page, Encoding coding) {
    List<Fields.Field> list = new ArrayList<>(12);
    parse(list, shared.bytes, 0, shared.bytes.length);
    parse(list, lines, 0, sentEnd);
    addDates(list);
    Fields f = new Fields(list).with("ETag", etagToSend(etag(page), coding));
    String v = varyToSend(coding != Encoding.IDENTITY || compressed(page));
    return v == null ? f : f.with("Vary", v);
  }

  /** The ETag, Vary, Content-Encoding, Content-Length and Via lines and the body of one encoding. */
  static final class Hit {
    /** The coding of {@link #body}. */
    final Encoding coding;
    /** The next kept hit (another coding), or null; set before this one is published. */
    Hit next;
    /** The lines after the stored ones. */
    final byte[] extra;
    /** The body (core's stored bytes, or decoded ones); null when {@link #direct} or {@link #file} holds it. */
    final byte[] body;
    /** A direct copy of a large body, never released through Netty; else null. */
    final ByteBuf direct;
    /** A large body in a file, sent with sendfile; else null. */
    final BodyFiles.Body file;
    final int length;
    /**
     * What this object holds beyond core's entry: itself and its lines, plus its body when that is
     * a copy (a decoded or derived form, a direct copy, a file on tmpfs, which is memory too).
     */
    final long heldBytes;

    /** For one response, kept by nobody. */
    Hit(StoredResponse r, Page page, Encoding coding) {
      this(r, page, coding, null, coding == page.storedEncoding() ? page.storedBody() : page.body(coding));
    }

    /**
     * @param files where a large body may go (kept hits only), or null
     * @param bytes {@code page}'s body in {@code coding}
     */
    private Hit(StoredResponse r, Page page, Encoding coding, BodyFiles files, byte[] bytes) {
      this.coding = coding;
      length = bytes.length;
      ByteBuf codingLines = Unpooled.buffer(128);
      r.writeCodingLines(codingLines, page, coding, length);
      extra = ByteBufUtil.getBytes(codingLines);
      file = files == null ? null : files.write(bytes);
      if (file != null) {
        direct = null;
        body = null;
      } else if (length >= DIRECT_BODY_BYTES) {
        ByteBuffer d = ByteBuffer.allocateDirect(length);
        d.put(bytes).flip();
        // Freed by the JDK's cleaner when the entry is gone; never released through Netty.
        direct = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(d));
        body = null;
      } else {
        direct = null;
        body = bytes;
      }
      long held = HIT_BYTES + extra.length;
      if (file != null) {
        held += length + FILE_BYTES;
      } else if (direct != null) {
        held += length + DIRECT_BYTES;
      } else if (bytes != page.storedBody()) {
        held += length + ARRAY_BYTES;
      }
      heldBytes = held;
    }

    /** This object (48 B) and its lines array's header. */
    private static final int HIT_BYTES = 64;
    /** An array's header. */
    private static final int ARRAY_BYTES = 16;
    /** A direct buffer's objects on the heap (DirectByteBuffer, Cleaner, Deallocator, wrappers). */
    private static final int DIRECT_BYTES = 200;
    /** A body file's objects (channel, descriptor, cleanable, region). */
    private static final int FILE_BYTES = 200;
  }

  /**
   * The whole response of a hit but a large body: status line, stored lines, {@code hit}'s lines,
   * the per-request fields and the end of the header section, then the body unless it is direct or
   * {@code head}; in one buffer.
   */
  ByteBuf hitBlock(ByteBufAllocator alloc, Hit hit, boolean head, long dateSecond, long age, String cacheStatus,
      int connection, Fields extra) {
    boolean inline = !head && hit.body != null;
    byte[] statusLine = statusLine();
    ByteBuf b = alloc.ioBuffer(statusLine.length + shared.bytes.length + sentEnd + DATE_LINES_BYTES
        + hit.extra.length + 96 + cacheStatus.length() + (inline ? hit.body.length : 0));
    b.writeBytes(statusLine).writeBytes(shared.bytes);
    writeOwnLines(b);
    b.writeBytes(hit.extra);
    writePerRequest(b, dateSecond, age, cacheStatus, connection, extra);
    if (inline) {
      b.writeBytes(hit.body);
    }
    return b;
  }

  /**
   * The whole response of a hit on the stored form of a body shorter than {@link
   * #DIRECT_BODY_BYTES} (when {@link #hit} returns null), in one buffer: as {@link #hitBlock}
   * writes, with the lines a {@link Hit} would keep (ETag, Vary, Content-Encoding,
   * Content-Length, Via) written from this entry's fields instead.
   */
  ByteBuf storedBlock(ByteBufAllocator alloc, Page page, boolean head, long dateSecond, long age, String cacheStatus,
      int connection, Fields extra) {
    byte[] body = page.storedBody();
    byte[] statusLine = statusLine();
    ByteBuf b = alloc.ioBuffer(statusLine.length + shared.bytes.length + lines.length + DATE_LINES_BYTES + 192
        + cacheStatus.length() + (head ? 0 : body.length));
    b.writeBytes(statusLine).writeBytes(shared.bytes);
    writeOwnLines(b);
    writeCodingLines(b, page, page.storedEncoding(), body.length);
    writePerRequest(b, dateSecond, age, cacheStatus, connection, extra);
    if (!head) {
      b.writeBytes(body);
    }
    return b;
  }

  /** The entry's own lines sent as they are: those kept as text, then Last-Modified and Expires if kept as numbers. */
  private void writeOwnLines(ByteBuf b) {
    b.writeBytes(lines, 0, sentEnd);
    writeDateLine(b, LAST_MODIFIED_NAME, lastModifiedSecond);
    writeDateLine(b, EXPIRES_NAME, expiresSecond);
  }

  private static void writeDateLine(ByteBuf b, byte[] name, int second) {
    if (second != NO_DATE) {
      b.writeBytes(name);
      HttpDate.write(b, Integer.toUnsignedLong(second));
      b.writeBytes(CRLF);
    }
  }

  /** The dates kept as numbers, as fields (after the entry's own lines, where hits write them). */
  private void addDates(List<Fields.Field> list) {
    addDate(list, LAST_MODIFIED, lastModifiedSecond);
    addDate(list, EXPIRES, expiresSecond);
  }

  private static void addDate(List<Fields.Field> list, String name, int second) {
    if (second != NO_DATE) {
      list.add(new Fields.Field(name, HttpDate.format(Instant.ofEpochSecond(Integer.toUnsignedLong(second)))));
    }
  }

  /** Marks a date not kept as a number: the unsigned value 2^32 - 1, never one {@link #compactDate} returns. */
  static final int NO_DATE = -1;

  private static final String LAST_MODIFIED = "Last-Modified";
  private static final String EXPIRES = "Expires";

  /**
   * The epoch second of the field {@code name} as {@link #lastModifiedSecond} keeps it, or {@link
   * #NO_DATE}: only a single field whose value is exactly the IMF-fixdate {@link HttpDate#write}
   * writes for it, so that hits send the very bytes the origin sent.
   */
  static int compactDate(Fields fields, String name) {
    List<String> values = fields.all(name);
    if (values.size() != 1 || values.get(0).length() != HttpDate.IMF_FIXDATE_LENGTH) {
      return NO_DATE;
    }
    Instant t = HttpDate.parse(values.get(0));
    if (t == null || t.getEpochSecond() < 0 || t.getEpochSecond() >= 0xFFFFFFFFL
        || !HttpDate.format(t).equals(values.get(0))) {
      return NO_DATE;
    }
    return (int) t.getEpochSecond();
  }

  /**
   * The lines of a response in {@code coding} with a body of {@code length} bytes: ETag (the
   * origin's, copied from the stored lines, or core's; weakened for a coded body), Vary,
   * Content-Encoding, Content-Length and Via. Written per request by {@link #storedBlock}, and once
   * into a {@link Hit}'s {@code extra} for the other forms.
   */
  private void writeCodingLines(ByteBuf b, Page page, Encoding coding, int length) {
    b.writeBytes(ETAG_NAME);
    if (hasOriginEtag()) {
      int from = sentEnd + ETAG.length() + 2;
      if (coding != Encoding.IDENTITY && !(lines[from] == 'W' && lines[from + 1] == '/')) {
        b.writeBytes(WEAK);
      }
      b.writeBytes(lines, from, originEtagEnd() - from);
    } else {
      b.writeCharSequence(etagToSend(page.etag().toString(), coding), StandardCharsets.ISO_8859_1);
    }
    b.writeBytes(CRLF);
    String varyLine = varyToSend(compressed(page));
    if (varyLine != null) {
      b.writeBytes(VARY_NAME).writeCharSequence(varyLine, StandardCharsets.ISO_8859_1);
      b.writeBytes(CRLF);
    }
    if (coding != Encoding.IDENTITY) {
      b.writeBytes(CONTENT_ENCODING_NAME).writeCharSequence(coding.token(), StandardCharsets.US_ASCII);
      b.writeBytes(CRLF);
    }
    if (status != 204 && status != 304) {
      b.writeBytes(CONTENT_LENGTH_NAME);
      writeLong(b, length);
      b.writeBytes(CRLF);
    }
    b.writeBytes(VIA_LINE);
  }

  /** The status line: shared for a standard reason phrase (see {@link #reason}), else built. */
  private byte[] statusLine() {
    if (status == 200 && reasonPhrase == OK) {
      return OK_LINE;
    }
    boolean standard = status >= 100 && status < STATUS_LINES.length()
        && reasonPhrase == HttpResponseStatus.valueOf(status).reasonPhrase();
    byte[] line = standard ? STATUS_LINES.get(status) : null;
    if (line == null) {
      line = ("HTTP/1.1 " + status + ' ' + reasonPhrase + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
      if (standard) {
        STATUS_LINES.set(status, line); // two threads may both build it: the same bytes
      }
    }
    return line;
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

  // ------------------------------------------------------------------ written per request

  private static final byte[] ETAG_NAME = "ETag: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LAST_MODIFIED_NAME = (LAST_MODIFIED + ": ").getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EXPIRES_NAME = (EXPIRES + ": ").getBytes(StandardCharsets.US_ASCII);
  /** Room for both date lines kept as numbers. */
  private static final int DATE_LINES_BYTES = 2 * (15 + HttpDate.IMF_FIXDATE_LENGTH + 2);
  private static final byte[] WEAK = "W/".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CRLF = "\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] VARY_NAME = "Vary: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CONTENT_ENCODING_NAME = "Content-Encoding: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CONTENT_LENGTH_NAME = "Content-Length: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] VIA_LINE = ("Via: " + VIA + "\r\n").getBytes(StandardCharsets.US_ASCII);
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
  static ByteBuf perRequest(ByteBufAllocator alloc, long dateSecond, long age, String cacheStatus, int connection,
      Fields extra) {
    ByteBuf b = alloc.buffer(96 + cacheStatus.length());
    writePerRequest(b, dateSecond, age, cacheStatus, connection, extra);
    return b;
  }

  /** Date, Age, Cache-Status, Connection, then {@code extra}'s lines (null: none), and the end of the header section. */
  private static void writePerRequest(ByteBuf b, long dateSecond, long age, String cacheStatus, int connection,
      Fields extra) {
    b.writeBytes(DATE);
    HttpDate.write(b, dateSecond);
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
    if (extra != null) {
      for (Fields.Field f : extra.lines()) {
        b.writeBytes(CRLF);
        b.writeCharSequence(f.name(), StandardCharsets.ISO_8859_1);
        b.writeByte(':').writeByte(' ');
        b.writeCharSequence(f.value(), StandardCharsets.ISO_8859_1);
      }
    }
    b.writeBytes(END);
  }

  /** Writes a non-negative number in decimal, without building a String (Age and Content-Length of every hit). */
  private static void writeLong(ByteBuf b, long v) {
    if (v < 10) {
      b.writeByte('0' + (int) v);
      return;
    }
    int digits = 1;
    for (long x = v / 10; x > 0; x /= 10) {
      digits++;
    }
    int end = b.writerIndex() + digits;
    b.ensureWritable(digits);
    for (int i = end - 1; i >= end - digits; i--) {
      b.setByte(i, (int) ('0' + v % 10));
      v /= 10;
    }
    b.writerIndex(end);
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

  /**
   * The reason phrase to use for a status: the standard one's instance when {@code given} is empty
   * or the same text (one string for all entries, and their status lines shared), else {@code given}.
   */
  static String reason(int status, String given) {
    String standard = HttpResponseStatus.valueOf(status).reasonPhrase();
    return given == null || given.isEmpty() || given.equals(standard) ? standard : given;
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
