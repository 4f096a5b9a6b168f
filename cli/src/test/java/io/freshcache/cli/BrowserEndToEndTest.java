package io.freshcache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.demo.DemoOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Issue 4 end to end: the demo wiki through the proxy, in two real browsers (headless Debian
 * chromium). User A (alice) edits; user B (bob) watches a page that includes the edited one and must
 * see it change in place, without a reload, within a second; B's bar never shows A. Also measures
 * the time from an edit's response to the change appearing in B's browser (printed, and written to
 * target/live-latency.txt for docs/live.md). Screenshots go to target/screenshots/.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserEndToEndTest {
  private static final Path SHOTS = Path.of("target", "screenshots");
  private static final Pattern VERSION = Pattern.compile("name=\"version\" value=\"(\\d+)\"");
  private static final String WATCHED = "Projects/Alpha";
  private static final String EDITED = "Projects/Alpha/Roadmap";

  private static DemoServer demo;
  private static URI base;
  private static ChromeDriver alice;
  private static ChromeDriver bob;
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws IOException {
    Browsers.require();
    Files.createDirectories(SHOTS);
    demo = DemoServer.start(new InetSocketAddress("127.0.0.1", 0), DemoOptions.defaults().withTickInterval(Duration.ZERO), false);
    base = demo.uri();
    alice = Browsers.start();
    bob = Browsers.start();
    logIn(alice, "alice");
    logIn(bob, "bob");
  }

  @AfterAll
  static void stop() {
    for (WebDriver d : new WebDriver[] {alice, bob}) {
      if (d != null) {
        d.quit();
      }
    }
    if (demo != null) {
      demo.close();
    }
  }

  private static void logIn(ChromeDriver browser, String user) {
    browser.get(base.resolve("login").toString());
    browser.findElement(By.cssSelector("button[name=user][value=" + user + "]")).click();
    new WebDriverWait(browser, Duration.ofSeconds(10)).until(d -> !d.getCurrentUrl().endsWith("/login"));
  }

  @Test
  @Order(1)
  void userAEditsAPageAndSeesTheChangeOnTheNextLoad() throws IOException {
    alice.get(base.resolve(EDITED).toString()); // cached now
    alice.get(base.resolve("edit/" + EDITED).toString());
    var text = alice.findElement(By.name("text"));
    text.clear();
    text.sendKeys("Alice changed the roadmap: ship the first release.");
    alice.findElement(By.cssSelector("form.edit button[type=submit]")).click();
    new WebDriverWait(alice, Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().endsWith("/" + EDITED));
    assertThat(alice.findElement(By.tagName("main")).getText()).contains("ship the first release");
    alice.navigate().refresh();
    assertThat(alice.findElement(By.tagName("main")).getText()).contains("ship the first release");
    shot(alice, "alice-after-edit");
  }

  @Test
  @Order(2)
  void userBSeesTheIncludingPageChangeInPlaceWithinOneSecond() throws Exception {
    bob.get(base.resolve(WATCHED).toString());
    awaitLiveConnection(bob);
    ((JavascriptExecutor) bob).executeScript("window.__notReloaded = 42;");
    long t0 = edit(EDITED, "Roadmap, revised while Bob was watching.");
    long seenAt = awaitText(bob, "revised while Bob was watching", Duration.ofSeconds(5));
    assertThat(seenAt - t0).as("milliseconds from the edit's response to Bob's browser showing it").isLessThan(1000);
    assertThat(((JavascriptExecutor) bob).executeScript("return window.__notReloaded;"))
        .as("the page changed in place, without a reload").isEqualTo(42L);
    shot(bob, "bob-updated-in-place");
  }

  @Test
  @Order(3)
  void userBsBarNeverShowsUserA() {
    for (String page : List.of(WATCHED, EDITED, "", "Dashboard", "_my")) {
      bob.get(base.resolve(page).toString());
      String bar = bob.findElement(By.cssSelector("[data-freshcache-fragment='/_bar']")).getText();
      assertThat(bar).as("bob's bar on /" + page).contains("Bob").doesNotContain("Alice");
      alice.get(base.resolve(page).toString());
      String aliceBar = alice.findElement(By.cssSelector("[data-freshcache-fragment='/_bar']")).getText();
      assertThat(aliceBar).as("alice's bar on /" + page).contains("Alice").doesNotContain("Bob");
    }
    bob.get(base.resolve("Dashboard").toString());
    shot(bob, "bob-dashboard");
  }

  /**
   * Not a timed assertion beyond the one-second requirement: records the distribution for docs/live.md.
   */
  @Test
  @Order(4)
  void editToBrowserLatencyIsRecorded() throws Exception {
    bob.get(base.resolve(WATCHED).toString());
    awaitLiveConnection(bob);
    List<Long> millis = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String marker = "revision " + i + " of the roadmap";
      long t0 = edit(EDITED, "Roadmap " + marker + ".");
      millis.add(awaitText(bob, marker, Duration.ofSeconds(5)) - t0);
    }
    Collections.sort(millis);
    long median = millis.get(millis.size() / 2);
    long p99 = millis.get(millis.size() - 1); // 20 samples: the maximum stands for p99
    String line = String.format(Locale.ROOT, "edit response -> change shown in another browser: %d edits, median %d ms,"
        + " p99 (max) %d ms, all %s", millis.size(), median, p99, millis);
    System.out.println("[live-latency] " + line);
    Files.writeString(Path.of("target", "live-latency.txt"), line + "\n");
    assertThat(p99).isLessThan(1000);
  }

  // ---------------------------------------------------------------- helpers

  /** Edits a page's text as alice over HTTP through the proxy; returns when the response arrived (epoch ms). */
  private static long edit(String page, String text) throws Exception {
    String cookie = "demo_user=alice";
    HttpResponse<String> form = HTTP.send(HttpRequest.newBuilder(base.resolve("edit/" + page))
        .header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofString());
    Matcher m = VERSION.matcher(form.body());
    assertThat(m.find()).as("edit form of " + page).isTrue();
    Matcher title = Pattern.compile("name=\"title\"[^>]*value=\"([^\"]*)\"").matcher(form.body());
    assertThat(title.find()).isTrue();
    String body = formBody(Map.of("version", m.group(1), "title", unescape(title.group(1)), "text", text));
    HttpResponse<String> saved = HTTP.send(HttpRequest.newBuilder(base.resolve("edit/" + page))
        .header("Cookie", cookie).header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    long at = System.currentTimeMillis();
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(303);
    return at;
  }

  private static String formBody(Map<String, String> fields) {
    StringBuilder b = new StringBuilder();
    fields.forEach((k, v) -> b.append(b.length() == 0 ? "" : "&").append(k).append('=')
        .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
    return b.toString();
  }

  private static String unescape(String html) {
    return html.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
  }

  /** Waits until live.js has its event stream open (its ready event gave it an event id). */
  private static void awaitLiveConnection(ChromeDriver browser) {
    new WebDriverWait(browser, Duration.ofSeconds(10)).until(d -> ((JavascriptExecutor) d).executeScript(
        "return !!(window.freshcache && window.freshcache.lastEventId());"));
  }

  /** Polls the browser's main region for the text; returns the epoch millisecond the browser first showed it. */
  private static long awaitText(ChromeDriver browser, String text, Duration timeout) throws InterruptedException {
    JavascriptExecutor js = browser;
    js.executeScript("""
        window.__seen = window.__seen || {};
        if (!window.__observer) {
          window.__observer = new MutationObserver(function () {
            var t = document.querySelector('main').innerText;
            (window.__wanted || []).forEach(function (w) { if (!window.__seen[w] && t.indexOf(w) >= 0) window.__seen[w] = Date.now(); });
          });
          window.__observer.observe(document.body, {subtree: true, childList: true, characterData: true});
        }
        window.__wanted = (window.__wanted || []).concat([arguments[0]]);
        if (document.querySelector('main').innerText.indexOf(arguments[0]) >= 0 && !window.__seen[arguments[0]]) window.__seen[arguments[0]] = Date.now();
        """, text);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Object at = js.executeScript("return window.__seen[arguments[0]] || null;", text);
      if (at instanceof Number n) {
        return n.longValue();
      }
      Thread.sleep(10);
    }
    shot(browser, "timeout-" + text.replaceAll("\\W+", "-"));
    throw new AssertionError("the browser did not show '" + text + "' within " + timeout.toMillis() + " ms; main: "
        + browser.findElement(By.tagName("main")).getText());
  }

  private static void shot(ChromeDriver browser, String name) {
    try {
      Path png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
      Files.copy(png, SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      System.err.println("screenshot " + name + " failed: " + e);
    }
  }
}
