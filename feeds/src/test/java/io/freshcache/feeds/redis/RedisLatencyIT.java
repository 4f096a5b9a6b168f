package io.freshcache.feeds.redis;

import io.freshcache.feeds.testing.LatencyProbe;
import io.freshcache.testkit.RequiresService;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * XADD to invalidation applied, one entry at a time. Tagged manual (never run by CI): run
 * with {@code -Dfeeds.excludedGroups=none}.
 */
@Tag("manual")
@RequiresService(name = "Redis", address = "127.0.0.1:6379", howToStart = "start redis-server")
class RedisLatencyIT {

  @Test
  void xaddToInvalidation() throws Exception {
    String stream = "fc-latency:" + UUID.randomUUID().toString().substring(0, 8);
    RedisClient client = RedisClient.create(RedisStreamSourceIT.URI);
    try (StatefulRedisConnection<String, String> conn = client.connect()) {
      RedisStreamSource source = RedisStreamSource.builder("latency").uri(RedisStreamSourceIT.URI)
          .stream(stream).group("latency").consumer("c1").build();
      try {
        LatencyProbe.run("redis (Streams, XREADGROUP BLOCK, XACK after apply)", source, "/tag",
            i -> conn.sync().xadd(stream, Map.of("tag", Integer.toString(i))), 100, 1_000);
      } finally {
        conn.sync().del(stream);
      }
    } finally {
      client.shutdown();
    }
  }
}
