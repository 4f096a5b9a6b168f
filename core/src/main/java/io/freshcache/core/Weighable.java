package io.freshcache.core;

/**
 * An attachment ({@link Content#attachment()}) that says how much memory it holds, so the cache's
 * byte bound ({@link FreshcacheBuilder#maximumBytes}) counts it. An entry then weighs its stored
 * body, plus a fixed per-entry overhead, plus {@link #sizeInBytes()}; an attachment that does not
 * implement this interface weighs nothing.
 *
 * <p>The weight is taken when the entry is stored, on the thread that stores it, and again
 * whenever {@link Freshcache#reweigh} is called for its page: an attachment that comes to hold more
 * memory later (a lazily built cache of its own) calls it, or that memory is not counted. An
 * implementation must be cheap, must not block, and may be called on any thread. A negative value
 * counts as 0; an exception is logged and counts as 0 (the entry is stored all the same).
 */
public interface Weighable {

  /**
   * An estimate, in bytes, of the memory this value holds beyond the entry's body: its own arrays
   * and strings plus an allowance for its object headers and references.
   */
  long sizeInBytes();
}
