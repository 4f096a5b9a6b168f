package io.freshcache.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The origin alone, over HTTP: pages, caching headers, edits and their invalidations, users, input. */
class DemoWikiTest {

  static final List<String> SEED_PAGES = List.of("Home", "Projects", "Projects/Alpha", "Projects/Alpha/Roadmap",
      "Projects/Beta", "Projects/Beta/Notes", "People", "People/Alice", "People/Bob", "People/Carol", "Overview",
      "Recent", "Dashboard");

  private DemoWiki wiki;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws IOException {
    wiki = DemoWiki.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        DemoOptions.defaults().withTickInterval(Duration.ZERO).withThreads(2));
  }

  @AfterEach
  void stop() {
    wiki.close();
  }

  // ---- helpers

  HttpResponse<String> get(String path, String user) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(wiki.uri().resolve(path)).timeout(Duration.ofSeconds(10));
    if (user != null) {
      b.header("Cookie", "demo_user=" + user);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String user, Map<String, String> fields) throws Exception {
    String body = fields.entrySet().stream()
        .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
    return postRaw(path, user, "application/x-www-form-urlencoded", body);
  }

  HttpResponse<String> postRaw(String path, String user, String type, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(wiki.uri().resolve(path)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString(body));
    if (user != null) {
      b.header("Cookie", "demo_user=" + user);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> save(String page, String user, String title, String text) throws Exception {
    String version = currentVersion(page);
    Map<String, String> form = new LinkedHashMap<>();
    form.put("version", version);
    form.put("title", title);
    form.put("text", text);
    return post("/edit/" + page, user, form);
  }

  String currentVersion(String page) throws Exception {
    String form = get("/edit/" + page, "alice").body();
    int i = form.indexOf("name=\"version\" value=\"");
    return form.substring(i + 22, form.indexOf('"', i + 22));
  }

  static List<String> tags(HttpResponse<?> r) {
    return r.headers().firstValue("Cache-Tag").map(v -> Arrays.asList(v.split(",\\s*"))).orElse(List.of());
  }

  static List<String> invalidations(HttpResponse<?> r) {
    return r.headers().firstValue("Cache-Invalidate").map(v -> Arrays.asList(v.split(",\\s*"))).orElse(List.of());
  }

  static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }

  String text(String page) throws Exception {
    return get("/edit/" + page, "alice").body();
  }

  // ---- pages and their headers

  @Test
  void everySeedPageRendersPublicWithItsOwnTagAndTheBarAsAHole() throws Exception {
    for (String page : SEED_PAGES) {
      HttpResponse<String> r = get("/" + page, null);
      assertThat(r.statusCode()).as(page).isEqualTo(200);
      assertThat(header(r, "Content-Type")).isEqualTo("text/html; charset=utf-8");
      assertThat(header(r, "Cache-Control")).as(page).isEqualTo("public, max-age=0, s-maxage=3600");
      assertThat(tags(r)).as(page).contains("page:" + page);
      assertThat(header(r, "Surrogate-Control")).isEqualTo("content=\"ESI/1.0\"");
      assertThat(r.body()).contains("<esi:include src=\"/_bar\"/>", "data-freshcache-fragment=\"/_bar\"",
          "<script src=\"/_freshcache/live.js\" defer></script>", "id=\"fc-status\"");
      // The debug footer lists the same tags the header declares.
      for (String t : tags(r)) {
        assertThat(r.body()).contains("<code>" + t + "</code>");
      }
    }
    assertThat(get("/", null).body()).isEqualTo(get("/Home", null).body());
  }

  @Test
  void pagesDeclareWhatTheyShow() throws Exception {
    // Links show titles only; an include shows the whole page; breadcrumbs show ancestors' titles.
    assertThat(tags(get("/Projects/Alpha", null))).containsExactlyInAnyOrder("page:Projects/Alpha",
        "page:Projects#title", "page:People/Alice#title", "page:People/Bob#title", "page:Projects/Beta#title",
        "page:Projects/Alpha/Roadmap");
    assertThat(tags(get("/Projects", null))).contains("page:Projects/*#title");
    assertThat(tags(get("/Overview", null))).contains("page:Projects/**#title", "page:People/**#title");
    assertThat(tags(get("/Home", null))).contains("recent");
    assertThat(tags(get("/Dashboard", null))).containsExactly("page:Dashboard");
  }

  @Test
  void theChildrenListingShowsTitles() throws Exception {
    String body = get("/Projects", null).body();
    assertThat(body).contains(">Project Alpha</a>", ">Project Beta</a>").doesNotContain("Alpha roadmap");
    assertThat(get("/Overview", null).body()).contains(">Alpha roadmap</a>", ">Beta meeting notes</a>");
  }

  @Test
  void aMissingPageIsACacheable404ThatItsCreationInvalidates() throws Exception {
    HttpResponse<String> r = get("/Projects/Gamma", null);
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(tags(r)).contains("page:Projects/Gamma");
    assertThat(header(r, "Cache-Control")).isEqualTo("public, max-age=0, s-maxage=3600");
    assertThat(r.body()).contains("href=\"/edit/Projects/Gamma\"");
  }

  @Test
  void aPageWithMoreTagsThanTheProxyTakesIsNotOfferedForCaching() throws Exception {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < Site.MAX_TAGS; i++) {
      text.append("[[Many/P").append(i).append("]] ");
    }
    save("Many", "alice", "Many links", text.toString());
    HttpResponse<String> r = get("/Many", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(header(r, "Cache-Control")).isEqualTo("no-store");
    assertThat(header(r, "Cache-Tag")).isNull();
  }

  @Test
  void headAnswersWithTheHeadersOfGet() throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(wiki.uri().resolve("/Projects"))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEmpty();
    assertThat(tags(r)).contains("page:Projects/*#title");
  }

  @Test
  void staticAssetsAndUnknownPaths() throws Exception {
    assertThat(get("/_static/wiki.css", null).statusCode()).isEqualTo(200);
    HttpResponse<String> js = get("/_static/wiki.js", null);
    assertThat(js.body()).contains("Cache-Status", "method: 'HEAD'");
    assertThat(header(js, "Content-Type")).startsWith("text/javascript");
    assertThat(get("/_nothing", null).statusCode()).isEqualTo(404);
    assertThat(get("/edit", null).statusCode()).isEqualTo(404);
    assertThat(get("/a%20b", null).statusCode()).isEqualTo(404);
    assertThat(get("/a/../b", null).statusCode()).isEqualTo(404);
    assertThat(header(get("/_nothing", null), "Cache-Control")).isEqualTo("no-store");
  }

  // ---- edits and their invalidations

  @Test
  void aTextEditInvalidatesTheTextAspectNotTheTitle() throws Exception {
    HttpResponse<String> r = save("Projects/Alpha", "alice", "Project Alpha", "Alpha now has **new** text.");
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(header(r, "Location")).isEqualTo("/Projects/Alpha");
    assertThat(header(r, "Cache-Control")).isEqualTo("no-store");
    assertThat(invalidations(r)).containsExactly("page:Projects/Alpha#text", "recent");
    assertThat(get("/Projects/Alpha", null).body()).contains("Alpha now has <strong>new</strong> text.");
    // Projects only shows Alpha's title, which did not change, and it does not depend on the text.
    assertThat(tags(get("/Projects", null))).doesNotContain("page:Projects/Alpha", "page:Projects/Alpha#text");
  }

  @Test
  void aRenameInvalidatesTheTitleAspectAndLinksShowTheNewTitle() throws Exception {
    String text = text("Projects/Alpha");
    HttpResponse<String> r = save("Projects/Alpha", "bob", "Project Alpha Prime",
        "Alpha is the **caching layer** of the product.");
    assertThat(invalidations(r)).containsExactly("page:Projects/Alpha#title", "page:Projects/Alpha#text", "recent");
    assertThat(text).isNotEmpty();
    HttpResponse<String> t = save("Projects/Alpha", "bob", "Alpha", "Alpha is the **caching layer** of the product.");
    assertThat(invalidations(t)).containsExactly("page:Projects/Alpha#title", "recent");
    assertThat(get("/Projects", null).body()).contains(">Alpha</a>");
    assertThat(get("/Projects/Beta", null).body()).contains(">Alpha</a>");
  }

  @Test
  void anUnchangedSaveInvalidatesNothing() throws Exception {
    HttpResponse<String> r = save("People/Bob", "bob", "Bob Builder", "Bob reviews [[Projects/Alpha]] and keeps the build green.\n");
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(header(r, "Cache-Invalidate")).isNull();
  }

  @Test
  void creatingAndDeletingAPageInvalidateItWholeWhichReachesTheParentsPatterns() throws Exception {
    HttpResponse<String> created = save("Projects/Gamma", "carol", "Project Gamma", "New.");
    assertThat(created.statusCode()).isEqualTo(303);
    assertThat(invalidations(created)).containsExactly("page:Projects/Gamma", "recent");
    assertThat(get("/Projects", null).body()).contains(">Project Gamma</a>");
    assertThat(get("/Projects/Gamma", null).statusCode()).isEqualTo(200);

    HttpResponse<String> deleted = post("/delete/Projects/Gamma", "carol", Map.of());
    assertThat(deleted.statusCode()).isEqualTo(303);
    assertThat(header(deleted, "Location")).isEqualTo("/Projects");
    assertThat(invalidations(deleted)).containsExactly("page:Projects/Gamma", "recent");
    assertThat(get("/Projects/Gamma", null).statusCode()).isEqualTo(404);
    assertThat(get("/Recent", null).body()).contains("deleted");

    assertThat(post("/delete/Projects/Beta", "carol", Map.of()).statusCode()).isEqualTo(409);
    assertThat(post("/delete/Projects/Nothing", "carol", Map.of()).statusCode()).isEqualTo(404);
  }

  @Test
  void aStaleVersionIsAConflictAndChangesNothing() throws Exception {
    String before = get("/Projects/Beta", null).body();
    HttpResponse<String> r = post("/edit/Projects/Beta", "bob", Map.of("version", "0", "title", "X", "text", "Y"));
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(header(r, "Cache-Invalidate")).isNull();
    assertThat(get("/Projects/Beta", null).body()).isEqualTo(before);
  }

  // ---- users

  @Test
  void editingRequiresLogin() throws Exception {
    assertThat(get("/edit/Projects/Alpha", null).statusCode()).isEqualTo(403);
    String before = get("/Projects/Alpha", null).body();
    HttpResponse<String> r = post("/edit/Projects/Alpha", null, Map.of("version", "1", "title", "Hacked", "text", "x"));
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(header(r, "Cache-Invalidate")).isNull();
    assertThat(post("/edit/Projects/Alpha", "mallory", Map.of("version", "1", "title", "Hacked", "text", "x"))
        .statusCode()).isEqualTo(403);
    assertThat(post("/delete/Projects/Alpha/Roadmap", null, Map.of()).statusCode()).isEqualTo(403);
    assertThat(get("/Projects/Alpha", null).body()).isEqualTo(before);
  }

  @Test
  void theBarIsPrivateAndPerUser() throws Exception {
    HttpResponse<String> anonymous = get("/_bar", null);
    HttpResponse<String> alice = get("/_bar", "alice");
    HttpResponse<String> bob = get("/_bar", "bob");
    for (HttpResponse<String> r : List.of(anonymous, alice, bob)) {
      assertThat(header(r, "Cache-Control")).isEqualTo("private, max-age=0, s-maxage=3600");
    }
    assertThat(anonymous.body()).contains("Log in").doesNotContain("Signed in");
    assertThat(alice.body()).contains("Signed in as <a href=\"/People/Alice\">Alice Liddell</a>");
    assertThat(bob.body()).contains("Bob Builder").doesNotContain("Alice");
    assertThat(tags(alice)).containsExactly("bar", "user:alice", "page:People/Alice#title");
    assertThat(tags(bob)).contains("user:bob");
    // Renaming alice's page changes her bar: the rename's invalidation reaches it.
    HttpResponse<String> rename = save("People/Alice", "alice", "Alice L.", text("People/Alice").isEmpty() ? "" :
        "Alice leads [[Projects/Alpha]]. Log in as alice and your bar shows this page's title.\n");
    assertThat(invalidations(rename)).contains("page:People/Alice#title");
    assertThat(get("/_bar", "alice").body()).contains(">Alice L.</a>");
  }

  @Test
  void myEditsArePrivatePerUser() throws Exception {
    save("Projects/Beta/Notes", "bob", "Beta notes by Bob", "Hello.");
    HttpResponse<String> bob = get("/_my", "bob");
    assertThat(bob.statusCode()).isEqualTo(200);
    assertThat(header(bob, "Cache-Control")).isEqualTo("private, max-age=0, s-maxage=3600");
    assertThat(tags(bob)).contains("user:bob", "recent");
    assertThat(bob.body()).contains("Beta notes by Bob");
    assertThat(get("/_my", "alice").body()).doesNotContain("Beta notes by Bob");
    assertThat(get("/_my", null).statusCode()).isEqualTo(403);
  }

  @Test
  void loginSetsTheCookieAndLogoutClearsIt() throws Exception {
    HttpResponse<String> in = post("/login", null, Map.of("user", "carol", "return", "/Projects"));
    assertThat(in.statusCode()).isEqualTo(303);
    assertThat(header(in, "Location")).isEqualTo("/Projects");
    assertThat(header(in, "Set-Cookie")).startsWith("demo_user=carol;").contains("HttpOnly", "SameSite=Lax");
    assertThat(post("/login", null, Map.of("user", "mallory")).statusCode()).isEqualTo(400);
    // An open redirect is not possible.
    assertThat(header(post("/login", null, Map.of("user", "bob", "return", "//evil.example/x")), "Location"))
        .isEqualTo("/");
    assertThat(header(post("/login", null, Map.of("user", "bob", "return", "https://evil.example/x")), "Location"))
        .isEqualTo("/x");
    HttpResponse<String> out = post("/logout", "carol", Map.of());
    assertThat(out.statusCode()).isEqualTo(303);
    assertThat(header(out, "Set-Cookie")).startsWith("demo_user=;").contains("Max-Age=0");
    assertThat(get("/login", null).body()).contains("value=\"alice\"", "value=\"bob\"", "value=\"carol\"");
  }

  // ---- escaping and input

  @Test
  void pageTextAndTitlesAreEscapedEverywhere() throws Exception {
    String evil = "<script>alert(1)</script>";
    HttpResponse<String> r = save("Projects/Evil", "alice", evil + "\"'&",
        "<img src=x onerror=alert(1)> **<b>bold</b>** [[Projects/Alpha]] [[<script>]] {{include <x>}}\n"
            + "{{widget <script>}}\n{{bogus \"><script>}}");
    assertThat(r.statusCode()).isEqualTo(303);
    for (String path : List.of("/Projects/Evil", "/Projects", "/Overview", "/Recent", "/Home")) {
      String body = get(path, null).body();
      assertThat(body).as(path).doesNotContain("<script>alert", "<img", "<b>bold", "<x>");
    }
    String page = get("/Projects/Evil", null).body();
    assertThat(page).contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;", "&lt;img src=x onerror=alert(1)&gt;");
    assertThat(get("/Projects", null).body()).contains(">&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;</a>");
    assertThat(get("/edit/Projects/Evil", "alice").body()).contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;");
    assertThat(header(get("/Projects/Evil", null), "Content-Security-Policy")).contains("script-src 'self'");
  }

  @Test
  void badInputIsRejectedAndChangesNothing() throws Exception {
    String v = currentVersion("Projects/Beta");
    List<Integer> statuses = new ArrayList<>();
    statuses.add(post("/edit/Projects/Beta", "bob", Map.of("version", v, "title", "  ", "text", "x")).statusCode());
    statuses.add(post("/edit/Projects/Beta", "bob", Map.of("version", v, "title", "t".repeat(121), "text", "x")).statusCode());
    statuses.add(post("/edit/Projects/Beta", "bob", Map.of("version", v, "title", "t", "text", "x".repeat(20_001))).statusCode());
    statuses.add(post("/edit/Projects/Beta", "bob", Map.of("version", v, "title", "t\u0000", "text", "x")).statusCode());
    statuses.add(post("/edit/Projects/Beta", "bob", Map.of("version", v, "title", "t", "text", "x\u0007")).statusCode());
    statuses.add(post("/edit/Projects/Beta", "bob", Map.of("version", "x", "title", "t", "text", "x")).statusCode());
    statuses.add(post("/edit/Projects/Beta", "bob", Map.of("version", v, "title", "t", "text", "x", "evil", "1")).statusCode());
    statuses.add(postRaw("/edit/Projects/Beta", "bob", "application/x-www-form-urlencoded", "title=%zz").statusCode());
    statuses.add(postRaw("/edit/Projects/Beta", "bob", "application/x-www-form-urlencoded", "title=a&title=b").statusCode());
    assertThat(statuses).containsOnly(400);
    assertThat(postRaw("/edit/Projects/Beta", "bob", "text/plain", "title=t").statusCode()).isEqualTo(415);
    assertThat(postRaw("/edit/Projects/Beta", "bob", "application/x-www-form-urlencoded",
        "text=" + "x".repeat(70_000)).statusCode()).isEqualTo(413);
    assertThat(post("/edit/_bar", "bob", Map.of("version", "0", "title", "t", "text", "x")).statusCode()).isEqualTo(404);
    assertThat(post("/edit/edit/x", "bob", Map.of("version", "0", "title", "t", "text", "x")).statusCode()).isEqualTo(404);
    assertThat(post("/edit/" + "a/".repeat(6) + "a", "bob", Map.of("version", "0", "title", "t", "text", "x"))
        .statusCode()).isEqualTo(404);
    assertThat(client.send(HttpRequest.newBuilder(wiki.uri().resolve("/Projects")).DELETE().build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(405);
    assertThat(currentVersion("Projects/Beta")).isEqualTo(v);
    // A rejected form is shown again, with the problem and the (escaped) input.
    String again = post("/edit/Projects/Beta", "bob", Map.of("version", v, "title", "", "text", "<keep>")).body();
    assertThat(again).contains("title: empty", "&lt;keep&gt;");
  }

  // ---- dashboard and the invalidator

  @Test
  void widgetsAreFragmentsWithTheirOwnTagsAndEventsInvalidateThem() throws Exception {
    String dashboard = get("/Dashboard", null).body();
    for (String w : Dashboard.WIDGETS) {
      assertThat(dashboard).contains("data-freshcache-fragment=\"/_widget/" + w + "\"><esi:include src=\"/_widget/" + w + "\"/>");
      HttpResponse<String> r = get("/_widget/" + w, null);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(tags(r)).containsExactly("widget:" + w);
      assertThat(header(r, "Cache-Control")).isEqualTo("public, max-age=0, s-maxage=3600");
    }
    List<List<String>> calls = new CopyOnWriteArrayList<>();
    wiki.setInvalidator(tags -> calls.add(List.of(tags)));
    String activity = get("/_widget/activity", null).body();
    List<String> tags = wiki.tick();
    assertThat(calls).containsExactly(tags);
    assertThat(tags).contains("widget:activity").hasSize(2);
    assertThat(get("/_widget/activity", null).body()).isNotEqualTo(activity);
    assertThat(get("/Dashboard", null).body()).isEqualTo(dashboard);
    assertThat(get("/_widget/nope", null).statusCode()).isEqualTo(404);
  }

  @Test
  void aFailingInvalidatorDoesNotStopEvents() {
    wiki.setInvalidator(tags -> {
      throw new IllegalStateException("proxy down");
    });
    assertThat(wiki.tick()).isNotEmpty();
    assertThatThrownBy(() -> wiki.setInvalidator(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("invalidator");
  }

  @Test
  void theTickerRunsInTheBackground() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    try (DemoWiki ticking = DemoWiki.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        DemoOptions.defaults().withTickInterval(Duration.ofMillis(100)).withThreads(1))) {
      ticking.setInvalidator(tags -> seen.addAll(List.of(tags)));
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (seen.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
    }
    assertThat(seen).contains("widget:activity");
  }

  @Test
  void withoutEsiTheOriginFillsTheHolesAndNothingIsCacheable() throws Exception {
    try (DemoWiki alone = DemoWiki.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        DemoOptions.defaults().withTickInterval(Duration.ZERO).withEsi(false).withThreads(1))) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(alone.uri().resolve("/Dashboard"))
          .header("Cookie", "demo_user=alice").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(header(r, "Cache-Control")).isEqualTo("no-store");
      assertThat(header(r, "Surrogate-Control")).isNull();
      assertThat(r.body()).doesNotContain("esi:include").contains("Alice Liddell", "<h2>Builds</h2>");
    }
  }

  @Test
  void optionsAreValidated() {
    assertThatThrownBy(() -> DemoOptions.defaults().withTickInterval(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tickInterval: PT-1S (expected: 0 for off, or from PT0.1S to PT1H)");
    assertThatThrownBy(() -> DemoOptions.defaults().withThreads(0))
        .hasMessage("threads: 0 (expected: 1 to 64)");
    assertThat(wiki.port()).isPositive();
    assertThat(wiki.uri()).isEqualTo(URI.create("http://127.0.0.1:" + wiki.port() + "/"));
  }
}
