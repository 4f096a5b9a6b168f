package io.freshcache.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The byte bound counts a {@link Weighable} attachment: before it did, the proxy's stored responses
 * (about 400 B each beside a small body) were invisible to it and the cache held far more than
 * {@code maximumBytes}.
 */
class WeighableAttachmentTest {
  private static final int BOUND = 10_000;
  private static final int ENTRIES = 20;
  private static final byte[] BODY = new byte[100];

  /** An attachment of a given size. */
  private record Sized(long bytes) implements Weighable {
    @Override
    public long sizeInBytes() {
      return bytes;
    }
  }

  private static Freshcache smallCache() {
    return Freshcache.builder().executor(Runnable::run).maximumBytes(BOUND)
        .compressionThreshold(Integer.MAX_VALUE).build();
  }

  /** Stores {@link #ENTRIES} entries of a 100-byte body with {@code attachment}; returns how many stayed. */
  private static long storeAll(Object attachment) {
    try (Freshcache cache = smallCache()) {
      for (int i = 0; i < ENTRIES; i++) {
        cache.get(CacheKey.of("/p" + i), ctx -> new Content(BODY, "application/octet-stream", attachment));
      }
      return cache.stats().entryCount();
    }
  }

  @Test
  void anAttachmentsWeightCountsTowardTheByteBound() {
    long overhead = CaffeineEntryStore.ENTRY_OVERHEAD_WEIGHT;
    // 20 x (100 + 200) = 6,000 bytes: all fit.
    assertThat(storeAll(null)).isEqualTo(ENTRIES);
    assertThat(storeAll("not weighable")).isEqualTo(ENTRIES);
    // 20 x (100 + 200 + 1,000) = 26,000 bytes: at most 10,000 / 1,300 = 7 stay.
    long kept = storeAll(new Sized(1000));
    assertThat(kept).isGreaterThan(0).isLessThanOrEqualTo(BOUND / (BODY.length + overhead + 1000));
  }

  @Test
  void anEntrysWeightIsBodyOverheadAndAttachment() {
    try (Freshcache cache = smallCache()) {
      Entry e = (Entry) cache.get(CacheKey.of("/w"), ctx -> new Content(BODY, "text/plain", new Sized(1234)));
      assertThat(CaffeineEntryStore.weight(e)).isEqualTo(BODY.length + CaffeineEntryStore.ENTRY_OVERHEAD_WEIGHT + 1234);
    }
  }

  @Test
  void aNegativeOrFailingSizeCountsAsNothingAndTheEntryIsStored() {
    Weighable failing = () -> {
      throw new IllegalStateException("attachment bug");
    };
    assertThat(storeAll(new Sized(-5000))).isEqualTo(ENTRIES);
    assertThat(storeAll(failing)).isEqualTo(ENTRIES);
  }

  /** An attachment that grows after it is stored, as the proxy's stored responses do when hits keep a form. */
  private static final class Growing implements Weighable {
    volatile long bytes;

    @Override
    public long sizeInBytes() {
      return bytes;
    }
  }

  @Test
  void anAttachmentThatGrewCountsOnceItsPageIsWeighedAgain() {
    try (Freshcache cache = smallCache()) {
      Growing[] grown = new Growing[ENTRIES];
      Page[] pages = new Page[ENTRIES];
      for (int i = 0; i < ENTRIES; i++) {
        Growing g = grown[i] = new Growing();
        pages[i] = cache.get(CacheKey.of("/g" + i), ctx -> new Content(BODY, "text/plain", g));
      }
      assertThat(cache.stats().entryCount()).as("20 x 300 B fit in 10,000").isEqualTo(ENTRIES);
      for (int i = 0; i < ENTRIES; i++) {
        grown[i].bytes = 1000;
      }
      assertThat(cache.stats().entryCount()).as("not weighed again yet").isEqualTo(ENTRIES);
      for (Page p : pages) {
        cache.reweigh(p);
      }
      long overhead = CaffeineEntryStore.ENTRY_OVERHEAD_WEIGHT;
      assertThat(cache.stats().entryCount()).isGreaterThan(0)
          .isLessThanOrEqualTo(BOUND / (BODY.length + overhead + 1000));
      assertThat(cache.stats().evictions()).isGreaterThan(0);
    }
  }

  @Test
  void reweighingAPageNoLongerStoredDoesNothing() {
    try (Freshcache cache = smallCache()) {
      Growing g = new Growing();
      Page p = cache.get(CacheKey.of("/gone"), ctx -> new Content(BODY, "text/plain", g));
      cache.removeResource("/gone");
      g.bytes = 1_000_000;
      cache.reweigh(p);
      Page other = cache.get(CacheKey.of("/other"), ctx -> new Content(BODY, "text/plain"));
      assertThat(cache.getIfPresent(CacheKey.of("/other"))).isSameAs(other);
      assertThat(cache.stats().evictions()).isZero();
    }
  }
}
