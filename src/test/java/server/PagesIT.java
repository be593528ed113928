package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import auth.Tokens;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.zxing.BinaryBitmap;
import com.google.zxing.MultiFormatReader;
import com.google.zxing.Result;
import com.google.zxing.client.j2se.BufferedImageLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import support.ApiClient;
import support.Browser;
import support.FreePorts;
import support.RealServer;
import support.TestConfig;

/**
 * The pages in a real browser (headless Chromium) against a real server on a real Cassandra: a voter on a phone-sized
 * window and a presenter screen side by side, invite links, the organizer console, a node restart under a presenter,
 * and hostile text. Screenshots land in target/screenshots; docs/images keeps the current ones.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PagesIT {
  private static final Tokens TOKENS = TestConfig.tokens();
  private static final Duration PAGE = Duration.ofSeconds(20);

  @RegisterExtension static final RealServer servers = new RealServer("pages_it");
  private static LivepollServer server;
  private static int httpPort;
  private static ApiClient api;
  private static ApiClient alice;
  private static String aliceToken;
  private static Browser presenter;
  private static Browser phone;

  @BeforeAll
  static void start() {
    Browser.requireInstalled();
    httpPort = FreePorts.next();
    startServer();
    api = new ApiClient(httpPort);
    aliceToken = TOKENS.organizer("alice", false);
    alice = api.as(aliceToken);
    presenter = Browser.open(1280, 720);
    phone = Browser.open(360, 740);
  }

  /** A node on a fixed HTTP port, so that pages opened before a restart reconnect to the node after it. */
  private static void startServer() {
    server = servers.start("livepoll.http.port = " + httpPort);
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable closeable : new AutoCloseable[] {presenter, phone}) {
      try {
        if (closeable != null) {
          closeable.close();
        }
      } catch (Exception ignored) {
        // the other browser must still close (the servers stop after the class, with their Cassandra)
      }
    }
  }

  @AfterEach
  void noConsoleErrors() {
    for (Browser browser : new Browser[] {presenter, phone}) {
      List<String> errors = browser.consoleErrors().stream()
          // a socket cut by a node restart, or a probe for an unknown code, is expected and handled
          .filter(message -> !message.contains("WebSocket") && !message.contains("/api/join/"))
          .toList();
      assertEquals(List.of(), errors, "the browser console reported errors");
    }
  }

  // ------------------------------------------------------------------------------------------------- scenarios

  @Test
  @Order(1)
  void aVoterOnAPhoneVotesAndThePresenterShowsTheNewCountWithinASecond() throws Exception {
    JsonNode poll = createPoll("{\"question\":\"Which talk next?\",\"options\":[\"Sharding in practice\","
        + "\"Event sourcing pitfalls\",\"Live dashboards\"]}");
    String id = poll.get("id").asText();
    String code = poll.get("joinCode").asText();

    openPresenter(id);
    assertEquals(code, text(presenter, By.id("code")));
    assertEquals("0", text(presenter, By.id("total")));

    // the voter types the code on the start page, as the screen shows it
    ChromeDriver voter = phone.driver();
    voter.get(url("/"));
    voter.findElement(By.id("code")).sendKeys(code.toLowerCase());
    voter.findElement(By.cssSelector("#join button[type=submit]")).click();
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("question"), "Which talk next?"));
    assertEquals("/p/" + code, new java.net.URI(voter.getCurrentUrl()).getPath());
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("connection"), "Live"));
    assertTrue(voter.findElement(By.id("ballot")).getSize().getWidth() <= 360, "the ballot fits a 360 px phone");
    phone.screenshot("voter-phone");

    voter.findElement(By.cssSelector("label[for='choice-" + id + "-1']")).click();
    voter.findElement(By.id("vote")).click();
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBePresentInElementLocated(By.id("outcome"),
        "Your vote is counted"));
    long acknowledged = System.nanoTime();
    presenter.waitUpTo(Duration.ofSeconds(1)).until(ExpectedConditions.textToBe(By.id("total"), "1"));
    long shown = System.nanoTime();
    assertEquals("1", text(presenter, By.cssSelector("#counts tr[data-option='1'] td")));
    assertTrue(shown - acknowledged < Duration.ofSeconds(1).toNanos(), "the presenter showed the vote in time");
    phone.screenshot("voter-phone-voted");

    // more votes, so the screenshot of the screen shows a chart
    for (int[] choice : new int[][] {{0}, {1}, {1}, {2}}) {
      vote(TOKENS.newVoter().token(), id, choice[0]);
    }
    presenter.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("total"), "5"));
    Thread.sleep(600); // the chart's animation
    Path screen = presenter.screenshot("presenter");

    // the QR code on the screen leads to the join address, as a phone's camera would read it
    String joinUrl = api.get("/api/polls/" + id + "/join").json().get("url").asText();
    assertEquals(url("/p/" + code), joinUrl);
    assertEquals(joinUrl, decodeQr(screen));
  }

  @Test
  @Order(2)
  void anInviteLinkVotesOnceAndASecondBallotIsRefusedOnThePage() {
    JsonNode poll = createPoll("{\"question\":\"Approve the budget?\",\"options\":[\"Yes\",\"No\",\"Abstain\"],"
        + "\"audience\":\"invited\"}");
    String id = poll.get("id").asText();
    JsonNode invites = alice.post("/api/polls/" + id + "/invites", "{\"count\":2}").json();
    String invite = invites.get("invites").get(0).get("token").asText();

    ChromeDriver voter = phone.driver();
    voter.get(url("/p/" + id + "?invite=" + invite));
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("connection"), "Live"));
    assertEquals("Approve the budget?", text(phone, By.id("question")));
    // by keyboard, as a screen reader user would: each option is a radio button named by its label
    WebElement yes = voter.findElement(By.id("choice-" + id + "-0"));
    assertEquals("radio", yes.getAriaRole());
    assertEquals("Yes", yes.getAccessibleName());
    yes.sendKeys(Keys.SPACE);
    assertTrue(yes.isSelected());
    yes.sendKeys(Keys.TAB);
    WebElement focused = voter.switchTo().activeElement();
    assertEquals("vote", focused.getDomAttribute("id"), "Tab leaves the options for the Vote button");
    focused.sendKeys(Keys.ENTER);
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBePresentInElementLocated(By.id("outcome"),
        "Your vote is counted"));

    // the same link opened again (another device, a cleared browser): a different ballot is refused
    voter.manage().deleteAllCookies();
    voter.executeScript("localStorage.clear()");
    voter.get(url("/p/" + id + "?invite=" + invite));
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("connection"), "Live"));
    voter.findElement(By.cssSelector("label[for='choice-" + id + "-1']")).click();
    voter.findElement(By.id("vote")).click();
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBePresentInElementLocated(By.id("outcome"),
        "already voted"));
    phone.screenshot("voter-invite-refused");
    JsonNode after = alice.get("/api/polls/" + id).json();
    assertEquals(1, after.get("totalBallots").asLong());
    assertEquals(1, after.get("options").get(0).get("votes").asLong());

    // a plain voter (no invite) finds no poll: an invited poll exists only for its invitees
    voter.executeScript("localStorage.clear()");
    voter.get(url("/p/" + poll.get("joinCode").asText()));
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("question"), "No open poll here"));
  }

  @Test
  @Order(3)
  void theOrganizerCreatesAPollInTheConsoleAndItAppearsInTheList() {
    ChromeDriver console = presenter.driver();
    console.get(url("/organize"));
    console.executeScript("localStorage.clear()");
    console.navigate().refresh();
    presenter.waitUpTo(PAGE).until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
    console.findElement(By.id("token")).sendKeys(aliceToken);
    console.findElement(By.cssSelector("#sign-in-form button[type=submit]")).click();
    presenter.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("who"), "Signed in as alice"));

    console.findElement(By.id("question")).sendKeys("Lunch: where do we go?");
    List<WebElement> options = console.findElements(By.cssSelector("#options input"));
    options.get(0).sendKeys("Noodle bar");
    options.get(1).sendKeys("Pizzeria");
    console.findElement(By.id("add-option")).click();
    console.findElements(By.cssSelector("#options input")).get(2).sendKeys("Salad place");
    new org.openqa.selenium.support.ui.Select(console.findElement(By.id("kind"))).selectByValue("multiple");
    presenter.waitUpTo(PAGE).until(ExpectedConditions.presenceOfElementLocated(By.id("max-choices")))
        .sendKeys("2");
    console.findElement(By.id("allow-change")).click();
    console.findElement(By.id("create")).click();
    presenter.waitUpTo(PAGE).until(ExpectedConditions.textToBePresentInElementLocated(By.id("create-outcome"),
        "Opened \"Lunch: where do we go?\""));

    By row = By.xpath("//table[@id='polls']//tr[td[@class='question' and text()='Lunch: where do we go?']]");
    presenter.waitUpTo(PAGE).until(ExpectedConditions.visibilityOfElementLocated(row));
    String pollId = console.findElement(row).getDomAttribute("data-poll");
    JsonNode created = api.get("/api/polls/" + pollId).json();
    assertEquals("multiple", created.get("kind").asText());
    assertEquals(2, created.get("maxChoices").asInt());
    assertTrue(created.get("allowVoteChange").asBoolean());
    assertEquals(3, created.get("options").size());
    // the catalogue (read side) lists it too, not only the page's own memory of what it opened
    presenter.waitUpTo(Duration.ofSeconds(30)).until(driver -> catalogueLists(pollId));
    vote(TOKENS.newVoter().token(), pollId, 0);
    // the details read the results read model too: wait until it has the poll, so the page does not see a 404
    presenter.waitUpTo(Duration.ofSeconds(30)).until(driver -> {
      ApiClient.Reply stats = alice.get("/api/polls/" + pollId + "/stats");
      return stats.status() == 200 && stats.json().get("ballotsCast").asLong() == 1;
    });
    // the list refreshes by itself from the catalogue
    presenter.waitUpTo(Duration.ofSeconds(30)).until(ExpectedConditions.textToBe(
        By.xpath("//tr[@data-poll='" + pollId + "']/td[3]"), "1"));
    console.findElement(By.xpath("//tr[@data-poll='" + pollId + "']//button[text()='Details']")).click();
    presenter.waitUpTo(PAGE).until(ExpectedConditions.visibilityOfElementLocated(By.id("export")));
    // the whole console in one picture
    console.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1700));
    console.executeScript("window.scrollTo(0, 0)");
    presenter.screenshot("organizer");
    console.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 720));
  }

  @Test
  @Order(4)
  void aQuestionWithMarkupIsShownAsText() {
    String question = "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\"> & <b>bold</b>?";
    JsonNode poll = createPoll("{\"question\":" + quote(question) + ",\"options\":[" + quote("<i>yes</i>")
        + ",\"no\"]}");
    String id = poll.get("id").asText();
    ChromeDriver voter = phone.driver();
    voter.get(url("/p/" + id));
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("question"), question));
    assertEquals(question, text(phone, By.id("question")));
    assertEquals("<i>yes</i>", voter.findElement(By.cssSelector("label[for='choice-" + id + "-0'] span")).getText());
    assertTrue(voter.findElements(By.cssSelector("main script, main img, main b, main i")).isEmpty(),
        "no element was made from the poll's text");
    openPresenter(id);
    assertEquals(question, text(presenter, By.id("question")));
    assertEquals(null, voter.executeScript("return window.pwned === undefined ? null : window.pwned"));
    assertEquals(null, presenter.driver().executeScript("return window.pwned === undefined ? null : window.pwned"));
  }

  @Test
  @Order(5)
  void aPresenterKeepsUpdatingAfterItsNodeRestarts() {
    JsonNode poll = createPoll("{\"question\":\"Still with us?\",\"options\":[\"Yes\",\"No\"]}");
    String id = poll.get("id").asText();
    openPresenter(id);
    vote(TOKENS.newVoter().token(), id, 0);
    presenter.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("total"), "1"));

    servers.stop(server);
    presenter.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("connection"), "Reconnecting…"));
    startServer();
    vote(TOKENS.newVoter().token(), id, 1);
    // the page reconnects by itself (backoff of at most 10 s) and starts again from a fresh snapshot
    presenter.waitUpTo(Duration.ofSeconds(30)).until(ExpectedConditions.textToBe(By.id("total"), "2"));
    presenter.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("connection"), "Live"));
    vote(TOKENS.newVoter().token(), id, 1);
    presenter.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("total"), "3"));
    assertEquals("2", text(presenter, By.cssSelector("#counts tr[data-option='1'] td")));

    // this browser signed in as the owner on /organize: the screen offers the owner's close
    presenter.driver().findElement(By.id("close-poll")).click();
    presenter.waitUpTo(PAGE).until(ExpectedConditions.visibilityOfElementLocated(By.id("closed-badge")));
    assertEquals("closed", api.get("/api/polls/" + id).json().get("status").asText());
  }

  @Test
  @Order(6)
  void aVoterOnAPhoneRatesAndThePresenterShowsTheNewAverageThenANewRound() throws Exception {
    JsonNode poll = createPoll("{\"question\":\"How was the talk?\",\"kind\":\"rating\","
        + "\"scale\":{\"min\":1,\"max\":5,\"minLabel\":\"meh\",\"maxLabel\":\"great\"}}");
    String id = poll.get("id").asText();
    // this browser is signed in as the owner on /organize: its screen has the owner's controls
    openPresenter(id);
    assertEquals("No ratings yet.", text(presenter, By.id("summary")));

    ChromeDriver voter = phone.driver();
    voter.get(url("/p/" + poll.get("joinCode").asText()));
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("connection"), "Live"));
    assertEquals("1: meh", text(phone, By.cssSelector(".scale-ends span:first-child")));
    assertEquals("5: great", text(phone, By.cssSelector(".scale-ends span:last-child")));
    WebElement four = voter.findElement(By.id("rating-" + id + "-4"));
    assertEquals("radio", four.getAriaRole());
    assertTrue(voter.findElement(By.id("ballot")).getSize().getWidth() <= 360, "the scale fits a 360 px phone");
    voter.findElement(By.cssSelector("label[for='rating-" + id + "-4']")).click();
    voter.findElement(By.id("vote")).click();
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBePresentInElementLocated(By.id("outcome"),
        "Your vote is counted"));
    presenter.waitUpTo(Duration.ofSeconds(2)).until(ExpectedConditions.textToBe(By.id("summary"),
        "Average 4.00 of 5 from 1 rating"));
    for (int rating : new int[] {5, 5, 2, 4}) {
      ballot(TOKENS.newVoter().token(), id, "{\"rating\":" + rating + "}");
    }
    presenter.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("summary"),
        "Average 4.00 of 5 from 5 ratings"));
    assertEquals("2", text(presenter, By.cssSelector("#counts tr[data-option='4'] td")));
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.cssSelector("#results-body .summary"),
        "Average 4.00 of 5 from 5 ratings"));
    phone.screenshot("voter-rating");
    Thread.sleep(600); // the chart's animation
    presenter.screenshot("presenter-rating");

    // a new round: the counts start from zero and the voter may rate again
    presenter.driver().findElement(By.id("new-round")).click();
    presenter.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("round"), "Round 2"));
    presenter.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("summary"), "No ratings yet."));
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("round"), "Round 2"));
    voter.findElement(By.cssSelector("label[for='rating-" + id + "-2']")).click();
    voter.findElement(By.id("vote")).click();
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBePresentInElementLocated(By.id("outcome"),
        "Your vote is counted"));
    presenter.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("summary"),
        "Average 2.00 of 5 from 1 rating"));
    assertEquals(1, api.get("/api/polls/" + id + "/rounds").json().get("rounds").size());
  }

  @Test
  @Order(7)
  void hiddenResultsShowNoCountsUntilTheOwnerRevealsThem() {
    JsonNode poll = createPoll("{\"question\":\"Guess the answer\",\"options\":[\"Forty-two\",\"Seven\"],"
        + "\"resultsVisibility\":\"hidden\"}");
    String id = poll.get("id").asText();
    ChromeDriver voter = phone.driver();
    voter.get(url("/p/" + id));
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("connection"), "Live"));
    voter.findElement(By.cssSelector("label[for='choice-" + id + "-0']")).click();
    voter.findElement(By.id("vote")).click();
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBePresentInElementLocated(By.id("outcome"),
        "Your vote is counted"));
    ballot(TOKENS.newVoter().token(), id, "{\"choices\":[0]}");
    ballot(TOKENS.newVoter().token(), id, "{\"choices\":[1]}");
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("total"), "3 votes"));
    assertEquals("The results are hidden until the presenter reveals them.",
        text(phone, By.cssSelector("#results-body .withheld")));
    assertTrue(voter.findElements(By.cssSelector("#results-body .bars")).isEmpty(), "no counts on the voter page");
    phone.screenshot("voter-hidden");

    // the owner's screen sees the counts (its socket carries the owner's token) and reveals them
    openPresenter(id);
    presenter.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.cssSelector("#counts tr[data-option='0'] td"),
        "2"));
    assertEquals("The audience does not see these results until you reveal them.",
        text(presenter, By.id("withheld")));
    presenter.screenshot("presenter-hidden");
    presenter.driver().findElement(By.id("reveal")).click();
    presenter.waitUpTo(PAGE).until(ExpectedConditions.invisibilityOfElementLocated(By.id("reveal")));
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBe(
        By.cssSelector("#results-body .bars li[data-option='0'] .count"), "2 (67%)"));
    assertEquals("1 (33%)", text(phone, By.cssSelector("#results-body .bars li[data-option='1'] .count")));
    assertTrue(voter.findElements(By.cssSelector("#results-body .withheld")).isEmpty());
  }

  @Test
  @Order(8)
  void aWordCloudShowsMarkupAsTextAndHiddenWordsOnlyToTheOwner() {
    JsonNode poll = createPoll("{\"question\":\"One word for today?\",\"kind\":\"wordcloud\",\"maxWords\":2}");
    String id = poll.get("id").asText();
    for (String words : new String[] {"[\"Pekko\",\"sharding\"]", "[\"Pekko\"]", "[\"PEKKO\",\"spoiler\"]"}) {
      ballot(TOKENS.newVoter().token(), id, "{\"words\":" + words + "}");
    }
    ChromeDriver voter = phone.driver();
    voter.get(url("/p/" + id));
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("connection"), "Live"));
    voter.findElement(By.id("word-" + id + "-0")).sendKeys("<b>x</b>");
    voter.findElement(By.id("word-" + id + "-1")).sendKeys("  sharding ");
    voter.findElement(By.id("vote")).click();
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBePresentInElementLocated(By.id("outcome"),
        "Your vote is counted"));
    phone.waitUpTo(PAGE).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#results-body .cloud"),
        "<b>x</b>"));
    assertTrue(voter.findElements(By.cssSelector("main b")).isEmpty(), "no element was made from a word");
    List<String> words = voter.findElements(By.cssSelector("#results-body .cloud .word .text")).stream()
        .map(WebElement::getText).toList();
    assertEquals("Pekko", words.get(0), "the most frequent word first, in its most frequent spelling: " + words);
    assertTrue(words.contains("<b>x</b>") && words.contains("spoiler"), words.toString());

    // the owner hides a word on the screen: gone from the voter's cloud, listed only on the owner's screen
    openPresenter(id);
    presenter.waitUpTo(PAGE).until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("#cloud button[aria-label='Hide spoiler']"))).click();
    presenter.waitUpTo(PAGE).until(ExpectedConditions.textToBePresentInElementLocated(
        By.cssSelector("#cloud .hidden-words"), "spoiler"));
    phone.waitUpTo(PAGE).until(driver -> driver.findElements(By.cssSelector("#results-body .cloud .word .text"))
        .stream().noneMatch(word -> word.getText().equals("spoiler")));
    assertTrue(presenter.driver().findElements(By.cssSelector("#cloud .cloud b")).isEmpty());
    phone.screenshot("voter-wordcloud");
    presenter.screenshot("presenter-wordcloud");
  }

  // ------------------------------------------------------------------------------------------------- helpers

  private static String url(String path) {
    return "http://127.0.0.1:" + httpPort + path;
  }

  private static JsonNode createPoll(String body) {
    ApiClient.Reply created = alice.post("/api/polls", body);
    assertEquals(201, created.status(), created::toString);
    JsonNode poll = created.json();
    assertNotNull(poll.get("joinCode"), poll::toString);
    return poll;
  }

  private static void vote(String voterToken, String pollId, int option) {
    ApiClient.Reply reply = api.as(voterToken).post("/api/polls/" + pollId + "/ballots",
        "{\"choices\":[" + option + "]}");
    assertEquals(200, reply.status(), reply::toString);
  }

  private static void ballot(String voterToken, String pollId, String body) {
    ApiClient.Reply reply = api.as(voterToken).post("/api/polls/" + pollId + "/ballots", body);
    assertEquals(200, reply.status(), reply::toString);
  }

  private static void openPresenter(String pollId) {
    presenter.driver().get(url("/present/" + pollId));
    presenter.waitUpTo(PAGE).until(ExpectedConditions.textToBe(By.id("connection"), "Live"));
  }

  private static String text(Browser browser, By locator) {
    return browser.driver().findElement(locator).getText();
  }

  private static boolean catalogueLists(String pollId) {
    JsonNode items = alice.get("/api/polls?limit=50").json().get("items");
    for (JsonNode item : items) {
      if (item.get("id").asText().equals(pollId)) {
        return true;
      }
    }
    return false;
  }

  private static String quote(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String decodeQr(Path screenshot) throws Exception {
    BufferedImage image = ImageIO.read(screenshot.toFile());
    Result result = new MultiFormatReader().decode(
        new BinaryBitmap(new HybridBinarizer(new BufferedImageLuminanceSource(image))));
    return result.getText();
  }
}
