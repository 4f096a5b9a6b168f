/**
 * The AMQP 0-9-1 change source (RabbitMQ, laid out as fedora-messaging does: a durable topic
 * exchange, a durable named queue per consumer bound with binding keys, manual acks). Start with
 * {@link io.freshcache.feeds.amqp.AmqpSource#builder}.
 *
 * <p>Why there is no checkpoint file: the durable queue is the checkpoint. Messages wait in it while
 * the consumer is down and are acknowledged only after their invalidation was applied, so the
 * broker redelivers whatever a crash left unacknowledged. Setup and semantics: docs/feeds.md.
 */
package io.freshcache.feeds.amqp;
