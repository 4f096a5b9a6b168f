package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.core.Page;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * ESI end to end: a real origin, the proxy, a real client. Each include is an internal request
 * through the cache path, its own entry with its own tags and scope; the page is one shared entry.
 */
class EsiProxyTest extends ProxyTestSupport {

  private static final String ESI = "content=\"ESI/1.0\"";

  /** A cacheable ESI page. */
  private static TestOrigin.Reply page(String body) {
    return TestOrigin.Reply.ok(body).header("Surrogate-Control", ESI)
        .header("Cache-Control", "max-age=60").header("Cache-Tag", "page:home");
  }

  private static String user(TestOrigin.Received r) {
    String c = r.header("Cookie");
    return c == null ? "anonymous" : Identity.cookieValue(java.util.List.of(c), "session");
  }

  /** /bar: per user, tagged user:NAME, numbered per user so a refetch shows. */
  private final Map<String, AtomicInteger> barVersions = new ConcurrentHashMap<>();

  private void scriptBar() {
    origin.on("/bar", r -> {
      String u = user(r);
      int v = barVersions.computeIfAbsent(u, k -> new AtomicInteger()).incrementAndGet();
      return TestOrigin.Reply.ok("[bar " + u + " v" + v + "]").header("Cache-Control", "private, max-age=60")
          .header("Cache-Tag", "user:" + u);
    });
  }

  /** A part of a template cannot be assembled: the Range is ignored (RFC 9110 section 14.2), never the markup shown. */
  @Test
  void aRangeOnAnEsiPageGetsTheWholeAssembledPage() {
    String markup = "a<esi:include src=\"/frag\"/>b";
    origin.on("/ranged", r -> r.header("Range") != null
        ? TestOrigin.Reply.status(206).body(markup.substring(0, 6)).header("Content-Range", "bytes 0-5/" + markup.length())
            .header("Surrogate-Control", ESI).header("Cache-Control", "max-age=60")
        : page(markup));
    origin.on("/frag", TestOrigin.Reply.ok("F").header("Cache-Control", "max-age=60"));
    start();
    HttpResponse<String> r = get("/ranged", "Range", "bytes=0-5");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("aFb");
    assertThat(header(r, "Content-Range")).isNull();
    assertThat(get("/ranged", "Range", "bytes=0-5").body()).isEqualTo("aFb");
  }

  /**
   * Markup the origin asks another surrogate (a CDN nearer the client) to assemble is left alone,
   * and so is the field that asks it: stripped, the CDN would never assemble and browsers would get
   * the markup. A field addressed only to us is still removed.
   */
  @Test
  void surrogateControlAimedAtAnotherDeviceIsPassedOnWithTheMarkup() {
    String markup = "a<esi:include src=\"/frag\"/>b";
    origin.on("/cdn", TestOrigin.Reply.ok(markup).header("Surrogate-Control", "content=\"ESI/1.0\";cdn")
        .header("Cache-Control", "max-age=60"));
    origin.on("/cdn-pass", TestOrigin.Reply.ok(markup).header("Surrogate-Control", "content=\"ESI/1.0\";cdn")
        .header("Cache-Control", "no-store"));
    origin.on("/ours", page("a<esi:include src=\"/frag\"/>b"));
    origin.on("/frag", TestOrigin.Reply.ok("F").header("Cache-Control", "max-age=60"));
    start();
    for (String path : new String[] {"/cdn", "/cdn", "/cdn-pass"}) {
      HttpResponse<String> r = get(path);
      assertThat(r.body()).as(path).isEqualTo(markup);
      assertThat(header(r, "Surrogate-Control")).as(path).isEqualTo("content=\"ESI/1.0\";cdn");
    }
    assertThat(header(get("/cdn"), "Cache-Status")).contains("hit");
    HttpResponse<String> ours = get("/ours");
    assertThat(ours.body()).isEqualTo("aFb");
    assertThat(header(ours, "Surrogate-Control")).isNull();
  }

