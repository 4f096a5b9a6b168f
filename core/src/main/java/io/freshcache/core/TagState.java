package io.freshcache.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The version of one registry name (an exact tag, an aspect, the "whole" marker of a tag, or a
 * pattern) and the entries depending on it (the reverse index). Entries hold direct references to
 * their states, so checking versions needs no hashing.
 *
 * <p>Memory matters here: a page usually has one tag of its own ({@code page:N}), so every entry
 * pays for one state. The dependents are therefore kept inline: none, one entry held directly, or an
 * open-addressing identity table (linear probing, backward-shift deletion: one 4-byte slot per
 * member instead of a {@code HashMap} node of 32 or more); and the three flags share one int.
 */
final class TagState {
  private static final VarHandle VERSION;
  private static final VarHandle FLAGS;
  private static final int RETIRED = 1;
  private static final int QUEUED = 2;
  private static final int RETIRE_QUEUED = 4;
  private static final int TOUCHED = 8;
  private static final Entry[] NO_ENTRIES = new Entry[0];

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      VERSION = lookup.findVarHandle(TagState.class, "version", long.class);
      FLAGS = lookup.findVarHandle(TagState.class, "flags", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final String name;

  /** The sequence number of the last invalidation of this name; only ever raised. */
  volatile long version;

  /**
   * RETIRED: set once, under this state's monitor, when it has no dependents and leaves the
   * registry; read with volatile semantics because invalidators read it after bumping the version
   * (see {@link TagRegistry}). QUEUED: waiting in the invalidation queue. RETIRE_QUEUED: waiting to
   * be considered for retirement. TOUCHED: handed to a render since the last retirement sweep (which
   * then spares it). Changed only by CAS.
   */
  @SuppressWarnings("unused")
  private volatile int flags;

  /** Null, one {@link Entry}, or an {@code Entry[]} table; guarded by this state's monitor. */
  private Object dependents;

  /** Members of the table form; guarded by this state's monitor. */
  private int size;

  TagState(String name, long version) {
    this.name = name;
    this.version = version;
  }

  /** Raises the version to at least {@code v}. */
  void bump(long v) {
    long cur;
    do {
      cur = version;
      if (cur >= v) {
        return;
      }
    } while (!VERSION.compareAndSet(this, cur, v));
  }

  boolean retired() {
    return (flags & RETIRED) != 0;
  }

  boolean markQueued() {
    return setFlag(QUEUED);
  }

  void clearQueued() {
    clearFlag(QUEUED);
  }

  /** Notes that a render is about to depend on this state; cheap when already noted. */
  void touch() {
    if ((flags & TOUCHED) == 0) {
      setFlag(TOUCHED);
    }
  }

  /** Clears the touched mark; returns whether it was set. */
  boolean untouch() {
    if ((flags & TOUCHED) == 0) {
      return false;
    }
    clearFlag(TOUCHED);
    return true;
  }

  boolean markRetireQueued() {
    return setFlag(RETIRE_QUEUED);
  }

  void clearRetireQueued() {
    clearFlag(RETIRE_QUEUED);
  }

  /** Marks this state retired if it has no dependents; returns whether it did. */
  synchronized boolean retireIfUnused() {
    if (retired() || dependents != null) {
      return false;
    }
    return setFlag(RETIRED);
  }

  /** Adds a dependent unless this state has been retired. */
  synchronized boolean addDependent(Entry e) {
    if (retired()) {
      return false;
    }
    Object d = dependents;
    if (d == null) {
      dependents = e;
    } else if (d instanceof Entry one) {
      if (one != e) {
        Entry[] table = new Entry[4];
        size = 0;
        dependents = table;
        insert(one);
        insert(e);
      }
    } else {
      insert(e);
    }
    return true;
  }

  /** Removes a dependent; returns whether none is left. */
  synchronized boolean removeDependent(Entry e) {
    Object d = dependents;
    if (d == e) {
      dependents = null;
    } else if (d instanceof Entry[] table) {
      delete(table, e);
      if (size == 0) {
        dependents = null;
      } else if (size == 1) {
        for (Entry left : table) {
          if (left != null) {
            dependents = left;
            break;
          }
        }
      } else if (table.length > 16 && size * 8 < table.length) {
        rehash(table.length / 2);
      }
    }
    return dependents == null;
  }

  /** A copy of the dependents, for iteration outside the monitor. */
  synchronized Entry[] dependents() {
    Object d = dependents;
    if (d == null) {
      return NO_ENTRIES;
    }
    if (d instanceof Entry one) {
      return new Entry[] {one};
    }
    Entry[] out = new Entry[size];
    int n = 0;
    for (Entry e : (Entry[]) d) {
      if (e != null) {
        out[n++] = e;
      }
    }
    return out;
  }

  synchronized int dependentCount() {
    Object d = dependents;
    return d == null ? 0 : d instanceof Entry ? 1 : size;
  }

  private void insert(Entry e) {
    Entry[] table = (Entry[]) dependents;
    if ((size + 1) * 4 > table.length * 3) {
      table = rehash(table.length * 2);
    }
    int mask = table.length - 1;
    int i = slot(e, mask);
    while (table[i] != null) {
      if (table[i] == e) {
        return;
      }
      i = (i + 1) & mask;
    }
    table[i] = e;
    size++;
  }

  private void delete(Entry[] table, Entry e) {
    int mask = table.length - 1;
    int i = slot(e, mask);
    while (table[i] != e) {
      if (table[i] == null) {
        return;
      }
      i = (i + 1) & mask;
    }
    // Backward-shift deletion keeps probe chains intact without tombstones.
    int hole = i;
    int j = (hole + 1) & mask;
    while (table[j] != null) {
      int home = slot(table[j], mask);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        table[hole] = table[j];
        hole = j;
      }
      j = (j + 1) & mask;
    }
    table[hole] = null;
    size--;
  }

  private Entry[] rehash(int capacity) {
    Entry[] old = (Entry[]) dependents;
    Entry[] table = new Entry[capacity];
    int mask = capacity - 1;
    for (Entry e : old) {
      if (e != null) {
        int i = slot(e, mask);
        while (table[i] != null) {
          i = (i + 1) & mask;
        }
        table[i] = e;
      }
    }
    dependents = table;
    return table;
  }

  private static int slot(Entry e, int mask) {
    int x = System.identityHashCode(e) * 0x9E3779B9;
    return (x ^ (x >>> 16)) & mask;
  }

  private boolean setFlag(int bit) {
    int cur;
    do {
      cur = flags;
      if ((cur & bit) != 0) {
        return false;
      }
    } while (!FLAGS.compareAndSet(this, cur, cur | bit));
    return true;
  }

  private void clearFlag(int bit) {
    int cur;
    do {
      cur = flags;
      if ((cur & bit) == 0) {
        return;
      }
    } while (!FLAGS.compareAndSet(this, cur, cur & ~bit));
  }

  @Override
  public String toString() {
    return name + "@" + version;
  }
}
