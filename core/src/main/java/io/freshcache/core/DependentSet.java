package io.freshcache.core;

import java.util.Arrays;

/**
 * The entries that depend on one tag state: an open-addressing identity set with linear probing and
 * backward-shift deletion, so each member costs one array slot (4 bytes with compressed oops, about
 * 6 at the average load) instead of a {@code HashMap} node of 32 or more. Not thread-safe: the owning
 * {@link TagState} guards it.
 */
final class DependentSet {
  private static final Entry[] EMPTY = new Entry[0];

  private Entry[] table = EMPTY;
  private int size;

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  boolean add(Entry e) {
    if (table.length == 0 || (size + 1) * 4 > table.length * 3) {
      resize(table.length == 0 ? 2 : table.length * 2);
    }
    int mask = table.length - 1;
    int i = index(e, mask);
    while (table[i] != null) {
      if (table[i] == e) {
        return false;
      }
      i = (i + 1) & mask;
    }
    table[i] = e;
    size++;
    return true;
  }

  boolean remove(Entry e) {
    if (size == 0) {
      return false;
    }
    int mask = table.length - 1;
    int i = index(e, mask);
    while (table[i] != e) {
      if (table[i] == null) {
        return false;
      }
      i = (i + 1) & mask;
    }
    // Backward-shift deletion keeps probe chains intact without tombstones.
    int hole = i;
    int j = (hole + 1) & mask;
    while (table[j] != null) {
      int home = index(table[j], mask);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        table[hole] = table[j];
        hole = j;
      }
      j = (j + 1) & mask;
    }
    table[hole] = null;
    size--;
    if (size == 0) {
      table = EMPTY;
    } else if (table.length > 16 && size * 8 < table.length) {
      resize(table.length / 2);
    }
    return true;
  }

  /** A copy of the members, for iteration outside the owner's lock. */
  Entry[] toArray() {
    Entry[] out = new Entry[size];
    int n = 0;
    for (Entry e : table) {
      if (e != null) {
        out[n++] = e;
      }
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  private void resize(int capacity) {
    Entry[] old = table;
    table = new Entry[capacity];
    int mask = capacity - 1;
    for (Entry e : old) {
      if (e != null) {
        int i = index(e, mask);
        while (table[i] != null) {
          i = (i + 1) & mask;
        }
        table[i] = e;
      }
    }
  }

  private static int index(Entry e, int mask) {
    int x = System.identityHashCode(e) * 0x9E3779B9;
    return (x ^ (x >>> 16)) & mask;
  }
}
