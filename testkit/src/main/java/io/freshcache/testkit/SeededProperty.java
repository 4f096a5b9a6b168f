package io.freshcache.testkit;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.SplittableRandom;

/**
 * Runs a seeded randomized property: a fixed default number of iterations, each a case with its own
 * {@link SplittableRandom}. Every failure is rethrown with the seed, the iteration, a command line
 * that replays exactly the failing case, and the case's trace (the inputs it generated).
 *
 * <p>System properties:
 *
 * <ul>
 *   <li>{@code -Dfreshcache.property.iterations=N}: run N iterations instead of the default (for
 *       every property of the run; combine with {@code -Dtest=Class#method});
 *   <li>{@code -Dfreshcache.property.seed=S}: use S as the base seed (case {@code i} uses {@code S +
 *       i * 0x9E3779B97F4A7C15}, so case 0 of seed S is the case whose seed is S); {@code random}
 *       picks a fresh one. By default each property has its own fixed seed, so a run is
 *       reproducible and a failure found by the default run fails every time. The seed is printed
 *       either way, as {@code [property] Class#method: seed=S, iterations=N}.
 * </ul>
 *
 * <p>Not thread-safe per case: a {@link Case} and its {@link Trace} belong to the calling thread.
 */
public final class SeededProperty {
  /** The system property that overrides every property's number of iterations. */
  public static final String ITERATIONS_PROPERTY = "freshcache.property.iterations";
  /** The system property that sets the base seed, or {@code random}. */
  public static final String SEED_PROPERTY = "freshcache.property.seed";
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private static final long DEFAULT_SEED = 0x5EED_F4E5_0CAC_4EL;

  /** One case of a property. */
  @FunctionalInterface
  public interface Case {
    /** Checks one case; anything thrown fails the property with the replay command. */
    void check(SplittableRandom random, Trace trace) throws Exception;
  }

  private SeededProperty() {}

  /**
   * Checks {@code property} for the default (or configured) number of iterations.
   *
   * @param name the test's name, {@code Class#method}, used in the replay command and for the seed
   * @param defaultIterations iterations when {@value #ITERATIONS_PROPERTY} is not set
   * @param iterationsPerCase how many iterations one case performs (a stateful case runs several
   *     steps); the number of cases is the iterations divided by this, rounded up
   * @throws AssertionError at the first failing case, naming its seed and how to replay it
   */
  public static void forAll(String name, int defaultIterations, int iterationsPerCase, Case property) {
    long iterations = Long.getLong(ITERATIONS_PROPERTY, defaultIterations);
    long cases = Math.max(1, (iterations + iterationsPerCase - 1) / iterationsPerCase);
    String configured = System.getProperty(SEED_PROPERTY);
    long base;
    if (configured == null || configured.isBlank()) {
      base = mix(DEFAULT_SEED ^ name.hashCode());
    } else if (configured.equalsIgnoreCase("random")) {
      base = mix(System.nanoTime() ^ Thread.currentThread().getId());
    } else {
      base = Long.decode(configured.strip());
    }
    System.out.println("[property] " + name + ": seed=" + base + ", iterations=" + iterations);
    for (long i = 0; i < cases; i++) {
      long caseSeed = base + i * GOLDEN;
      Trace trace = new Trace();
      try {
        property.check(new SplittableRandom(caseSeed), trace);
      } catch (Throwable t) {
        String header = "property " + name + " failed at case " + i + " of " + cases
            + " (seed=" + base + ", case seed=" + caseSeed + ", " + iterationsPerCase
            + " iteration(s) per case)\n  replay this case: mvn -pl " + module()
            + " -am test -Dsurefire.failIfNoSpecifiedTests=false -Dtest='" + name + "' -D"
            + SEED_PROPERTY + "=" + caseSeed + " -D" + ITERATIONS_PROPERTY + "=" + iterationsPerCase
            + "\n  trace (last " + Trace.MAX_LINES + " lines):\n" + trace
            + "  failure: ";
        throw new AssertionError(header + t, t);
      }
    }
  }

  /**
   * The module under test, for the replay command: surefire sets {@code basedir} to the module's
   * directory. {@code -am} in the command because the module needs the kit (and usually core) built
   * in the same reactor; nothing is installed.
   */
  private static String module() {
    String dir = System.getProperty("basedir", System.getProperty("user.dir", "."));
    Path name = Path.of(dir).toAbsolutePath().normalize().getFileName();
    return name == null ? "." : name.toString();
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /**
   * What a case generated and did, for the failure message; keeps the last {@value #MAX_LINES}
   * lines only. Not thread-safe: one per case.
   */
  public static final class Trace {
    /** How many lines a trace keeps. */
    public static final int MAX_LINES = 60;
    private final ArrayDeque<String> lines = new ArrayDeque<>();

    /** Adds a line, dropping the oldest when full; shown escaped with {@link #printable}. */
    public void add(String line) {
      if (lines.size() == MAX_LINES) {
        lines.removeFirst();
      }
      lines.addLast(line);
    }

    @Override
    public String toString() {
      StringBuilder b = new StringBuilder();
      for (String l : lines) {
        b.append("    ").append(printable(l)).append('\n');
      }
      return b.toString();
    }
  }

  /** Escapes control, white space and non-ASCII characters as {@code \\uXXXX} so traces show what a string holds. */
  public static String printable(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c < 0x7F) {
        b.append(c);
      } else {
        b.append(String.format("\\u%04X", (int) c));
      }
    }
    return b.toString();
  }

  /** {@code s} in double quotes, escaped with {@link #printable}. */
  public static String quoted(String s) {
    return s == null ? "null" : "\"" + printable(s).replace("\"", "\\\"") + "\"";
  }
}
