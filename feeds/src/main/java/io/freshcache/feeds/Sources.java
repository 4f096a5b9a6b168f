package io.freshcache.feeds;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshcache.feeds.amqp.AmqpSource;
import io.freshcache.feeds.couchdb.CouchDbSource;
import io.freshcache.feeds.postgres.PostgresSource;
import io.freshcache.feeds.redis.RedisStreamSource;
import java.util.List;
import java.util.Locale;

/**
 * Builds the sources declared under {@code sources:} in a rules file.
 *
 * <pre>{@code
 * Rules rules = Rules.load(Path.of("feeds.yaml"));
 * Checkpoints checkpoints = Checkpoints.directory(Path.of("var/checkpoints"));
 * Feeds.Builder feeds = Feeds.builder(cache).rules(rules);
 * for (JsonNode settings : rules.sourceSettings().values()) {
 *   feeds.source(Sources.fromSettings(settings, checkpoints));
 * }
 * }</pre>
 *
 * <p>The {@code type} key picks the source: {@code postgres}, {@code amqp}, {@code redis-stream} or
 * {@code couchdb}; the other keys are that source's builder options (see each source's {@code
 * fromSettings} and docs/feeds.md). Without a {@code type}, an entry with a {@code jdbc} key is a
 * {@code postgres} source, which keeps files written before the other sources existed valid.
 */
public final class Sources {
  /** The values of {@code type}, in the order the docs list them. */
  public static final List<String> TYPES = List.of("postgres", "amqp", "redis-stream", "couchdb");

  private Sources() {}

  /**
   * The source one {@code sources:} entry describes; not started, and nothing is connected yet.
   *
   * @param settings one entry, e.g. a value of {@link Rules#sourceSettings()}
   * @param checkpoints where the source keeps its position
   * @throws IllegalArgumentException listing every problem of the entry, one per line, as {@code
   *     source '<name>': <key>: <reason> (expected: ...)}; also when the type's client library (an
   *     optional dependency) is not on the class path
   */
  public static ChangeSource fromSettings(JsonNode settings, Checkpoints checkpoints) {
    requireNonNull(settings, "settings");
    requireNonNull(checkpoints, "checkpoints");
    if (!settings.isObject()) {
      throw new IllegalArgumentException("source: a " + settings.getNodeType().toString().toLowerCase(Locale.ROOT)
          + " (expected: a map such as {name: ..., type: postgres, ...})");
    }
    String name = settings.path("name").asText("(unnamed)");
    JsonNode t = settings.path("type");
    String type;
    if (t.isMissingNode() || t.isNull()) {
      if (!settings.has("jdbc")) {
        throw new IllegalArgumentException("source '" + name + "': type: missing (expected: one of "
            + TYPES + "; only an entry with a 'jdbc' key may leave it out, meaning postgres)");
      }
      type = "postgres";
    } else {
      type = t.asText();
    }
    try {
      return switch (type) {
        case "postgres" -> PostgresSource.fromSettings(settings, checkpoints);
        case "amqp" -> AmqpSource.fromSettings(settings, checkpoints);
        case "redis-stream" -> RedisStreamSource.fromSettings(settings, checkpoints);
        case "couchdb" -> CouchDbSource.fromSettings(settings, checkpoints);
        default -> throw new IllegalArgumentException("source '" + name + "': type: '" + t.asText()
            + "' (expected: one of " + TYPES + ")");
      };
    } catch (NoClassDefFoundError e) {
      // The AMQP and Redis clients are optional dependencies of this module: say which is missing.
      throw new IllegalArgumentException("source '" + name + "': type: " + type + " needs a client library"
          + " that is not on the class path: " + e.getMessage() + " (expected: "
          + (type.equals("amqp") ? "com.rabbitmq:amqp-client" : type.equals("redis-stream")
              ? "io.lettuce:lettuce-core" : "org.postgresql:postgresql") + " as a dependency)", e);
    }
  }
}
