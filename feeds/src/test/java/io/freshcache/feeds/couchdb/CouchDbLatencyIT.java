package io.freshcache.feeds.couchdb;

import io.freshcache.feeds.Checkpoints;
import io.freshcache.feeds.testing.LatencyProbe;
import io.freshcache.feeds.testing.PouchDbServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/**
 * PUT to invalidation applied, one document at a time. Tagged manual (never run by CI): run
 * with {@code -Dfeeds.excludedGroups=none}.
 */
@Tag("manual")
class CouchDbLatencyIT {

  @Test
  void putToInvalidation(@TempDir Path dir) throws Exception {
    try (PouchDbServer server = PouchDbServer.start()) {
      HttpClient http = HttpClient.newHttpClient();
      String db = server.base() + "/latency";
      http.send(HttpRequest.newBuilder(URI.create(db)).PUT(HttpRequest.BodyPublishers.noBody())
          .build(), HttpResponse.BodyHandlers.discarding());
      CouchDbSource source = CouchDbSource.builder("latency").database(db)
          .checkpoints(Checkpoints.directory(dir)).heartbeat(Duration.ofSeconds(1)).build();
      LatencyProbe.run("couchdb (pouchdb-server -m, continuous _changes, checkpoint file fsynced"
          + " when caught up)", source, "/doc/tag", i -> {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(db + "/d-" + i))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"tag\": " + i + "}")).build(),
                HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() != 201) {
              throw new AssertionError("PUT d-" + i + ": HTTP " + r.statusCode());
            }
            return "d-" + i;
          }, 100, 1_000);
    }
  }
}
