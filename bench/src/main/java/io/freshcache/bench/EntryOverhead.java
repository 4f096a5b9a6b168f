package io.freshcache.bench;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.sun.management.HotSpotDiagnosticMXBean;
import io.freshcache.core.CacheKey;
import io.freshcache.core.Content;
import io.freshcache.core.Freshcache;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * Heap bytes a Freshcache entry costs beyond its body, against a plain Caffeine cache of byte
 * arrays. Run with a fixed heap so the collector has room to settle:
 *
 * <pre>{@code java -Xmx4g -cp bench/target/benchmarks.jar io.freshcache.bench.EntryOverhead [entries]}</pre>
 *
 * <p>Method: build the cache, collect until the used heap is stable, note it; put the entries in
 * (200,000 by default, each with a 1,024-byte body and, for Freshcache, five dependency tags shared
 * the way a site shares them); collect until stable again and take the difference. From it subtract
 * the bodies (array header plus payload, rounded to the object alignment) and, in a second column,
 * the key objects as well ({@code CacheKey} plus its resource {@code String} for Freshcache, the
 * {@code String} for Caffeine), then divide by the number of entries. Everything else the cache
 * keeps for an entry counts as overhead: the entry object, its dependency array, the store's
 * Caffeine node and map slot, the tag states an entry brings (a page's own tag with its name,
 * dependent set and registry slot) and the slots in the dependent sets of shared tags.
 *
 * <p>The sizes of a body, a resource string and a key are calibrated the same way (allocate as
 * many, hold them in an array, subtract the array) and printed, so the subtraction is visible.
 */
public final class EntryOverhead {
  private static final int DEFAULT_ENTRIES = 200_000;
  private static final int BODY_BYTES = 1024;
  private static final long MAXIMUM_BYTES = 1L << 30;
  private static final String HTML = "text/html; charset=utf-8";

  private EntryOverhead() {}

  /** Runs the measurement and prints the table. */
  public static void main(String[] args) throws InterruptedException {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_ENTRIES;
    HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    boolean compressedOops = Boolean.parseBoolean(hotspot.getVMOption("UseCompressedOops").getValue());
    boolean compressedClass = Boolean.parseBoolean(hotspot.getVMOption("UseCompressedClassPointers").getValue());
    int alignment = Integer.parseInt(hotspot.getVMOption("ObjectAlignmentInBytes").getValue());
    // JDK 17 HotSpot: mark word + class pointer + length, rounded up to 8 bytes.
    int arrayHeader = compressedClass ? 16 : 24;
    long bodySize = align(arrayHeader + BODY_BYTES, alignment);
    List<String> gcs = new ArrayList<>();
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      gcs.add(gc.getName());
    }

    System.out.printf(Locale.ROOT, "EntryOverhead: %,d entries, %,d-byte bodies; JDK %s, max heap %,d MB, GC %s, "
        + "compressed oops %s, compressed class pointers %s, alignment %d%n", n, BODY_BYTES,
        System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20, gcs, compressedOops,
        compressedClass, alignment);

    warmUp();

    // Calibration: what the subtracted objects weigh on this VM, measured like the caches are.
    int refSize = compressedOops ? 4 : 8;
    double bodyMeasured = perObject(n, i -> Bodies.page(i, BODY_BYTES), arrayHeader, refSize);
    double stringSize = perObject(n, i -> resource(i), arrayHeader, refSize);
    double keySize = perObject(n, i -> CacheKey.of(resource(i)), arrayHeader, refSize);
    System.out.printf(Locale.ROOT, "calibration, bytes each: body %.1f (computed %d), resource String %.1f, "
        + "CacheKey with its resource String %.1f%n%n", bodyMeasured, bodySize, stringSize, keySize);

    List<Row> rows = new ArrayList<>();
    rows.add(measureFreshcache(n, 5, "Freshcache, 5 tags (page:N user:N%1000 cat:N%100 site:nav layout)",
        bodySize, keySize));
    rows.add(measureFreshcache(n, 1, "Freshcache, 1 tag (page:N)", bodySize, keySize));
    rows.add(measureFreshcache(n, 0, "Freshcache, no tag", bodySize, keySize));
    rows.add(measureCaffeine(n, bodySize, stringSize));

