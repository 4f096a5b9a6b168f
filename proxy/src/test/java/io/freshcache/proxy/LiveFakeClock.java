package io.freshcache.proxy;

import io.freshcache.core.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A clock the live tests advance by hand. */
final class LiveFakeClock implements Clock {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  @Override
  public long nanoTime() {
    return nanos.get();
  }

  @Override
  public long currentTimeMillis() {
    return 1_700_000_000_000L + nanos.get() / 1_000_000;
  }

  void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }
}
