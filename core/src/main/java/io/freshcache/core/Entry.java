package io.freshcache.core;

import com.github.benmanes.caffeine.cache.Interner;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * One cached rendering, as a {@link EntryStore} keeps it: body bytes (possibly compressed), media
 * type, ETag, the dependency snapshot and the creation time. Immutable; only the cache creates
 * entries. The layout is kept lean on purpose (see docs/architecture.md, "Memory per entry").
 */
public final class Entry implements Page {
  private static final Base64.Encoder ETAG_ENCODER = Base64.getUrlEncoder().withoutPadding();
  /** A site has a handful of media types: one string each rather than one per entry. */
  private static final Interner<String> CONTENT_TYPES = Interner.newWeakInterner();

  final CacheKey key;
  final byte[] body;
  final Encoding encoding;
  final int identityLength;
  final String contentType;
  final long etagHigh;
  final long etagLow;
  /** The states this entry depends on; current while each version is at most its bound. */
  final TagState[] deps;
  /** The bound of every dependency when {@link #bounds()} is null. */
  final long bound;
  final long createdAtMillis;
  /** The renderer's attachment, or null. */
  final Object attachment;
  /**
   * What most entries do not need, kept apart so they do not pay for it (memory per entry is a
   * goal): null when there are no per-dependency bounds, no holes and no rebuild policy.
   */
  private final Extras extras;
  /**
   * A sequence number through which this entry is known to be current: no invalidation numbered at
   * or below it affects it. Starts at the lowest bound and is raised by full checks made while no
   * invalidation was in progress. Written racily: every value any thread writes is true, so a lost
   * update only costs a later full check.
   */
  private volatile long validThrough;

  Entry(CacheKey key, byte[] body, Encoding encoding, int identityLength, String contentType,
      long etagHigh, long etagLow, TagState[] deps, long bound, long[] bounds, long createdAtMillis,
      Holes holes, Object attachment, Object renderer) {
    this.key = key;
    this.body = body;
    this.encoding = encoding;
    this.identityLength = identityLength;
    this.contentType = CONTENT_TYPES.intern(contentType);
    this.etagHigh = etagHigh;
    this.etagLow = etagLow;
    this.deps = deps;
    this.bound = bound;
    this.createdAtMillis = createdAtMillis;
    this.attachment = attachment;
    this.extras = bounds == null && holes == null && renderer == null ? null
        : new Extras(bounds, holes, renderer, (int) (createdAtMillis / 1000));
    long lowest = bound;
    if (bounds != null) {
      for (long b : bounds) {
        lowest = Math.min(lowest, b);
      }
    }
    this.validThrough = lowest;
  }

  /**
   * Whether no dependency has been invalidated since this entry's snapshot. The fast path: when no
   * invalidation is in progress and none has started since this entry was last found current, two
   * reads of the registry's counters decide it without touching a tag state. Otherwise every
   * dependency's version is checked, and a success made while quiet is remembered.
   */
  boolean isCurrent(TagRegistry registry) {
    long quiet = registry.quiescentSequence();
    if (quiet >= 0 && quiet <= validThrough) {
      return true;
    }
    if (registry.resourceVersion(key.resource()) > bound || !isCurrent()) {
      return false;
    }
    if (quiet > validThrough) {
      validThrough = quiet;
    }
    return true;
  }

  /**
   * Whether no dependency has been invalidated since this entry's snapshot, by a volatile read per
   * dependency (the resource's own version is checked by {@link #isCurrent(TagRegistry)}). Only
   * meaningful for a stored entry (its states cannot be retired while it is).
   */
  boolean isCurrent() {
    TagState[] d = deps;
    long[] b = bounds();
    if (b == null) {
      long limit = bound;
      for (TagState s : d) {
        if (s.version > limit) {
          return false;
        }
      }
    } else {
      for (int i = 0; i < d.length; i++) {
        if (d[i].version > b[i]) {
          return false;
        }
      }
    }
    return true;
  }

  /** Per-dependency bounds, only when static fragments brought older snapshots; else null. */
  long[] bounds() {
    return extras == null ? null : extras.bounds;
  }

  /** Holes to fill at serve time, or null. */
  Holes holes() {
    return extras == null ? null : extras.holes;
  }

  /** The {@link Renderer} or {@link AsyncRenderer} that made it, kept for background rebuilds; or null. */
  Object renderer() {
    return extras == null ? null : extras.renderer;
  }

  /** Notes a request at {@code nowMillis}; at most one write per second. No-op without a rebuild policy. */
  void touch(long nowMillis) {
    Extras x = extras;
    if (x == null) {
      return;
    }
    int second = (int) (nowMillis / 1000);
    if (second != x.lastAccessSecond) {
      x.lastAccessSecond = second;
      x.accessSeconds++;
    }
  }

  long lastAccessMillis() {
    return extras == null ? createdAtMillis : extras.lastAccessSecond * 1000L;
  }

  int accessSeconds() {
    return extras == null ? 0 : extras.accessSeconds;
  }

  long boundOf(int i) {
    long[] b = bounds();
    return b == null ? bound : b[i];
  }

  /**
   * The rarely needed parts of an entry. The request counters serve the rebuild policy: the last
   * second (since the epoch) the entry was handed out, and in how many distinct seconds it was;
   * written racily, a lost update only skews a priority.
   */
  private static final class Extras {
    final long[] bounds;
    final Holes holes;
    final Object renderer;
    int lastAccessSecond;
    int accessSeconds;

    Extras(long[] bounds, Holes holes, Object renderer, int lastAccessSecond) {
      this.bounds = bounds;
      this.holes = holes;
      this.renderer = renderer;
      this.lastAccessSecond = lastAccessSecond;
    }
  }

  /** Stored bytes plus identity length, for weighing. */
  int storedLength() {
    return body.length;
  }

  @Override
  public CacheKey key() {
    return key;
  }

  @Override
  public String contentType() {
    return contentType;
  }

  @Override
  public ETag etag() {
    return new ETag(etagText(etagHigh, etagLow), false);
  }

  static String etagText(long high, long low) {
    byte[] b = new byte[16];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (high >>> (56 - 8 * i));
      b[8 + i] = (byte) (low >>> (56 - 8 * i));
    }
    return ETAG_ENCODER.encodeToString(b);
  }

  @Override
  public long createdAtMillis() {
    return createdAtMillis;
  }

  @Override
  public byte[] body() {
    return body(Encoding.IDENTITY);
  }

  @Override
  public Encoding storedEncoding() {
    return encoding;
  }

  @Override
  public byte[] storedBody() {
    return body;
  }

  @Override
  public byte[] body(Encoding wanted) {
    return Compression.transcode(body, encoding, wanted, identityLength);
  }

  /** The uncompressed body length. */
  public int identityLength() {
    return identityLength;
  }

  @Override
  public List<String> tags() {
    List<String> out = new ArrayList<>(deps.length);
    for (TagState s : deps) {
      if (!s.name.endsWith("#")) { // the internal "whole tag" marker of an aspect dependency
        out.add(s.name);
      }
    }
    return out;
  }

  @Override
  public Object attachment() {
    return attachment;
  }

  @Override
  public String toString() {
    return "Entry[" + key + ", " + identityLength + " B " + encoding.token() + ", tags=" + tags() + "]";
  }
}
