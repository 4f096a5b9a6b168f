package io.freshcache.proxy;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Collects Netty's leak reports (logged at ERROR by ResourceLeakDetector, which runs at PARANOID in
 * these tests, see the surefire argLine) so tests can assert there are none.
 */
public final class LeakRecorder extends AppenderBase<ILoggingEvent> {
  static final List<String> LEAKS = new CopyOnWriteArrayList<>();

  @Override
  protected void append(ILoggingEvent e) {
    if (e.getFormattedMessage().contains("LEAK")) {
      LEAKS.add(e.getFormattedMessage());
    }
  }

  /** Makes the detector look at collected buffers, and returns what it reported so far. */
  static List<String> collect() {
    for (int round = 0; round < 3; round++) {
      System.gc();
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      // Leaks are reported when the detector next tracks an allocation.
      for (int i = 0; i < 200; i++) {
        ByteBuf a = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        a.release();
        ByteBuf b = UnpooledByteBufAllocator.DEFAULT.heapBuffer(16);
        b.release();
      }
    }
    return List.copyOf(LEAKS);
  }
}