    System.out.printf(Locale.ROOT, "%-70s %14s %11s %18s %18s%n", "cache", "heap delta", "per entry",
        "overhead incl key", "overhead excl key");
    for (Row r : rows) {
      System.out.printf(Locale.ROOT, "%-70s %,14d %11.1f %18.1f %18.1f%n", r.name, r.delta, r.perEntry(),
          r.perEntry() - bodySize, r.perEntry() - bodySize - r.keyBytes);
    }
    System.out.printf(Locale.ROOT, "%nper entry = heap delta / entries; overhead incl key = per entry - body (%d B); "
        + "overhead excl key = that minus the key objects (Freshcache: CacheKey + resource String, %.1f B; "
        + "Caffeine: resource String, %.1f B).%n", bodySize, keySize, stringSize);
  }

  private record Row(String name, long delta, int entries, double keyBytes) {
    double perEntry() {
      return (double) delta / entries;
    }
  }

  /** Fills a Freshcache whose renderers declare {@code tagCount} of the five tags. */
  private static Row measureFreshcache(int n, int tagCount, String name, long bodySize, double keySize)
      throws InterruptedException {
    Freshcache cache = Freshcache.builder().maximumBytes(MAXIMUM_BYTES).compressionThreshold(Integer.MAX_VALUE).build();
    long before = usedAfterGc();
    for (int i = 0; i < n; i++) {
      fillOne(cache, i, tagCount);
    }
    if (cache.stats().entryCount() != n) {
      throw new IllegalStateException(name + ": " + cache.stats().entryCount() + " entries stored (expected: " + n + ")");
    }
    awaitSettled(cache);
    long after = usedAfterGc();
    Reference.reachabilityFence(cache);
    cache.close();
    return new Row(name, after - before, n, keySize);
  }

  private static void fillOne(Freshcache cache, int i, int tagCount) {
    String[] tags = tags(i, tagCount);
    // A fresh key and resource String per entry (resource() concatenates), as a request handler
    // would build them.
    cache.get(CacheKey.of(resource(i)), ctx -> {
      ctx.dependsOn(tags);
      return new Content(Bodies.page(i, BODY_BYTES), HTML);
    });
  }

  /** A page's own tag first, then the ones it shares with other pages, as in HitBenchmark. */
  private static String[] tags(int i, int count) {
    String[] all = {"page:" + i, "user:" + (i % 1000), "cat:" + (i % 100), "site:nav", "layout"};
    return java.util.Arrays.copyOf(all, count);
  }

  private static Row measureCaffeine(int n, long bodySize, double stringSize) {
    // Bounded by bytes like Freshcache's store, so both carry a weighted node per entry.
    Cache<String, byte[]> cache = Caffeine.newBuilder()
        .maximumWeight(MAXIMUM_BYTES)
        .<String, byte[]>weigher((k, v) -> v.length)
        .build();
    long before = usedAfterGc();
    for (int i = 0; i < n; i++) {
      cache.put(resource(i), Bodies.page(i, BODY_BYTES));
    }
    cache.cleanUp();
    if (cache.estimatedSize() != n) {
      throw new IllegalStateException("Caffeine: " + cache.estimatedSize() + " entries (expected: " + n + ")");
    }
    long after = usedAfterGc();
    Reference.reachabilityFence(cache);
    return new Row("Caffeine<String, byte[]>, weighted", after - before, n, stringSize);
  }

  /** Loads and exercises the classes involved, so their static state is in the baselines. */
  private static void warmUp() throws InterruptedException {
    Freshcache cache = Freshcache.builder().maximumBytes(MAXIMUM_BYTES).compressionThreshold(Integer.MAX_VALUE).build();
    for (int i = 0; i < 20_000; i++) {
      fillOne(cache, i, 5);
    }
    cache.invalidate("site:nav");
    awaitSettled(cache);
    cache.close();
    Cache<String, byte[]> caffeine = Caffeine.newBuilder().maximumWeight(MAXIMUM_BYTES)
        .<String, byte[]>weigher((k, v) -> v.length).build();
    for (int i = 0; i < 20_000; i++) {
      caffeine.put(resource(i), Bodies.page(i, BODY_BYTES));
    }
    caffeine.cleanUp();
  }

  /** Bytes per object made by {@code make}, measured by holding {@code n} of them in an array. */
  private static double perObject(int n, IntFunction<Object> make, int arrayHeader, int refSize) {
    long before = usedAfterGc();
    Object[] held = new Object[n];
    for (int i = 0; i < n; i++) {
      held[i] = make.apply(i);
    }
    long after = usedAfterGc();
    Reference.reachabilityFence(held);
    long array = align(arrayHeader + (long) refSize * n, 8); // the holding array itself
    return (double) (after - before - array) / n;
  }

  private static String resource(int i) {
    return "/wiki/Page_" + i;
  }

  private static void awaitSettled(Freshcache cache) throws InterruptedException {
    while (!cache.invalidationsSettled()) {
      Thread.sleep(1);
    }
  }

  /**
   * Used heap after full collections, repeated until two readings in a row agree within 16 KB (the
   * collector and background threads need a few rounds to reach a fixed point).
   */
  private static long usedAfterGc() {
    long previous = -1;
    for (int round = 0; round < 20; round++) {
      System.gc();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      if (round >= 2 && Math.abs(used - previous) <= 16 * 1024) {
        return used;
      }
      previous = used;
    }
    return previous;
  }

  private static long align(long size, int alignment) {
    return (size + alignment - 1) / alignment * alignment;
  }
}
