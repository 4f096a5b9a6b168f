package io.freshcache.feeds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.freshcache.feeds.amqp.AmqpSource;
import io.freshcache.feeds.couchdb.CouchDbSource;
import io.freshcache.feeds.postgres.PostgresSource;
import io.freshcache.feeds.redis.RedisStreamSource;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Building each type of source from a rules file's {@code sources:} entry; no service needed. */
class SourcesTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** One entry as written, not through Rules: these tests are about the sources alone. */
  private static JsonNode source(String yaml) {
    try {
      return YAML.readTree(yaml);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static ChangeSource build(String yaml) {
    return Sources.fromSettings(source(yaml), Checkpoints.inMemory());
  }

  @Test
  void postgresWithEveryKey() {
    ChangeSource s = build("""
        name: pg
        type: postgres
        gapPolicy: log-only
        jdbc: jdbc:postgresql://127.0.0.1:5432/app?user=app
        schema: app
        batchSize: 200
        pollInterval: 250ms
        retention: 7d
        pruneInterval: 5m
        """);
    assertThat(s).isInstanceOf(PostgresSource.class);
    assertThat(s.name()).isEqualTo("pg");
  }

  @Test
  void postgresIsTheTypeWhenJdbcIsGiven() {
    assertThat(build("{name: pg, jdbc: 'jdbc:postgresql://h/db'}")).isInstanceOf(PostgresSource.class);
  }

  @Test
  void amqpWithEveryKey() {
    ChangeSource s = build("""
        name: bus
        type: amqp
        uri: amqp://guest:guest@127.0.0.1:5672/%2F
        exchange: amq.topic
        queue: freshcache-web1
        bindingKeys: ["org.example.wiki.#", "org.example.pages.*"]
        prefetch: 50
        deadLetterExchange: freshcache.dead
        """);
    assertThat(s).isInstanceOf(AmqpSource.class);
    assertThat(s.name()).isEqualTo("bus");
    // A single binding key may be written as a string.
    assertThat(build("{name: b, type: amqp, uri: 'amqp://h', exchange: x, queue: q, bindingKeys: '#'}"))
        .isInstanceOf(AmqpSource.class);
  }

  @Test
  void redisStreamWithEveryKey() {
    ChangeSource s = build("""
        name: events
        type: redis-stream
        uri: redis://127.0.0.1:6379
        stream: wiki:changes
        group: freshcache-web1
        consumer: web1
        startAt: "0"
        batchSize: 10
        block: 2s
        claimIdle: 1m
        claimInterval: 20s
        gapCheckInterval: 10s
        """);
    assertThat(s).isInstanceOf(RedisStreamSource.class);
    assertThat(s.name()).isEqualTo("events");
  }

  @Test
  void couchDbWithEveryKey() {
    ChangeSource s = build("""
        name: docs
        type: couchdb
        database: http://127.0.0.1:5984/wiki
        user: admin
        password: secret
        heartbeat: 5s
        readTimeout: 20s
        checkpointEvery: 10
        startAtNow: false
        """);
    assertThat(s).isInstanceOf(CouchDbSource.class);
    assertThat(s.name()).isEqualTo("docs");
  }

  @Test
  void missingTypeWithoutJdbc() {
    assertThatThrownBy(() -> build("{name: bus, uri: 'amqp://h'}"))
        .hasMessage("source 'bus': type: missing (expected: one of [postgres, amqp, redis-stream, couchdb];"
            + " only an entry with a 'jdbc' key may leave it out, meaning postgres)");
  }

  @Test
  void unknownType() {
    assertThatThrownBy(() -> build("{name: k, type: kafka, brokers: 'h:9092'}"))
        .hasMessage("source 'k': type: 'kafka' (expected: one of [postgres, amqp, redis-stream, couchdb])");
  }

  @Test
  void everyProblemOfAnEntryIsListedWithSourceKeyAndExpectation() {
    assertThatThrownBy(() -> build("""
        name: bus
        type: amqp
        uri: amqp://h
        exchang: amq.topic
        bindingKeys: []
        prefetch: ten
        """))
        .hasMessage(String.join("\n",
            "source 'bus': exchang: unknown key (expected: one of [bindingKeys, deadLetterExchange, exchange,"
                + " gapPolicy, name, prefetch, queue, type, uri])",
            "source 'bus': exchange: missing (expected: e.g. amq.topic)",
            "source 'bus': queue: missing (expected: a durable queue per cache node, e.g. freshcache-web1)",
            "source 'bus': bindingKeys: a list (expected: a string or a non-empty list of strings)",
            "source 'bus': prefetch: 'ten' (expected: an integer)"));
  }

  @Test
  void valuesTheBuilderRefusesNameTheKey() {
    assertThatThrownBy(() -> build("{name: bus, type: amqp, uri: 'amqp://h', exchange: x, queue: q,"
        + " bindingKeys: '#', prefetch: 0}"))
        .hasMessage("source 'bus': prefetch: 0 (expected: 1..65535)");
    assertThatThrownBy(() -> build("{name: e, type: redis-stream, uri: 'redis://h', stream: s, group: g,"
        + " block: soon, batchSize: -1}"))
        .hasMessage("source 'e': batchSize: -1 (expected: >= 1)\n"
            + "source 'e': block: 'soon' (expected: e.g. 500ms, 10s, 5m, 2h, 7d)");
    assertThatThrownBy(() -> build("{name: d, type: couchdb, database: 'ftp://h/db', user: u,"
        + " heartbeat: 10s, readTimeout: 5s, startAtNow: maybe}"))
        .hasMessage(String.join("\n",
            "source 'd': password: missing (expected: user and password together)",
            "source 'd': database: ftp://h/db (expected: http://host:port/dbname, without query or credentials:"
                + " use basicAuth)",
            "source 'd': readTimeout: PT5S (expected: > heartbeat PT10S)",
            "source 'd': startAtNow: 'maybe' (expected: true or false)"));
    assertThatThrownBy(() -> build("{name: 'a b', type: redis-stream, uri: 'redis://h', stream: s, group: g}"))
        .hasMessage("source 'a b': name: 'a b' (expected: letters, digits, '.', '_' or '-', not starting with '.')");
  }

  @Test
  void postgresErrorsToo() {
    assertThatThrownBy(() -> build("{name: pg, type: postgres, schema: App, batchSize: 0}"))
        .hasMessage("source 'pg': jdbc: missing (expected: e.g. jdbc:postgresql://127.0.0.1:5432/app?user=app)");
    assertThatThrownBy(() -> build("{name: pg, jdbc: 'jdbc:postgresql://h/db', schema: App, batchSize: 0}"))
        .hasMessage(String.join("\n",
            "source 'pg': schema: 'App' (expected: a lower-case SQL identifier, [a-z_][a-z0-9_]*, at most 63"
                + " characters)",
            "source 'pg': batchSize: 0 (expected: 1..100000)"));
    assertThatThrownBy(() -> build("{name: pg, jdbc: 'jdbc:mysql://h/db'}"))
        .hasMessage("source 'pg': jdbc: jdbcUrl: jdbc:mysql://h/db (expected: jdbc:postgresql://host:port/db)");
  }

  @Test
  void typeOfTheWrongSourceClassIsRefused() {
    assertThatThrownBy(() -> PostgresSource.fromSettings(source("{name: pg, type: amqp, jdbc: 'jdbc:postgresql://h/db'}"),
        Checkpoints.inMemory()))
        .hasMessage("source 'pg': type: 'amqp' (expected: postgres for this source)");
  }

  @Test
  void notAMap() {
    assertThatThrownBy(() -> Sources.fromSettings(TextNode.valueOf("pg"), Checkpoints.inMemory()))
        .hasMessage("source: a string (expected: a map such as {name: ..., type: postgres, ...})");
  }

  @Test
  void durations() {
    assertThat(SourceSettings.parseDuration("500ms", "x")).isEqualTo(Duration.ofMillis(500));
    assertThat(SourceSettings.parseDuration("5m", "x")).isEqualTo(Duration.ofMinutes(5));
    assertThat(SourceSettings.parseDuration("pt1m30s", "x")).isEqualTo(Duration.ofSeconds(90));
    assertThatThrownBy(() -> SourceSettings.parseDuration("", "block"))
        .hasMessage("block: '' (expected: e.g. 500ms, 10s, 5m, 2h, 7d)");
  }
}
