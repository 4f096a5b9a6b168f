/**
 * Test kit shared by the source tests of io.freshcache.feeds.amqp, .redis and .couchdb: {@link
 * io.freshcache.feeds.testing.SkipOrFail} (skip locally, fail in CI when a service is missing)
 * and {@link io.freshcache.feeds.testing.KillRestartCheck}, the "10,000 changes with the consumer
 * killed and restarted midway" check every source must pass.
 */
package io.freshcache.feeds.testing;
