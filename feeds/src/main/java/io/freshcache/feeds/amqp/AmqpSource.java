package io.freshcache.feeds.amqp;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.ShutdownSignalException;
import io.freshcache.feeds.Backoff;
import io.freshcache.feeds.Change;
import io.freshcache.feeds.ChangeSink;
import io.freshcache.feeds.ChangeSource;
import io.freshcache.feeds.Checkpoints;
import io.freshcache.feeds.SourceLoop;
import io.freshcache.feeds.SourceSettings;
import java.io.IOException;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads an AMQP 0-9-1 queue on RabbitMQ the way fedora-messaging lays it out: a durable topic
 * exchange, a durable named queue bound to it with binding keys, and manual acknowledgements.
 *
 * <pre>{@code
 * AmqpSource bus = AmqpSource.builder("fedora-bus")
 *     .uri("amqp://guest:guest@127.0.0.1:5672/%2F")
 *     .exchange("amq.topic")
 *     .queue("freshcache-web1")
 *     .bindingKeys("org.fedoraproject.prod.bugzilla.bug.#", "org.fedoraproject.prod.pagure.#")
 *     .checkpoints(Checkpoints.directory(Path.of("var/checkpoints")))  // for gap detection only
 *     .build();
 * }</pre>
 *
 * <h2>What a message becomes</h2>
 * A {@link Change} with topic = the routing key, kind = the message's {@code type} property (or
 * {@code message}), id = its {@code message-id} (or {@code delivery-<tag>}), payload = the body
 * parsed as JSON, committedAt = the {@code sent-at} header (ISO 8601, as fedora-messaging sets it)
 * or else the {@code timestamp} property (whole seconds). A body that is not JSON is logged and
 * rejected without requeue: dead-lettered when {@link Builder#deadLetterExchange} is set, dropped
 * otherwise; it never blocks the queue.
 *
 * <h2>The queue is the checkpoint</h2>
 * A durable queue keeps every matching message while no consumer is connected. A message is
 * acknowledged only after {@link ChangeSink#accept} returned; unacknowledged messages (delivered
 * but not applied when the consumer died, or in flight when the connection dropped) are requeued
 * by the broker and delivered again, flagged redelivered: at least once. When the sink throws, the
 * message and everything delivered after it are nacked with requeue, the channel is closed and
 * reopened after a backoff, so order is kept as well as RabbitMQ keeps it on requeue.
 *
 * <p>{@link Checkpoints} are optional: the source saves only a marker there saying that its queue
 * existed. If the queue is missing at a later connect (deleted by an operator, lost by the broker),
 * messages published meanwhile were never routed anywhere: the source re-creates the queue, binds
 * it, and then reports a gap ({@link ChangeSink#gap}). Without checkpoints this works within one
 * process lifetime only. Messages dropped by a queue's own length limit or TTL (set by someone else
 * through a policy) cannot be detected.
 *
 * <h2>Threading</h2>
 * One thread per source ({@code freshcache-feed-<name>}) takes deliveries from a buffer filled by
 * the client's consumer callback (at most {@code prefetch} of them) and calls the sink in order.
 * The client's own automatic recovery is off: this source reconnects with {@link Backoff} and
 * declares its topology again each time.
 */
public final class AmqpSource implements ChangeSource {
  private static final Logger LOG = LoggerFactory.getLogger(AmqpSource.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The keys of {@link #fromSettings}, besides {@link SourceSettings#COMMON_KEYS}. */
  private static final java.util.Set<String> SETTINGS = java.util.Set.of("uri", "exchange", "queue",
      "bindingKeys", "prefetch", "deadLetterExchange");
  private static final String QUEUE_MARKER = "queue-existed:";
  /** Put in the buffer by the client's callbacks when the consumer or channel went away. */
  private static final Object LOST = new Object();

  private final String name;
  private final ConnectionFactory factory;
  private final String exchange;
  private final String queue;
  private final List<String> bindingKeys;
  private final int prefetch;
  private final String deadLetterExchange;
  private final Checkpoints checkpoints;
  private final Duration backoffInitial;
  private final Duration backoffMax;

  // The reader thread, its running and crashed flags (after crash() it must neither ack nor
  // touch the broker again) and the reconnect loop.
  private final SourceLoop loop;
  /** The live connection, for stop() and crash() to close from another thread. */
  private volatile Connection connection;
  /** Whether the queue was seen in this process: a later absence is a gap even without checkpoints. */
  private boolean queueSeen;

  private AmqpSource(Builder b) {
    this.name = b.name;
    this.loop = new SourceLoop(name, LOG);
    this.factory = b.factory;
    this.exchange = b.exchange;
    this.queue = b.queue;
    this.bindingKeys = List.copyOf(b.bindingKeys);
    this.prefetch = b.prefetch;
    this.deadLetterExchange = b.deadLetterExchange;
    this.checkpoints = b.checkpoints;
    this.backoffInitial = b.backoffInitial;
    this.backoffMax = b.backoffMax;
    // Our loop reconnects and re-declares; the client's recovery would race with it.
    factory.setAutomaticRecoveryEnabled(false);
    factory.setTopologyRecoveryEnabled(false);
  }

  /**
   * A builder for a source named {@code name} (letters, digits, {@code . _ -}: it names the
   * checkpoint file and the thread).
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /**
   * A source from the settings of a {@code sources:} entry of a rules file (usually through {@link
   * io.freshcache.feeds.Sources#fromSettings}): {@code uri}, {@code exchange}, {@code queue} and
   * {@code bindingKeys} (a string or a list) required; {@code prefetch}, {@code
   * deadLetterExchange}; {@code name}, {@code type} ({@code amqp}) and {@code gapPolicy}.
   *
   * @throws IllegalArgumentException listing every problem, one per line, as {@code source
   *     '<name>': <key>: <reason> (expected: ...)}
   */
  public static AmqpSource fromSettings(JsonNode settings, Checkpoints checkpoints) {
    requireNonNull(checkpoints, "checkpoints");
    SourceSettings s = SourceSettings.of(settings, "amqp", SETTINGS);
    s.require("uri", "e.g. amqp://guest:guest@127.0.0.1:5672/%2F");
    s.require("exchange", "e.g. amq.topic");
    s.require("queue", "a durable queue per cache node, e.g. freshcache-web1");
    s.require("bindingKeys", "e.g. [\"org.example.#\"]");
    Builder b = s.create("name", () -> builder(s.name()));
    b.checkpoints(checkpoints);
    s.text("uri", b::uri);
    s.text("exchange", b::exchange);
    s.text("queue", b::queue);
    s.strings("bindingKeys", keys -> b.bindingKeys(keys.toArray(String[]::new)));
    s.integer("prefetch", b::prefetch);
    s.text("deadLetterExchange", b::deadLetterExchange);
    return s.build(b::build);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void start(ChangeSink sink) {
    requireNonNull(sink, "sink");
    loop.start(() -> run(sink));
  }

  @Override
  public void stop() {
    // The loop polls every 100 ms: it finishes (and acks) the change in hand, then returns.
    if (!loop.stop(Duration.ofSeconds(5))) {
      return;
    }
    closeQuietly(connection);
  }

  /**
   * For tests: dies like a killed process. Closes the connection at once; the reader acks nothing
   * more (the broker requeues everything unacknowledged) and its thread ends.
   */
  void crash() {
    loop.crash();
    Connection c = connection;
    if (c != null) {
      c.abort(0);
    }
  }

  // ---------------------------------------------------------------- the reader thread

  private void run(ChangeSink sink) {
    loop.retryUntilStopped(new Backoff(backoffInitial, backoffMax), backoff -> connectAndRead(sink, backoff),
        AmqpSource::describe, () -> closeQuietly(connection));
    if (!loop.crashed()) {
      closeQuietly(connection);
    }
    LOG.info("feed {}: stopped", name);
  }

  /** One connection: connects, declares, and consumes until it is lost or the source stops. */
  private void connectAndRead(ChangeSink sink, Backoff backoff) throws Exception {
    BlockingQueue<Object> buffer = new LinkedBlockingQueue<>();
    Channel channel = connect(sink, buffer);
    LOG.info("feed {}: {} to {} queue {} (exchange {}, keys {})", name, loop.connectedOrReconnected(),
        factory.getHost() + ":" + factory.getPort(), queue, exchange, bindingKeys);
    consume(channel, buffer, sink, backoff);
  }

  private Channel connect(ChangeSink sink, BlockingQueue<Object> buffer)
      throws IOException, java.util.concurrent.TimeoutException {
    Connection c = factory.newConnection("freshcache-feed-" + name);
    connection = c;
    if (!loop.running()) {
      // stop() may have run between its last look at `connection` and this assignment.
      throw new IOException("stopped while connecting");
    }
    c.addShutdownListener(cause -> buffer.offer(LOST));
    boolean existed = queueExists(c);
    Channel ch = c.createChannel();
    if (exchange.startsWith("amq.")) {
      // The broker refuses to declare amq.* exchanges (they are built in): check it is there.
      ch.exchangeDeclarePassive(exchange);
    } else {
      ch.exchangeDeclare(exchange, BuiltinExchangeType.TOPIC, true);
    }
    Map<String, Object> args = new HashMap<>();
    if (deadLetterExchange != null) {
      ch.exchangeDeclare(deadLetterExchange, BuiltinExchangeType.FANOUT, true);
      ch.queueDeclare(queue + ".dead", true, false, false, null);
      ch.queueBind(queue + ".dead", deadLetterExchange, "");
      args.put("x-dead-letter-exchange", deadLetterExchange);
    }
    ch.queueDeclare(queue, true, false, false, args);
    for (String key : bindingKeys) {
      ch.queueBind(queue, exchange, key);
    }
    // The queue is now bound: anything published from here on is kept. Report a gap only now, so
    // the invalidation it causes covers every message lost while the queue was absent.
    Optional<String> marker = checkpoints.load(name);
    boolean expected = queueSeen || marker.filter(m -> m.equals(QUEUE_MARKER + queue)).isPresent();
    if (!existed && expected) {
      sink.gap(name, "queue " + queue + " was missing at connect (deleted, or lost by the broker):"
          + " messages published while it was absent were dropped");
    }
    if (marker.isEmpty() || !marker.get().equals(QUEUE_MARKER + queue)) {
      checkpoints.save(name, QUEUE_MARKER + queue);
    }
    queueSeen = true;
    ch.basicQos(prefetch);
    ch.basicConsume(queue, false, "freshcache-" + name,
        (tag, delivery) -> buffer.offer(delivery),
        tag -> buffer.offer(LOST),
        (tag, sig) -> buffer.offer(LOST));
    return ch;
  }

  /** Whether the queue exists; a passive declare that fails closes its channel, so use a spare. */
  private boolean queueExists(Connection c) throws IOException {
    Channel probe = c.createChannel();
    try {
      probe.queueDeclarePassive(queue);
      return true;
    } catch (IOException e) {
      if (e.getCause() instanceof ShutdownSignalException s && !s.isHardError()
          && s.getReason() instanceof AMQP.Channel.Close close && close.getReplyCode() == 404) {
        return false;
      }
      throw e;
    } finally {
      if (probe.isOpen()) {
        try {
          probe.close();
        } catch (IOException | java.util.concurrent.TimeoutException | RuntimeException ignored) {
          // the probe has done its job either way
        }
      }
    }
  }

  private void consume(Channel ch, BlockingQueue<Object> buffer, ChangeSink sink, Backoff backoff)
      throws IOException, InterruptedException {
    while (loop.running()) {
      Object next = buffer.poll(100, TimeUnit.MILLISECONDS);
      if (next == null) {
        continue;
      }
      if (next == LOST) {
        throw new IOException("connection, channel or consumer lost (queue deleted?)");
      }
      Delivery d = (Delivery) next;
      long tag = d.getEnvelope().getDeliveryTag();
      JsonNode payload = parse(d.getBody());
      if (payload == null) {
        LOG.error("feed {}: message {} with routing key {} is not JSON ({} bytes, starts {}); rejected"
            + " without requeue{}", name, messageId(d), d.getEnvelope().getRoutingKey(),
            d.getBody().length, preview(d.getBody()), deadLetterExchange == null
                ? " and dropped (no dead-letter exchange configured)"
                : ", dead-lettered to " + deadLetterExchange + " (queue " + queue + ".dead)");
        if (!loop.crashed()) {
          ch.basicReject(tag, false);
        }
        continue;
      }
      Change change = new Change(name, d.getEnvelope().getRoutingKey(), kind(d), messageId(d),
          Long.toString(tag), payload, sentAt(d));
      try {
        sink.accept(change);
      } catch (RuntimeException e) {
        if (!loop.crashed()) {
          // Requeue this and every later delivery of this channel, then start over on a new one.
          long last = tag;
          for (Object o : buffer) {
            if (o instanceof Delivery later) {
              last = Math.max(last, later.getEnvelope().getDeliveryTag());
            }
          }
          try {
            ch.basicNack(last, true, true);
          } catch (IOException | RuntimeException nackFailed) {
            // Closing the channel (next) requeues them all the same.
            e.addSuppressed(nackFailed);
          }
        }
        throw new SourceLoop.SinkFailed(change, e);
      }
      if (loop.crashed()) {
        return;
      }
      ch.basicAck(tag, false);
      // Reset on an applied change, not on connect: a sink that keeps failing backs off further.
      backoff.reset();
    }
  }

  private static JsonNode parse(byte[] body) {
    if (body == null || body.length == 0) {
      return null;
    }
    try {
      JsonNode n = JSON.readTree(body);
      return n == null || n.isMissingNode() ? null : n;
    } catch (IOException e) {
      return null;
    }
  }

  private static String kind(Delivery d) {
    String type = d.getProperties().getType();
    return type == null || type.isBlank() ? "message" : type;
  }

  private static String messageId(Delivery d) {
    String id = d.getProperties().getMessageId();
    return id == null || id.isBlank() ? "delivery-" + d.getEnvelope().getDeliveryTag() : id;
  }

  /** fedora-messaging's {@code sent-at} header, else the (whole-second) timestamp property. */
  private static Instant sentAt(Delivery d) {
    Map<String, Object> headers = d.getProperties().getHeaders();
    Object sent = headers == null ? null : headers.get("sent-at");
    if (sent != null) {
      try {
        return OffsetDateTime.parse(sent.toString()).toInstant();
      } catch (DateTimeParseException e) {
        // fall through to the timestamp: a malformed header costs only the latency sample
      }
    }
    java.util.Date ts = d.getProperties().getTimestamp();
    return ts == null ? null : ts.toInstant();
  }

  private static String preview(byte[] body) {
    String s = new String(body, 0, Math.min(body.length, 40), java.nio.charset.StandardCharsets.UTF_8);
    return "'" + s.replaceAll("\\p{Cntrl}", "?") + (body.length > 40 ? "...'" : "'");
  }

  private static String describe(Exception e) {
    if (e instanceof SourceLoop.SinkFailed f) {
      return "sink failed on " + f.change + ", requeued it and the messages after it";
    }
    String m = e.getMessage();
    if (m == null && e.getCause() != null) {
      m = e.getCause().toString();
    }
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  private static void closeQuietly(Connection c) {
    if (c != null && c.isOpen()) {
      try {
        c.close(2_000);
      } catch (IOException | RuntimeException e) {
        c.abort(0);
      }
    }
  }

  /** Configures an {@link AmqpSource}; options are validated as they are set. */
  public static final class Builder {
    private final String name;
    private ConnectionFactory factory;
    private String exchange;
    private String queue;
    private final List<String> bindingKeys = new ArrayList<>();
    private int prefetch = 100;
    private String deadLetterExchange;
    private Checkpoints checkpoints = Checkpoints.inMemory();
    private Duration backoffInitial = Duration.ofMillis(100);
    private Duration backoffMax = Duration.ofSeconds(30);

    private Builder(String name) {
      this.name = SourceLoop.checkName(name);
    }

    /**
     * The broker, e.g. {@code amqp://guest:guest@127.0.0.1:5672/%2F} ({@code amqps://} for TLS).
     *
     * @throws IllegalArgumentException if the URI is malformed
     */
    public Builder uri(String uri) {
      requireNonNull(uri, "uri");
      ConnectionFactory f = new ConnectionFactory();
      try {
        f.setUri(uri);
      } catch (URISyntaxException | GeneralSecurityException | IllegalArgumentException e) {
        throw new IllegalArgumentException("uri: " + uri
            + " (expected: amqp://user:password@host:port/vhost): " + e.getMessage(), e);
      }
      f.setRequestedHeartbeat(10);
      f.setConnectionTimeout(5_000);
      this.factory = f;
      return this;
    }

    /** A configured factory (TLS, credentials providers, ...); its automatic recovery is turned off. */
    public Builder connectionFactory(ConnectionFactory factory) {
      this.factory = requireNonNull(factory, "factory");
      return this;
    }

    /** The topic exchange; declared durable if absent ({@code amq.*} ones must exist). Required. */
    public Builder exchange(String exchange) {
      this.exchange = nonBlank(exchange, "exchange");
      return this;
    }

    /** The durable queue, declared if absent; name it per consumer (per cache node). Required. */
    public Builder queue(String queue) {
      this.queue = nonBlank(queue, "queue");
      return this;
    }

    /**
     * Binding keys ({@code *} one word, {@code #} any words), added to those already set. Bindings
     * are only ever added: a key removed from the configuration stays bound until unbound by hand.
     */
    public Builder bindingKeys(String... keys) {
      requireNonNull(keys, "keys");
      for (String k : keys) {
        bindingKeys.add(requireNonNull(k, "keys[]"));
      }
      return this;
    }

    /** How many unacknowledged messages the broker sends ahead (basic.qos); default 100. */
    public Builder prefetch(int prefetch) {
      if (prefetch < 1 || prefetch > 65_535) {
        throw new IllegalArgumentException("prefetch: " + prefetch + " (expected: 1..65535)");
      }
      this.prefetch = prefetch;
      return this;
    }

    /**
     * Where messages that are not JSON go: a fanout exchange declared with a queue named {@code
     * <queue>.dead} bound to it. Must be set when the queue is first declared: RabbitMQ refuses to
     * redeclare a queue with other arguments (use a policy to add it to an existing queue).
     */
    public Builder deadLetterExchange(String exchange) {
      this.deadLetterExchange = nonBlank(exchange, "deadLetterExchange");
      return this;
    }

    /** Where the "queue existed" marker is kept, for gap detection across restarts. */
    public Builder checkpoints(Checkpoints checkpoints) {
      this.checkpoints = requireNonNull(checkpoints, "checkpoints");
      return this;
    }

    /** Reconnect delays: {@link Backoff} from {@code initial} doubling up to {@code max}. */
    public Builder backoff(Duration initial, Duration max) {
      new Backoff(initial, max); // validates
      this.backoffInitial = initial;
      this.backoffMax = max;
      return this;
    }

    /**
     * The source.
     *
     * @throws IllegalStateException if the broker, exchange, queue or binding keys are missing
     */
    public AmqpSource build() {
      if (factory == null) {
        throw new IllegalStateException("uri: not set (expected: uri(...) or connectionFactory(...))");
      }
      if (exchange == null || queue == null) {
        throw new IllegalStateException("exchange and queue: " + exchange + ", " + queue
            + " (expected: both set)");
      }
      if (bindingKeys.isEmpty()) {
        throw new IllegalStateException("bindingKeys: none (expected: at least one, e.g. '#')");
      }
      return new AmqpSource(this);
    }

    private static String nonBlank(String s, String what) {
      requireNonNull(s, what);
      if (s.isBlank()) {
        throw new IllegalArgumentException(what + ": '" + s + "' (expected: a non-blank name)");
      }
      return s;
    }
  }
}
