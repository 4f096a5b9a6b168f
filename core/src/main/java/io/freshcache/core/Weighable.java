package io.freshcache.core;

/**
 * An attachment ({@link Content#attachment()}) that says how much memory it holds, so the cache's
 * byte bound ({@link FreshcacheBuilder#maximumBytes}) counts it. An entry then weighs its stored
 * body, plus a fixed per-entry overhead, plus {@link #sizeInBytes()}; an attachment that does not
 * implement this interface weighs nothing.
 *
 * <p>The weight is taken once, when the entry is stored, on the thread that stores it: an
 * implementation must be cheap and must not block. Memory the attachment comes to hold later (a
 * lazily built cache of its own) is not counted. A negative value counts as 0; an exception is
 * logged and counts as 0 (the entry is stored all the same).
 */
public interface Weighable {

  /**
   * An estimate, in bytes, of the memory this value holds beyond the entry's body: its own arrays
   * and strings plus an allowance for its object headers and references.
   */
  long sizeInBytes();
}
