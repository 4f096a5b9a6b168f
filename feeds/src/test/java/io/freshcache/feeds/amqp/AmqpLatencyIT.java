package io.freshcache.feeds.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.freshcache.feeds.testing.LatencyProbe;
import io.freshcache.testkit.RequiresService;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * Publish to invalidation applied, one message at a time. Tagged manual (never run by CI): run
 * with {@code -Dfeeds.excludedGroups=none}.
 */
@Tag("manual")
@RequiresService(name = "RabbitMQ", address = "127.0.0.1:5672", howToStart = "start rabbitmq-server")
class AmqpLatencyIT {

  @Test
  void publishToInvalidation() throws Exception {
    String run = "fc-latency-" + UUID.randomUUID().toString().substring(0, 8);
    ConnectionFactory f = new ConnectionFactory();
    f.setUri(AmqpSourceIT.URI);
    try (Connection c = f.newConnection(); Channel ch = c.createChannel()) {
      ch.exchangeDeclare(run, BuiltinExchangeType.TOPIC, true);
      try {
        AmqpSource source = AmqpSource.builder(run).uri(AmqpSourceIT.URI).exchange(run).queue(run)
            .bindingKeys("wiki.#").build();
        LatencyProbe.run("amqp (RabbitMQ, durable queue, persistent messages, manual ack)", source,
            "/tag", i -> {
              AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                  .messageId("m-" + i).deliveryMode(2).build();
              ch.basicPublish(run, "wiki.page.update", props,
                  ("{\"tag\": " + i + "}").getBytes(StandardCharsets.UTF_8));
              return "m-" + i;
            }, 100, 1_000);
      } finally {
        ch.queueDelete(run);
        ch.exchangeDelete(run);
      }
    }
  }
}
