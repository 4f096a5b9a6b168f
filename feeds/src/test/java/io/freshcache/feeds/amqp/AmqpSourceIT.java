package io.freshcache.feeds.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.freshcache.feeds.Change;
import io.freshcache.feeds.ChangeSource;
import io.freshcache.feeds.Checkpoints;
import io.freshcache.feeds.testing.KillRestartCheck;
import io.freshcache.feeds.testing.RecordingSink;
import io.freshcache.testkit.RequiresService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link AmqpSource} against the RabbitMQ at 127.0.0.1:5672 (guest/guest). */
@RequiresService(name = "RabbitMQ", address = "127.0.0.1:5672",
    howToStart = "start it with 'service rabbitmq-server start' (Debian package rabbitmq-server)")
class AmqpSourceIT {
  static final String URI = "amqp://guest:guest@127.0.0.1:5672/%2F";
  private final String run = UUID.randomUUID().toString().substring(0, 8);
  private final String exchange = "fc-test-" + run;
  private final String queue = "fc-test-" + run;
  private Connection producer;
  private Channel channel;

  @BeforeEach
  void connect() throws Exception {
    ConnectionFactory f = new ConnectionFactory();
    f.setUri(URI);
    producer = f.newConnection("fc-test-producer");
    channel = producer.createChannel();
    channel.exchangeDeclare(exchange, BuiltinExchangeType.TOPIC, true);
    channel.confirmSelect();
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (channel != null) {
      channel.queueDelete(queue);
      channel.queueDelete(queue + ".dead");
      channel.exchangeDelete(exchange);
      channel.exchangeDelete(exchange + ".dead");
    }
    if (producer != null) {
      producer.close();
    }
  }

  AmqpSource.Builder source(Path checkpoints) {
    return AmqpSource.builder("bus-" + run).uri(URI).exchange(exchange).queue(queue)
        .bindingKeys("wiki.#").checkpoints(Checkpoints.directory(checkpoints))
        .backoff(Duration.ofMillis(20), Duration.ofMillis(200));
  }

  void publish(String routingKey, String messageId, String body) throws Exception {
    AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().messageId(messageId)
        .deliveryMode(2).contentType("application/json")
        .headers(Map.of("sent-at", OffsetDateTime.now(ZoneOffset.UTC).toString())).build();
    channel.basicPublish(exchange, routingKey, props, body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void tenThousandChangesWithTheConsumerKilledMidwayAllInvalidated(@TempDir Path dir) throws Exception {
    // Deployed as in production: the queue exists (and holds messages) before the consumer runs.
    channel.queueDeclare(queue, true, false, false, null);
    channel.queueBind(queue, exchange, "wiki.#");
    KillRestartCheck.Result r = KillRestartCheck.run("amqp", new KillRestartCheck.Driver() {
      @Override
      public String tagPointer() {
        return "/tag";
      }

      @Override
      public void produce(int from, int to) throws Exception {
        // The producer's channel is used from this thread only.
        for (int i = from; i < to; i++) {
          publish("wiki.page.update", "m-" + i, "{\"tag\": " + i + "}");
        }
        channel.waitForConfirmsOrDie(10_000);
      }

      @Override
      public ChangeSource newSource() {
        return source(dir).prefetch(200).build();
      }

      @Override
      public void crash(ChangeSource source) {
        ((AmqpSource) source).crash();
      }
    }, 10_000);
    assertThat(r.duplicates()).as("the change in hand at the kill comes again").isPositive();
  }

  @Test
  void mapsMessagesRejectsNonJsonToTheDeadLetterQueueAndGoesOn(@TempDir Path dir) throws Exception {
    RecordingSink sink = new RecordingSink();
    try (AmqpSource s = source(dir).deadLetterExchange(exchange + ".dead").build()) {
      s.start(sink);
      await().atMost(Duration.ofSeconds(10)).until(() -> queueExists(queue));
      publish("wiki.page.update", "a", "{\"title\": \"Alpha\"}");
      publish("wiki.page.update", "b", "<html>not json</html>");
      publish("other.topic", "x", "{}");
      publish("wiki.page.delete", "c", "{\"title\": \"Gamma\"}");
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.changes.size() == 2);
      Change a = sink.changes.get(0);
      assertThat(a.topic()).isEqualTo("wiki.page.update");
      assertThat(a.kind()).isEqualTo("message");
      assertThat(a.payload().path("title").asText()).isEqualTo("Alpha");
      assertThat(a.committedAt()).isNotNull();
      assertThat(sink.ids()).containsExactly("a", "c");
      await().atMost(Duration.ofSeconds(5))
          .until(() -> channel.messageCount(queue + ".dead") == 1);
    }
  }

  @Test
  void sinkFailureRequeuesAndRedeliversInOrder(@TempDir Path dir) throws Exception {
    RecordingSink sink = new RecordingSink();
    sink.failuresLeft.set(2);
    for (int i = 0; i < 5; i++) {
      // Declared up front so that messages published before the source starts are kept.
      publishAfterDeclare(dir, i);
    }
    try (AmqpSource s = source(dir).build()) {
      s.start(sink);
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.changes.size() >= 5);
      assertThat(sink.ids()).containsExactly("0", "1", "2", "3", "4");
      assertThat(sink.gaps).isEmpty();
    }
  }

  private boolean declared;

  private void publishAfterDeclare(Path dir, int i) throws Exception {
    if (!declared) {
      channel.queueDeclare(queue, true, false, false, null);
      channel.queueBind(queue, exchange, "wiki.#");
      declared = true;
    }
    publish("wiki.page.update", Integer.toString(i), "{\"n\": " + i + "}");
    channel.waitForConfirmsOrDie(5_000);
  }

  @Test
  void queueDeletedWhileRunningIsAGap(@TempDir Path dir) throws Exception {
    RecordingSink sink = new RecordingSink();
    try (AmqpSource s = source(dir).build()) {
      s.start(sink);
      await().atMost(Duration.ofSeconds(10)).until(() -> queueExists(queue));
      publish("wiki.page.update", "before", "{}");
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.changes.size() == 1);
      channel.queueDelete(queue);
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.gaps.size() == 1);
      assertThat(sink.gaps.get(0)).contains("queue " + queue + " was missing");
      publish("wiki.page.update", "after", "{}");
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.changes.size() == 2);
    }
    // A new process, same checkpoint directory: the queue is there, so no gap.
    RecordingSink again = new RecordingSink();
    try (AmqpSource s = source(dir).build()) {
      s.start(again);
      publish("wiki.page.update", "later", "{}");
      await().atMost(Duration.ofSeconds(10)).until(() -> again.changes.size() == 1);
      assertThat(again.gaps).isEmpty();
    }
  }

  private boolean queueExists(String name) {
    try (Channel probe = producer.createChannel()) {
      probe.queueDeclarePassive(name);
      return true;
    } catch (Exception e) {
      return false;
    }
  }
}
