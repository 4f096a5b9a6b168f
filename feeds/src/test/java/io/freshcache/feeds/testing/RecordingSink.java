package io.freshcache.feeds.testing;

import io.freshcache.feeds.Change;
import io.freshcache.feeds.ChangeSink;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A sink that records what a source delivers and can be told to fail: the next {@link
 * #failuresLeft} calls of {@link #accept} throw. Thread-safe: the source's reader calls it while
 * the test reads it.
 */
public final class RecordingSink implements ChangeSink {
  /** The changes accepted, in order. */
  public final List<Change> changes = new CopyOnWriteArrayList<>();
  /** The reasons of the gaps reported, in order. */
  public final List<String> gaps = new CopyOnWriteArrayList<>();
  /** How many more calls of {@link #accept} throw; 0 by default. */
  public final AtomicInteger failuresLeft = new AtomicInteger();

  @Override
  public void accept(Change change) {
    if (failuresLeft.getAndDecrement() > 0) {
      throw new IllegalStateException("sink down (test)");
    }
    changes.add(change);
  }

  @Override
  public void gap(String source, String reason) {
    gaps.add(reason);
  }

  /** The ids of the changes accepted, in order. */
  public List<String> ids() {
    return changes.stream().map(Change::id).toList();
  }
}
