/**
 * What the modules' tests share, so no module keeps its own copy: {@link
 * io.freshcache.testkit.SeededProperty} (seeded randomized properties with a replay command),
 * {@link io.freshcache.testkit.FakeClock} (time advanced by hand) and {@link
 * io.freshcache.testkit.RequiresService} with {@link io.freshcache.testkit.ServiceCheck} (skip when
 * a service is unreachable, fail when {@code CI} is set). Every module uses it with test scope.
 *
 * <p><b>Why the kit does not depend on core.</b> Core's own tests use the kit (its property tests
 * are the largest users of {@code SeededProperty}); a kit that depended on core would make a
 * cycle, so the kit builds first and knows nothing of Freshcache's types. The one place that
 * shows is the clock: {@code FakeClock} has {@code nanoTime()} and {@code currentTimeMillis()},
 * the two methods of {@code io.freshcache.core.Clock}, and {@link
 * io.freshcache.testkit.FakeClock#as} hands them out through that interface ({@code
 * clock.as(Clock.class)}), so no module needs an adapter class of its own.
 *
 * <p>Module-specific helpers stay in their modules: feeds' {@code io.freshcache.feeds.testing}
 * (kill-and-restart check, latency probe, PouchDB server), proxy's {@code TestOrigin}.
 */
package io.freshcache.testkit;
