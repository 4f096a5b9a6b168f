/**
 * Test helpers shared by the source tests of io.freshcache.feeds.amqp, .redis and .couchdb: {@link
 * io.freshcache.feeds.testing.KillRestartCheck}, the "10,000 changes with the consumer killed and
 * restarted midway" check every source must pass, {@link io.freshcache.feeds.testing.RecordingSink},
 * {@link io.freshcache.feeds.testing.LatencyProbe} and {@link
 * io.freshcache.feeds.testing.PouchDbServer}. What other modules' tests need too (the skip-or-fail
 * service check, seeded properties, the fake clock) is in the test kit, {@code io.freshcache.testkit}.
 */
package io.freshcache.feeds.testing;
