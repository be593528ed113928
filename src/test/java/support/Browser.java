package support;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * One headless Chromium window driven by Selenium: Debian's {@code /usr/bin/chromium} and its matching
 * {@code /usr/bin/chromedriver}, named explicitly so Selenium never looks for (or downloads) a browser of its own.
 * Closing it ends both the browser and its driver, and removes the browser's profile.
 *
 * <p>A missing browser fails the test with the command that installs it; only outside CI
 * ({@code CI} unset) may {@code -Dlivepoll.skipBrowserTests=true} skip it instead.
 */
public final class Browser implements AutoCloseable {
  public static final Path CHROMIUM = Path.of(System.getProperty("livepoll.chromium", "/usr/bin/chromium"));
  public static final Path CHROMEDRIVER =
      Path.of(System.getProperty("livepoll.chromedriver", "/usr/bin/chromedriver"));
  /** Where screenshots go; the docs keep copies of the current ones (docs/images). */
  public static final Path SCREENSHOTS = Path.of("target", "screenshots");

  private final ChromeDriver driver;
  private final ChromeDriverService service;
  private final Path profile;

  private Browser(ChromeDriver driver, ChromeDriverService service, Path profile) {
    this.driver = driver;
    this.service = service;
    this.profile = profile;
  }

  /** Fails (or, outside CI and when asked to, skips) unless Chromium and its driver are installed. */
  public static void requireInstalled() {
    if (Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER)) {
      return;
    }
    String missing = "browser tests need " + CHROMIUM + " and " + CHROMEDRIVER
        + ": apt-get install -y chromium chromium-driver";
    boolean onCi = System.getenv("CI") != null && !System.getenv("CI").isEmpty();
    if (!onCi && Boolean.getBoolean("livepoll.skipBrowserTests")) {
      Assumptions.abort(missing);
    }
    fail(missing);
  }

  /** A new browser with a window of {@code width} x {@code height} CSS pixels. */
  public static Browser open(int width, int height) {
    requireInstalled();
    Path profile;
    try {
      profile = Files.createTempDirectory("livepoll-chromium-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    // no network beyond loopback here: everything that phones home is off, or Chromium retries it for ever
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic", "--disable-extensions",
        "--disable-features=Translate,MediaRouter,OptimizationHints", "--hide-scrollbars",
        "--force-device-scale-factor=1", "--window-size=" + width + "," + height,
        "--user-data-dir=" + profile.toAbsolutePath());
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().window().setSize(new Dimension(width, height));
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    return new Browser(driver, service, profile);
  }

  public ChromeDriver driver() {
    return driver;
  }

  public WebDriverWait waitUpTo(Duration timeout) {
    WebDriverWait wait = new WebDriverWait(driver, timeout, Duration.ofMillis(50));
    wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
    return wait;
  }

  /** Saves what the window shows as {@code target/screenshots/<name>.png} and returns the file. */
  public Path screenshot(String name) {
    Path file = SCREENSHOTS.resolve(name + ".png");
    try {
      Files.createDirectories(SCREENSHOTS);
      Path taken = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath();
      Files.copy(taken, file, StandardCopyOption.REPLACE_EXISTING);
      Files.deleteIfExists(taken);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /**
   * The console's errors since the last call: script errors, failed loads and Content-Security-Policy violations
   * (an inline script or style the policy blocked shows up here).
   */
  public List<String> consoleErrors() {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue()
            || entry.getMessage().contains("Content Security Policy"))
        .map(LogEntry::getMessage)
        .collect(Collectors.toList());
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      service.stop();
      deleteQuietly(profile);
    }
  }

  private static void deleteQuietly(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException ignored) {
      // a profile left in /tmp is harmless
    }
  }
}
