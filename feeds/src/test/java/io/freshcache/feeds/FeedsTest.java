package io.freshcache.feeds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshcache.core.CacheKey;
import io.freshcache.core.Clock;
import io.freshcache.core.Content;
import io.freshcache.core.Freshcache;
import io.freshcache.testkit.FakeClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FeedsTest {
  private final Freshcache cache = Freshcache.builder().executor(Runnable::run).build();

  @AfterEach
  void close() {
    cache.close();
  }

  private void render(String path, String... tags) {
    cache.get(CacheKey.of(path), ctx -> {
      ctx.dependsOn(tags);
      return Content.html(path);
    });
  }

  private boolean cached(String path) {
    return cache.getIfPresent(CacheKey.of(path)) != null;
  }

  private static final String RULES = """
      rules:
        - name: pages
          match: { table: pages }
          invalidate: [ "page:{/new/title}", "page:{/old/title}" ]
          prefixes: [ "space:{/new/space}/" ]
      """;

  @Test
  void changeInvalidatesWhatTheRulesSayAndCounts() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Feeds feeds = Feeds.builder(cache).rules(Rules.parse(RULES, "t")).meterRegistry(meters).build();
    render("/a", "page:Alpha");
    render("/b", "page:Beta");
    render("/s", "space:docs/Intro");
    render("/o", "page:Other");
    feeds.sink().accept(Changes.row("pg", "pages", "update",
        "{\"old\": {\"title\": \"Alpha\"}, \"new\": {\"title\": \"Beta\", \"space\": \"docs\"}}"));
    assertThat(cached("/a")).isFalse();
    assertThat(cached("/b")).isFalse();
    assertThat(cached("/s")).isFalse();
    assertThat(cached("/o")).isTrue();
    FeedStats s = feeds.stats("pg");
    assertThat(s.changes()).isEqualTo(1);
    assertThat(s.invalidations()).isEqualTo(3);
    assertThat(s.latencySamples()).isEqualTo(1);
    assertThat(meters.get("freshcache.feeds.latency").tag("source", "pg").timer().count()).isEqualTo(1);
    assertThat(feeds.stats().changes()).isEqualTo(1);
  }

  @Test
  void valueMakingAnInvalidTagIsSkippedNotFatal() {
    Feeds feeds = Feeds.builder(cache).rules(Rules.parse(RULES, "t")).build();
    render("/b", "page:Beta");
    feeds.sink().accept(Changes.row("pg", "pages", "update",
        "{\"old\": {\"title\": \"Has space\"}, \"new\": {\"title\": \"Beta\"}}"));
    assertThat(cached("/b")).isFalse();
    assertThat(feeds.stats().skippedTags()).isEqualTo(1);
    assertThat(feeds.stats().errors()).isZero();
  }

  @Test
  void throwingRuleErrsTowardsInvalidatingTooMuch() {
    Feeds feeds = Feeds.builder(cache).rule(new InvalidationRule() {
      @Override
      public Invalidations apply(Change change) {
        throw new IllegalStateException("bug");
      }

      @Override
      public Invalidations onGap() {
        return Invalidations.of(java.util.List.of(), java.util.List.of("page:"));
      }
    }).build();
    render("/a", "page:Alpha");
    render("/u", "user:1");
    feeds.sink().accept(Changes.row("pg", "pages", "update", "{}"));
    assertThat(cached("/a")).isFalse();
    assertThat(cached("/u")).isTrue();
    assertThat(feeds.stats().errors()).isEqualTo(1);
  }

  @Test
  void gapPolicies() {
    Feeds feeds = Feeds.builder(cache).rules(Rules.parse(RULES, "t"))
        .gapPolicy("quiet", GapPolicy.LOG_ONLY).build();
    render("/a", "page:Alpha");
    render("/s", "space:docs/Intro");
    render("/u", "user:1");
    feeds.sink().gap("quiet", "test");
    assertThat(cached("/a")).isTrue();
    feeds.sink().gap("pg", "checkpoint 3 < oldest retained 10");
    assertThat(cached("/a")).isFalse();
    assertThat(cached("/s")).isFalse();
    assertThat(cached("/u")).isTrue();
    assertThat(feeds.stats("pg").gaps()).isEqualTo(1);
    assertThat(feeds.stats("quiet").gaps()).isEqualTo(1);
  }

  @Test
  void codeRuleWithoutOnGapClearsEverythingOnAGap() {
    Feeds feeds = Feeds.builder(cache).rule(c -> Invalidations.tags("page:" + c.id())).build();
    render("/u", "user:1");
    feeds.sink().gap("pg", "reset");
    assertThat(cached("/u")).isFalse();
  }

  @Test
  void latencyComesFromTheCommitTime() {
    FakeClock clock = new FakeClock();
    Feeds feeds = Feeds.builder(cache).clock(clock.as(Clock.class)).rule(c -> Invalidations.none()).build();
    Instant now = Instant.ofEpochMilli(clock.currentTimeMillis());
    for (int i = 1; i <= 100; i++) {
      feeds.sink().accept(new Change("pg", "t", "insert", "" + i, "" + i, Changes.json("{}"),
          now.minusMillis(i)));
    }
    FeedStats s = feeds.stats("pg");
    assertThat(s.latencyMedianMicros()).isEqualTo(50_000);
    assertThat(s.latencyP99Micros()).isEqualTo(99_000);
  }

  @Test
  void duplicateSourceNamesAreRejected() {
    ChangeSource s = new ChangeSource() {
      @Override public String name() { return "x"; }
      @Override public void start(ChangeSink sink) {}
      @Override public void stop() {}
    };
    assertThatThrownBy(() -> Feeds.builder(cache).source(s).source(s))
        .hasMessage("source: x added twice (expected: unique source names)");
  }
}
