/**
 * Performance measurements of Freshcache (issue 2): JMH benchmarks and plain measurement mains,
 * shaded with their dependencies into {@code bench/target/benchmarks.jar}.
 *
 * <p>This package owns the figures in {@code docs/benchmarks.md} and the code that produces them:
 *
 * <ul>
 *   <li>{@link io.freshcache.bench.HitBenchmark}: the cost of a hit on an entry with five dependency
 *       tags, against a raw Caffeine lookup of the same bodies, measured in the same run;
 *   <li>{@link io.freshcache.bench.InvalidationBenchmark}: the caller-side cost of invalidating one tag
 *       that 1,000 to 1,000,000 entries depend on, checking afterwards that every one of them misses;
 *   <li>{@link io.freshcache.bench.EntryOverhead}: heap bytes per entry beyond the body, against a
 *       plain Caffeine cache of byte arrays.
 * </ul>
 *
 * <p>{@code bench/run-core-benchmarks.sh} builds the jar and runs all three with fixed options;
 * raw output goes to {@code bench/results/raw/} (not committed), a small summary to {@code
 * bench/results/}. Everything here uses only the public API of {@code io.freshcache.core}, so what
 * is measured is what a user of the library gets; nothing in this package is shipped.
 */
package io.freshcache.bench;
