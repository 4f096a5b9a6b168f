package io.freshcache.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The version of one registry name (an exact tag, an aspect, the "whole" marker of a tag, or a
 * pattern) and the entries depending on it. Entries hold direct references to their states, so a
 * hit checks versions with plain volatile reads, no hashing.
 */
final class TagState {
  private static final VarHandle VERSION;
  private static final VarHandle QUEUED;
  private static final VarHandle RETIRE_QUEUED;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      VERSION = lookup.findVarHandle(TagState.class, "version", long.class);
      QUEUED = lookup.findVarHandle(TagState.class, "queued", int.class);
      RETIRE_QUEUED = lookup.findVarHandle(TagState.class, "retireQueued", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final String name;

  /** The sequence number of the last invalidation of this name; only ever raised. */
  volatile long version;

  /**
   * Set once, under this state's monitor, when it has no dependents and leaves the registry;
   * volatile because invalidators read it after bumping the version (see {@link TagRegistry}).
   */
  volatile boolean retired;

  /** 1 while this state waits in the invalidation queue, so a storm enqueues it once. */
  @SuppressWarnings("unused")
  private volatile int queued;

  /** 1 while this state waits to be considered for retirement. */
  @SuppressWarnings("unused")
  private volatile int retireQueued;

  /** Guarded by this state's monitor. */
  private final DependentSet dependents = new DependentSet();

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

  /** Adds a dependent unless this state has been retired. */
  synchronized boolean addDependent(Entry e) {
    if (retired) {
      return false;
    }
    dependents.add(e);
    return true;
  }

  /** Removes a dependent; returns whether none is left. */
  synchronized boolean removeDependent(Entry e) {
    dependents.remove(e);
    return dependents.isEmpty();
  }

  synchronized Entry[] dependents() {
    return dependents.toArray();
  }

  synchronized int dependentCount() {
    return dependents.size();
  }

  /** Marks this state retired if it has no dependents; returns whether it did. */
  synchronized boolean retireIfUnused() {
    if (retired || !dependents.isEmpty()) {
      return false;
    }
    retired = true;
    return true;
  }

  boolean markQueued() {
    return QUEUED.compareAndSet(this, 0, 1);
  }

  void clearQueued() {
    QUEUED.setVolatile(this, 0);
  }

  boolean markRetireQueued() {
    return RETIRE_QUEUED.compareAndSet(this, 0, 1);
  }

  void clearRetireQueued() {
    RETIRE_QUEUED.setVolatile(this, 0);
  }

  @Override
  public String toString() {
    return name + "@" + version;
  }
}
