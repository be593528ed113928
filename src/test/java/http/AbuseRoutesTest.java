package http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import auth.Tokens;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import server.LivepollServer;
import support.ApiClient;
import support.LiveSocketClient;
import support.TestConfig;

/**
 * The controls against abuse that organizers and admins hold, over HTTP on one in-memory node with small limits:
 * quotas on poll creation, recorded and revocable invites, sign-ups through join codes and their limits, invited
 * polls invisible to strangers, revocable tokens and live sockets that end with their token.
 */
class AbuseRoutesTest {
  private static final Tokens TOKENS = TestConfig.tokens();
  private static final String POLL = "{\"question\":\"Q?\",\"options\":[\"a\",\"b\"]}";
  private static final String INVITED = "{\"question\":\"Q?\",\"options\":[\"a\",\"b\"],\"audience\":\"invited\"}";
  private static final String JOINED = "{\"question\":\"Q?\",\"options\":[\"a\",\"b\"],\"audience\":\"joined\"}";
  private static final String BALLOT = "{\"choices\":[0]}";
  private static final int MAX_INVITES = 5;
  private static final int MAX_SIGN_UPS = 3;

  private static LivepollServer server;
  private static ApiClient api;
  private static ApiClient alice;
  private static ApiClient admin;

  @BeforeAll
  static void startServer() {
    server = LivepollServer.startNode(TestConfig.inMemory("""
        livepoll.limits.creations-per-organizer { per-minute = 1, burst = 30 }
        livepoll.poll.max-invites = %d
        livepoll.poll.max-sign-ups = %d
        livepoll.live.token-check-interval = 200ms
        """.formatted(MAX_INVITES, MAX_SIGN_UPS)));
    api = new ApiClient(server.httpPort());
    alice = api.as(TOKENS.organizer("alice", false));
    admin = api.as(TOKENS.organizer("root", true));
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.stop();
    }
  }

  // ------------------------------------------------------------------------------------------------------ quotas

  @Test
  void anOrganizerCreatingPollsTooFastIsRefused429WithRetryAfterAndOthersAreNot() {
    ApiClient greedy = api.as(TOKENS.organizer("greedy", false));
    for (int i = 0; i < 30; i++) {
      assertEquals(201, greedy.post("/api/polls", POLL).status());
    }
    ApiClient.Reply refused = greedy.post("/api/polls", POLL);
    assertProblem(refused, 429, "rate-limited");
    assertTrue(Integer.parseInt(refused.header("retry-after").orElseThrow()) >= 1, refused::toString);
    assertEquals(201, api.as(TOKENS.organizer("modest", false)).post("/api/polls", POLL).status());
  }

  // ----------------------------------------------------------------------------------------------------- invites

  @Test
  void invitesAreRecordedListedToTheOwnerAndRevocable() {
    String id = created(alice.post("/api/polls", INVITED));
    JsonNode minted = json(alice.post("/api/polls/" + id + "/invites", "{\"count\":2}"), 201);
    String kept = minted.get("invites").get(0).get("token").asText();
    String revokedId = minted.get("invites").get(1).get("voterId").asText();
    String revoked = minted.get("invites").get(1).get("token").asText();

    JsonNode listed = json(alice.get("/api/polls/" + id + "/invites"), 200);
    assertEquals(2, listed.get("invited").asInt());
    assertEquals(2, listed.get("admissions").size());
    assertEquals("alice", listed.get("admissions").get(0).get("by").asText());
    assertNotNull(listed.get("admissions").get(0).get("at").asText(null));
    assertProblem(api.as(TOKENS.organizer("mallory", false)).get("/api/polls/" + id + "/invites"), 403, null);

    assertEquals(204, alice.delete("/api/polls/" + id + "/invites/" + revokedId).status());
    // the voter's token is revoked with the admission; the poll refuses the voter all the same (PollAdmissionsTest)
    ApiClient.Reply ballot = api.as(revoked).post("/api/polls/" + id + "/ballots", BALLOT);
    assertProblem(ballot, 401, "invalid-token");
    assertTrue(ballot.body().contains("revoked"), ballot::toString);
    assertProblem(api.as(revoked).get("/api/polls/" + id), 401, "invalid-token");
    assertEquals(200, api.as(kept).post("/api/polls/" + id + "/ballots", BALLOT).status());
    JsonNode after = json(alice.get("/api/polls/" + id + "/invites"), 200);
    JsonNode revokedOne = null;
    for (JsonNode admission : after.get("admissions")) {
      if (admission.get("voterId").asText().equals(revokedId)) {
        revokedOne = admission;
      }
    }
    assertNotNull(revokedOne, after::toString);
    assertEquals("alice", revokedOne.get("revokedBy").asText());
    assertNotNull(revokedOne.get("revokedAt").asText(null));
    assertEquals(1, json(alice.get("/api/polls/" + id), 200).get("totalBallots").asInt());
  }

  @Test
  void aRevokedInviteCannotOpenALiveSocketAndTheOneItHeldCloses() throws Exception {
    String id = created(alice.post("/api/polls", INVITED));
    JsonNode invite = json(alice.post("/api/polls/" + id + "/invites", "{\"count\":1}"), 201).get("invites").get(0);
    Frames held = LiveSocketClient.open(server.httpPort(), id, invite.get("token").asText(), new Frames());
    assertEquals("snapshot", held.next().get("type").asText());

    assertEquals(204, alice.delete("/api/polls/" + id + "/invites/" + invite.get("voterId").asText()).status());

    // the revocation is a new version of the poll, so its tally may come first; the socket's last frame is the error
    JsonNode last = held.next();
    while ("tally".equals(last.get("type").asText())) {
      last = held.next();
    }
    JsonNode closing = last;
    assertEquals("error", closing.get("type").asText(), closing::toString);
    assertTrue(closing.get("detail").asText().contains("revoked"), closing::toString);
    held.closed.get(5, TimeUnit.SECONDS);

    AssertionError refused = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
        () -> LiveSocketClient.open(server.httpPort(), id, invite.get("token").asText(), new Frames()));
    Throwable handshake = refused.getCause().getCause();
    assertTrue(handshake instanceof java.net.http.WebSocketHandshakeException, () -> String.valueOf(handshake));
    // its token is revoked with the admission: refused before the poll is asked
    assertEquals(401, ((java.net.http.WebSocketHandshakeException) handshake).getResponse().statusCode());
  }

  @Test
  void invitesPerPollAreCapped() {
    String id = created(alice.post("/api/polls", INVITED));
    json(alice.post("/api/polls/" + id + "/invites", "{\"count\":" + (MAX_INVITES - 1) + "}"), 201);
    assertProblem(alice.post("/api/polls/" + id + "/invites", "{\"count\":2}"), 409, "limit-reached");
    json(alice.post("/api/polls/" + id + "/invites", "{\"count\":1}"), 201);
    assertProblem(alice.post("/api/polls/" + id + "/invites", "{\"count\":1}"), 409, "limit-reached");
  }

  // ---------------------------------------------------------------------------------------------------- privacy

  @Test
  void anInvitedPollIsA404ToAnyoneButItsOwnerAdminsAndInvitees() {
    String id = created(alice.post("/api/polls", INVITED));
    String invite = json(alice.post("/api/polls/" + id + "/invites", "{\"count\":1}"), 201)
        .get("invites").get(0).get("token").asText();
    String otherPoll = created(alice.post("/api/polls", INVITED));
    String otherInvite = json(alice.post("/api/polls/" + otherPoll + "/invites", "{\"count\":1}"), 201)
        .get("invites").get(0).get("token").asText();
    String unknown = json(api.get("/api/polls/abcdefabcdef"), 404).toString();

    for (ApiClient stranger : List.of(api, api.as(TOKENS.newVoter().token()), api.as(otherInvite),
        api.as(TOKENS.organizer("mallory", false)))) {
      for (String path : List.of("", "/rounds", "/join", "/qr.svg")) {
        ApiClient.Reply reply = stranger.get("/api/polls/" + id + path);
        assertProblem(reply, 404, "unknown-poll");
        assertEquals(unknown.replace("abcdefabcdef", id), reply.json().toString(),
            "the same answer as for a poll that does not exist");
      }
    }
    JsonNode invitee = json(api.as(invite).get("/api/polls/" + id), 200);
    assertFalse(invitee.has("owner"), invitee::toString);
    assertEquals("alice", json(alice.get("/api/polls/" + id), 200).get("owner").asText());
    assertEquals("alice", json(admin.get("/api/polls/" + id), 200).get("owner").asText());
  }

  @Test
  void anonymousViewsAndSocketsDoNotNameTheOwner() {
    String id = created(alice.post("/api/polls", POLL));
    assertFalse(json(api.get("/api/polls/" + id), 200).has("owner"));
    assertFalse(json(api.as(TOKENS.newVoter().token()).get("/api/polls/" + id), 200).has("owner"));
    Frames frames = LiveSocketClient.open(server.httpPort(), id, null, new Frames());
    JsonNode snapshot = frames.next();
    frames.abort();
    assertEquals("snapshot", snapshot.get("type").asText());
    assertFalse(snapshot.get("poll").has("owner"), snapshot::toString);
  }

  // ---------------------------------------------------------------------------------------------------- sign-ups

  @Test
  void votersSignUpThroughTheJoinCodeUpToThePollsLimitAndTheOwnerSeesHowMany() {
    JsonNode poll = json(alice.post("/api/polls", POLL), 201);
    String id = poll.get("id").asText();
    String code = poll.get("joinCode").asText();

    JsonNode joined = json(api.post("/api/join/" + code.toLowerCase() + "/voters", "{}"), 201);
    assertEquals(id, joined.get("pollId").asText());
    assertEquals(200, api.as(joined.get("token").asText()).post("/api/polls/" + id + "/ballots", BALLOT).status());
    for (int i = 1; i < MAX_SIGN_UPS; i++) {
      json(api.post("/api/join/" + code + "/voters", "{}"), 201);
    }
    assertProblem(api.post("/api/join/" + code + "/voters", "{}"), 409, "limit-reached");
    assertEquals(MAX_SIGN_UPS, json(alice.get("/api/polls/" + id), 200).get("votersJoined").asInt());
    assertFalse(json(api.get("/api/polls/" + id), 200).has("votersJoined"));
    assertEquals(MAX_SIGN_UPS, json(alice.get("/api/polls/" + id + "/sign-ups"), 200).get("admissions").size());
    assertProblem(api.post("/api/join/ZZZZZZ/voters", "{}"), 404, "unknown-join-code");
    assertProblem(api.post("/api/join/not-a-code/voters", "{}"), 404, "unknown-join-code");
  }

  @Test
  void aJoinCodeOnlyPollTakesBallotsOnlyFromItsSignUps() {
    JsonNode poll = json(alice.post("/api/polls", JOINED), 201);
    String id = poll.get("id").asText();
    assertProblem(api.as(TOKENS.newVoter().token()).post("/api/polls/" + id + "/ballots", BALLOT), 403,
        "not-invited");
    String token = json(api.post("/api/join/" + poll.get("joinCode").asText() + "/voters", "{}"), 201)
        .get("token").asText();
    assertEquals(200, api.as(token).post("/api/polls/" + id + "/ballots", BALLOT).status());
    assertEquals(1, json(api.get("/api/polls/" + id), 200).get("totalBallots").asInt());
  }

  @Test
  void anInvitedPollsJoinCodeLeadsNowhereAndTakesNoSignUps() {
    JsonNode poll = json(alice.post("/api/polls", INVITED), 201);
    String code = poll.get("joinCode").asText();
    assertProblem(api.get("/api/join/" + code), 404, "unknown-join-code");
    assertProblem(api.post("/api/join/" + code + "/voters", "{}"), 404, "unknown-join-code");
  }

  // ------------------------------------------------------------------------------------------------------ tokens

  @Test
  void anOrganizerRevokesTheirOwnTokensAndAnAdminAnyones() throws Exception {
    String leaked = TOKENS.organizer("leaky", false);
    ApiClient leaky = api.as(leaked);
    assertEquals(201, leaky.post("/api/polls", POLL).status());
    assertProblem(leaky.post("/api/tokens/revocations", "{\"subject\":\"alice\"}"), 403, "not-your-tokens");
    assertProblem(leaky.post("/api/tokens/revocations", "{\"subject\":\"bad subject!\"}"), 400, "invalid-subject");

    JsonNode revoked = json(leaky.post("/api/tokens/revocations", "{\"subject\":\"leaky\"}"), 200);
    assertEquals("leaky", revoked.get("subject").asText());
    ApiClient.Reply refused = leaky.post("/api/polls", POLL);
    assertProblem(refused, 401, "invalid-token");
    assertTrue(refused.body().contains("revoked"), refused::toString);
    // a token minted after the revocation (tokens count whole seconds) holds
    Thread.sleep(1100);
    assertEquals(201, api.as(TOKENS.organizer("leaky", false)).post("/api/polls", POLL).status());

    String victim = TOKENS.organizer("victim", false);
    json(admin.post("/api/tokens/revocations", "{\"subject\":\"victim\"}"), 200);
    assertProblem(api.as(victim).get("/api/polls/abcdefabcdef"), 401, "invalid-token");
  }

  /**
   * The node that answered a revocation refuses the token from its very next request: its copy of the list is
   * updated before the answer leaves, not when the topic brings the news a moment later (which once let a request
   * sent right after the 200 through). A race, so asked many times.
   */
  @Test
  void aRevokedTokenIsRefusedByTheNextRequestRightAfterTheAnswer() {
    for (int i = 0; i < 30; i++) {
      String leaked = TOKENS.organizer("hasty-" + i, false);
      json(api.as(leaked).post("/api/tokens/revocations", "{\"subject\":\"hasty-" + i + "\"}"), 200);
      assertProblem(api.as(leaked).post("/api/polls", POLL), 401, "invalid-token");
    }
  }

  @Test
  void aLiveSocketClosesWithAnErrorFrameWhenItsTokenIsRevoked() throws Exception {
    String id = created(alice.post("/api/polls", POLL));
    String token = TOKENS.organizer("watcher", false);
    Frames frames = LiveSocketClient.open(server.httpPort(), id, token, new Frames());
    assertEquals("snapshot", frames.next().get("type").asText());

    json(api.as(token).post("/api/tokens/revocations", "{\"subject\":\"watcher\"}"), 200);

    JsonNode last = frames.next();
    assertEquals("error", last.get("type").asText(), last::toString);
    assertEquals(401, last.get("status").asInt(), last::toString);
    assertTrue(last.get("detail").asText().contains("revoked"), last::toString);
    frames.closed.get(5, TimeUnit.SECONDS);
  }

  @Test
  void aLiveSocketClosesWithAnErrorFrameWhenItsTokenExpires() throws Exception {
    String id = created(alice.post("/api/polls", POLL));
    Tokens shortLived = new Tokens(TestConfig.AUTH_SECRET.getBytes(StandardCharsets.UTF_8),
        new Tokens.Lifetimes(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(2)), Clock.systemUTC());
    Frames frames = LiveSocketClient.open(server.httpPort(), id, shortLived.newVoter().token(), new Frames());
    assertEquals("snapshot", frames.next().get("type").asText());

    JsonNode last = frames.next();
    assertEquals("error", last.get("type").asText(), last::toString);
    assertTrue(last.get("detail").asText().contains("expired"), last::toString);
    frames.closed.get(5, TimeUnit.SECONDS);
  }

  // ----------------------------------------------------------------------------------------------------- helpers

  /** Keeps a socket's frames. */
  static final class Frames extends LiveSocketClient {
    private final LinkedBlockingQueue<Frame> frames = new LinkedBlockingQueue<>();

    @Override
    protected void onFrame(Frame frame) {
      frames.add(frame);
    }

    JsonNode next() {
      Frame frame = pollUntil(frames, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
      assertNotNull(frame, () -> "no frame within 10 s; closed: " + describeClose());
      return frame.json();
    }
  }

  private static String created(ApiClient.Reply reply) {
    return json(reply, 201).get("id").asText();
  }

  private static JsonNode json(ApiClient.Reply reply, int status) {
    assertEquals(status, reply.status(), () -> "unexpected reply: " + reply);
    return reply.json();
  }

  private static void assertProblem(ApiClient.Reply reply, int status, String type) {
    assertEquals(status, reply.status(), () -> "unexpected reply: " + reply);
    assertEquals("application/problem+json", reply.mediaType(), () -> "unexpected reply: " + reply);
    if (type != null) {
      assertEquals("/problems/" + type, reply.json().path("type").asText(), reply::toString);
    }
  }
}
