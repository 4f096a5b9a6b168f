package io.freshcache.feeds.couchdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.freshcache.feeds.Change;
import io.freshcache.feeds.ChangeSource;
import io.freshcache.feeds.Checkpoints;
import io.freshcache.feeds.testing.KillRestartCheck;
import io.freshcache.feeds.testing.PouchDbServer;
import io.freshcache.feeds.testing.RecordingSink;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link CouchDbSource} against a pouchdb-server the test starts (installed on first use). */
class CouchDbSourceIT {
  private static PouchDbServer server;
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private final String db = "fc-test-" + UUID.randomUUID().toString().substring(0, 8);

  @BeforeAll
  static void startServer() throws Exception {
    server = PouchDbServer.start();
  }

  @AfterAll
  static void stopServer() throws IOException {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void createDatabase() throws Exception {
    send("PUT", "/" + db, null);
  }

  static String send(String method, String path, String json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.base() + path))
        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30));
    b.method(method, json == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(json));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 300) {
      throw new AssertionError(method + " " + path + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  CouchDbSource.Builder source(Path dir) {
    return CouchDbSource.builder("docs-" + db).database(server.base() + "/" + db)
        .checkpoints(Checkpoints.directory(dir)).startAtNow(false)
        .heartbeat(Duration.ofSeconds(1)).backoff(Duration.ofMillis(20), Duration.ofMillis(200));
  }

  @Test
  void tenThousandChangesWithTheConsumerKilledMidwayAllInvalidated(@TempDir Path dir) throws Exception {
    KillRestartCheck.Result r = KillRestartCheck.run("couchdb", new KillRestartCheck.Driver() {
      @Override
      public String tagPointer() {
        return "/doc/tag";
      }

      @Override
      public void produce(int from, int to) throws Exception {
        StringBuilder docs = new StringBuilder("{\"docs\": [");
        for (int i = from; i < to; i++) {
          docs.append(i == from ? "" : ",").append("{\"_id\": \"d-").append(i)
              .append("\", \"type\": \"page\", \"tag\": ").append(i).append('}');
        }
        send("POST", "/" + db + "/_bulk_docs", docs.append("]}").toString());
      }

      @Override
      public ChangeSource newSource() {
        return source(dir).build();
      }

      @Override
      public void crash(ChangeSource source) {
        ((CouchDbSource) source).crash();
      }
    }, 10_000);
    assertThat(r.duplicates()).as("changes after the last checkpoint come again").isPositive();
  }

  @Test
  void insertUpdateDeleteWithDocsAndASinkFailureRetried(@TempDir Path dir) throws Exception {
    RecordingSink sink = new RecordingSink();
    sink.failuresLeft.set(1);
    String rev;
    try (CouchDbSource s = source(dir).build()) {
      s.start(sink);
      rev = send("PUT", "/" + db + "/Alpha", "{\"title\": \"Alpha\"}")
          .strip().replaceAll(".*\"rev\":\"([^\"]+)\".*", "$1");
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.changes.size() == 1);
      String rev2 = send("PUT", "/" + db + "/Alpha", "{\"_rev\": \"" + rev + "\", \"title\": \"A2\"}")
          .strip().replaceAll(".*\"rev\":\"([^\"]+)\".*", "$1");
      send("DELETE", "/" + db + "/Alpha?rev=" + rev2, null);
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.changes.size() == 3);
    }
    assertThat(sink.changes).extracting(Change::kind).containsExactly("insert", "update", "delete");
    Change first = sink.changes.get(0);
    assertThat(first.topic()).isEqualTo(db);
    assertThat(first.id()).isEqualTo("Alpha");
    assertThat(first.payload().path("rev").asText()).isEqualTo(rev);
    assertThat(first.payload().path("doc").path("title").asText()).isEqualTo("Alpha");
    assertThat(sink.changes.get(2).payload().path("deleted").asBoolean()).isTrue();
    assertThat(sink.gaps).isEmpty();
    // The checkpoint holds the last applied seq: a restart delivers nothing again.
    RecordingSink again = new RecordingSink();
    try (CouchDbSource s = source(dir).build()) {
      s.start(again);
      send("PUT", "/" + db + "/Beta", "{}");
      await().atMost(Duration.ofSeconds(10)).until(() -> again.changes.size() == 1);
      assertThat(again.changes.get(0).id()).isEqualTo("Beta");
    }
  }

  @Test
  void databaseRecreatedWhileTheSourceWasDownIsAGap(@TempDir Path dir) throws Exception {
    RecordingSink sink = new RecordingSink();
    try (CouchDbSource s = source(dir).build()) {
      s.start(sink);
      send("PUT", "/" + db + "/a", "{}");
      send("PUT", "/" + db + "/b", "{}");
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.changes.size() == 2);
    }
    send("DELETE", "/" + db, null);
    Thread.sleep(5); // instance_start_time has millisecond resolution
    send("PUT", "/" + db, null);
    send("PUT", "/" + db + "/c", "{}");
    try (CouchDbSource s = source(dir).build()) {
      s.start(sink);
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.changes.size() == 3);
      assertThat(sink.gaps).hasSize(1);
      assertThat(sink.gaps.get(0)).contains("re-created");
      assertThat(sink.changes.get(2).id()).isEqualTo("c");
    }
  }
}