  /**
   * The proxy asks for identity; an origin that gzips anyway cannot have its markup read. The page
   * is relayed as it came, labelled with its coding, rather than as gzip bytes a browser would show
   * as text.
   */
  @Test
  void aGzipPageAskingForEsiIsRelayedWithItsCodingNotAsBytes() throws Exception {
    String markup = "<p>a</p><esi:include src=\"/frag\"/><p>b</p>";
    java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
      out.write(markup.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    origin.on("/gz", TestOrigin.Reply.ok("").body(gz.toByteArray()).header("Content-Encoding", "gzip")
        .header("Surrogate-Control", ESI).header("Cache-Control", "max-age=60"));
    origin.on("/frag", TestOrigin.Reply.ok("fragment").header("Cache-Control", "max-age=60"));
    start();
    for (String acceptEncoding : new String[] {"gzip", "identity"}) {
      HttpResponse<byte[]> r = getBytes("/gz", "Accept-Encoding", acceptEncoding);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(header(r, "Content-Encoding")).isEqualTo("gzip");
      assertThat(gunzip(r.body())).isEqualTo(markup);
      assertThat(header(r, "Surrogate-Control")).isNull();
    }
    assertThat(origin.count("/frag")).isZero();
  }

  @Test
  void aPublicPageWithAPerUserBarIsOneSharedEntryPlusOneBarPerUser() {
    AtomicInteger pages = new AtomicInteger();
    origin.on("/page", r -> page("<p>page " + pages.incrementAndGet() + "</p><esi:include src=\"/bar\"/>"));
    scriptBar();
    origin.on("/profile", r -> TestOrigin.Reply.ok("saved").header("Cache-Invalidate", "user:" + user(r)));
    start(b -> b.userCookie("session"));

    HttpResponse<String> a = get("/page", "Cookie", "session=alice");
    assertThat(a.statusCode()).isEqualTo(200);
    assertThat(a.body()).isEqualTo("<p>page 1</p>[bar alice v1]");
    assertThat(header(a, "Content-Length")).isEqualTo(String.valueOf(a.body().length()));
    assertThat(header(a, "Cache-Control")).isEqualTo("private, no-cache");
    assertThat(header(a, "Surrogate-Control")).isNull();
    assertThat(header(a, "Cache-Tag")).isNull();
    assertThat(header(a, "Cache-Status")).contains("detail=esi");
    assertThat(origin.last("/page").header("Surrogate-Capability")).isEqualTo("freshcache=\"ESI/1.0\"");
    // The fragment request is the client's: its cookie reached the origin.
    assertThat(origin.last("/bar").header("Cookie")).isEqualTo("session=alice");

    HttpResponse<String> b = get("/page", "Cookie", "session=bob");
    assertThat(b.body()).isEqualTo("<p>page 1</p>[bar bob v1]");
    assertThat(header(b, "Cache-Status")).contains("hit");
    assertThat(origin.last("/bar").header("Cookie")).isEqualTo("session=bob");

    // The first bar ever fetched taught the proxy that /bar is private (that one was not stored);
    // from then on, one fetch per user.
    assertThat(get("/page", "Cookie", "session=alice").body()).isEqualTo("<p>page 1</p>[bar alice v2]");
    for (int i = 0; i < 3; i++) {
      assertThat(get("/page", "Cookie", "session=alice").body()).isEqualTo("<p>page 1</p>[bar alice v2]");
      assertThat(get("/page", "Cookie", "session=bob").body()).isEqualTo("<p>page 1</p>[bar bob v1]");
    }
    assertThat(origin.count("/page")).isEqualTo(1);
    assertThat(barVersions.get("alice").get()).isEqualTo(2);
    assertThat(barVersions.get("bob").get()).isEqualTo(1);

    // Alice edits her profile: the origin says user:alice changed. Only her bar is fetched again.
    HttpRequest.Builder post = HttpRequest.newBuilder(url("/profile")).POST(HttpRequest.BodyPublishers.ofString("x"));
    assertThat(send(post, "Cookie", "session=alice").statusCode()).isEqualTo(200);
    HttpResponse<String> a2 = get("/page", "Cookie", "session=alice");
    assertThat(a2.body()).isEqualTo("<p>page 1</p>[bar alice v3]");
    assertThat(header(a2, "Cache-Status")).contains("hit");
    assertThat(get("/page", "Cookie", "session=bob").body()).isEqualTo("<p>page 1</p>[bar bob v1]");
    assertThat(origin.count("/page")).isEqualTo(1);

    // Anonymous: the bar is private and there is no identity, so it is passed (fetched each time).
    assertThat(get("/page").body()).isEqualTo("<p>page 1</p>[bar anonymous v1]");
    assertThat(get("/page").body()).isEqualTo("<p>page 1</p>[bar anonymous v2]");
  }

  @Test
  void aFragmentsTagsInvalidateTheFragmentOnlyAndThePageDoesNotTakeThem() {
    AtomicInteger pages = new AtomicInteger();
    AtomicInteger news = new AtomicInteger();
    origin.on("/page", r -> page("page" + pages.incrementAndGet() + "|<esi:include src=\"news\"/>"));
    origin.on("/news", r -> TestOrigin.Reply.ok("news" + news.incrementAndGet())
        .header("Cache-Control", "max-age=60").header("Cache-Tag", "news"));
    origin.on("/edit", r -> TestOrigin.Reply.ok("ok").header("Cache-Invalidate", r.uri().contains("news") ? "news" : "page:home"));
    start();

    HttpResponse<String> first = get("/page");
    assertThat(first.body()).isEqualTo("page1|news1");
    assertThat(header(first, "Cache-Control")).isEqualTo("no-cache"); // every part is public
    assertThat(get("/page").body()).isEqualTo("page1|news1");

    send(HttpRequest.newBuilder(url("/edit?news")).POST(HttpRequest.BodyPublishers.noBody()));
    HttpResponse<String> afterNews = get("/page");
    assertThat(afterNews.body()).isEqualTo("page1|news2");
    assertThat(header(afterNews, "Cache-Status")).contains("hit");

    send(HttpRequest.newBuilder(url("/edit?page")).POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(get("/page").body()).isEqualTo("page2|news2");
    assertThat(origin.count("/page")).isEqualTo(2);
    assertThat(origin.count("/news")).isEqualTo(2);
  }

  @Test
  void onerrorContinueAltAndFailure() {
    origin.on("/broken", TestOrigin.Reply.status(500).body("boom"));
    origin.on("/gone", TestOrigin.Reply.status(404).body("no").header("Cache-Control", "max-age=60"));
    origin.on("/alt", TestOrigin.Reply.ok("ALT").header("Cache-Control", "max-age=60"));
    origin.on("/cont", page("a<esi:include src=\"/broken\" onerror=\"continue\"/>b"));
    origin.on("/withalt", page("a<esi:include src=\"/gone\" alt=\"/alt\"/>b"));
    origin.on("/strict", page("a<esi:include src=\"/broken\"/>b"));
    start();

    assertThat(get("/cont").body()).isEqualTo("ab");
    assertThat(get("/withalt").body()).isEqualTo("aALTb");
    HttpResponse<String> strict = get("/strict");
    assertThat(strict.statusCode()).isEqualTo(502);
    assertThat(strict.body()).contains("ESI include /broken failed: origin answered 500 (in /strict -> /broken)")
        .doesNotContain("Exception").doesNotContain("\tat ");
    // The page's template itself is cached: the next request assembles again (and fails again).
    assertThat(get("/strict").statusCode()).isEqualTo(502);
    assertThat(origin.count("/strict")).isEqualTo(1);
  }

  @Test
  void aCycleIsA502NamingTheChain() {
    origin.on("/a", page("A<esi:include src=\"/b\"/>"));
    origin.on("/b", page("B<esi:include src=\"/a\"/>"));
    start();
    HttpResponse<String> r = get("/a");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).contains("ESI include cycle: /a -> /b -> /a");
  }

  @Test
  void aCompressedFragmentIsDecodedOnceNotPerAssembly() {
    String nav = "<nav>" + "<a href=\"/section\">section</a> ".repeat(60) + "</nav>"; // 2 KB: stored gzip
    origin.on("/page", page("<main>page</main><esi:include src=\"/nav\"/>"));
    origin.on("/nav", TestOrigin.Reply.ok(nav).header("Cache-Control", "max-age=60"));
    start();
    for (int i = 0; i < 5; i++) {
      assertThat(get("/page").body()).isEqualTo("<main>page</main>" + nav);
    }
    assertThat(proxy.cache().getIfPresent(new io.freshcache.core.CacheKey("/nav", Vary.NO_VARY,
        io.freshcache.core.Scope.PUBLIC)).storedEncoding()).isEqualTo(io.freshcache.core.Encoding.GZIP);
    assertThat(proxy.stats().get("transcodes")).as("one decoded copy, kept with the fragment's entry").isEqualTo(1L);
    assertThat(origin.count("/nav")).isEqualTo(1);
  }

  @Test
  void aLargeCompressedFragmentIsDecodedPerAssemblyAndKeepsNoCopy() {
    String feed = "<li>item</li>".repeat(1600); // 20.8 KB: kept as an array it would be over the direct size
    origin.on("/page", page("<main>page</main><esi:include src=\"/feed\"/>"));
    origin.on("/feed", TestOrigin.Reply.ok(feed).header("Cache-Control", "max-age=60"));
    start();
    for (int i = 0; i < 3; i++) {
      assertThat(get("/page").body()).isEqualTo("<main>page</main>" + feed);
    }
    Page p = proxy.cache().getIfPresent(new io.freshcache.core.CacheKey("/feed", Vary.NO_VARY, io.freshcache.core.Scope.PUBLIC));
    assertThat(p.storedEncoding()).isEqualTo(io.freshcache.core.Encoding.GZIP);
    assertThat(((StoredResponse) p.attachment()).keptHits()).isZero();
    assertThat(proxy.stats().get("transcodes")).as("one decode per assembly").isEqualTo(3L);
  }

  @Test
  void theDepthLimit() {
    origin.on("/deep", page("0<esi:include src=\"/d1\"/>"));
    origin.on("/d1", page("1<esi:include src=\"/d2\"/>"));
    origin.on("/d2", page("2"));
    start(b -> b.esiMaxDepth(1));

    HttpResponse<String> deep = get("/deep");
    assertThat(deep.statusCode()).isEqualTo(502);
    assertThat(deep.body()).contains("nested deeper than 1: /deep -> /d1 -> /d2");
    assertThat(origin.count("/d2")).isZero();
    assertThat(get("/d1").body()).isEqualTo("12"); // the same fragment is fine as a page
  }

  @Test
  void theCountLimits() {
    origin.on("/many", page("<esi:include src=\"/x\"/><esi:include src=\"/y\"/>"));
    origin.on("/x", page("x<esi:include src=\"/z\" onerror=\"continue\"/>"));
    origin.on("/y", page("y"));
    origin.on("/z", page("z"));
    origin.on("/three", page("<esi:include src=\"/y\"/><esi:include src=\"/y\"/><esi:include src=\"/y\"/>"));
    start(b -> b.esiMaxIncludes(2));

    HttpResponse<String> many = get("/many");
    assertThat(many.statusCode()).isEqualTo(502); // /z is the third include: fatal despite onerror
    assertThat(many.body()).contains("more than 2 ESI includes for one response");

    HttpResponse<String> three = get("/three");
    assertThat(three.statusCode()).isEqualTo(502); // a template with more includes than allowed does not parse
    assertThat(three.body()).startsWith("bad ESI from the origin:");
  }

  @Test
  void anIncludeOfAnotherHostIsRefused() {
    origin.on("/evil", page("a<esi:include src=\"http://169.254.169.254/latest\"/>b"));
    origin.on("/evil2", page("a<esi:include src=\"//example.com/x\" onerror=\"continue\"/>b"));
    origin.on("/ok", page("a<esi:include src=\"" + origin.uri() + "/frag\"/>b"));
    origin.on("/frag", TestOrigin.Reply.ok("F").header("Cache-Control", "max-age=60"));
    start();
    HttpResponse<String> r = get("/evil");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).contains("169.254.169.254").doesNotContain(origin.uri().getAuthority()); // the operator's business
    assertThat(get("/evil2").body()).isEqualTo("ab");
    assertThat(get("/ok").body()).isEqualTo("aFb"); // the origin's own authority is fine
    assertThat(origin.received).allMatch(x -> !x.uri().contains("latest") && !x.uri().equals("/x"));
  }

