package io.freshcache.core;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@link RenderContext} of one render: collects dependency states with their bounds (the
 * render's own bound for declared tags, the fragment's for tags brought by static includes; the
 * lower wins when both name a state) and the holes left in the output.
 */
final class RenderScope implements RenderContext {
  private static final SecureRandom NONCES = new SecureRandom();
  private static final TagState[] NO_STATES = new TagState[0];
  /** Marks a hole placeholder: NUL, "fc", 16 hex digits of nonce, 4 hex digits of index, NUL. */
  static final int PLACEHOLDER_LENGTH = 1 + 2 + 16 + 4 + 1;

  private final Freshcache cache;
  private final CacheKey key;
  private final Page previous;
  final long start;
  private final Map<TagState, Long> deps = new HashMap<>();
  private final List<TagState> order = new ArrayList<>();
  private List<CacheKey> holeKeys;
  private List<Renderer> holeRenderers;
  private String nonce;
  /** Set by {@link #storeUncompressed}: the body is stored as given. */
  boolean uncompressed;

  RenderScope(Freshcache cache, CacheKey key, long start, Page previous) {
    this.cache = cache;
    this.key = key;
    this.start = start;
    this.previous = previous;
  }

  @Override
  public CacheKey key() {
    return key;
  }

  @Override
  public Page previous() {
    return previous;
  }

  @Override
  public void storeUncompressed() {
    uncompressed = true;
  }

  @Override
  public void dependsOn(String... tags) {
    requireNonNull(tags, "tags");
    for (String t : tags) {
      Tag tag = Tag.parse(t);
      for (String name : TagRegistry.dependencyNames(tag)) {
        add(cache.registry.state(name), start);
      }
    }
  }

  void add(TagState s, long bound) {
    Long old = deps.get(s);
    if (old == null) {
      deps.put(s, bound);
      order.add(s);
    } else if (bound < old) {
      deps.put(s, bound);
    }
  }

  @Override
  public Content include(CacheKey fragmentKey, Renderer renderer) {
    cache.checkKey(fragmentKey, "fragment key");
    requireNonNull(renderer, "renderer");
    Entry child = cache.entry(fragmentKey, renderer);
    for (int i = 0; i < child.deps.length; i++) {
      add(child.deps[i], child.boundOf(i));
    }
    byte[] body = child.body();
    if (child.holes() == null) {
      return new Content(body, child.contentType);
    }
    // Re-issue the fragment's holes as holes of this render, so they are filled at serve time.
    StringBuilder text = new StringBuilder(body.length + 32 * child.holes().count());
    int last = 0;
    for (int i = 0; i < child.holes().count(); i++) {
      int off = child.holes().offsets()[i];
      text.append(new String(body, last, off - last, StandardCharsets.UTF_8));
      text.append(hole(child.holes().keys()[i], child.holes().renderers()[i]));
      last = off;
    }
    text.append(new String(body, last, body.length - last, StandardCharsets.UTF_8));
    return new Content(text.toString().getBytes(StandardCharsets.UTF_8), child.contentType);
  }

  @Override
  public String hole(CacheKey holeKey, Renderer renderer) {
    requireNonNull(holeKey, "key");
    requireNonNull(renderer, "renderer");
    if (holeKeys == null) {
      holeKeys = new ArrayList<>();
      holeRenderers = new ArrayList<>();
      nonce = String.format("%016x", NONCES.nextLong());
    }
    if (holeKeys.size() >= cache.maxHolesPerEntry) {
      throw new IllegalStateException("holes: more than " + cache.maxHolesPerEntry + " in " + key
          + " (expected: at most " + cache.maxHolesPerEntry + ")");
    }
    int index = holeKeys.size();
    holeKeys.add(holeKey);
    holeRenderers.add(renderer);
    return "\u0000fc" + nonce + String.format("%04x", index) + "\u0000";
  }

  TagState[] states() {
    // Shared when empty: an entry without tags (common behind the proxy) then pays nothing for it.
    return order.isEmpty() ? NO_STATES : order.toArray(new TagState[0]);
  }

  /** Bounds parallel to {@link #states()}, or null when all equal {@link #start}. */
  long[] bounds() {
    long[] b = null;
    for (int i = 0; i < order.size(); i++) {
      long v = deps.get(order.get(i));
      if (v != start && b == null) {
        b = new long[order.size()];
        java.util.Arrays.fill(b, 0, i, start);
      }
      if (b != null) {
        b[i] = v;
      }
    }
    return b;
  }

  /**
   * Cuts the placeholders out of the body: returns the literal bytes and sets {@code holesOut[0]},
   * or returns the body as is when this render left no hole.
   */
  byte[] extractHoles(byte[] body, Holes[] holesOut) {
    if (holeKeys == null) {
      return body;
    }
    byte[] marker = ("\u0000fc" + nonce).getBytes(StandardCharsets.US_ASCII);
    java.io.ByteArrayOutputStream literal = new java.io.ByteArrayOutputStream(body.length);
    List<Integer> offsets = new ArrayList<>();
    List<CacheKey> keys = new ArrayList<>();
    List<Renderer> renderers = new ArrayList<>();
    int i = 0;
    int copied = 0;
    while (i <= body.length - PLACEHOLDER_LENGTH) {
      if (body[i] == 0 && matches(body, i, marker) && body[i + PLACEHOLDER_LENGTH - 1] == 0) {
        int index = hexIndex(body, i + marker.length);
        if (index >= 0 && index < holeKeys.size()) {
          literal.write(body, copied, i - copied);
          offsets.add(literal.size());
          keys.add(holeKeys.get(index));
          renderers.add(holeRenderers.get(index));
          i += PLACEHOLDER_LENGTH;
          copied = i;
          continue;
        }
      }
      i++;
    }
    literal.write(body, copied, body.length - copied);
    if (!offsets.isEmpty()) {
      holesOut[0] = new Holes(offsets.stream().mapToInt(Integer::intValue).toArray(),
          keys.toArray(new CacheKey[0]), renderers.toArray(new Renderer[0]));
    }
    return literal.toByteArray();
  }

  /** The 4 hex digits at {@code at}, or -1 if they are not hex digits. */
  private static int hexIndex(byte[] body, int at) {
    int v = 0;
    for (int j = 0; j < 4; j++) {
      int d = Character.digit(body[at + j], 16);
      if (d < 0) {
        return -1;
      }
      v = v * 16 + d;
    }
    return v;
  }

  private static boolean matches(byte[] body, int at, byte[] marker) {
    for (int j = 0; j < marker.length; j++) {
      if (body[at + j] != marker[j]) {
        return false;
      }
    }
    return true;
  }
}
