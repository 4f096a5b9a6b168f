package io.freshcache.feeds;

import io.freshcache.core.Clock;
import java.util.concurrent.atomic.AtomicLong;

/** A clock tests advance by hand. */
final class FakeClock implements Clock {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final AtomicLong millis = new AtomicLong(1_700_000_000_000L);

  void advanceMillis(long ms) {
    nanos.addAndGet(ms * 1_000_000L);
    millis.addAndGet(ms);
  }

  @Override
  public long nanoTime() {
    return nanos.get();
  }

  @Override
  public long currentTimeMillis() {
    return millis.get();
  }
}
