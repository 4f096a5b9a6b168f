package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Guarantee 4: an entry stored for user A is never served to user B nor to an anonymous request. */
class PrivateEntryNeverServedToOtherUserTest extends ProxyTestSupport {

  @Test
  void privatePageIsPerUser() {
    AtomicInteger n = new AtomicInteger();
    origin.on("/me", r -> {
      String cookie = r.header("Cookie");
      String who = cookie == null ? "anonymous" : cookie.replace("session=", "");
      return TestOrigin.Reply.ok("hello " + who + " #" + n.incrementAndGet())
          .header("Cache-Control", "private, max-age=60");
    });
    start(b -> b.userCookie("session"));

    // First request teaches the proxy the resource is private; the next ones are cached per user.
    assertThat(get("/me", "Cookie", "session=alice").body()).startsWith("hello alice");
    HttpResponse<String> a1 = get("/me", "Cookie", "session=alice");
    HttpResponse<String> a2 = get("/me", "Cookie", "session=alice");
    assertThat(a2.body()).isEqualTo(a1.body()).startsWith("hello alice");
    assertThat(header(a2, "Cache-Status")).contains("hit");

    HttpResponse<String> b = get("/me", "Cookie", "session=bob");
    assertThat(b.body()).startsWith("hello bob");
    assertThat(header(b, "Cache-Status")).doesNotContain("hit");

    HttpResponse<String> anon = get("/me");
    assertThat(anon.body()).startsWith("hello anonymous");
    assertThat(header(anon, "Cache-Status")).doesNotContain("hit");
    HttpResponse<String> anon2 = get("/me");
    assertThat(anon2.body()).startsWith("hello anonymous").isNotEqualTo(anon.body());

    // Bob's own entry is his, and alice still gets hers.
    assertThat(get("/me", "Cookie", "session=bob").body()).isEqualTo(b.body());
    assertThat(get("/me", "Cookie", "session=alice").body()).isEqualTo(a1.body());
  }

  /**
   * The application may read either of two session cookies (a sibling subdomain can plant one): the
   * victim's page, keyed under the planted one, would be the attacker's next hit. A request that
   * names two identities gets no per-user entry at all.
   */
  @Test
  void aRequestNamingTwoUsersGetsNoPerUserEntry() {
    AtomicInteger n = new AtomicInteger();
    origin.on("/inbox", r -> {
      String cookie = r.header("Cookie");
      String who = cookie == null ? "anonymous" : cookie.substring(cookie.lastIndexOf('=') + 1); // the last one wins
      return TestOrigin.Reply.ok("inbox of " + who + " #" + n.incrementAndGet()).header("Cache-Control", "private, max-age=60");
    });
    start(b -> b.userCookie("sid"));
    assertThat(get("/inbox", "Cookie", "sid=mallory").body()).startsWith("inbox of mallory");
    HttpResponse<String> victim = get("/inbox", "Cookie", "sid=mallory; sid=victim");
    assertThat(victim.body()).startsWith("inbox of victim");
    assertThat(get("/inbox", "Cookie", "sid=mallory; sid=victim").body()).as("never stored").isNotEqualTo(victim.body());
    assertThat(get("/inbox", "Cookie", "sid=mallory").body()).doesNotContain("victim");
    assertThat(get("/inbox", "Cookie", "sid=mallory").body()).doesNotContain("victim");
    // The same value twice names one user.
    assertThat(Identity.cookieValue(java.util.List.of("sid=a; sid=a"), "sid")).isEqualTo("a");
    assertThat(Identity.cookieValue(java.util.List.of("sid=a", "x=1; sid=b"), "sid")).isNull();
  }

  @Test
  void aRequestWithTwoUserHeadersGetsNoPerUserEntry() {
    origin.on("/h", r -> TestOrigin.Reply.ok("for " + r.headers().get("X-User")).header("Cache-Control", "private, max-age=60"));
    start(b -> b.userHeader("X-User"));
    get("/h", "X-User", "mallory");
    assertThat(get("/h", "X-User", "mallory", "X-User", "victim").body()).contains("victim");
    assertThat(get("/h", "X-User", "mallory").body()).doesNotContain("victim");
  }

