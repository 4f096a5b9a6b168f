package io.freshcache.feeds.redis;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Redis stream entry id, {@code <millis>-<seq>}, ordered as Redis orders them (numerically, not
 * as strings: {@code 9-0} is before {@code 10-0}).
 */
record StreamId(long millis, long seq) implements Comparable<StreamId> {
  static final StreamId ZERO = new StreamId(0, 0);

  /**
   * Parses {@code 1700000000000-3}, or {@code 1700000000000} (sequence 0).
   *
   * @throws IllegalArgumentException if it is neither
   */
  static StreamId parse(String id) {
    int dash = id.indexOf('-');
    try {
      return dash < 0 ? new StreamId(Long.parseUnsignedLong(id), 0)
          : new StreamId(Long.parseUnsignedLong(id.substring(0, dash)),
              Long.parseUnsignedLong(id.substring(dash + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("stream id: '" + id
          + "' (expected: <millis>-<seq>, e.g. 1700000000000-0)", e);
    }
  }

  @Override
  public int compareTo(StreamId o) {
    int c = Long.compareUnsigned(millis, o.millis);
    return c != 0 ? c : Long.compareUnsigned(seq, o.seq);
  }

  @Override
  public String toString() {
    return Long.toUnsignedString(millis) + "-" + Long.toUnsignedString(seq);
  }

  /** XINFO's flat {@code [name, value, name, value, ...]} reply as a map. */
  static Map<String, Object> fields(List<?> flat) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      out.put(String.valueOf(flat.get(i)), flat.get(i + 1));
    }
    return out;
  }
}
