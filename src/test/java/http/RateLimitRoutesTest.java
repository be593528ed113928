package http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import auth.Tokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import server.LivepollServer;
import support.ApiClient;
import support.TestConfig;

/** The edge's rate limits on a real server: 429 with Retry-After, and nothing behind the limit is touched. */
class RateLimitRoutesTest {
  private static LivepollServer server;
  private static ApiClient api;
  private static final Tokens TOKENS = TestConfig.tokens();

  @BeforeAll
  static void startServer() {
    // rates so slow that no bucket refills during the test
    server = LivepollServer.startNode(TestConfig.inMemory("""
        livepoll.limits.requests-per-address { per-second = 0.001, burst = 60 }
        livepoll.limits.voters-per-address { per-second = 0.001, burst = 3 }
        livepoll.limits.ballots-per-voter { per-second = 0.001, burst = 2 }
        """));
    api = new ApiClient(server.httpPort());
  }

  @AfterAll
  static void stopServer() {
    server.stop();
  }

  @Test
  void ballotsOverTheVoterLimitAre429AndUncounted() {
    // one test walks all three limits in order: they share the one client address of this machine
    String pollId = ApiClient.createdId(api.as(TOKENS.organizer("rita", false)).post("/api/polls",
        "{\"question\":\"Limits?\",\"options\":[\"a\",\"b\"],\"allowVoteChange\":true}"));
    ApiClient voter = api.as(TOKENS.newVoter().token());
    assertEquals(200, voter.post("/api/polls/" + pollId + "/ballots", "{\"choices\":[0]}").status());
    assertEquals(200, voter.post("/api/polls/" + pollId + "/ballots", "{\"choices\":[1]}").status());
    assertTooMany(voter.post("/api/polls/" + pollId + "/ballots", "{\"choices\":[0]}"));
    assertTooMany(voter.delete("/api/polls/" + pollId + "/ballots/me"));
    String view = api.get("/api/polls/" + pollId).body();
    assertTrue(view.contains("{\"index\":1,\"label\":\"b\",\"votes\":1}"), "the limited change is not counted: " + view);

    // another voter has a bucket of their own
    assertEquals(200, api.as(TOKENS.newVoter().token()).post("/api/polls/" + pollId + "/ballots",
        "{\"choices\":[0]}").status());

    for (int i = 0; i < 3; i++) {
      assertEquals(201, api.post("/api/voters", "").status(), "sign-up " + i + " is within the burst");
    }
    assertTooMany(api.post("/api/voters", ""));

    int served = 0;
    ApiClient.Reply last;
    do {
      last = api.get("/api/polls/" + pollId);
      served++;
    } while (last.status() == 200 && served < 200);
    assertTooMany(last);
    assertTrue(served <= 60, "the address limit of 60 requests held; it answered " + served);
  }

  private static void assertTooMany(ApiClient.Reply reply) {
    assertEquals(429, reply.status(), reply::toString);
    assertEquals("application/problem+json", reply.mediaType());
    assertEquals("/problems/rate-limited", reply.json().get("type").asText());
    assertTrue(Long.parseLong(reply.header("retry-after").orElseThrow()) >= 1, reply::toString);
  }
}