  @Test
  void esiRemoveAndCommentsWithoutIncludesAreProcessedOnceAndCachedAsTheResult() {
    origin.on("/r", page("a<esi:remove>fallback</esi:remove>b<!--esi c-->d"));
    start();
    HttpResponse<String> r = get("/r");
    assertThat(r.body()).isEqualTo("ab cd");
    HttpResponse<String> again = get("/r");
    assertThat(again.body()).isEqualTo("ab cd");
    assertThat(header(again, "Cache-Status")).contains("hit").doesNotContain("esi");
  }

  @Test
  void aSyntaxErrorIsA502AndNothingIsCached() {
    origin.on("/bad", page("a<esi:choose><esi:when test=\"1\">x</esi:when></esi:choose>"));
    start();
    HttpResponse<String> r = get("/bad");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).startsWith("bad ESI from the origin: unsupported ESI element <esi:choose> at byte 1");
    assertThat(get("/bad").statusCode()).isEqualTo(502);
    assertThat(origin.count("/bad")).isEqualTo(2);
  }

  @Test
  void withEsiOffTheBodyPassesAsItIs() {
    String body = "a<esi:include src=\"/frag\"/>b";
    origin.on("/p", page(body));
    start(b -> b.esi(false));
    assertThat(get("/p").body()).isEqualTo(body);
    assertThat(origin.last("/p").header("Surrogate-Capability")).isNull();
    assertThat(origin.count("/frag")).isZero();
  }

  @Test
  void theAssembledEtagAnswers304UntilAFragmentChanges() {
    AtomicInteger news = new AtomicInteger();
    origin.on("/page", page("p<esi:include src=\"/news\"/>").header("ETag", "\"v1\"")
        .header("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT"));
    origin.on("/news", r -> TestOrigin.Reply.ok("n" + news.incrementAndGet())
        .header("Cache-Control", "max-age=60").header("Cache-Tag", "news"));
    origin.on("/edit", TestOrigin.Reply.ok("ok").header("Cache-Invalidate", "news"));
    start();

    HttpResponse<String> first = get("/page");
    String etag = header(first, "ETag");
    assertThat(etag).startsWith("\"esi-").isNotEqualTo("\"v1\"");
    assertThat(header(first, "Last-Modified")).isNull();
    assertThat(header(get("/page"), "ETag")).isEqualTo(etag);

    HttpResponse<String> nm = get("/page", "If-None-Match", etag);
    assertThat(nm.statusCode()).isEqualTo(304);
    assertThat(header(nm, "ETag")).isEqualTo(etag);
    assertThat(get("/page", "If-None-Match", "\"v1\"").statusCode()).isEqualTo(200); // the template's tag is not the page's
    // If-Modified-Since is not evaluated for assemblies: the parts have no common date.
    assertThat(get("/page", "If-Modified-Since", "Tue, 01 Jan 2030 00:00:00 GMT").statusCode()).isEqualTo(200);

    send(HttpRequest.newBuilder(url("/edit")).POST(HttpRequest.BodyPublishers.noBody()));
    HttpResponse<String> changed = get("/page", "If-None-Match", etag);
    assertThat(changed.statusCode()).isEqualTo(200);
    assertThat(changed.body()).isEqualTo("pn2");
    assertThat(header(changed, "ETag")).isNotEqualTo(etag);
  }

  @Test
  void headIsAssembledForItsLength() {
    origin.on("/page", page("p<esi:include src=\"/f\"/>"));
    origin.on("/f", TestOrigin.Reply.ok("0123456789").header("Cache-Control", "max-age=60"));
    start();
    HttpResponse<String> head = send(HttpRequest.newBuilder(url("/page")).method("HEAD", HttpRequest.BodyPublishers.noBody()));
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(header(head, "Content-Length")).isEqualTo("11");
    assertThat(get("/page").body()).isEqualTo("p0123456789");
  }

  @Test
  void includesAreFetchedConcurrently() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      b.append("<esi:include src=\"/slow").append(i).append("\"/>");
      origin.on("/slow" + i, TestOrigin.Reply.ok(String.valueOf(i)).header("Cache-Control", "max-age=60").delay(400));
    }
    origin.on("/page", page(b.toString()));
    start();
    long t0 = System.nanoTime();
    assertThat(get("/page").body()).isEqualTo("01234");
    long millis = (System.nanoTime() - t0) / 1_000_000;
    assertThat(millis).as("5 includes of 400 ms each, one after another would take 2 s").isLessThan(1600);
  }

  @Test
  void aFragmentThatIsItselfEsiIsExpanded() {
    origin.on("/page", page("[<esi:include src=\"/mid\"/>]"));
    origin.on("/mid", page("m(<esi:include src=\"leaf\"/>)"));
    origin.on("/leaf", TestOrigin.Reply.ok("L").header("Cache-Control", "max-age=60"));
    start();
    assertThat(get("/page").body()).isEqualTo("[m(L)]");
    assertThat(get("/page").body()).isEqualTo("[m(L)]");
    assertThat(origin.count("/mid")).isEqualTo(1);
    assertThat(origin.count("/leaf")).isEqualTo(1);
  }

  @Test
  void esiResponsesThatAreNotStoredAreAssembledToo() {
    origin.on("/nocache", TestOrigin.Reply.ok("a<esi:include src=\"/f\"/>b").header("Surrogate-Control", ESI));
    origin.on("/f", TestOrigin.Reply.ok("F").header("Cache-Control", "max-age=60"));
    origin.on("/mine", r -> TestOrigin.Reply.ok("hi " + user(r) + " <esi:include src=\"/f\"/>")
        .header("Surrogate-Control", ESI).header("Cache-Control", "private, max-age=60"));
    start(b -> b.userCookie("session"));

    // No explicit freshness: passed by the request that fetched it, then hit-for-pass (forwarded).
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = get("/nocache");
      assertThat(r.body()).isEqualTo("aFb");
      assertThat(header(r, "Cache-Control")).isEqualTo("private, no-cache");
      assertThat(header(r, "Content-Length")).isEqualTo("3");
      assertThat(header(r, "Surrogate-Control")).isNull();
    }
    // Private: passed once (the proxy learns), then stored per user; anonymous requests are forwarded.
    for (int i = 0; i < 3; i++) {
      assertThat(get("/mine", "Cookie", "session=alice").body()).isEqualTo("hi alice F");
    }
    assertThat(origin.count("/mine")).isEqualTo(2);
    assertThat(get("/mine").body()).isEqualTo("hi anonymous F");
    assertThat(origin.count("/f")).isEqualTo(1);
  }
}
