package http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import auth.Tokens;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import server.LivepollServer;
import support.ApiClient;
import support.TestConfig;

/**
 * {@code DELETE /api/polls/{id}} and {@code GET /api/audit} over real sockets against a single-node server on the
 * in-memory journal (which keeps a deleted poll as its tombstone event, and no audit log: reading it is 503 there;
 * the erasure from Cassandra and the audit log's answers are DeletionIT's).
 */
class DeleteRoutesTest {
  private static final Tokens TOKENS = TestConfig.tokens();
  private static final String POLL = "{\"question\":\"Delete me?\",\"options\":[\"yes\",\"no\"]}";

  private static LivepollServer server;
  private static ApiClient api;
  private static ApiClient owner;
  private static ApiClient stranger;
  private static ApiClient admin;

  @BeforeAll
  static void start() {
    server = LivepollServer.startNode(TestConfig.inMemory("livepoll.http.ask-timeout = 3s"));
    api = new ApiClient(server.httpPort());
    owner = api.as(TOKENS.organizer("owner", false));
    stranger = api.as(TOKENS.organizer("stranger", false));
    admin = api.as(TOKENS.organizer("root", true));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.stop();
    }
  }

  private static String newPoll() {
    ApiClient.Reply created = owner.post("/api/polls", POLL);
    assertEquals(201, created.status(), created::toString);
    return ApiClient.createdId(created);
  }

  private static void assertProblem(ApiClient.Reply reply, int status, String type) {
    assertEquals(status, reply.status(), reply::toString);
    assertEquals("application/problem+json", reply.mediaType(), reply::toString);
    assertEquals(type, reply.json().get("type").asText().replaceAll(".*/", ""), reply::toString);
  }

  @Test
  void theOwnerDeletesWith204AndAgainWith204AndThePollIs404Everywhere() {
    String id = newPoll();
    String voter = TOKENS.newVoter().token();
    assertEquals(200, api.as(voter).post("/api/polls/" + id + "/ballots", "{\"choices\":[0]}").status());

    ApiClient.Reply deleted = owner.delete("/api/polls/" + id);
    assertEquals(204, deleted.status(), deleted::toString);
    assertEquals(0, deleted.bytes().length);
    assertEquals(204, owner.delete("/api/polls/" + id).status(), "idempotent");
    assertEquals(204, admin.delete("/api/polls/" + id).status(), "an admin too");

    assertProblem(api.get("/api/polls/" + id), 404, "unknown-poll");
    assertProblem(owner.get("/api/polls/" + id), 404, "unknown-poll");
    assertProblem(owner.get("/api/polls/" + id + "/rounds"), 404, "unknown-poll");
    assertProblem(owner.get("/api/polls/" + id + "/join"), 404, "unknown-poll");
    assertProblem(api.get("/api/polls/" + id + "/live"), 404, "unknown-poll");
    assertProblem(api.as(voter).post("/api/polls/" + id + "/ballots", "{\"choices\":[1]}"), 404, "unknown-poll");
    assertProblem(owner.post("/api/polls/" + id + "/close", ""), 404, "unknown-poll");
    assertProblem(owner.post("/api/polls/" + id + "/reveal", ""), 404, "unknown-poll");
    assertProblem(owner.post("/api/polls/" + id + "/invites", "{\"count\":1}"), 404, "unknown-poll");
    assertProblem(stranger.delete("/api/polls/" + id), 404, "unknown-poll");
  }

  @Test
  void anAdminDeletesAnyPoll() {
    String id = newPoll();
    assertEquals(204, admin.delete("/api/polls/" + id).status());
    assertProblem(owner.get("/api/polls/" + id), 404, "unknown-poll");
  }

  @Test
  void anyoneElseIsToldThereIsNoSuchPollAndThePollStays() {
    String id = newPoll();
    assertProblem(stranger.delete("/api/polls/" + id), 404, "unknown-poll");
    assertProblem(api.as(TOKENS.newVoter().token()).delete("/api/polls/" + id), 403, "organizer-token-required");
    assertProblem(api.delete("/api/polls/" + id), 401, "missing-token");
    assertProblem(api.as("not-a-token").delete("/api/polls/" + id), 401, "invalid-token");
    assertEquals(200, owner.get("/api/polls/" + id).status());
  }

  @Test
  void unknownAndMalformedIdsAre404() {
    assertProblem(owner.delete("/api/polls/abcdefabcdef"), 404, "unknown-poll");
    assertProblem(admin.delete("/api/polls/abcdefabcdef"), 404, "unknown-poll");
    assertProblem(admin.delete("/api/polls/NOT%20AN%20ID"), 404, "unknown-poll");
  }

  @Test
  void theAuditLogIsForAdminsWithValidParametersOnly() {
    assertProblem(api.get("/api/audit"), 401, "missing-token");
    assertProblem(owner.get("/api/audit"), 403, "admin-required");
    assertProblem(api.as(TOKENS.newVoter().token()).get("/api/audit"), 403, "organizer-token-required");
    assertProblem(admin.get("/api/audit?limit=0"), 400, "invalid-limit");
    assertProblem(admin.get("/api/audit?limit=201"), 400, "invalid-limit");
    assertProblem(admin.get("/api/audit?limit=ten"), 400, "invalid-limit");
    assertProblem(admin.get("/api/audit?since=yesterday"), 400, "invalid-since");
    assertProblem(admin.get("/api/audit?cursor=nonsense"), 400, "invalid-cursor");
    assertProblem(admin.get("/api/audit?cursor=YTE6bm90LWEtdXVpZA"), 400, "invalid-cursor");
    assertProblem(admin.get("/api/audit?pollId="), 400, "invalid-poll-id");
    assertProblem(admin.get("/api/audit?actor=" + "a".repeat(201)), 400, "invalid-actor");
    // well-formed, but this node keeps no audit log (in-memory journal)
    JsonNode unavailable = admin.get("/api/audit?since=2026-11-30T00:00:00Z&limit=5").json();
    assertEquals(503, unavailable.get("status").asInt(), unavailable::toString);
  }
}
