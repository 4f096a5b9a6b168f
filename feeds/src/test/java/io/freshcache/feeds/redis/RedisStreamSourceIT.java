package io.freshcache.feeds.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.freshcache.feeds.Change;
import io.freshcache.feeds.ChangeSource;
import io.freshcache.feeds.Checkpoints;
import io.freshcache.feeds.testing.KillRestartCheck;
import io.freshcache.feeds.testing.RecordingSink;
import io.freshcache.testkit.RequiresService;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link RedisStreamSource} against the Redis at 127.0.0.1:6379. */
@RequiresService(name = "Redis", address = "127.0.0.1:6379",
    howToStart = "start it with 'service redis-server start' (Debian package redis-server)")
class RedisStreamSourceIT {
  static final String URI = "redis://127.0.0.1:6379";
  private final String run = UUID.randomUUID().toString().substring(0, 8);
  private final String stream = "fc-test:" + run;
  private RedisClient client;
  private StatefulRedisConnection<String, String> conn;

  @BeforeEach
  void connect() {
    client = RedisClient.create(URI);
    conn = client.connect();
  }

  @AfterEach
  void cleanUp() {
    if (conn != null) {
      conn.sync().del(stream);
      conn.close();
      client.shutdown();
    }
  }

  RedisStreamSource.Builder source(Path dir) {
    return RedisStreamSource.builder("stream-" + run).uri(URI).stream(stream).group("web1")
        .consumer("web1-a").startAt("0").checkpoints(Checkpoints.directory(dir))
        .backoff(Duration.ofMillis(20), Duration.ofMillis(200));
  }

  @Test
  void tenThousandChangesWithTheConsumerKilledMidwayAllInvalidated(@TempDir Path dir) throws Exception {
    RedisAsyncCommands<String, String> async = conn.async();
    KillRestartCheck.Result r = KillRestartCheck.run("redis", new KillRestartCheck.Driver() {
      @Override
      public String tagPointer() {
        return "/tag";
      }

      @Override
      public void produce(int from, int to) {
        List<RedisFuture<String>> sent = new ArrayList<>();
        for (int i = from; i < to; i++) {
          sent.add(async.xadd(stream, Map.of("kind", "update", "tag", Integer.toString(i))));
        }
        if (!LettuceFutures.awaitAll(10, TimeUnit.SECONDS, sent.toArray(new RedisFuture<?>[0]))) {
          throw new AssertionError("XADD timed out");
        }
      }

      @Override
      public ChangeSource newSource() {
        return source(dir).batchSize(200).build();
      }

      @Override
      public void crash(ChangeSource source) {
        ((RedisStreamSource) source).crash();
      }
    }, 10_000);
    assertThat(r.duplicates()).as("the entry in hand at the kill comes again").isPositive();
  }

  @Test
  void jsonFieldOrFieldsBecomeThePayloadAndFailedEntriesAreReadAgain(@TempDir Path dir) {
    RecordingSink sink = new RecordingSink();
    sink.failuresLeft.set(1);
    conn.sync().xadd(stream, Map.of("json", "{\"title\": \"Alpha\"}", "type", "page"));
    conn.sync().xadd(stream, Map.of("title", "Beta"));
    conn.sync().xadd(stream, Map.of("json", "not json"));
    try (RedisStreamSource s = source(dir).build()) {
      s.start(sink);
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.changes.size() == 3);
    }
    Change a = sink.changes.get(0);
    assertThat(a.topic()).isEqualTo(stream);
    assertThat(a.kind()).isEqualTo("page");
    assertThat(a.payload().path("title").asText()).isEqualTo("Alpha");
    assertThat(a.committedAt()).isNotNull();
    assertThat(sink.changes.get(1).payload().path("title").asText()).isEqualTo("Beta");
    assertThat(sink.changes.get(1).kind()).isEqualTo("entry");
    assertThat(sink.changes.get(2).payload().path("json").asText()).isEqualTo("not json");
    assertThat(conn.sync().xpending(stream, "web1").getCount()).isZero();
    assertThat(sink.gaps).isEmpty();
  }

  @Test
  void entriesTrimmedBeforeTheyWereReadAreAGap(@TempDir Path dir) {
    RecordingSink sink = new RecordingSink();
    try (RedisStreamSource s = source(dir).build()) {
      s.start(sink);
      conn.sync().xadd(stream, Map.of("n", "0"));
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.changes.size() == 1);
    }
    for (int i = 1; i <= 10; i++) {
      conn.sync().xadd(stream, Map.of("n", Integer.toString(i)));
    }
    conn.sync().xtrim(stream, 3);
    try (RedisStreamSource s = source(dir).build()) {
      s.start(sink);
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.changes.size() == 4);
      assertThat(sink.gaps).hasSize(1);
      assertThat(sink.gaps.get(0)).contains("7 entries").contains("trimmed");
      assertThat(sink.changes.stream().map(c -> c.payload().path("n").asText()))
          .containsExactly("0", "8", "9", "10");
    }
    // Reported once: a restart does not report the same loss again.
    RecordingSink again = new RecordingSink();
    try (RedisStreamSource s = source(dir).build()) {
      s.start(again);
      conn.sync().xadd(stream, Map.of("n", "11"));
      await().atMost(Duration.ofSeconds(10)).until(() -> again.changes.size() == 1);
      assertThat(again.gaps).isEmpty();
    }
  }

  @Test
  void groupLostWhileRunningIsAGap(@TempDir Path dir) {
    RecordingSink sink = new RecordingSink();
    try (RedisStreamSource s = source(dir).build()) {
      s.start(sink);
      conn.sync().xadd(stream, Map.of("n", "0"));
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.changes.size() == 1);
      // What a Redis restart without persistence does to the stream and its groups.
      conn.sync().del(stream);
      conn.sync().xadd(stream, Map.of("n", "1"));
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.gaps.size() == 1);
      assertThat(sink.gaps.get(0)).contains("was missing");
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.changes.size() == 2);
    }
  }

  @Test
  void entriesAbandonedByADeadConsumerAreClaimed(@TempDir Path dir) {
    conn.sync().xgroupCreate(io.lettuce.core.XReadArgs.StreamOffset.from(stream, "0"), "web1",
        io.lettuce.core.XGroupCreateArgs.Builder.mkstream());
    conn.sync().xadd(stream, Map.of("n", "0"));
    // Another consumer reads it and dies without acking.
    conn.sync().xreadgroup(io.lettuce.core.Consumer.from("web1", "dead"),
        io.lettuce.core.XReadArgs.StreamOffset.lastConsumed(stream));
    RecordingSink sink = new RecordingSink();
    try (RedisStreamSource s = source(dir)
        .claimIdle(Duration.ofMillis(100), Duration.ofMillis(100)).build()) {
      s.start(sink);
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.changes.size() == 1);
      await().atMost(Duration.ofSeconds(5))
          .until(() -> conn.sync().xpending(stream, "web1").getCount() == 0);
    }
  }
}
