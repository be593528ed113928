package http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.zxing.BinaryBitmap;
import com.google.zxing.MultiFormatReader;
import com.google.zxing.client.j2se.BufferedImageLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import server.LivepollServer;
import support.ApiClient;
import support.TestConfig;

/**
 * Join codes over HTTP on a server (no browser): codes resolve while their poll is open, the join address and its
 * QR code. The pages' own routes are in {@link PagesTest}.
 */
class PagesRoutesTest {
  private static LivepollServer server;
  private static ApiClient api;
  private static ApiClient organizer;

  @BeforeAll
  static void startServer() {
    server = LivepollServer.startNode(TestConfig.inMemory(""));
    api = new ApiClient(server.httpPort());
    organizer = api.as(TestConfig.tokens().organizer("pages-owner", false));
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.stop();
    }
  }

  private static JsonNode newPoll() {
    ApiClient.Reply created = organizer.post("/api/polls", "{\"question\":\"Q?\",\"options\":[\"a\",\"b\"]}");
    assertEquals(201, created.status(), created::toString);
    return created.json();
  }

  @Test
  void everyPollGetsAJoinCodeThatLeadsToItWhileItIsOpen() {
    JsonNode poll = newPoll();
    String id = poll.get("id").asText();
    String code = poll.get("joinCode").asText();
    assertTrue(code.matches("[A-HJKMNP-Z2-9]{6}"), code);
    assertEquals(code, api.get("/api/polls/" + id).json().get("joinCode").asText(), "the view keeps the code");

    ApiClient.Reply joined = api.get("/api/join/" + code.toLowerCase());
    assertEquals(200, joined.status(), joined::toString);
    assertEquals(id, joined.json().get("pollId").asText());
    assertEquals(code, joined.json().get("code").asText());

    assertEquals(200, organizer.post("/api/polls/" + id + "/close", "").status());
    ApiClient.Reply closed = api.get("/api/join/" + code);
    assertEquals(404, closed.status(), closed::toString);
    assertEquals("application/problem+json", closed.mediaType());
    assertEquals(code, api.get("/api/polls/" + id).json().get("joinCode").asText(), "a closed poll keeps its code");
  }

  @Test
  void codesOfDifferentPollsDiffer() {
    java.util.Set<String> codes = new java.util.HashSet<>();
    for (int i = 0; i < 20; i++) {
      codes.add(newPoll().get("joinCode").asText());
    }
    assertEquals(20, codes.size());
  }

  @Test
  void unknownAndMalformedCodesAre404() {
    for (String code : List.of("ZZZZZZ", "0OIL11", "toolongcode", "%3Cscript%3E")) {
      assertEquals(404, api.get("/api/join/" + code).status(), code);
    }
  }

  @Test
  void theJoinAddressAndItsQrCodeLeadToTheVoterPage() throws Exception {
    JsonNode poll = newPoll();
    String id = poll.get("id").asText();
    JsonNode join = api.get("/api/polls/" + id + "/join").json();
    String expected = "http://127.0.0.1:" + server.httpPort() + "/p/" + poll.get("joinCode").asText();
    assertEquals(expected, join.get("url").asText());

    ApiClient.Reply svg = api.get("/api/polls/" + id + "/qr.svg");
    assertEquals(200, svg.status());
    assertEquals("image/svg+xml", svg.mediaType());
    assertEquals(expected, decode(svg.body()));
    assertEquals(404, api.get("/api/polls/abcdefabcdef/qr.svg").status());
  }

  @Test
  void thePublicAddressSettingWinsOverTheRequestsHost() {
    LivepollServer other = LivepollServer.startNode(TestConfig.inMemory(
        "livepoll.http.public-url = \"https://vote.example.org/\""));
    try {
      ApiClient otherApi = new ApiClient(other.httpPort());
      JsonNode poll = otherApi.as(TestConfig.tokens().organizer("o", false))
          .post("/api/polls", "{\"question\":\"Q?\",\"options\":[\"a\",\"b\"]}").json();
      assertEquals("https://vote.example.org/p/" + poll.get("joinCode").asText(),
          otherApi.get("/api/polls/" + poll.get("id").asText() + "/join").json().get("url").asText());
    } finally {
      other.stop();
    }
  }

  /** The SVG's unit squares drawn 8 px each, read as a camera would. */
  private static String decode(String svg) throws Exception {
    Matcher box = Pattern.compile("viewBox=\"0 0 (\\d+) (\\d+)\"").matcher(svg);
    assertTrue(box.find(), svg);
    int size = Integer.parseInt(box.group(1));
    int scale = 8;
    BufferedImage image = new BufferedImage(size * scale, size * scale, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    g.setColor(Color.BLACK);
    Matcher module = Pattern.compile("M(\\d+),(\\d+)h1v1h-1z").matcher(svg);
    while (module.find()) {
      g.fillRect(Integer.parseInt(module.group(1)) * scale, Integer.parseInt(module.group(2)) * scale, scale, scale);
    }
    g.dispose();
    return new MultiFormatReader().decode(
        new BinaryBitmap(new HybridBinarizer(new BufferedImageLuminanceSource(image)))).getText();
  }
}
