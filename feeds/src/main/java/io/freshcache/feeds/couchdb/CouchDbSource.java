package io.freshcache.feeds.couchdb;

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
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a CouchDB database's {@code _changes} feed (continuous, with {@code include_docs=true} and a
 * heartbeat) from a checkpoint. Works with CouchDB 1.x to 3.x and with compatible servers
 * (pouchdb-server).
 *
 * <pre>{@code
 * CouchDbSource docs = CouchDbSource.builder("wiki-docs")
 *     .database("http://127.0.0.1:5984/wiki")
 *     .checkpoints(Checkpoints.directory(Path.of("var/checkpoints")))
 *     .build();
 * }</pre>
 *
 * <h2>What a change becomes</h2>
 * A {@link Change} with topic = the database name, kind = {@code delete} for a deletion, {@code
 * insert} for a first revision ({@code 1-...}), {@code update} otherwise; id = the document id;
 * position = the change's {@code seq} as JSON text (opaque: an integer on pouchdb-server and
 * CouchDB 1.x, a string on CouchDB 2+). Payload: {@code {"id", "rev", "deleted", "seq", "doc"}},
 * {@code doc} being the document (for a deletion, its tombstone). committedAt is unknown (null):
 * CouchDB does not say when a change was written.
 *
 * <h2>Checkpoint</h2>
 * The checkpoint is {@code {"seq": <last applied seq>, "instance": "<instance_start_time>"}},
 * saved with {@link Checkpoints} only after the sink returned for that change. To spare an fsync
 * per change it is saved in batches: after {@code checkpointEvery} changes (default 100), and
 * whenever the feed has nothing more to hand (caught up), at heartbeats and on {@link #stop}. A
 * crash therefore replays at most {@code checkpointEvery} changes: at least once.
 *
 * <h2>Gaps</h2>
 * Reported to {@link ChangeSink#gap}, after which reading restarts from the beginning of the new
 * database (or the current end, where the old position is meaningless):
 * <ul>
 *   <li>the database was re-created: its {@code instance_start_time} differs from the checkpoint's
 *       (pouchdb-server, CouchDB 1.x; CouchDB 2+ always says {@code "0"}), or its {@code update_seq}
 *       is behind the checkpoint (compared by the number before the first {@code -});
 *   <li>the server rejects the checkpoint's {@code since} (HTTP 400).
 * </ul>
 * A database deleted and re-created and then written past the old sequence number on CouchDB 2+
 * cannot be told from the original; nor can a server restored from an older backup.
 *
 * <h2>Threading and timeouts</h2>
 * One thread per source ({@code freshcache-feed-<name>}) reads the feed line by line through
 * {@link HttpClient} and calls the sink in order. The server sends a heartbeat (an empty line)
 * every {@code heartbeat}; nothing at all for {@code readTimeout} (default 3 heartbeats) means a
 * dead connection, which is dropped and reopened with {@link Backoff}, logged each time.
 */
public final class CouchDbSource implements ChangeSource {
  private static final Logger LOG = LoggerFactory.getLogger(CouchDbSource.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Marks the end of the response body in the line buffer. */
  private static final Object END = new Object();

  /** The keys of {@link #fromSettings}, besides {@link SourceSettings#COMMON_KEYS}. */
  private static final java.util.Set<String> SETTINGS = java.util.Set.of("database", "user",
      "password", "heartbeat", "readTimeout", "checkpointEvery", "startAtNow");

  private final String name;
  private final URI database;
  private final String dbName;
  private final String authorization;
  private final Checkpoints checkpoints;
  private final Duration heartbeat;
  private final Duration readTimeout;
  private final int checkpointEvery;
  private final boolean startAtNow;
  private final Duration backoffInitial;
  private final Duration backoffMax;
  private final HttpClient http;

  // The reader thread, its running and crashed flags (after crash() the reader must not save
  // anything more) and the reconnect loop.
  private final SourceLoop loop;
  /** The open feed, for stop() and crash() to cut from another thread. */
  private volatile Feed feed;
  /** The last applied position (null before the first connect without a checkpoint); reader only. */
  private Position current;
  /** Whether to start at the database's end when there is no position; reader only. */
  private boolean atEnd;

  private CouchDbSource(Builder b) {
    this.name = b.name;
    this.loop = new SourceLoop(name, LOG);
    this.database = b.database;
    String path = database.getPath();
    this.dbName = java.net.URLDecoder.decode(path.substring(path.lastIndexOf('/') + 1),
        StandardCharsets.UTF_8);
    this.authorization = b.authorization;
    this.checkpoints = b.checkpoints;
    this.heartbeat = b.heartbeat;
    this.readTimeout = b.readTimeout != null ? b.readTimeout : b.heartbeat.multipliedBy(3);
    this.checkpointEvery = b.checkpointEvery;
    this.startAtNow = b.startAtNow;
    this.backoffInitial = b.backoffInitial;
    this.backoffMax = b.backoffMax;
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** A builder for a source named {@code name} (letters, digits, {@code . _ -}: names the checkpoint). */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /**
   * A source from the settings of a {@code sources:} entry of a rules file (usually through {@link
   * io.freshcache.feeds.Sources#fromSettings}): {@code database} required; {@code user} and {@code
   * password} (basic authentication, both or neither), {@code heartbeat}, {@code readTimeout}
   * (durations as {@code 500ms}, {@code 10s}, {@code 5m}), {@code checkpointEvery}, {@code
   * startAtNow}; {@code name}, {@code type} ({@code couchdb}) and {@code gapPolicy}.
   *
   * @throws IllegalArgumentException listing every problem, one per line, as {@code source
   *     '<name>': <key>: <reason> (expected: ...)}
   */
  public static CouchDbSource fromSettings(JsonNode settings, Checkpoints checkpoints) {
    requireNonNull(checkpoints, "checkpoints");
    SourceSettings s = SourceSettings.of(settings, "couchdb", SETTINGS);
    s.require("database", "e.g. http://127.0.0.1:5984/wiki");
    if (s.has("user") != s.has("password")) {
      s.problem(s.has("user") ? "password" : "user", "missing (expected: user and password together)");
    }
    Builder b = s.create("name", () -> builder(s.name()));
    b.checkpoints(checkpoints);
    s.text("database", b::database);
    s.text("user", user -> s.text("password", password -> b.basicAuth(user, password)));
    // heartbeat before readTimeout: the read timeout is checked against it.
    s.duration("heartbeat", b::heartbeat);
    s.duration("readTimeout", b::readTimeout);
    s.integer("checkpointEvery", b::checkpointEvery);
    s.bool("startAtNow", b::startAtNow);
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
    // The reader polls its line buffer every 100 ms; it saves the checkpoint on the way out.
    if (!loop.stop(Duration.ofSeconds(5))) {
      return;
    }
    Feed f = feed;
    if (f != null) {
      f.cancel();
    }
  }

  /** For tests: dies like a killed process: the feed is cut, no checkpoint is saved. */
  void crash() {
    loop.crash();
    Feed f = feed;
    if (f != null) {
      f.cancel();
    }
  }

  // ---------------------------------------------------------------- the reader thread

  /** Where the reader is: the last applied seq (JSON text) and the database instance it is of. */
  private record Position(String seq, String instance) {
    static Position parse(String text) {
      try {
        JsonNode n = JSON.readTree(text);
        return new Position(JSON.writeValueAsString(n.get("seq")), n.path("instance").asText("0"));
      } catch (IOException | RuntimeException e) {
        throw new IllegalStateException("checkpoint: '" + text
            + "' (expected: {\"seq\": ..., \"instance\": \"...\"})", e);
      }
    }

    String format() {
      ObjectNode n = JSON.createObjectNode();
      try {
        n.set("seq", JSON.readTree(seq));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      n.put("instance", instance);
      return n.toString();
    }
  }

  private void run(ChangeSink sink) {
    current = checkpoints.load(name).map(Position::parse).orElse(null);
    atEnd = startAtNow;
    loop.retryUntilStopped(new Backoff(backoffInitial, backoffMax), backoff -> connectAndRead(sink, backoff),
        CouchDbSource::describe, () -> {});
    LOG.info("feed {}: stopped", name);
  }

  /** One connection: checks the database, then follows its feed until it ends or fails. */
  private void connectAndRead(ChangeSink sink, Backoff backoff) throws Exception {
    try {
      JsonNode info = get(database);
      String instance = info.path("instance_start_time").asText("0");
      String updateSeq = JSON.writeValueAsString(info.get("update_seq"));
      current = resume(current, instance, updateSeq, atEnd, sink);
      LOG.info("feed {}: {} to {} since {}", name, loop.connectedOrReconnected(), database,
          current.seq());
      follow(sink, backoff);
    } catch (SinceRejected e) {
      // Not a failure: start over at once from the end, without a backoff.
      sink.gap(name, "the server rejected since=" + current.seq() + " (" + e.getMessage()
          + "); restarting from the database's current end");
      current = null;
      atEnd = true;
    }
  }

  /** Where to read from now: the checkpoint, unless the database is not the one it was of. */
  private Position resume(Position saved, String instance, String updateSeq, boolean atEnd,
      ChangeSink sink) {
    if (saved == null) {
      Position start = new Position(atEnd ? updateSeq : "0", instance);
      if (!loop.crashed()) {
        checkpoints.save(name, start.format());
      }
      return start;
    }
    String why = null;
    if (!saved.instance().equals("0") && !instance.equals("0") && !saved.instance().equals(instance)) {
      why = "instance_start_time " + instance + " != " + saved.instance() + " of the checkpoint";
    } else if (sequenceNumber(updateSeq) < sequenceNumber(saved.seq())) {
      why = "update_seq " + updateSeq + " is behind the checkpoint's " + saved.seq();
    }
    if (why == null) {
      return saved;
    }
    sink.gap(name, "database " + dbName + " was re-created (" + why + "); reading it from its start");
    Position fresh = new Position("0", instance);
    checkpoints.save(name, fresh.format());
    return fresh;
  }

  /** The number CouchDB sequences start with ({@code 42}, {@code "42-g1AAAA..."}); -1 if none. */
  static long sequenceNumber(String seqJson) {
    String s = seqJson.startsWith("\"") ? seqJson.substring(1, seqJson.length() - 1) : seqJson;
    int dash = s.indexOf('-');
    try {
      return Long.parseLong(dash < 0 ? s : s.substring(0, dash));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Reads the continuous feed from {@link #current} until it ends, fails or the source stops;
   * advances {@link #current} as changes are applied.
   */
  private void follow(ChangeSink sink, Backoff backoff) throws Exception {
    Position from = current;
    String since = from.seq().startsWith("\"") ? JSON.readTree(from.seq()).asText() : from.seq();
    URI uri = URI.create(database + "/_changes?feed=continuous&include_docs=true&heartbeat="
        + heartbeat.toMillis() + "&since=" + URLEncoder.encode(since, StandardCharsets.UTF_8));
    Feed f = new Feed();
    feed = f;
    HttpRequest.Builder req = HttpRequest.newBuilder(uri).GET().header("Accept", "application/json");
    if (authorization != null) {
      req.header("Authorization", authorization);
    }
    f.response = http.sendAsync(req.build(), f);
    f.response.whenComplete((r, t) -> {
      if (t != null) {
        f.lines.offer(t);
      }
    });
    Position applied = from;
    Position saved = from;
    int unsaved = 0;
    long lastData = System.nanoTime();
    try {
      while (loop.running()) {
        Object next = f.lines.poll(100, TimeUnit.MILLISECONDS);
        if (next == null) {
          if (System.nanoTime() - lastData > readTimeout.toNanos()) {
            throw new IOException("nothing received for " + readTimeout.toMillis()
                + " ms (heartbeat every " + heartbeat.toMillis() + " ms): connection presumed dead");
          }
          continue;
        }
        lastData = System.nanoTime();
        if (next instanceof Integer status) {
          if (status == 400) {
            throw new SinceRejected("HTTP 400: " + f.rest());
          }
          if (status != 200) {
            throw new IOException("HTTP " + status + " from " + uri + ": " + f.rest());
          }
          continue;
        }
        if (next == END) {
          throw new IOException("the server ended the feed");
        }
        if (next instanceof Throwable t) {
          throw new IOException("feed failed: " + t, t);
        }
        String line = (String) next;
        f.request.run();
        if (line.isBlank()) {
          // A heartbeat: idle, so a good moment to save what was applied.
          if (unsaved > 0 && !loop.crashed()) {
            checkpoints.save(name, applied.format());
            saved = applied;
            unsaved = 0;
          }
          continue;
        }
        JsonNode row = JSON.readTree(line);
        if (row.has("last_seq")) {
          // The feed ends (CouchDB does so on its own timeout); all before it was delivered.
          applied = new Position(JSON.writeValueAsString(row.get("last_seq")), from.instance());
          current = applied;
          unsaved++;
          continue;
        }
        if (row.has("error")) {
          throw new IOException("feed error: " + line);
        }
        Change change = change(row);
        try {
          sink.accept(change);
        } catch (RuntimeException e) {
          throw new SourceLoop.SinkFailed(change, e);
        }
        if (loop.crashed()) {
          return;
        }
        backoff.reset();
        applied = new Position(change.position(), from.instance());
        current = applied;
        unsaved++;
        if (unsaved >= checkpointEvery || f.lines.isEmpty()) {
          // Batches while lines are waiting; saves at once when caught up.
          checkpoints.save(name, applied.format());
          saved = applied;
          unsaved = 0;
        }
      }
    } finally {
      f.cancel();
      if (!loop.crashed() && applied != saved) {
        // Stopping or reconnecting: what was applied is safe to skip next time.
        checkpoints.save(name, applied.format());
      }
    }
  }

  private Change change(JsonNode row) {
    String id = row.path("id").asText();
    String rev = row.path("changes").path(0).path("rev").asText(row.path("doc").path("_rev").asText());
    boolean deleted = row.path("deleted").asBoolean(false);
    ObjectNode payload = JSON.createObjectNode();
    payload.put("id", id);
    payload.put("rev", rev);
    payload.put("deleted", deleted);
    payload.set("seq", row.get("seq"));
    payload.set("doc", row.has("doc") ? row.get("doc") : JSON.nullNode());
    String kind = deleted ? "delete" : rev.startsWith("1-") ? "insert" : "update";
    String seq;
    try {
      seq = JSON.writeValueAsString(row.get("seq"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return new Change(name, dbName, kind, id, seq, payload, null);
  }

  private JsonNode get(URI uri) throws IOException, InterruptedException {
    HttpRequest.Builder req = HttpRequest.newBuilder(uri).GET().timeout(readTimeout)
        .header("Accept", "application/json");
    if (authorization != null) {
      req.header("Authorization", authorization);
    }
    HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("HTTP " + r.statusCode() + " from " + uri + ": " + r.body().strip());
    }
    return JSON.readTree(r.body());
  }

  private static String describe(Exception e) {
    if (e instanceof SourceLoop.SinkFailed f) {
      return "sink failed on " + f.change + "; reading again from the last applied change";
    }
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  /**
   * One open feed: the body handler that puts the status, then each line, then {@link #END} into
   * {@link #lines}, with flow control so that at most a few hundred lines wait in memory.
   */
  private static final class Feed implements HttpResponse.BodyHandler<Void>,
      Flow.Subscriber<String> {
    private static final int WINDOW = 256;
    final LinkedBlockingQueue<Object> lines = new LinkedBlockingQueue<>();
    volatile CompletableFuture<HttpResponse<Void>> response;
    // Set once by onSubscribe (HttpClient's thread), read by the reader and by cancel().
    private volatile Flow.Subscription subscription;
    private volatile boolean cancelled;
    private int taken;
    /** Called by the reader for each line it took: asks for more in batches. */
    final Runnable request = () -> {
      if (++taken >= WINDOW / 2) {
        Flow.Subscription s = subscription;
        if (s != null) {
          s.request(taken);
        }
        taken = 0;
      }
    };

    @Override
    public HttpResponse.BodySubscriber<Void> apply(HttpResponse.ResponseInfo info) {
      lines.offer(info.statusCode());
      return HttpResponse.BodySubscribers.fromLineSubscriber(this, s -> null,
          StandardCharsets.UTF_8, null);
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      if (cancelled) {
        s.cancel();
      } else {
        s.request(WINDOW);
      }
    }

    @Override
    public void onNext(String line) {
      lines.offer(line);
    }

    @Override
    public void onError(Throwable t) {
      lines.offer(t);
    }

    @Override
    public void onComplete() {
      lines.offer(END);
    }

    /** The rest of an error response, for the message. */
    String rest() throws InterruptedException {
      StringBuilder b = new StringBuilder();
      Flow.Subscription s = subscription;
      if (s != null) {
        s.request(16);
      }
      for (Object o; (o = lines.poll(500, TimeUnit.MILLISECONDS)) instanceof String line; ) {
        b.append(line.strip());
      }
      return b.toString();
    }

    void cancel() {
      cancelled = true;
      Flow.Subscription s = subscription;
      if (s != null) {
        s.cancel();
      }
      CompletableFuture<HttpResponse<Void>> r = response;
      if (r != null) {
        r.cancel(true);
      }
    }
  }

  /** The server answered 400 to since: the position is meaningless to it. */
  private static final class SinceRejected extends IOException {
    private static final long serialVersionUID = 1L;

    SinceRejected(String message) {
      super(message);
    }
  }

  /** Configures a {@link CouchDbSource}; options are validated as they are set. */
  public static final class Builder {
    private final String name;
    private URI database;
    private String authorization;
    private Checkpoints checkpoints = Checkpoints.inMemory();
    private Duration heartbeat = Duration.ofSeconds(10);
    private Duration readTimeout;
    private int checkpointEvery = 100;
    private boolean startAtNow = true;
    private Duration backoffInitial = Duration.ofMillis(100);
    private Duration backoffMax = Duration.ofSeconds(30);

    private Builder(String name) {
      this.name = SourceLoop.checkName(name);
    }

    /** The database's URL, e.g. {@code http://127.0.0.1:5984/wiki}. Required. */
    public Builder database(String url) {
      requireNonNull(url, "url");
      URI u;
      try {
        u = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("database: " + url
            + " (expected: http://host:port/dbname)", e);
      }
      if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getPath() == null
          || u.getPath().length() < 2 || u.getRawQuery() != null || u.getUserInfo() != null) {
        throw new IllegalArgumentException("database: " + url + " (expected: http://host:port/dbname,"
            + " without query or credentials: use basicAuth)");
      }
      this.database = u;
      return this;
    }

    /** HTTP basic authentication. */
    public Builder basicAuth(String user, String password) {
      requireNonNull(user, "user");
      requireNonNull(password, "password");
      this.authorization = "Basic " + Base64.getEncoder()
          .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
      return this;
    }

    /** Where the position is kept; default in memory (a restart then starts at {@link #startAtNow}). */
    public Builder checkpoints(Checkpoints checkpoints) {
      this.checkpoints = requireNonNull(checkpoints, "checkpoints");
      return this;
    }

    /** How often the server sends a heartbeat; default 10 s. */
    public Builder heartbeat(Duration heartbeat) {
      requireNonNull(heartbeat, "heartbeat");
      if (heartbeat.toMillis() < 100) {
        throw new IllegalArgumentException("heartbeat: " + heartbeat + " (expected: >= 100 ms)");
      }
      this.heartbeat = heartbeat;
      return this;
    }

    /** How long silence means a dead connection; default 3 heartbeats; must exceed the heartbeat. */
    public Builder readTimeout(Duration timeout) {
      requireNonNull(timeout, "timeout");
      if (timeout.compareTo(heartbeat) <= 0) {
        throw new IllegalArgumentException("readTimeout: " + timeout + " (expected: > heartbeat "
            + heartbeat + ")");
      }
      this.readTimeout = timeout;
      return this;
    }

    /** Saves the checkpoint at least every {@code n} applied changes; default 100. */
    public Builder checkpointEvery(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("checkpointEvery: " + n + " (expected: >= 1)");
      }
      this.checkpointEvery = n;
      return this;
    }

    /**
     * Without a checkpoint: {@code true} (default) starts at the database's current end, since a
     * cache started now has rendered nothing older; {@code false} reads every change from the
     * start.
     */
    public Builder startAtNow(boolean now) {
      this.startAtNow = now;
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
     * @throws IllegalStateException if the database is missing
     */
    public CouchDbSource build() {
      if (database == null) {
        throw new IllegalStateException("database: not set (expected: database(\"http://...\"))");
      }
      if (readTimeout != null && readTimeout.compareTo(heartbeat) <= 0) {
        throw new IllegalStateException("readTimeout: " + readTimeout + " (expected: > heartbeat "
            + heartbeat + ")");
      }
      return new CouchDbSource(this);
    }
  }
}
