package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ShutdownAndLogTest extends ProxyTestSupport {

  @Test
  void closeLetsRequestsInProgressFinish() throws Exception {
    origin.on("/slow", TestOrigin.Reply.ok("done").delay(500));
    start(b -> b.shutdownGrace(Duration.ofSeconds(3)));
    CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> get("/slow"));
    await(() -> origin.count("/slow") == 1, "the request to reach the origin");
    proxy.close();
    assertThat(inFlight.get().body()).isEqualTo("done");
    assertThat(inFlight.get().statusCode()).isEqualTo(200);
  }

  @Test
  void accessLineWithoutCookies() {
    Logger access = (Logger) LoggerFactory.getLogger("freshcache.access");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    access.addAppender(lines);
    Level before = access.getLevel();
    access.setLevel(Level.INFO);
    try {
      origin.on("/log", TestOrigin.Reply.ok("x").header("Cache-Control", "max-age=60"));
      start(b -> b.accessLog(true).userCookie("session"));
      get("/log?q=1", "Cookie", "session=secret-token");
      get("/log?q=1", "Cookie", "session=secret-token");
      await(() -> lines.list.size() == 2, "two access lines");
      String line = lines.list.get(1).getFormattedMessage();
      assertThat(line).contains("GET /log?q=1 200").contains("hit").doesNotContain("secret-token");
    } finally {
      access.setLevel(before);
      access.detachAppender(lines);
    }
  }
}
