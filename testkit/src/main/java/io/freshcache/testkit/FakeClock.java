package io.freshcache.testkit;

import static java.util.Objects.requireNonNull;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock tests advance by hand: a monotonic {@link #nanoTime()} starting at one second and a wall
 * clock {@link #currentTimeMillis()} starting at {@value #START_MILLIS} (2023-11-14), both moved
 * only by {@link #advance} and {@link #advanceMillis}, together. Thread-safe.
 *
 * <p>The kit does not depend on core, so this class does not implement {@code
 * io.freshcache.core.Clock}; {@link #as} gives the same readings through that interface:
 *
 * <pre>{@code
 * FakeClock clock = new FakeClock();
 * Freshcache cache = Freshcache.builder().clock(clock.as(Clock.class)).build();
 * clock.advanceMillis(1_000);
 * }</pre>
 */
public final class FakeClock {
  /** Where {@link #currentTimeMillis()} starts. */
  public static final long START_MILLIS = 1_700_000_000_000L;
  private static final long START_NANOS = 1_000_000_000L;

  // The only state: the wall clock is derived from it, so the two never drift apart.
  private final AtomicLong nanos = new AtomicLong(START_NANOS);

  /** A clock at its start readings. */
  public FakeClock() {}

  /** A monotonic reading in nanoseconds. */
  public long nanoTime() {
    return nanos.get();
  }

  /** Wall-clock milliseconds since the epoch: {@value #START_MILLIS} plus the time advanced. */
  public long currentTimeMillis() {
    return START_MILLIS + Math.floorDiv(nanos.get() - START_NANOS, 1_000_000L);
  }

  /** Moves both readings forward by {@code ms} milliseconds. */
  public void advanceMillis(long ms) {
    nanos.addAndGet(ms * 1_000_000L);
  }

  /** Moves both readings forward by {@code d}. */
  public void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  /**
   * This clock through {@code clockType}, an interface whose abstract methods are {@code long
   * nanoTime()} and {@code long currentTimeMillis()} (such as {@code io.freshcache.core.Clock});
   * its default methods run as declared.
   *
   * @throws IllegalArgumentException if {@code clockType} is not such an interface
   */
  public <T> T as(Class<T> clockType) {
    requireNonNull(clockType, "clockType");
    if (!clockType.isInterface()) {
      throw new IllegalArgumentException("clockType: " + clockType.getName() + " (expected: an interface)");
    }
    for (Method m : clockType.getMethods()) {
      if (Modifier.isAbstract(m.getModifiers()) && reading(m) == null) {
        throw new IllegalArgumentException("clockType: " + clockType.getName() + " declares " + m
            + " (expected: only long nanoTime() and long currentTimeMillis() abstract)");
      }
    }
    InvocationHandler handler = (proxy, m, args) -> {
      String reading = reading(m);
      if (reading != null) {
        return reading.equals("nanoTime") ? nanoTime() : currentTimeMillis();
      }
      if (m.isDefault()) {
        return InvocationHandler.invokeDefault(proxy, m, args);
      }
      return switch (m.getName()) {
        case "equals" -> proxy == args[0];
        case "hashCode" -> System.identityHashCode(proxy);
        case "toString" -> "FakeClock[nanoTime=" + nanoTime() + "]";
        default -> throw new UnsupportedOperationException(m.toString());
      };
    };
    return clockType.cast(Proxy.newProxyInstance(clockType.getClassLoader(),
        new Class<?>[] {clockType}, handler));
  }

  /** The reading {@code m} asks for, or null if it is not one of the two. */
  private static String reading(Method m) {
    boolean reading = m.getParameterCount() == 0 && m.getReturnType() == long.class
        && (m.getName().equals("nanoTime") || m.getName().equals("currentTimeMillis"));
    return reading ? m.getName() : null;
  }
}
