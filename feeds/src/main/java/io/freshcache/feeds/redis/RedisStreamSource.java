package io.freshcache.feeds.redis;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshcache.feeds.Backoff;
import io.freshcache.feeds.Change;
import io.freshcache.feeds.ChangeSink;
import io.freshcache.feeds.ChangeSource;
import io.freshcache.feeds.Checkpoints;
import io.freshcache.feeds.SourceLoop;
import io.freshcache.feeds.SourceSettings;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XReadArgs.StreamOffset;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.models.stream.ClaimedMessages;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a Redis stream through a consumer group: {@code XGROUP CREATE ... MKSTREAM} if the group is
 * absent, {@code XREADGROUP ... BLOCK}, {@code XACK} after the sink applied an entry.
 *
 * <pre>{@code
 * RedisStreamSource events = RedisStreamSource.builder("wiki-events")
 *     .uri("redis://127.0.0.1:6379")
 *     .stream("wiki:changes")
 *     .group("freshcache-web1")          // one group per cache node: each must see every entry
 *     .checkpoints(Checkpoints.directory(Path.of("var/checkpoints")))  // for gap detection only
 *     .build();
 * }</pre>
 *
 * <h2>What an entry becomes</h2>
 * A {@link Change} with topic = the stream key, kind = the entry's {@code kind} or {@code type}
 * field (or {@code entry}), id and position = the entry id, committedAt = the millisecond part of
 * an auto-generated entry id (when the {@code XADD} ran). Payload: the field {@code json} parsed as
 * JSON when present, otherwise the fields as a JSON object of strings. A {@code json} field that is
 * not JSON is logged, and the fields are delivered as an object instead: never a crash loop.
 *
 * <h2>The group is the checkpoint</h2>
 * Redis keeps the group's last-delivered id and its pending entries list (PEL: delivered, not yet
 * acknowledged). An entry is acknowledged only after {@link ChangeSink#accept} returned. On each
 * (re)connect the source first re-reads its own pending entries ({@code XREADGROUP ... 0}), so a
 * killed consumer restarted under the same consumer name applies what it had been handed; every
 * {@code claimInterval} it takes over entries other consumers of the group left pending longer
 * than {@code claimIdle} ({@code XAUTOCLAIM}), e.g. from a node that died for good. When the sink
 * throws, the entry stays pending and the source reconnects after a backoff and re-reads it.
 *
 * <h2>Gaps</h2>
 * Reported to {@link ChangeSink#gap}, then passed over:
 * <ul>
 *   <li>entries trimmed ({@code MAXLEN}, {@code XDEL}) before the group read them: the stream's
 *       {@code max-deleted-entry-id} (raised by {@code XDEL}) is after the group's last-delivered
 *       id, or, for trimming, the group's unread count ({@code entries-added - entries-read}, Redis
 *       7) exceeds the stream's length while its first entry is unread (on Redis 6, which keeps no
 *       such counts: the first entry being after the last-delivered id). Checked at each connect
 *       and every {@code gapCheckInterval}; a reported trim is then counted as read ({@code XGROUP
 *       SETID ... ENTRIESREAD}) so the same loss is not reported twice;
 *   <li>a pending entry that no longer exists (trimmed after delivery, before it was applied);
 *   <li>the group missing at a later connect (Redis restarted without persistence, stream or
 *       group deleted): it is created again, then the gap is reported. Across restarts of this
 *       process this needs {@link Builder#checkpoints}, where only a marker is saved.
 * </ul>
 *
 * <h2>Threading</h2>
 * One thread per source ({@code freshcache-feed-<name>}) with its own connection (a blocking
 * {@code XREADGROUP} holds it). Lettuce's own reconnect is off: the source reconnects with {@link
 * Backoff}, and logs each attempt.
 */