  /**
   * RFC 9111 sections 5.2.2.4 and 5.2.2.7: fields named by a qualified private or no-cache are not
   * stored nor reused, but the response to the request that fetched it is the origin's own: the
   * user whose visit set a session cookie gets it; nobody else ever does, nor a coalesced waiter.
   */
  @Test
  void fieldsTheCacheMayNotStoreReachTheRequestThatFetchedThemAndNoOther() throws Exception {
    origin.on("/welcome", TestOrigin.Reply.ok("welcome").delay(300)
        .header("Cache-Control", "max-age=60, private=\"Set-Cookie\", no-cache=\"X-Secret\"")
        .header("Set-Cookie", "sid=alice-session; HttpOnly").header("X-Secret", "s3").header("ETag", "\"w\""));
    start();
    java.util.concurrent.CompletableFuture<HttpResponse<String>> filler = client.sendAsync(
        java.net.http.HttpRequest.newBuilder(url("/welcome")).build(), HttpResponse.BodyHandlers.ofString());
    await(() -> origin.count("/welcome") == 1, "the fetch");
    HttpResponse<String> waiter = get("/welcome");
    HttpResponse<String> first = filler.get();
    assertThat(header(first, "Cache-Status")).contains("stored");
    assertThat(header(first, "Set-Cookie")).isEqualTo("sid=alice-session; HttpOnly");
    assertThat(header(first, "X-Secret")).isEqualTo("s3");
    assertThat(header(waiter, "Cache-Status")).contains("collapsed");
    assertThat(waiter.body()).isEqualTo("welcome");
    for (HttpResponse<String> other : java.util.List.of(waiter, get("/welcome"), get("/welcome", "If-None-Match", "\"w\""))) {
      assertThat(header(other, "Set-Cookie")).isNull();
      assertThat(header(other, "X-Secret")).isNull();
    }
    assertThat(origin.count("/welcome")).isEqualTo(1);
  }

  /**
   * A 304 is the origin's answer to one user's revalidation: a Set-Cookie or a private in it
   * concerns that user. Merged into the shared entry, it would be served to everyone after.
   */
  @Test
  void aRevalidationWhose304SetsACookieOrTurnsPrivateNeverReachesOtherUsers() throws Exception {
    for (String path : new String[] {"/cookie304", "/private304"}) {
      origin.on(path, r -> {
        if (!"\"r1\"".equals(r.header("If-None-Match"))) {
          return TestOrigin.Reply.ok("page").header("Cache-Control", "max-age=1").header("ETag", "\"r1\"");
        }
        TestOrigin.Reply notModified = TestOrigin.Reply.status(304).header("ETag", "\"r1\"");
        return path.equals("/cookie304")
            ? notModified.header("Cache-Control", "max-age=60").header("Set-Cookie", "sid=for-" + r.header("Cookie"))
            : notModified.header("Cache-Control", "private, max-age=60").header("X-For", "" + r.header("Cookie"));
      });
    }
    start();
    get("/cookie304");
    get("/private304");
    Thread.sleep(2100);
    HttpResponse<String> alice = get("/cookie304", "Cookie", "alice");
    assertThat(alice.body()).isEqualTo("page");
    assertThat(header(alice, "Set-Cookie")).isEqualTo("sid=for-alice");
    assertThat(header(get("/private304", "Cookie", "alice"), "X-For")).isEqualTo("alice");
    for (String path : new String[] {"/cookie304", "/private304"}) {
      for (String other : new String[] {"bob", null}) {
        HttpResponse<String> r = other == null ? get(path) : get(path, "Cookie", other);
        assertThat(r.body()).isEqualTo("page");
        assertThat(r.headers().allValues("Set-Cookie")).noneMatch(v -> v.contains("alice"));
        assertThat(r.headers().allValues("X-For")).noneMatch(v -> v.contains("alice"));
        assertThat(header(r, "Cache-Status")).doesNotContain("hit");
      }
    }
  }

  @Test
  void privateWithoutIdentitySourceIsNeverCached() {
    AtomicInteger n = new AtomicInteger();
    origin.on("/p", r -> TestOrigin.Reply.ok("v" + n.incrementAndGet()).header("Cache-Control", "private, max-age=60"));
    start();
    assertThat(get("/p", "Cookie", "session=alice").body()).isEqualTo("v1");
    HttpResponse<String> second = get("/p", "Cookie", "session=bob");
    assertThat(second.body()).isEqualTo("v2");
    assertThat(header(second, "Cache-Status")).contains("fwd=");
  }

  @Test
  void userHeaderIdentifiesToo() {
    AtomicInteger n = new AtomicInteger();
    origin.on("/h", r -> TestOrigin.Reply.ok(r.header("X-User") + n.incrementAndGet()).header("Cache-Control", "private, max-age=60"));
    start(b -> b.userHeader("X-User"));
    get("/h", "X-User", "u1");
    String u1 = get("/h", "X-User", "u1").body();
    assertThat(get("/h", "X-User", "u1").body()).isEqualTo(u1);
    assertThat(get("/h", "X-User", "u2").body()).startsWith("u2");
  }
}
