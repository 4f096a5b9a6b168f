package io.freshcache.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Headless Debian chromium driven by Debian's chromedriver, for the browser tests. Nothing is
 * downloaded: the binaries are given by path (so Selenium Manager never runs). Without them a test is
 * skipped with a message when run by hand, and fails when the environment variable CI is set.
 */
final class Browsers {
  static final Path CHROMIUM = Path.of(System.getProperty("freshcache.chromium", "/usr/bin/chromium"));
  static final Path CHROMEDRIVER = Path.of(System.getProperty("freshcache.chromedriver", "/usr/bin/chromedriver"));

  private Browsers() {}

  /** Skips (by hand) or fails (CI) when chromium or chromedriver is missing. */
  static void require() {
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    String message = "browser tests need " + CHROMIUM + " and " + CHROMEDRIVER
        + " (Debian: apt-get install chromium chromium-driver; .ci/run installs them)";
    String ci = System.getenv("CI");
    if (!present && ci != null && !ci.isEmpty() && !ci.equalsIgnoreCase("false")) {
      Assertions.fail(message);
    }
    Assumptions.assumeTrue(present, message);
  }

  /** A new headless browser with an empty profile of its own. */
  static ChromeDriver start() throws IOException {
    Path profile = Files.createTempDirectory("freshcache-chromium-");
    profile.toFile().deleteOnExit();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-quic", "--no-first-run", "--window-size=1280,900", "--user-data-dir=" + profile);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
        .usingAnyFreePort()
        .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    return driver;
  }
}