public final class RedisStreamSource implements ChangeSource {
  private static final Logger LOG = LoggerFactory.getLogger(RedisStreamSource.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The keys of {@link #fromSettings}, besides {@link SourceSettings#COMMON_KEYS}. */
  private static final java.util.Set<String> SETTINGS = java.util.Set.of("uri", "stream", "group",
      "consumer", "startAt", "batchSize", "block", "claimIdle", "claimInterval", "gapCheckInterval");

  private final String name;
  private final RedisURI uri;
  private final String stream;
  private final String group;
  private final String consumer;
  private final String startAt;
  private final int batchSize;
  private final Duration block;
  private final Duration claimIdle;
  private final Duration claimInterval;
  private final Duration gapCheckInterval;
  private final Checkpoints checkpoints;
  private final Duration backoffInitial;
  private final Duration backoffMax;
  private final String marker;

  // The reader thread, its running and crashed flags (after crash() the reader must not ack
  // anything more) and the reconnect loop.
  private final SourceLoop loop;
  /** The live client, for stop() and crash() to close from another thread. */
  private volatile RedisClient client;
  /** Whether the group was seen in this process: a later absence is a gap even without checkpoints. */
  private boolean groupSeen;
  /** The deleted id last reported as a gap, so one loss is reported once. */
  private String reportedDeleted = "0-0";

  private RedisStreamSource(Builder b) {
    this.name = b.name;
    this.loop = new SourceLoop(name, LOG);
    // Command timeout longer than BLOCK, so a blocked read is not mistaken for a dead server.
    this.uri = RedisURI.builder(b.uri).withTimeout(b.block.plusSeconds(5)).build();
    this.stream = b.stream;
    this.group = b.group;
    this.consumer = b.consumer != null ? b.consumer : defaultConsumer();
    this.startAt = b.startAt;
    this.batchSize = b.batchSize;
    this.block = b.block;
    this.claimIdle = b.claimIdle;
    this.claimInterval = b.claimInterval;
    this.gapCheckInterval = b.gapCheckInterval;
    this.checkpoints = b.checkpoints;
    this.backoffInitial = b.backoffInitial;
    this.backoffMax = b.backoffMax;
    this.marker = "group-existed:" + stream + "/" + group;
  }

  /** A builder for a source named {@code name} (letters, digits, {@code . _ -}). */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /**
   * A source from the settings of a {@code sources:} entry of a rules file (usually through {@link
   * io.freshcache.feeds.Sources#fromSettings}): {@code uri}, {@code stream} and {@code group}
   * required; {@code consumer}, {@code startAt}, {@code batchSize}, {@code block}, {@code
   * claimIdle}, {@code claimInterval}, {@code gapCheckInterval} (durations as {@code 500ms},
   * {@code 10s}, {@code 5m}); {@code name}, {@code type} ({@code redis-stream}) and {@code
   * gapPolicy}.
   *
   * @throws IllegalArgumentException listing every problem, one per line, as {@code source
   *     '<name>': <key>: <reason> (expected: ...)}
   */
  public static RedisStreamSource fromSettings(JsonNode settings, Checkpoints checkpoints) {
    requireNonNull(checkpoints, "checkpoints");
    SourceSettings s = SourceSettings.of(settings, "redis-stream", SETTINGS);
    s.require("uri", "e.g. redis://127.0.0.1:6379");
    s.require("stream", "the stream key, e.g. wiki:changes");
    s.require("group", "a consumer group per cache node, e.g. freshcache-web1");
    Builder b = s.create("name", () -> builder(s.name()));
    b.checkpoints(checkpoints);
    s.text("uri", b::uri);
    s.text("stream", b::stream);
    s.text("group", b::group);
    s.text("consumer", b::consumer);
    s.text("startAt", b::startAt);
    s.integer("batchSize", b::batchSize);
    s.duration("block", b::block);
    // claimIdle and claimInterval are one builder call: each key alone keeps the other's default.
    s.duration("claimIdle", d -> b.claimIdle(d, b.claimInterval));
    s.duration("claimInterval", d -> b.claimIdle(b.claimIdle, d));
    s.duration("gapCheckInterval", b::gapCheckInterval);
    return s.build(b::build);
  }

  @Override
  public String name() {
    return name;
  }

  /** The consumer name this source reads as within its group. */
  public String consumer() {
    return consumer;
  }

  @Override
  public void start(ChangeSink sink) {
    requireNonNull(sink, "sink");
    loop.start(() -> run(sink));
  }

  @Override
  public void stop() {
    // The reader wakes from XREADGROUP's BLOCK at the latest, acks the entry in hand, and ends.
    if (!loop.stop(block.plusSeconds(5))) {
      return;
    }
    shutdown(client);
  }

  /** For tests: dies like a killed process; what was delivered but not acked stays pending. */
  void crash() {
    loop.crash();
    RedisClient c = client;
    if (c != null) {
      c.shutdownAsync(0, 0, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
  }

  // ---------------------------------------------------------------- the reader thread

  private void run(ChangeSink sink) {
    loop.retryUntilStopped(new Backoff(backoffInitial, backoffMax), backoff -> connectAndRead(sink, backoff),
        RedisStreamSource::describe, () -> {});
    LOG.info("feed {}: stopped", name);
  }

  /**
   * One connection: checks the group and the stream, re-reads this consumer's pending entries,
   * then reads new ones until it fails or the source stops. The client is shut down either way.
   */
  private void connectAndRead(ChangeSink sink, Backoff backoff) {
    RedisClient c = RedisClient.create(uri);
    c.setOptions(ClientOptions.builder().autoReconnect(false)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
    client = c;
    try (StatefulRedisConnection<String, String> conn = c.connect()) {
      if (!loop.running()) {
        return;
      }
      RedisCommands<String, String> redis = conn.sync();
      ensureGroup(redis, sink);
      LOG.info("feed {}: {} to {} stream {} group {} as {}", name, loop.connectedOrReconnected(),
          uri.getHost() + ":" + uri.getPort(), stream, group, consumer);
      checkGap(redis, sink);
      readOwnPending(redis, sink, backoff);
      read(redis, sink, backoff);
    } finally {
      shutdown(c);
    }
  }

  private void ensureGroup(RedisCommands<String, String> redis, ChangeSink sink) {
    boolean created;
    try {
      redis.xgroupCreate(StreamOffset.from(stream, startAt), group, XGroupCreateArgs.Builder.mkstream());
      created = true;
    } catch (RedisBusyException e) {
      created = false; // BUSYGROUP: it exists
    }
    Optional<String> saved = checkpoints.load(name);
    boolean expected = groupSeen || saved.filter(marker::equals).isPresent();
    if (created && expected) {
      sink.gap(name, "consumer group " + group + " of stream " + stream + " was missing at connect"
          + " (Redis restarted without persistence, or the stream or group was deleted); created"
          + " it again at " + startAt);
    } else if (created) {
      LOG.info("feed {}: created consumer group {} of stream {} at {}", name, group, stream, startAt);
    }
    if (saved.isEmpty() || !saved.get().equals(marker)) {
      checkpoints.save(name, marker);
    }
    groupSeen = true;
  }

  /** Re-reads this consumer's pending entries: delivered to an earlier run that did not ack. */
  private void readOwnPending(RedisCommands<String, String> redis, ChangeSink sink, Backoff backoff) {
    String from = "0-0";
    int redelivered = 0;
    while (loop.running()) {
      List<StreamMessage<String, String>> pending = redis.xreadgroup(Consumer.from(group, consumer),
          XReadArgs.Builder.count(batchSize), StreamOffset.from(stream, from));
      if (pending.isEmpty()) {
        break;
      }
      for (StreamMessage<String, String> m : pending) {
        deliver(redis, sink, m, backoff);
        from = m.getId();
        redelivered++;
      }
    }
    if (redelivered > 0) {
      LOG.info("feed {}: re-delivered {} entries left pending by an earlier run of {}", name,
          redelivered, consumer);
    }
  }

  private void read(RedisCommands<String, String> redis, ChangeSink sink, Backoff backoff) {
    long nextClaim = System.nanoTime();
    long nextGapCheck = System.nanoTime() + gapCheckInterval.toNanos();
    XReadArgs args = XReadArgs.Builder.block(block).count(batchSize);
    while (loop.running()) {
      long now = System.nanoTime();
      if (now - nextClaim >= 0) {
        claimAbandoned(redis, sink, backoff);
        nextClaim = now + claimInterval.toNanos();
      }
      if (now - nextGapCheck >= 0) {
        checkGap(redis, sink);
        nextGapCheck = now + gapCheckInterval.toNanos();
      }
      List<StreamMessage<String, String>> batch = redis.xreadgroup(Consumer.from(group, consumer),
          args, StreamOffset.lastConsumed(stream));
      for (StreamMessage<String, String> m : batch) {
        deliver(redis, sink, m, backoff);
      }
    }
  }

  /** XAUTOCLAIM: takes over entries another consumer of the group left pending too long. */
  private void claimAbandoned(RedisCommands<String, String> redis, ChangeSink sink, Backoff backoff) {
    String start = "0-0";
    do {
      ClaimedMessages<String, String> claimed = redis.xautoclaim(stream,
          XAutoClaimArgs.Builder.xautoclaim(Consumer.from(group, consumer), claimIdle, start)
              .count(batchSize));
      if (!claimed.getMessages().isEmpty()) {
        LOG.warn("feed {}: claimed {} entries pending longer than {} ms (a consumer of group {}"
            + " died?)", name, claimed.getMessages().size(), claimIdle.toMillis(), group);
      }
      for (StreamMessage<String, String> m : claimed.getMessages()) {
        deliver(redis, sink, m, backoff);
      }
      start = claimed.getId();
    } while (loop.running() && !"0-0".equals(start));
  }

  private void deliver(RedisCommands<String, String> redis, ChangeSink sink,
      StreamMessage<String, String> m, Backoff backoff) {
    Map<String, String> body = m.getBody();
    if (body == null || body.isEmpty()) {
      // A pending entry whose data is gone: it was trimmed after delivery and before its ack.
      sink.gap(name, "pending entry " + m.getId() + " of stream " + stream
          + " was deleted before it was applied");
      if (!loop.crashed()) {
        redis.xack(stream, group, m.getId());
      }
      return;
    }
    Change change = new Change(name, stream, kind(body), m.getId(), m.getId(), payload(m),
        committedAt(m.getId()));
    try {
      sink.accept(change);
    } catch (RuntimeException e) {
      // Not acked: it stays pending and is re-read first after the reconnect.
      throw new SourceLoop.SinkFailed(change, e);
    }
    if (loop.crashed()) {
      throw new IllegalStateException("crashed");
    }
    redis.xack(stream, group, m.getId());
    backoff.reset();
  }

  private JsonNode payload(StreamMessage<String, String> m) {
    Map<String, String> body = m.getBody();
    String json = body.get("json");
    if (json != null) {
      try {
        JsonNode n = JSON.readTree(json);
        if (n != null && !n.isMissingNode()) {
          return n;
        }
      } catch (IOException e) {
        // fall through: deliver the fields, so rules on topic and kind still apply
      }
      LOG.error("feed {}: entry {} of stream {}: field 'json' is not JSON; delivering the fields as"
          + " an object instead", name, m.getId(), stream);
    }
    ObjectNode fields = JSON.createObjectNode();
    body.forEach(fields::put);
    return fields;
  }

  private static String kind(Map<String, String> body) {
    String k = body.get("kind");
    if (k == null) {
      k = body.get("type");
    }
    return k == null || k.isBlank() ? "entry" : k;
  }

  /** The time part of an auto-generated id; null for ids that are clearly not times. */
  private static Instant committedAt(String id) {
    long ms = StreamId.parse(id).millis();
    // Before 2001 it is a hand-made id such as 1-1, not a time.
    return ms > 1_000_000_000_000L ? Instant.ofEpochMilli(ms) : null;
  }

  /**
   * Reports entries deleted before the group read them; see the class comment.
   *
   * <p>Two ways to lose entries, told apart because Redis 7 records them differently: {@code XDEL}
   * raises the stream's {@code max-deleted-entry-id}; trimming ({@code MAXLEN}, {@code MINID})
   * does not, but then every entry still in the stream is unread (its first entry is after the
   * last-delivered id) and {@code entries-added - entries-read} (entries the group has not read)
   * exceeds the stream's length by the number lost. After reporting a trim, the group's {@code
   * entries-read} is set to count the lost entries as read, so one loss is reported once.
   */
  private void checkGap(RedisCommands<String, String> redis, ChangeSink sink) {
    Map<String, Object> info = StreamId.fields(redis.xinfoStream(stream));
    Map<String, Object> ours = null;
    for (Object g : redis.xinfoGroups(stream)) {
      Map<String, Object> fields = StreamId.fields((List<?>) g);
      if (group.equals(String.valueOf(fields.get("name")))) {
        ours = fields;
      }
    }
    if (ours == null) {
      throw new IllegalStateException("consumer group " + group + " vanished");
    }
    StreamId lastDelivered = StreamId.parse(String.valueOf(ours.get("last-delivered-id")));
    Object maxDeleted = info.get("max-deleted-entry-id");
    if (maxDeleted != null) {
      StreamId deleted = StreamId.parse(String.valueOf(maxDeleted));
      if (deleted.compareTo(lastDelivered) > 0 && deleted.compareTo(StreamId.parse(reportedDeleted)) > 0) {
        reportedDeleted = deleted.toString();
        sink.gap(name, "entry " + deleted + " of stream " + stream + " (and maybe others) was"
            + " deleted (XDEL) after the group's last-delivered id " + lastDelivered
            + ", before it was read");
        return;
      }
    }
    Object firstEntry = info.get("first-entry");
    StreamId first = firstEntry instanceof List<?> e && !e.isEmpty()
        ? StreamId.parse(String.valueOf(e.get(0))) : null;
    if (first != null && first.compareTo(lastDelivered) <= 0) {
      return; // trimming removes the oldest entries first: all it removed had been read
    }
    long length = ((Number) info.get("length")).longValue();
    Object added = info.get("entries-added");
    Object read = ours.get("entries-read");
    if (added instanceof Number a && read instanceof Number r) {
      long lost = a.longValue() - r.longValue() - length;
      if (lost > 0) {
        sink.gap(name, lost + " entries of stream " + stream + " were trimmed (MAXLEN/MINID) after"
            + " the group's last-delivered id " + lastDelivered + ", before they were read");
        redis.dispatch(CommandType.XGROUP, new StatusOutput<>(StringCodec.UTF8),
            new CommandArgs<>(StringCodec.UTF8).add("SETID").addKey(stream).add(group)
                .add(lastDelivered.toString()).add("ENTRIESREAD").add(a.longValue() - length));
      }
      return;
    }
    // Redis 6 (or an entries-read Redis could not keep exact): an unread first entry after the
    // last-delivered id may mean trimmed entries in between, or none. Err towards reporting.
    if (first != null && !lastDelivered.equals(StreamId.ZERO)
        && first.compareTo(StreamId.parse(reportedDeleted)) > 0) {
      reportedDeleted = first.toString();
      sink.gap(name, "stream " + stream + " starts at " + first + ", after the group's"
          + " last-delivered id " + lastDelivered + ": entries in between may have been trimmed");
    }
  }

  private static String describe(Exception e) {
    if (e instanceof SourceLoop.SinkFailed f) {
      return "sink failed on " + f.change + "; it stays pending and is read again";
    }
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  private static void shutdown(RedisClient c) {
    if (c != null) {
      try {
        c.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      } catch (RuntimeException ignored) {
        // already shut down (crash()) or shutting down
      }
    }
  }

  private static String defaultConsumer() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "freshcache";
    }
  }

  /** Configures a {@link RedisStreamSource}; options are validated as they are set. */
  public static final class Builder {
    private final String name;
    private RedisURI uri;
    private String stream;
    private String group;
    private String consumer;
    private String startAt = "$";
    private int batchSize = 100;
    private Duration block = Duration.ofSeconds(1);
    private Duration claimIdle = Duration.ofSeconds(30);
    private Duration claimInterval = Duration.ofSeconds(10);
    private Duration gapCheckInterval = Duration.ofSeconds(5);
    private Checkpoints checkpoints = Checkpoints.inMemory();
    private Duration backoffInitial = Duration.ofMillis(100);
    private Duration backoffMax = Duration.ofSeconds(30);

    private Builder(String name) {
      this.name = SourceLoop.checkName(name);
    }

    /** The server, e.g. {@code redis://127.0.0.1:6379/0} ({@code rediss://} for TLS). */
    public Builder uri(String uri) {
      requireNonNull(uri, "uri");
      try {
        this.uri = RedisURI.create(uri);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("uri: " + uri + " (expected: redis://host:port/db): "
            + e.getMessage(), e);
      }
      return this;
    }

    /** The stream key. Required. */
    public Builder stream(String stream) {
      this.stream = nonBlank(stream, "stream");
      return this;
    }

    /** The consumer group; one per cache node, since each node must see every entry. Required. */
    public Builder group(String group) {
      this.group = nonBlank(group, "group");
      return this;
    }

    /**
     * This reader's name in the group; default the host name. Keep it stable across restarts: a
     * restarted consumer re-reads its own pending entries at once, those of another name only
     * after {@link #claimIdle}.
     */
    public Builder consumer(String consumer) {
      this.consumer = nonBlank(consumer, "consumer");
      return this;
    }

    /**
     * Where a group created by this source starts: {@code $} (entries added from now on, the
     * default) or {@code 0} (every entry the stream still holds), or an entry id.
     */
    public Builder startAt(String id) {
      requireNonNull(id, "startAt");
      if (!id.equals("$")) {
        StreamId.parse(id);
      }
      this.startAt = id;
      return this;
    }

    /** Entries per XREADGROUP and XAUTOCLAIM; default 100. */
    public Builder batchSize(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("batchSize: " + n + " (expected: >= 1)");
      }
      this.batchSize = n;
      return this;
    }

    /** XREADGROUP's BLOCK: how long a read waits for new entries; default 1 s. */
    public Builder block(Duration block) {
      this.block = positive(block, "block");
      return this;
    }

    /**
     * How long another consumer's entry must have been pending before this one takes it over
     * (XAUTOCLAIM's min-idle-time), and how often it looks; defaults 30 s and 10 s.
     */
    public Builder claimIdle(Duration idle, Duration interval) {
      this.claimIdle = positive(idle, "claimIdle");
      this.claimInterval = positive(interval, "claimInterval");
      return this;
    }

    /** How often the stream is checked for entries trimmed before they were read; default 5 s. */
    public Builder gapCheckInterval(Duration interval) {
      this.gapCheckInterval = positive(interval, "gapCheckInterval");
      return this;
    }

    /** Where the "group existed" marker is kept, for gap detection across restarts. */
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
     * @throws IllegalStateException if the uri, stream or group is missing
     */
    public RedisStreamSource build() {
      if (uri == null || stream == null || group == null) {
        throw new IllegalStateException("uri, stream and group: " + uri + ", " + stream + ", "
            + group + " (expected: all set)");
      }
      return new RedisStreamSource(this);
    }

    private static String nonBlank(String s, String what) {
      requireNonNull(s, what);
      if (s.isBlank()) {
        throw new IllegalArgumentException(what + ": '" + s + "' (expected: a non-blank name)");
      }
      return s;
    }

    private static Duration positive(Duration d, String what) {
      requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + ": " + d + " (expected: > 0)");
      }
      return d;
    }
  }
}
