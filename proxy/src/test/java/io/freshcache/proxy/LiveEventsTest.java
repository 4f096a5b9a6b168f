package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshcache.core.CacheEvent;
import io.freshcache.core.CacheKey;
import io.freshcache.core.Clock;
import io.freshcache.core.ETag;
import io.freshcache.core.Scope;
import io.freshcache.testkit.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class LiveEventsTest {
  private static final Pattern FRAME = Pattern.compile("id: ep-(\\d+)\nevent: (\\w+)\ndata: (.*)\n\n");

  private final FakeClock clock = new FakeClock();
  private final LiveEvents hub = LiveEvents.builder().clock(clock.as(Clock.class)).epoch("ep").build();

  /** A parsed frame. */
  record Frame(long seq, String event, String data) {}

  static List<Frame> parse(List<String> raw) {
    List<Frame> out = new ArrayList<>();
    for (String s : raw) {
      Matcher m = FRAME.matcher(s);
      if (m.matches()) {
        out.add(new Frame(Long.parseLong(m.group(1)), m.group(2), m.group(3)));
      }
    }
    return out;
  }

  static List<Frame> named(List<String> raw, String event) {
    return parse(raw).stream().filter(f -> f.event().equals(event)).toList();
  }

  private static CacheEvent rendered(CacheKey key, String etag, boolean changed) {
    return new CacheEvent.Rendered(key, ETag.strong(etag), changed, Duration.ZERO, true);
  }

  @Test
  void readyListsTheIdsAndCarriesTheCurrentId() {
    hub.onEvent(rendered(CacheKey.of("/x"), "e1", true));
    List<String> got = new ArrayList<>();
    hub.subscribe(List.of("/a", "/b?q=\"1\""), (String) null, null, got::add);
    assertThat(got).containsExactly("id: ep-1\nevent: ready\ndata: {\"ids\":[\"/a\",\"/b?q=\\\"1\\\"\"]}\n\n");
  }

  @Test
  void changedCarriesTheNewEtagAndInvalidatedNone() {
    List<String> got = new ArrayList<>();
    hub.subscribe(List.of("/a"), (String) null, null, got::add);
    hub.onEvent(rendered(CacheKey.of("/a"), "e1", true));
    hub.onEvent(new CacheEvent.Invalidated(CacheKey.of("/a"), ETag.strong("e1")));
    hub.onEvent(rendered(CacheKey.of("/b"), "x", true)); // not subscribed
    assertThat(got.subList(1, got.size())).containsExactly(
        "id: ep-1\nevent: changed\ndata: {\"id\":\"/a\",\"etag\":\"\\\"e1\\\"\"}\n\n",
        "id: ep-2\nevent: invalidated\ndata: {\"id\":\"/a\"}\n\n");
  }

  @Test
  void identicalRebuildPushesNothing() {
    List<String> got = new ArrayList<>();
    hub.subscribe(List.of("/a"), (String) null, null, got::add);
    CacheKey a = CacheKey.of("/a");
    hub.onEvent(rendered(a, "e1", true));
    hub.onEvent(rendered(a, "e1", false)); // core saw the same ETag
    hub.onEvent(new CacheEvent.Invalidated(a, ETag.strong("e1")));
    hub.onEvent(rendered(a, "e1", true)); // after invalidation core has no previous: same bytes anyway
    hub.onEvent(new CacheEvent.Evicted(a, CacheEvent.Reason.SIZE));
    hub.onEvent(new CacheEvent.Evicted(a, CacheEvent.Reason.EXPIRED));
    assertThat(parse(got)).extracting(Frame::event).containsExactly("ready", "changed", "invalidated");
  }

  @Test
  void renderInvalidatedWhileRunningAndExplicitRemovalPushInvalidated() {
    List<String> got = new ArrayList<>();
    hub.subscribe(List.of("/a"), (String) null, null, got::add);
    hub.onEvent(new CacheEvent.Rendered(CacheKey.of("/a"), ETag.strong("e1"), true, Duration.ZERO, false));
    hub.onEvent(new CacheEvent.Evicted(CacheKey.of("/a"), CacheEvent.Reason.REMOVED));
    assertThat(parse(got)).extracting(Frame::event).containsExactly("ready", "invalidated", "invalidated");
  }

  @Test
  void userEventsNeverReachAnotherUser() {
    List<String> alice = new ArrayList<>();
    List<String> bob = new ArrayList<>();
    List<String> anonymous = new ArrayList<>();
    List<String> editors = new ArrayList<>();
    hub.subscribe(List.of("/a"), "alice", null, alice::add);
    hub.subscribe(List.of("/a"), "bob", null, bob::add);
    hub.subscribe(List.of("/a"), (String) null, null, anonymous::add);
    hub.subscribe(List.of("/a"), Set.of(Scope.user("carol"), Scope.group("editors")), null, editors::add);

    hub.onEvent(rendered(new CacheKey("/a", "show", Scope.user("alice")), "secret-of-alice", true));
    hub.onEvent(rendered(new CacheKey("/a", "show", Scope.group("editors")), "for-editors", true));
    hub.onEvent(rendered(CacheKey.of("/a"), "public", true));
    hub.onEvent(rendered(new CacheKey("/a", "show", Scope.VIEWER), "never", true));

    assertThat(String.join("", alice)).contains("secret-of-alice", "public").doesNotContain("for-editors");
    assertThat(String.join("", bob)).contains("public").doesNotContain("secret-of-alice", "for-editors");
    assertThat(String.join("", anonymous)).contains("public").doesNotContain("secret-of-alice", "for-editors");
    assertThat(String.join("", editors)).contains("public", "for-editors").doesNotContain("secret-of-alice");
    assertThat(String.join("", alice) + String.join("", bob) + String.join("", anonymous) + String.join("", editors))
        .doesNotContain("never");
  }

  @Test
  void replayOnReconnectIsScopedToo() {
    List<String> first = new ArrayList<>();
    LiveEvents.Subscription s = hub.subscribe(List.of("/a"), "bob", null, first::add);
    String last = "ep-" + parse(first).get(0).seq();
    s.close();
    hub.onEvent(rendered(new CacheKey("/a", "show", Scope.user("alice")), "secret-of-alice", true));
    List<String> again = new ArrayList<>();
    hub.subscribe(List.of("/a"), "bob", last, again::add);
    assertThat(String.join("", again)).doesNotContain("secret-of-alice");
    assertThat(parse(again)).extracting(Frame::event).containsExactly("ready");
  }

  @Test
  void reconnectWithLastEventIdGetsWhatWasMissedNewestPerIdInOrder() {
    List<String> first = new ArrayList<>();
    LiveEvents.Subscription s = hub.subscribe(List.of("/a", "/b"), (String) null, null, first::add);
    hub.onEvent(rendered(CacheKey.of("/a"), "a1", true)); // seq 1, seen
    long seen = parse(first).get(1).seq();
    s.close();
    hub.onEvent(new CacheEvent.Invalidated(CacheKey.of("/a"), ETag.strong("a1"))); // 2, superseded by 4
    hub.onEvent(rendered(CacheKey.of("/b"), "b1", true)); // 3
    hub.onEvent(rendered(CacheKey.of("/a"), "a2", true)); // 4
    hub.onEvent(rendered(CacheKey.of("/c"), "c1", true)); // 5, not subscribed
    assertThat(s.ids()).containsExactly("/a", "/b");

    List<String> again = new ArrayList<>();
    hub.subscribe(List.of("/a", "/b"), (String) null, "ep-" + seen, again::add);
    assertThat(parse(again)).containsExactly(
        new Frame(3, "changed", "{\"id\":\"/b\",\"etag\":\"\\\"b1\\\"\"}"),
        new Frame(4, "changed", "{\"id\":\"/a\",\"etag\":\"\\\"a2\\\"\"}"),
        new Frame(5, "ready", "{\"ids\":[\"/a\",\"/b\"]}"));
  }

  @Test
  void reconnectFromTheCurrentIdReplaysNothing() {
    hub.onEvent(rendered(CacheKey.of("/a"), "a1", true));
    List<String> got = new ArrayList<>();
    hub.subscribe(List.of("/a"), (String) null, hub.lastEventId(), got::add);
    assertThat(parse(got)).extracting(Frame::event).containsExactly("ready");
  }

  @Test
  void lastEventIdOlderThanTheRingGetsReset() {
    LiveEvents small = LiveEvents.builder().clock(clock.as(Clock.class)).epoch("ep").maxEvents(3).build();
    String start = small.lastEventId();
    for (int i = 0; i < 3; i++) {
      small.onEvent(rendered(CacheKey.of("/x"), "x" + i, true));
    }
    List<String> ok = new ArrayList<>();
    small.subscribe(List.of("/a"), (String) null, start, ok::add); // ring holds 1..3: nothing lost
    assertThat(parse(ok)).extracting(Frame::event).containsExactly("ready");

    small.onEvent(rendered(CacheKey.of("/x"), "x3", true)); // 1 falls out
    List<String> got = new ArrayList<>();
    small.subscribe(List.of("/a"), (String) null, start, got::add);
    assertThat(parse(got)).extracting(Frame::event).containsExactly("reset", "ready");
    assertThat(got.get(0)).contains("too-old");
  }

  @Test
  void lastEventIdOlderThanTheTimeWindowGetsReset() {
    String start = hub.lastEventId();
    hub.onEvent(rendered(CacheKey.of("/x"), "x1", true));
    clock.advance(LiveEvents.DEFAULT_MAX_AGE.plusSeconds(1));
    List<String> got = new ArrayList<>();
    hub.subscribe(List.of("/a"), (String) null, start, got::add);
    assertThat(parse(got)).extracting(Frame::event).containsExactly("reset", "ready");
    assertThat(hub.retainedEvents()).isZero();

    // ...but an id as new as the newest event is still fine once the ring is empty.
    List<String> fine = new ArrayList<>();
    hub.subscribe(List.of("/a"), (String) null, hub.lastEventId(), fine::add);
    assertThat(parse(fine)).extracting(Frame::event).containsExactly("ready");
  }

  @Test
  void idFromAnotherEpochOrGarbageGetsReset() {
    for (String id : List.of("other-0", "ep-99", "ep-x", "garbage", "-1", "ep-")) {
      List<String> got = new ArrayList<>();
      hub.subscribe(List.of("/a"), (String) null, id, got::add);
      assertThat(parse(got)).as(id).extracting(Frame::event).containsExactly("reset", "ready");
    }
  }

  @Test
  void ringAndEtagMemoryAreBounded() {
    LiveEvents small = LiveEvents.builder().clock(clock.as(Clock.class)).maxEvents(100).build();
    for (int i = 0; i < 100_000; i++) {
      small.onEvent(rendered(CacheKey.of("/p" + i), "e" + i, true));
    }
    assertThat(small.retainedEvents()).isEqualTo(100);
  }

  @Test
  void heartbeatCarriesTheCurrentIdAndCloseStopsDelivery() {
    List<String> got = new ArrayList<>();
    LiveEvents.Subscription s = hub.subscribe(List.of("/a"), (String) null, null, got::add);
    hub.onEvent(rendered(CacheKey.of("/z"), "z", true));
    s.heartbeat();
    assertThat(got.get(got.size() - 1)).isEqualTo(": hb\nid: ep-1\n\n");
    assertThat(hub.subscriptionCount()).isEqualTo(1);
    s.close();
    s.close();
    assertThat(hub.subscriptionCount()).isZero();
    hub.onEvent(rendered(CacheKey.of("/a"), "a", true));
    assertThat(parse(got)).extracting(Frame::event).containsExactly("ready");
  }

  @Test
  void aSinkThatThrowsIsUnsubscribed() {
    hub.subscribe(List.of("/a"), (String) null, null, f -> {
      if (f.contains("changed")) {
        throw new IllegalStateException("gone");
      }
    });
    hub.onEvent(rendered(CacheKey.of("/a"), "a", true));
    assertThat(hub.subscriptionCount()).isZero();
  }

  @Test
  void badIdsAreRefusedWithTheReason() {
    List<String> tooMany = Collections.nCopies(65, "/a");
    assertThatThrownBy(() -> hub.checkIds(tooMany)).hasMessage("ids: 65 (expected: 1 to 64)");
    assertThatThrownBy(() -> hub.checkIds(List.of())).hasMessage("ids: 0 (expected: 1 to 64)");
    assertThatThrownBy(() -> hub.checkIds(List.of("/a", "b"))).hasMessage("ids[1]: 'b' (expected: a path starting with '/')");
    assertThatThrownBy(() -> hub.checkIds(List.of("/" + "x".repeat(2048))))
        .hasMessage("ids[0]: 2049 characters (expected: <= 2048)");
    assertThatThrownBy(() -> LiveEvents.builder().maxEvents(0)).hasMessage("maxEvents: 0 (expected: >= 1)");
  }

  @Test
  void theNormalizerMapsSubscribedIdsToResources() {
    LiveEvents n = LiveEvents.builder().normalizer(id -> id.toLowerCase()).epoch("ep").build();
    List<String> got = new ArrayList<>();
    n.subscribe(List.of("/A"), (String) null, null, got::add);
    n.onEvent(rendered(CacheKey.of("/a"), "e", true));
    assertThat(parse(got)).extracting(Frame::event).containsExactly("ready", "changed");
    assertThat(got.get(0)).contains("{\"ids\":[\"/a\"]}");
  }

  /**
   * Publishers race subscribers that keep reconnecting with the last id they saw: each sees ids in
   * strictly increasing order, and ends with the last event of its fragment (nothing missed).
   */
  @Test
  void reconnectingSubscribersRacingPublishersMissNothing() throws Exception {
    long seed = new SplittableRandom().nextLong();
    LiveEvents h = LiveEvents.builder().epoch("ep").build();
    int publishers = 3;
    int perPublisher = 2000;
    CountDownLatch done = new CountDownLatch(publishers);
    for (int p = 0; p < publishers; p++) {
      int pp = p;
      new Thread(() -> {
        for (int i = 0; i < perPublisher; i++) {
          h.onEvent(rendered(CacheKey.of("/f" + (i % 4)), "p" + pp + "-" + i, true));
        }
        done.countDown();
      }).start();
    }
    List<Thread> readers = new ArrayList<>();
    List<String> failures = new CopyOnWriteArrayList<>();
    List<List<Frame>> seen = new CopyOnWriteArrayList<>();
    for (int r = 0; r < 2; r++) {
      SplittableRandom random = new SplittableRandom(seed + r);
      Thread t = new Thread(() -> {
        List<Frame> mine = Collections.synchronizedList(new ArrayList<>());
        AtomicLong last = new AtomicLong(-1);
        String lastId = "ep-0"; // as if connected before the first event
        boolean finished = false;
        while (!finished) {
          finished = done.getCount() == 0; // one more round after the publishers stopped
          LiveEvents.Subscription s = h.subscribe(List.of("/f1", "/f2"), (String) null, lastId, raw -> {
            for (Frame f : parse(List.of(raw))) {
              if (f.seq() < last.get() || (f.seq() == last.get() && !f.event().equals("ready"))) {
                failures.add("seed " + seed + ": " + f.seq() + " after " + last.get());
              }
              last.set(f.seq());
              mine.add(f);
            }
          });
          for (int spin = random.nextInt(2000); spin > 0; spin--) {
            Thread.onSpinWait();
          }
          s.close();
          lastId = "ep-" + last.get();
          if (mine.stream().anyMatch(f -> f.event().equals("reset"))) {
            failures.add("seed " + seed + ": reset");
          }
        }
        seen.add(mine);
      });
      t.start();
      readers.add(t);
    }
    for (Thread t : readers) {
      t.join();
    }
    assertThat(failures).isEmpty();
    // The newest event of each subscribed fragment was seen by every reader.
    List<Frame> all = new ArrayList<>();
    h.subscribe(List.of("/f1", "/f2"), (String) null, "ep-0", raw -> all.addAll(parse(List.of(raw))));
    for (List<Frame> mine : seen) {
      for (Frame newest : all.subList(0, all.size() - 1)) {
        assertThat(mine).as("seed " + seed).contains(newest);
      }
    }
  }
}
