package io.freshcache.proxy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.proxy.EsiAssembler.Fetched;
import io.freshcache.proxy.EsiAssembler.Outcome;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/** {@link EsiAssembly}: concurrent fetches, passes, and the same rules as the synchronous assembler. */
class EsiAssemblyTest {

  private static final String ORIGIN = "origin:8081";

  /** A single-threaded executor the test runs by hand, like an event loop. */
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
  private final Executor loop = tasks::add;
  private final List<String> started = new ArrayList<>();
  private final Map<String, CompletableFuture<EsiAssembly.Part>> fetches = new HashMap<>();

  private CompletableFuture<EsiAssembly.Part> fetch(String path) {
    started.add(path);
    CompletableFuture<EsiAssembly.Part> f = new CompletableFuture<>();
    fetches.put(path, f);
    return f;
  }

  private void drain() {
    Runnable r;
    while ((r = tasks.poll()) != null) {
      r.run();
    }
  }

  private static EsiTemplate t(String s) throws EsiException {
    return EsiTemplate.parse(s.getBytes(UTF_8), EsiLimits.DEFAULTS);
  }

  private void arrive(String path, String body, boolean shared) throws EsiException {
    fetches.get(path).complete(new EsiAssembly.Part(Fetched.template(t(body)), "\"" + path + "\"", shared));
    drain();
  }

  private CompletableFuture<EsiAssembly.Result> start(String page) throws EsiException {
    return EsiAssembly.start(t(page), "/page", ORIGIN, EsiLimits.DEFAULTS, loop, this::fetch);
  }

  private static String body(CompletableFuture<EsiAssembly.Result> r) {
    return new String(((Outcome.Assembled) r.join().outcome()).body(), UTF_8);
  }

  @Test
  void theIncludesOfATemplateAreFetchedTogetherAndNestedOnesWhenTheirParentArrives() throws Exception {
    CompletableFuture<EsiAssembly.Result> r = start("[<esi:include src=\"/a\"/>|<esi:include src=\"/b\"/>]");
    assertThat(started).containsExactly("/a", "/b");
    arrive("/b", "B", true);
    assertThat(r).isNotDone();
    arrive("/a", "A<esi:include src=\"/c\"/>", true);
    assertThat(started).containsExactly("/a", "/b", "/c");
    assertThat(r).isNotDone();
    arrive("/c", "C", false);
    assertThat(body(r)).isEqualTo("[AC|B]");
    assertThat(r.join().consulted().keySet()).containsExactly("/a", "/c", "/b");
    assertThat(r.join().allShared()).isFalse();
  }

  @Test
  void theAltIsStartedOnlyOnceTheSrcFailed() throws Exception {
    CompletableFuture<EsiAssembly.Result> r = start("<esi:include src=\"/x\" alt=\"/y\"/>");
    assertThat(started).containsExactly("/x");
    fetches.get("/x").complete(EsiAssembly.Part.failure("origin answered 503"));
    drain();
    assertThat(started).containsExactly("/x", "/y");
    arrive("/y", "Y", true);
    assertThat(body(r)).isEqualTo("Y");
    assertThat(r.join().allShared()).isTrue();
  }

  @Test
  void fragmentsAtHandAreUsedAtOnceAndAPathIsFetchedOnce() throws Exception {
    EsiTemplate page = t("<esi:include src=\"/x\"/><esi:include src=\"/x\"/>");
    List<String> calls = new ArrayList<>();
    CompletableFuture<EsiAssembly.Result> r = EsiAssembly.start(page, "/page", ORIGIN, EsiLimits.DEFAULTS, loop, p -> {
      calls.add(p);
      return CompletableFuture.completedFuture(new EsiAssembly.Part(Fetched.body("x".getBytes(UTF_8)), "\"x\"", true));
    });
    assertThat(r).isDone(); // no pass needed the loop
    assertThat(body(r)).isEqualTo("xx");
    assertThat(calls).containsExactly("/x");
  }

  @Test
  void failuresFollowTheSynchronousRules() throws Exception {
    CompletableFuture<EsiAssembly.Result> r = start("a<esi:include src=\"/x\" onerror=\"continue\"/>b<esi:include src=\"/y\"/>");
    fetches.get("/x").completeExceptionally(new OriginFailure("origin: connect failed", false, null));
    drain();
    assertThat(r).isNotDone();
    fetches.get("/y").complete(EsiAssembly.Part.failure("origin answered 404"));
    drain();
    EsiError e = ((Outcome.Failed) r.join().outcome()).error();
    assertThat(e.message()).isEqualTo("ESI include /y failed: origin answered 404 (in /page -> /y)");

    tasks.clear();
    started.clear();
    CompletableFuture<EsiAssembly.Result> cycle = start("<esi:include src=\"/a\"/>");
    arrive("/a", "<esi:include src=\"/page\"/>", true);
    assertThat(((Outcome.Failed) cycle.join().outcome()).error().message())
        .isEqualTo("ESI include cycle: /page -> /a -> /page");
  }

  @Test
  void aThrowingFetchIsAFailedInclude() throws Exception {
    CompletableFuture<EsiAssembly.Result> r = EsiAssembly.start(t("a<esi:include src=\"/x\" onerror=\"continue\"/>b"),
        "/page", ORIGIN, EsiLimits.DEFAULTS, loop, p -> {
          throw new IllegalStateException("boom");
        });
    assertThat(body(r)).isEqualTo("ab");
  }
}
