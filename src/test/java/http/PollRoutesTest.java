package http;

import static support.ApiAssertions.assertView;
import static support.ApiAssertions.assertProblem;
import static support.Views.votes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import auth.ForgedTokens;
import auth.Tokens;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import server.LivepollServer;
import support.ApiClient;
import support.TestConfig;

/**
 * The /api/polls HTTP contract, exercised over real sockets against a single-node server on the in-memory journal.
 * Every request carries the token its endpoint needs (the rules of tokens themselves are in {@link AuthRoutesTest}),
 * so that what is tested here is what comes after authentication: parsing, the poll's rules, transport limits.
 */
class PollRoutesTest {
  private static final int MAX_BODY_BYTES = 16 * 1024;
  private static final String UNKNOWN_ID = "abcdefabcdef";
  private static final String OWNER = "routes-owner";
  private static final String ORGANIZER_TOKEN = TestConfig.tokens().organizer(OWNER, false);
  private static final byte[] SECRET = TestConfig.AUTH_SECRET.getBytes(StandardCharsets.UTF_8);

  private static LivepollServer server;
  /** No credentials: reads, and requests that must fail before authentication matters. */
  private static ApiClient api;
  /** The owner of every poll these tests create. */
  private static ApiClient organizer;

  /** This test's voters by name, each {voterId, token} from POST /api/voters (JUnit makes an instance per test). */
  private final Map<String, JsonNode> voters = new HashMap<>();

  @BeforeAll
  static void startServer() {
    server = startServer("");
    api = new ApiClient(server.httpPort());
    organizer = api.as(ORGANIZER_TOKEN);
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.stop();
    }
  }

  /** A node on ephemeral ports with the in-memory journal. */
  private static LivepollServer startServer(String extraConfig) {
    return LivepollServer.startNode(TestConfig.inMemory(extraConfig + """

        # an in-memory node answers in milliseconds; a shorter wait keeps one hanging request from eating the run
        livepoll.http.ask-timeout = 3s
        """));
  }

  // ------------------------------------------------------------------------------------------------ create poll

  @Test
  void createReturns201WithLocationAndTheFullView() {
    Instant closesAt = Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    Instant before = Instant.now();
    ApiClient.Reply reply = organizer.post("/api/polls", json(
        "{'question':'  Best editor?  ','options':[' vim ','emacs','nano'],'kind':'multiple','maxChoices':2,"
            + "'allowVoteChange':true,'closesAt':'" + closesAt + "'}"));
    Instant after = Instant.now();

    JsonNode view = assertView(reply, 201);
    String id = view.get("id").asText();
    assertTrue(id.matches("[a-z0-9]{12}"), "id: " + id);
    assertEquals("/api/polls/" + id, reply.header("location").orElse(null));
    assertEquals("Best editor?", view.get("question").asText(), "the question is stored stripped");
    assertEquals("multiple", view.get("kind").asText());
    assertEquals(2, view.get("maxChoices").asInt());
    assertTrue(view.get("allowVoteChange").asBoolean());
    assertEquals("open", view.get("status").asText());
    assertEquals(OWNER, view.get("owner").asText(), "the owner is the token's organizer");
    assertEquals("public", view.get("audience").asText());
    Instant createdAt = Instant.parse(view.get("createdAt").asText());
    assertFalse(createdAt.isBefore(before) || createdAt.isAfter(after), "createdAt " + createdAt);
    assertEquals(closesAt, Instant.parse(view.get("closesAt").asText()));
    assertTrue(view.get("closedAt").isNull());
    assertEquals(List.of("vim", "emacs", "nano"), labels(view));
    assertEquals(List.of(0L, 0L, 0L), votes(view));
    for (int i = 0; i < 3; i++) {
      assertEquals(i, view.get("options").get(i).get("index").asInt());
    }
    assertEquals(0, view.get("totalBallots").asLong());

    assertEquals(view, assertView(organizer.get(reply.header("location").orElseThrow()), 200), "GET of Location");
  }

  /** A client that got no answer (a 503, a lost connection) creates again with the same key: still one poll. */
  @Test
  void createWithAnIdempotencyKeyCreatesOnePollPerKeyAndOrganizer() {
    String key = java.util.UUID.randomUUID().toString();
    String body = json("{'question':'Once?','options':['a','b']}");
    ApiClient.Reply first = organizer.postWithKey("/api/polls", key, body);
    JsonNode created = assertCreated(first);
    String id = created.get("id").asText();
    assertView(vote(id, "v1", 1), 200);

    ApiClient.Reply again = organizer.postWithKey("/api/polls", key, body);
    JsonNode repeated = assertCreated(again);
    assertEquals(id, repeated.get("id").asText(), "the repeat names the poll the first request created");
    assertEquals(first.header("location"), again.header("location"));
    assertEquals(created.get("joinCode"), repeated.get("joinCode"));
    assertEquals(List.of(0L, 1L), votes(repeated), "the repeat answers with the poll as it stands");

    String otherOrganizer = TestConfig.tokens().organizer("someone-else", false);
    String theirs = assertCreated(api.as(otherOrganizer).postWithKey("/api/polls", key, body)).get("id").asText();
    assertFalse(id.equals(theirs), "a key is the organizer's own: another organizer's key names another poll");
    assertProblem(organizer.postWithKey("/api/polls", key, json("{'question':'Another?','options':['a','b']}")),
        409, "poll-exists");
    assertProblem(organizer.postWithKey("/api/polls", "short", body), 400, "invalid-idempotency-key");
    String other = assertCreated(organizer.postWithKey("/api/polls", java.util.UUID.randomUUID().toString(), body))
        .get("id").asText();
    assertFalse(id.equals(other), "a new key, a new poll");
  }

  @Test
  void createFillsInDefaultsForOptionalFields() {
    JsonNode view = createPoll(json("{'question':'Lunch?','options':['pizza','sushi']}"));
    assertEquals("single", view.get("kind").asText());
    assertEquals(1, view.get("maxChoices").asInt());
    assertFalse(view.get("allowVoteChange").asBoolean());
    assertTrue(view.get("closesAt").isNull());
    assertEquals("public", view.get("audience").asText(), "a poll is public unless it says otherwise");

    JsonNode multiple = createPoll(json("{'question':'Toppings?','options':['a','b','c'],'kind':'multiple'}"));
    assertEquals(3, multiple.get("maxChoices").asInt(), "maxChoices of a multiple poll defaults to all options");
  }

  static Stream<Arguments> invalidPolls() {
    String past = Instant.now().minus(1, ChronoUnit.MINUTES).toString();
    String options33 = String.join(",", java.util.stream.IntStream.range(0, 33).mapToObj(i -> "'o" + i + "'").toList());
    return Stream.of(
        Arguments.of("{'question':'Q?','options':['only']}", "options must hold"),
        Arguments.of("{'question':'Q?','options':[]}", "options must hold"),
        Arguments.of("{'question':'Q?'}", "options must hold"),
        Arguments.of("{'question':'Q?','options':[" + options33 + "]}", "options must hold"),
        Arguments.of("{'question':'   ','options':['a','b']}", "question is required"),
        Arguments.of("{'options':['a','b']}", "question is required"),
        Arguments.of("{'question':null,'options':['a','b']}", "question is required"),
        Arguments.of("{'question':'" + "q".repeat(501) + "','options':['a','b']}", "at most 500"),
        Arguments.of("{'question':'Q\\u0007?','options':['a','b']}", "control characters"),
        Arguments.of("{'question':'Q?','options':['Yes','no',' yes ']}", "repeats an earlier option"),
        Arguments.of("{'question':'Q?','options':['a','  ']}", "must not be empty"),
        Arguments.of("{'question':'Q?','options':['a',null]}", "must not be empty"),
        Arguments.of("{'question':'Q?','options':['a','" + "o".repeat(201) + "']}", "at most 200"),
        Arguments.of("{'question':'Q?','options':['a','b'],'closesAt':'" + past + "'}", "must be in the future"),
        Arguments.of("{'question':'Q?','options':['a','b'],'maxChoices':2}", "maxChoices must be 1"),
        Arguments.of("{'question':'Q?','options':['a','b'],'kind':'single','maxChoices':0}", "maxChoices must be 1"),
        Arguments.of("{'question':'Q?','options':['a','b'],'kind':'multiple','maxChoices':0}", "must be between"),
        Arguments.of("{'question':'Q?','options':['a','b'],'kind':'multiple','maxChoices':3}", "must be between"),
        Arguments.of("{'question':'Q?','options':['a','b'],'kind':'multiple','maxChoices':-1}", "must be between"));
  }

  @ParameterizedTest
  @MethodSource("invalidPolls")
  void invalidPollIs400(String body, String detail) {
    JsonNode problem = assertProblem(organizer.post("/api/polls", json(body)), 400, "invalid-poll");
    assertTrue(problem.get("detail").asText().contains(detail), "detail: " + problem.get("detail"));
  }

  /** Lone UTF-16 surrogates are legal JSON escapes but no text: the poll must refuse them, not fail to store them. */
  @ParameterizedTest
  @ValueSource(strings = {
      "{'question':'Q\\ud800?','options':['a','b']}", "{'question':'Q?','options':['\\udc00','b']}"})
  void loneSurrogateEscapeIs400(String body) {
    assertProblem(organizer.post("/api/polls", json(body)), 400, null);
  }

  // --------------------------------------------------------------------------------------------------- get poll

  @Test
  void unknownWellFormedIdIs404() {
    JsonNode problem = assertProblem(api.get("/api/polls/" + UNKNOWN_ID), 404, "unknown-poll");
    assertTrue(problem.get("detail").asText().contains(UNKNOWN_ID));
  }

  /** Ids that can never exist, on every endpoint that takes one (with the right token): 404 problem, never a 5xx. */
  @ParameterizedTest
  @ValueSource(strings = {
      "abc", "abcdefabcdefa", "ABCDEFABCDEF", "abcdef-bcdef", "..%2F..%2Fetc", "..%2F..%2F..%2Fetc%2Fpasswd",
      "%2e%2e", "%C3%A9t%C3%A9abcdefgh", "%F0%9F%98%80%F0%9F%98%80abcd", "abcdef%00bcdef", "%FF%FE", "%20"})
  void malformedIdIs404Everywhere(String encodedId) {
    String base = "/api/polls/" + encodedId;
    assertProblem(api.get(base), 404, null);
    assertProblem(voter("v1").post(base + "/ballots", json("{'choices':[0]}")), 404, null);
    assertProblem(voter("v1").delete(base + "/ballots/me"), 404, null);
    assertProblem(organizer.post(base + "/close", ""), 404, null);
    assertProblem(organizer.post(base + "/invites", json("{'count':1}")), 404, null);
  }

  @Test
  void veryLongIdIs404() {
    assertProblem(api.get("/api/polls/" + "a".repeat(1000)), 404, "unknown-poll");
  }

  @Test
  void aBurstOfRequestsStartsNoThreadPerRequest() {
    // The JDK runs a CompletableFuture's async callbacks without an executor on its common pool, or on a new thread
    // each when that pool has one thread (2 cores; surefire pins it so for every run). Pekko's Java futures make even
    // thenApply async: every callback of the request path must name its executor.
    String id = newPoll(json("{'question':'Threads?','options':['a','b']}"));
    for (int i = 0; i < 50; i++) {
      assertView(vote(id, "warm-" + i, i % 2), 200);
    }
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    long before = threads.getTotalStartedThreadCount();
    for (int i = 0; i < 150; i++) {
      assertView(vote(id, "burst-" + i, i % 2), 200);
      assertView(api.get("/api/polls/" + id), 200);
    }
    long started = threads.getTotalStartedThreadCount() - before;
    assertTrue(started < 30, started + " threads started for 300 requests (and 150 voter sign-ups)");
  }

  // ---------------------------------------------------------------------------------------------------- ballots

  @Test
  void ballotIsCountedAndVisible() {
    String id = newPoll(json("{'question':'Q?','options':['a','b','c']}"));
    JsonNode view = assertView(vote(id, "voter-1", 1), 200);
    assertEquals(List.of(0L, 1L, 0L), votes(view));
    assertEquals(1, view.get("totalBallots").asLong());

    assertView(vote(id, "voter-2", 1), 200);
    JsonNode now = view(id);
    assertEquals(List.of(0L, 2L, 0L), votes(now));
    assertEquals(2, now.get("totalBallots").asLong());
  }

  @Test
  void identicalResendIsAcceptedAndCountedOnce() {
    String id = newPoll(json("{'question':'Q?','options':['a','b','c'],'kind':'multiple'}"));
    assertView(vote(id, "v1", 2, 0), 200);
    // Same choices in another order are the same ballot.
    JsonNode again = assertView(vote(id, "v1", 0, 2), 200);
    assertEquals(List.of(1L, 0L, 1L), votes(again));
    assertEquals(1, again.get("totalBallots").asLong());
    assertEquals(1, view(id).get("totalBallots").asLong());
  }

  @Test
  void differentBallotWithoutVoteChangeIs409AndKeepsTheFirst() {
    String id = newPoll(json("{'question':'Q?','options':['a','b']}"));
    assertView(vote(id, "v1", 0), 200);
    assertProblem(vote(id, "v1", 1), 409, "already-voted");
    assertEquals(List.of(1L, 0L), votes(view(id)));
  }

  @Test
  void changedBallotMovesTheVoteWhenAllowed() {
    String id = newPoll(json("{'question':'Q?','options':['a','b'],'allowVoteChange':true}"));
    assertView(vote(id, "v1", 0), 200);
    JsonNode changed = assertView(vote(id, "v1", 1), 200);
    assertEquals(List.of(0L, 1L), votes(changed));
    assertEquals(1, changed.get("totalBallots").asLong());
  }

  /** A ballot numbered below the voter's latest counted one came late: 409, and the newer ballot stands. */
  @Test
  void aLateOlderNumberedBallotIs409AndTheNewerOneStands() {
    String id = newPoll(json("{'question':'Q?','options':['a','b','c'],'allowVoteChange':true}"));
    assertView(voter("v1").post("/api/polls/" + id + "/ballots", json("{'choices':[2],'seq':20}")), 200);
    assertProblem(voter("v1").post("/api/polls/" + id + "/ballots", json("{'choices':[0],'seq':19}")), 409,
        "stale-ballot");
    assertProblem(voter("v1").delete("/api/polls/" + id + "/ballots/me?seq=18"), 409, "stale-ballot");
    assertEquals(List.of(0L, 0L, 1L), votes(view(id)));
    assertEquals(List.of(1L, 0L, 0L), votes(assertView(
        voter("v1").post("/api/polls/" + id + "/ballots", json("{'choices':[0],'seq':21}")), 200)));
    assertProblem(voter("v1").delete("/api/polls/" + id + "/ballots/me?seq=x"), 400, "invalid-ballot");
  }

  /** The server mints shorter ids, but the entity's voter-id rule still holds for whatever a valid token names. */
  @Test
  void longestValidVoterIdIsAccepted() {
    String id = newPoll(json("{'question':'Q?','options':['a','b']}"));
    String voterId = ("Az09._:-".repeat(16));
    assertEquals(128, voterId.length());
    ApiClient longest = api.as(voterTokenFor(voterId));
    assertView(longest.post("/api/polls/" + id + "/ballots", json("{'choices':[1]}")), 200);
    JsonNode again = assertView(
        longest.post("/api/polls/" + id + "/ballots", json("{'voterId':'" + voterId + "','choices':[1]}")), 200);
    assertEquals(1, again.get("totalBallots").asLong(), "the same voter, with or without voterId in the body");
  }

  /** The voter is the token's: a body may repeat its voterId, or say nothing of it (or null). */
  @ParameterizedTest
  @ValueSource(strings = {"{'voterId':'$me','choices':[1]}", "{'choices':[1]}", "{'voterId':null,'choices':[1]}"})
  void bodyVoterIdEqualToTheTokensOrAbsentIsAccepted(String body) {
    String id = newPoll(json("{'question':'Q?','options':['a','b']}"));
    JsonNode view = assertView(voter("v1").post("/api/polls/" + id + "/ballots", ballotBody("v1", body)), 200);
    assertEquals(List.of(0L, 1L), votes(view));
  }

  /** Any voterId in the body other than the token's, well-formed or not, is refused before the poll sees it. */
  @ParameterizedTest
  @ValueSource(strings = {
      "{'voterId':'','choices':[0]}", "{'voterId':'has space','choices':[0]}", "{'voterId':'$vvv','choices':[0]}",
      "{'voterId':'v\u00fc','choices':[0]}", "{'voterId':'a/b','choices':[0]}", "{'voterId':'v1','choices':[0]}",
      "{'voterId':'$other','choices':[0]}", "{'voterId':'$me ','choices':[0]}", "{'voterId':'$ME','choices':[0]}"})
  void bodyVoterIdOtherThanTheTokensIs403AndNotCounted(String body) {
    String id = newPoll(json("{'question':'Q?','options':['a','b','c']}"));
    String sent = ballotBody("me", body).replace("$ME", voterIdOf("me").toUpperCase(java.util.Locale.ROOT))
        .replace("$other", voterIdOf("other")).replace("$vvv", "v".repeat(129));
    assertProblem(voter("me").post("/api/polls/" + id + "/ballots", sent), 403, "voter-mismatch");
    assertEquals(0, view(id).get("totalBallots").asLong());
  }

  /** A validly signed token naming a voter id the poll's rule refuses: 400, on casting and on retracting. */
  @ParameterizedTest
  @ValueSource(strings = {"has space", "v\u00fc", "a/b", "tab\t", "v\u0000"})
  void invalidVoterIdInATokenIs400AndNotCounted(String voterId) {
    assertInvalidVoterIdIs400(voterId);
  }

  @Test
  void voterIdOverTheLengthLimitInATokenIs400AndNotCounted() {
    assertInvalidVoterIdIs400("v".repeat(129));
  }

  private void assertInvalidVoterIdIs400(String voterId) {
    String id = newPoll(json("{'question':'Q?','options':['a','b'],'allowVoteChange':true}"));
    ApiClient forged = api.as(voterTokenFor(voterId));
    JsonNode cast = assertProblem(forged.post("/api/polls/" + id + "/ballots", json("{'choices':[0]}")), 400,
        "invalid-ballot");
    assertTrue(cast.get("detail").asText().contains("voterId"), "detail: " + cast.get("detail"));
    JsonNode retract = assertProblem(forged.delete("/api/polls/" + id + "/ballots/me"), 400, "invalid-ballot");
    assertTrue(retract.get("detail").asText().contains("voterId"), "detail: " + retract.get("detail"));
    assertEquals(0, view(id).get("totalBallots").asLong());
  }

  /** {@code $me} in a body stands for the voter id of the token the request carries. */
  static Stream<Arguments> invalidBallots() {
    return Stream.of(
        Arguments.of("single", "{'voterId':'$me','choices':[3]}", "option indexes from 0 to 2"),
        Arguments.of("single", "{'choices':[3]}", "option indexes from 0 to 2"),
        Arguments.of("single", "{'voterId':'$me','choices':[-1]}", "option indexes from 0 to 2"),
        Arguments.of("single", "{'voterId':'$me','choices':[2147483647]}", "option indexes from 0 to 2"),
        Arguments.of("single", "{'voterId':'$me','choices':[null]}", "option indexes"),
        Arguments.of("single", "{'voterId':'$me','choices':[]}", "at least one option"),
        Arguments.of("single", "{'voterId':'$me'}", "at least one option"),
        Arguments.of("single", "{}", "at least one option"),
        Arguments.of("single", "{'voterId':'$me','choices':null}", "at least one option"),
        Arguments.of("single", "{'voterId':'$me','choices':[0,1]}", "exactly one choice"),
        Arguments.of("multiple", "{'voterId':'$me','choices':[1,1]}", "distinct"),
        Arguments.of("multiple", "{'voterId':'$me','choices':[0,1,2]}", "at most 2 choices"),
        Arguments.of("multiple", "{'choices':[0,-3]}", "option indexes"));
  }

  @ParameterizedTest
  @MethodSource("invalidBallots")
  void invalidBallotIs400AndNotCounted(String kind, String body, String detail) {
    String id = newPoll(json("{'question':'Q?','options':['a','b','c'],'kind':'" + kind + "'"
        + ("multiple".equals(kind) ? ",'maxChoices':2" : "") + "}"));
    JsonNode problem = assertProblem(voter("v1").post("/api/polls/" + id + "/ballots", ballotBody("v1", body)), 400,
        "invalid-ballot");
    assertTrue(problem.get("detail").asText().contains(detail), "detail: " + problem.get("detail"));
    assertEquals(0, view(id).get("totalBallots").asLong());
  }

  @Test
  void unknownPollIs404OnEveryEndpoint() {
    String base = "/api/polls/" + UNKNOWN_ID;
    assertProblem(voter("v1").post(base + "/ballots", json("{'choices':[0]}")), 404, "unknown-poll");
    assertProblem(voter("v1").delete(base + "/ballots/me"), 404, "unknown-poll");
    assertProblem(organizer.post(base + "/close", ""), 404, "unknown-poll");
    assertProblem(organizer.post(base + "/invites", json("{'count':1}")), 404, "unknown-poll");
    // Asking must not have created it.
    assertProblem(api.get(base), 404, "unknown-poll");
  }

  // ------------------------------------------------------------------------------------------------- retraction

  @Test
  void retractionRemovesTheBallotOnce() {
    String id = newPoll(json("{'question':'Q?','options':['a','b'],'allowVoteChange':true}"));
    assertView(vote(id, "v1", 0), 200);
    assertView(vote(id, "v2", 1), 200);

    JsonNode retracted = assertView(voter("v1").delete("/api/polls/" + id + "/ballots/me"), 200);
    assertEquals(List.of(0L, 1L), votes(retracted));
    assertEquals(1, retracted.get("totalBallots").asLong());

    assertProblem(voter("v1").delete("/api/polls/" + id + "/ballots/me"), 404, "no-such-ballot");
    assertProblem(voter("never-voted").delete("/api/polls/" + id + "/ballots/me"), 404, "no-such-ballot");
    // A retracted voter may vote again.
    assertEquals(List.of(0L, 2L), votes(assertView(vote(id, "v1", 1), 200)));
  }

  @Test
  void retractionWithoutVoteChangeIs409() {
    String id = newPoll(json("{'question':'Q?','options':['a','b']}"));
    assertView(vote(id, "v1", 0), 200);
    assertProblem(voter("v1").delete("/api/polls/" + id + "/ballots/me"), 409, "vote-change-not-allowed");
    assertEquals(1, view(id).get("totalBallots").asLong());
  }

  // ------------------------------------------------------------------------------------------------------ close

  @Test
  void closeIs200AndIdempotent() {
    String id = newPoll(json("{'question':'Q?','options':['a','b'],'allowVoteChange':true}"));
    assertView(vote(id, "v1", 1), 200);

    Instant before = Instant.now();
    JsonNode closed = assertView(organizer.post("/api/polls/" + id + "/close", ""), 200);
    assertEquals("closed", closed.get("status").asText());
    Instant closedAt = Instant.parse(closed.get("closedAt").asText());
    assertFalse(closedAt.isBefore(before) || closedAt.isAfter(Instant.now()), "closedAt " + closedAt);
    assertEquals(List.of(0L, 1L), votes(closed));

    JsonNode again = assertView(organizer.post("/api/polls/" + id + "/close", ""), 200);
    assertEquals("closed", again.get("status").asText());
    assertEquals(closedAt, Instant.parse(again.get("closedAt").asText()), "closing again changes nothing");
    assertEquals("closed", view(id).get("status").asText());
  }

  @Test
  void closedPollRefusesChangesButAcknowledgesARetry() {
    String id = newPoll(json("{'question':'Q?','options':['a','b'],'allowVoteChange':true}"));
    assertView(vote(id, "v1", 1), 200);
    assertView(organizer.post("/api/polls/" + id + "/close", ""), 200);

    assertProblem(vote(id, "v2", 0), 409, "poll-closed");
    assertProblem(vote(id, "v1", 0), 409, "poll-closed");
    assertProblem(voter("v1").delete("/api/polls/" + id + "/ballots/me"), 409, "poll-closed");
    // A client retrying a ballot that was counted before the close must hear it was counted.
    JsonNode retry = assertView(vote(id, "v1", 1), 200);
    assertEquals(1, retry.get("totalBallots").asLong());
  }

  @Test
  void pollClosesByItselfAtClosesAt() {
    Instant closesAt = Instant.now().plusSeconds(2).truncatedTo(ChronoUnit.MILLIS);
    String id = newPoll(json("{'question':'Q?','options':['a','b'],'closesAt':'" + closesAt + "'}"));
    assertView(vote(id, "early", 0), 200);

    // Waiting for the clock, not for the server: any request after closesAt must see the poll closed.
    sleep(Duration.between(Instant.now(), closesAt).plusMillis(100));
    assertProblem(vote(id, "late", 0), 409, "poll-closed");
    JsonNode view = view(id);
    assertEquals("closed", view.get("status").asText());
    assertEquals(closesAt, Instant.parse(view.get("closedAt").asText()), "closedAt is the scheduled time");
    assertEquals(1, view.get("totalBallots").asLong());
  }

  // -------------------------------------------------------------------------------------------- malformed bodies

  @ParameterizedTest
  @ValueSource(strings = {
      "", "null", "[]", "[{'question':'Q?','options':['a','b']}]", "'text'", "42", "true", "{", "}",
      "{'question':'Q?','options':['a','b']", "{'question':'Q?','options':['a',", "{'question':'Q?','opt",
      "not json", "{'question':'Q?','options':['a','b'],}", "{'question':'Q?','options':['a','b']} {}",
      "{'question':'Q?','options':['a','b']}x", "/* c */ {'question':'Q?','options':['a','b']}",
      "{'question':'Q?','options':['a','b'],'allowVoteChange':'yes'}",
      "{'question':'Q?','options':['a','b'],'allowVoteChange':1}",
      "{'question':'Q?','options':['a','b'],'kind':'multiple','maxChoices':'2'}",
      "{'question':'Q?','options':['a','b'],'kind':'multiple','maxChoices':2.0}",
      "{'question':'Q?','options':['a','b'],'kind':'multiple','maxChoices':2147483648}",
      "{'question':'Q?','options':['a','b'],'kind':'multiple','maxChoices':-2147483649}",
      "{'question':'Q?','options':['a','b'],'kind':'multiple','maxChoices':123456789012345678901234567890123}",
      "{'question':'Q?','options':['a','b'],'kind':'multiple','maxChoices':NaN}",
      "{'question':5,'options':['a','b']}", "{'question':['Q?'],'options':['a','b']}",
      "{'question':'Q?','options':'a,b'}", "{'question':'Q?','options':[1,2]}",
      "{'question':'Q?','options':['a','b'],'kind':'SINGLE'}", "{'question':'Q?','options':['a','b'],'kind':0}",
      "{'question':'Q?','options':['a','b'],'kind':'both'}", "{'question':'Q?','options':['a','b'],'color':'red'}",
      "{'question':'Q?','options':['a','b'],'audience':'everyone'}",
      "{'question':'Q?','options':['a','b'],'audience':'INVITED'}",
      "{'question':'Q?','options':['a','b'],'audience':1}",
      "{'question':'Q?','options':['a','b'],'owner':'someone-else'}",
      "{'question':'Q?','question':'R?','options':['a','b']}",
      "{'question':'Q?','options':['a','b'],'closesAt':'tomorrow'}",
      "{'question':'Q?','options':['a','b'],'closesAt':'2030-01-01'}",
      "{'question':'Q\\x41','options':['a','b']}", "{'question':'Q\u0001','options':['a','b']}"})
  void malformedPollBodyIs400(String body) {
    assertProblem(organizer.post("/api/polls", json(body)), 400, "malformed-request");
  }

  @Test
  void singleQuotedJsonIs400() {
    assertProblem(organizer.post("/api/polls", "{'question':'Q?','options':['a','b']}"), 400, "malformed-request");
  }

  /** {@code $me} stands for the token's own voter id, so only the malformation is wrong with each body. */
  @ParameterizedTest
  @ValueSource(strings = {
      "{'voterId':'$me','choices':['1']}", "{'voterId':'$me','choices':[1.5]}", "{'voterId':'$me','choices':[1.0]}",
      "{'voterId':'$me','choices':[1e0]}", "{'voterId':7,'choices':[1]}", "{'voterId':'$me','choices':[true]}",
      "{'voterId':'$me','choices':1}", "{'voterId':'$me','choices':'1'}", "{'voterId':'$me','choices':[2147483648]}",
      "{'voterId':'$me','choices':[-2147483649]}",
      "{'voterId':'$me','choices':[99999999999999999999999999999999999]}",
      "{'voterId':'$me','choices':[0],'weight':2}", "{'voterId':'$me','voterId':'$me','choices':[0]}",
      "{'voterId':['$me'],'choices':[0]}", "[{'voterId':'$me','choices':[0]}]", "{'voterId':'$me','choices':[0]",
      "{'choices':[0],'invitedTo':'abcdefabcdef'}", "null", ""})
  void malformedBallotBodyIs400AndNotCounted(String body) {
    String id = newPoll(json("{'question':'Q?','options':['a','b']}"));
    assertProblem(voter("v1").post("/api/polls/" + id + "/ballots", ballotBody("v1", body)), 400,
        "malformed-request");
    assertEquals(0, view(id).get("totalBallots").asLong());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "null", "[]", "{'count':'3'}", "{'count':3.0}", "{'count':true}", "{'count':[3]}", "{'count':3,'x':1}",
      "{'count':2147483648}", "{'count':3,'count':4}", "{'count':3"})
  void malformedInvitesBodyIs400(String body) {
    String id = newPoll(json("{'question':'Q?','options':['a','b'],'audience':'invited'}"));
    assertProblem(organizer.post("/api/polls/" + id + "/invites", json(body)), 400, "malformed-request");
  }

  /** The limit is max-json-depth (16): one level more is refused by the parser itself, before any field check. */
  @Test
  void nestingIsLimitedToMaxJsonDepth() {
    JsonNode atLimit = assertProblem(organizer.post("/api/polls", nestedUnknownField(16)), 400, "malformed-request");
    assertTrue(atLimit.get("detail").asText().contains("unknown field 'x'"), "detail: " + atLimit.get("detail"));
    for (int depth : new int[] {17, 5000}) {
      JsonNode tooDeep = assertProblem(
          organizer.post("/api/polls", nestedUnknownField(depth)), 400, "malformed-request");
      assertTrue(tooDeep.get("detail").asText().contains("depth"), depth + ": " + tooDeep.get("detail"));
    }
  }

  /** A poll body with an unknown field whose value nests arrays so that the whole document is {@code depth} deep. */
  private static String nestedUnknownField(int depth) {
    int arrays = depth - 1;
    return json("{'question':'Q?','options':['a','b'],'x':" + "[".repeat(arrays) + "]".repeat(arrays) + "}");
  }

  /** Each is invalid UTF-8 (RFC 3629): stray bytes, an overlong '/', a cut sequence, a surrogate, beyond U+10FFFF. */
  @ParameterizedTest
  @ValueSource(strings = {"FFFE", "80", "C0AF", "E282", "EDA080", "F8888080", "F4908080", "C3"})
  void invalidUtf8Is400(String badBytesHex) {
    byte[] body = ApiClient.concat(
        "{\"question\":\"Q".getBytes(StandardCharsets.UTF_8),
        HexFormat.of().parseHex(badBytesHex),
        "\",\"options\":[\"a\",\"b\"]}".getBytes(StandardCharsets.UTF_8));
    assertProblem(organizer.post("/api/polls", ApiClient.JSON, body), 400, "malformed-request");
  }

  // ------------------------------------------------------------------------------------------- size and media type

  @Test
  void bodyOfExactlyMaxBodyBytesIsAccepted() {
    assertView(organizer.post("/api/polls", ApiClient.JSON, paddedPoll(MAX_BODY_BYTES)), 201);
  }

  @Test
  void bodyOneByteOverMaxBodyBytesIs413() {
    JsonNode problem = assertProblem(
        organizer.post("/api/polls", ApiClient.JSON, paddedPoll(MAX_BODY_BYTES + 1)), 413, "request-too-large");
    assertTrue(problem.get("detail").asText().contains(String.valueOf(MAX_BODY_BYTES)), problem.toString());
  }

  @Test
  void chunkedBodyOverMaxBodyBytesIs413() {
    assertProblem(organizer.postChunked("/api/polls", paddedPoll(4 * MAX_BODY_BYTES)), 413, "request-too-large");
  }

  @Test
  void ballotBodyOverMaxBodyBytesIs413AndNotCounted() {
    String id = newPoll(json("{'question':'Q?','options':['a','b']}"));
    String ballot = json("{'choices':[0]" + " ".repeat(MAX_BODY_BYTES) + "}");
    assertProblem(voter("v1").post("/api/polls/" + id + "/ballots", ballot), 413, "request-too-large");
    assertEquals(0, view(id).get("totalBallots").asLong());
  }

  /** A declared length over the limit (even over the transport's 1m) is refused without waiting for the bytes. */
  @ParameterizedTest
  @ValueSource(ints = {MAX_BODY_BYTES + 1, 100_000, 5_000_000})
  void declaredContentLengthOverMaxBodyBytesIs413(int declared) {
    byte[] request = ApiClient.concat(
        ApiClient.head("POST /api/polls HTTP/1.1", "Content-Type: application/json", "Content-Length: " + declared,
            "Authorization: Bearer " + ORGANIZER_TOKEN),
        paddedPoll(MAX_BODY_BYTES / 2));
    assertProblem(api.raw(request), 413, "request-too-large");
  }

  /** A client that stops mid-body is a client error (408), not a server failure. Takes the 10 s body timeout. */
  @Test
  void stalledBodyIs408() {
    byte[] request = ApiClient.concat(
        ApiClient.head("POST /api/polls HTTP/1.1", "Content-Type: application/json", "Content-Length: 100",
            "Authorization: Bearer " + ORGANIZER_TOKEN),
        "{\"question\"".getBytes(StandardCharsets.UTF_8));
    assertProblem(api.raw(request), 408, null);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "text/plain", "application/x-www-form-urlencoded", "application/xml", "application/octet-stream"})
  void nonJsonContentTypeIs415(String contentType) {
    byte[] body = json("{'question':'Q?','options':['a','b']}").getBytes(StandardCharsets.UTF_8);
    assertProblem(organizer.post("/api/polls", contentType, body), 415, "unsupported-media-type");
    String id = newPoll(json("{'question':'Q?','options':['a','b']}"));
    byte[] ballot = json("{'choices':[0]}").getBytes(StandardCharsets.UTF_8);
    assertProblem(voter("v1").post("/api/polls/" + id + "/ballots", contentType, ballot), 415,
        "unsupported-media-type");
    assertEquals(0, view(id).get("totalBallots").asLong());
  }

  @Test
  void missingContentTypeIs415() {
    String body = json("{'question':'Q?','options':['a','b']}");
    assertProblem(organizer.send("POST", "/api/polls", null, BodyPublishers.ofString(body)), 415,
        "unsupported-media-type");
  }

  @ParameterizedTest
  @ValueSource(strings = {"application/json; charset=utf-8", "application/vnd.livepoll+json"})
  void jsonContentTypeVariantsAreAccepted(String contentType) {
    byte[] body = json("{'question':'Q?','options':['a','b']}").getBytes(StandardCharsets.UTF_8);
    assertView(organizer.post("/api/polls", contentType, body), 201);
  }

  // ----------------------------------------------------------------------------------------- routing and transport

  @ParameterizedTest
  @ValueSource(strings = {
      "GET /api", "GET /api/pollz", "GET /p", "GET /p/ABC234/x", "GET /api/polls/" + UNKNOWN_ID + "/votes",
      "DELETE /api/polls/" + UNKNOWN_ID + "/ballots/v1", "DELETE /api/polls/" + UNKNOWN_ID + "/ballots/me/extra",
      "DELETE /api/polls/" + UNKNOWN_ID + "/ballots/v1/extra", "POST /api/polls/" + UNKNOWN_ID + "/close/now",
      "POST /api/polls/" + UNKNOWN_ID + "/invites/5/x", "POST /api/voters/v1", "GET /favicon.ico"})
  void unknownPathIs404(String request) {
    String[] methodAndPath = request.split(" ");
    assertProblem(api.send(methodAndPath[0], methodAndPath[1], null, null), 404, "not-found");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "PUT /api/polls/" + UNKNOWN_ID + " GET,DELETE", "POST /api/polls/" + UNKNOWN_ID + " GET,DELETE",
      "PUT /api/polls POST,GET",
      "PATCH /api/polls/" + UNKNOWN_ID + "/close POST", "GET /api/polls/" + UNKNOWN_ID + "/ballots POST",
      "GET /api/polls/" + UNKNOWN_ID + "/ballots/me DELETE", "PUT /api/polls/" + UNKNOWN_ID + "/invites POST,GET",
      "GET /api/polls/" + UNKNOWN_ID + "/invites/i1 DELETE",
      "GET /api/voters POST", "DELETE /api/voters POST"})
  void wrongMethodIs405WithAllow(String request) {
    String[] parts = request.split(" ");
    ApiClient.Reply reply = api.send(parts[0], parts[1], ApiClient.JSON, BodyPublishers.ofString("{}"));
    assertProblem(reply, 405, "method-not-allowed");
    assertEquals(parts[2], reply.header("allow").map(allow -> allow.replace(" ", "")).orElse(null));
  }

  /** Requests that are not valid HTTP never reach the routes; they must still be client errors, as problems. */
  @ParameterizedTest
  @ValueSource(strings = {"/api/polls/%ZZ", "/api/polls/\u00e9t\u00e9", "/api/polls/%%%", "api/polls"})
  void unparseableRequestTargetIs400(String target) {
    // Raw UTF-8 bytes on the wire: the head is written as ISO-8859-1, one char per byte.
    String onTheWire = new String(target.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    assertProblem(api.raw(ApiClient.head("GET " + onTheWire + " HTTP/1.1")), 400, null);
  }

  @Test
  void uriOverTheTransportLimitIs414() {
    assertProblem(api.raw(ApiClient.head("GET /api/polls/" + "a".repeat(5000) + " HTTP/1.1")), 414, null);
  }

  @Test
  void headerOverTheTransportLimitIsAClientErrorProblem() {
    ApiClient.Reply reply = api.raw(ApiClient.head("GET /api/polls/" + UNKNOWN_ID + " HTTP/1.1",
        "X-Padding: " + "p".repeat(20_000)));
    assertTrue(reply.status() >= 400 && reply.status() < 500, () -> "unexpected reply: " + reply);
    assertProblem(reply, reply.status(), null);
  }

  /** An Authorization header longer than the transport allows is refused as a client error, like any header. */
  @Test
  void tokenOverTheTransportLimitIsAClientErrorProblem() {
    ApiClient.Reply reply = api.raw(ApiClient.head("POST /api/polls/" + UNKNOWN_ID + "/close HTTP/1.1",
        "Content-Length: 0", "Authorization: Bearer " + "e".repeat(20_000)));
    assertTrue(reply.status() >= 400 && reply.status() < 500, () -> "unexpected reply: " + reply);
    assertProblem(reply, reply.status(), null);
  }

  // ------------------------------------------------------------------------------------------------------- busy

  @Test
  void fullPollQueueIs503WithRetryAfter() {
    LivepollServer busy = startServer("livepoll.poll.max-queued = 0\n");
    try {
      ApiClient busyApi = new ApiClient(busy.httpPort());
      ApiClient busyOrganizer = busyApi.as(ORGANIZER_TOKEN);
      ApiClient busyVoter = busyApi.as(TestConfig.tokens().newVoter().token());
      for (ApiClient.Reply reply : List.of(
          busyOrganizer.post("/api/polls", json("{'question':'Q?','options':['a','b']}")),
          busyApi.get("/api/polls/" + UNKNOWN_ID),
          busyVoter.post("/api/polls/" + UNKNOWN_ID + "/ballots", json("{'choices':[0]}")),
          busyVoter.delete("/api/polls/" + UNKNOWN_ID + "/ballots/me"),
          busyOrganizer.post("/api/polls/" + UNKNOWN_ID + "/close", ""))) {
        JsonNode problem = assertProblem(reply, 503, "unavailable");
        // The queue refused it; a 503 from an ask timeout would say something else.
        assertTrue(problem.get("detail").asText().contains("requests waiting"), problem.toString());
        String retryAfter = reply.header("retry-after").orElseThrow(() -> new AssertionError("no Retry-After"));
        assertTrue(Integer.parseInt(retryAfter) > 0, "Retry-After: " + retryAfter);
      }
    } finally {
      busy.stop();
    }
  }

  // ------------------------------------------------------------------------------------------------- robustness

  /**
   * Random bytes, JSON token soup and mutated valid bodies on every endpoint: 4xx or success, never a 5xx. Most
   * requests carry the token their endpoint needs, so the bytes reach the JSON parser and the poll; the rest carry
   * garbage, tampered, forged or misplaced tokens, which must be refused as cleanly.
   */
  @Test
  void randomRequestsNeverGet5xx() {
    Random random = new Random(20_261_123L);
    String publicId = newPoll(json(
        "{'question':'Q?','options':['a','b','c'],'kind':'multiple','allowVoteChange':true}"));
    String invitedId = newPoll(json(
        "{'question':'Q?','options':['a','b','c'],'kind':'multiple','allowVoteChange':true,'audience':'invited'}"));
    List<String> inviteTokens = new ArrayList<>();
    assertCreated(organizer.post("/api/polls/" + invitedId + "/invites", json("{'count':3}")))
        .get("invites").forEach(invite -> inviteTokens.add(invite.get("token").asText()));
    Tokens tokens = TestConfig.tokens();
    Credentials credentials = new Credentials(
        List.of(ORGANIZER_TOKEN, tokens.organizer("random-admin", true), tokens.organizer("someone-else", false)),
        List.of(tokens.newVoter().token(), tokens.newVoter().token(), voterTokenFor("v1"),
            inviteTokens.get(0), inviteTokens.get(1), inviteTokens.get(2)),
        List.of(
            new Tokens(SECRET, new Tokens.Lifetimes(Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1)),
                Clock.fixed(Instant.now().minus(2, ChronoUnit.DAYS), java.time.ZoneOffset.UTC)).newVoter().token(),
            ForgedTokens.unsigned(ForgedTokens.claims(OWNER, "organizer").build()),
            ForgedTokens.hmac("HS512", SECRET, ForgedTokens.claims(OWNER, "admin").build()),
            ForgedTokens.hmac("HS256", "another-key-of-at-least-32-bytes!".getBytes(StandardCharsets.UTF_8),
                ForgedTokens.claims(OWNER, "organizer").build()),
            ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims(OWNER, "root").build())));

    List<String> failures = new ArrayList<>();
    int parsed = 0;
    int unauthorized = 0;
    for (int i = 0; i < 400; i++) {
      RandomRequest request = RandomRequest.next(random, publicId, invitedId, credentials);
      ApiClient client = request.token() == null ? api : api.as(request.token());
      ApiClient.Reply reply = client.send(request.method(), request.path(), request.contentType(),
          request.body() == null ? null : BodyPublishers.ofByteArray(request.body()));
      boolean ok = reply.status() < 500
          && (reply.status() < 400 || "application/problem+json".equals(reply.mediaType()))
          && (reply.status() != 401 || reply.header("www-authenticate").orElse("").startsWith("Bearer"));
      if (!ok) {
        failures.add("#" + i + " " + request + " -> " + reply);
      }
      if (reply.status() == 400 && reply.body().contains("/problems/malformed-request")) {
        parsed++;
      } else if (reply.status() == 401) {
        unauthorized++;
      }
    }
    assertTrue(failures.isEmpty(), failures.size() + " bad responses:\n" + String.join("\n", failures));
    // Not vacuous: plenty of bodies got past authentication to the parser, and plenty of tokens were refused.
    assertTrue(parsed >= 80, "only " + parsed + " requests reached the JSON parser");
    assertTrue(unauthorized >= 50, "only " + unauthorized + " requests were refused as unauthenticated");
  }

  /** Tokens for the random requests: organizers (and an admin), voters (public and invited), and invalid ones. */
  private record Credentials(List<String> organizers, List<String> voters, List<String> invalid) {}

  /** One random request; {@code body} null means none, {@code token} null means no Authorization header. */
  private record RandomRequest(String method, String path, String contentType, byte[] body, String token) {
    private static final String[] TOKENS = {
        "{", "}", "[", "]", ",", ":", " ", "\"question\"", "\"options\"", "\"kind\"", "\"maxChoices\"",
        "\"allowVoteChange\"", "\"closesAt\"", "\"audience\"", "\"invited\"", "\"public\"", "\"voterId\"",
        "\"choices\"", "\"count\"", "\"single\"", "\"multiple\"", "\"a\"", "\"b\"", "\"\"", "\"v1\"", "true", "false",
        "null", "0", "1", "-1", "2", "1.5", "1e999", "-0", "99999999999999999999", "\"2030-01-01T00:00:00Z\"",
        "\"\\u00e9\"", "\"\\ud83d\\ude00\"", "\"\\n\"", "\"", "\\", "NaN", "'", "/*", "\u00e9"};
    private static final String CREATE =
        "{\"question\":\"Q?\",\"options\":[\"a\",\"b\",\"c\"],\"kind\":\"multiple\",\"maxChoices\":2,"
            + "\"allowVoteChange\":true,\"closesAt\":\"2099-01-01T00:00:00Z\",\"audience\":\"public\"}";
    private static final String BALLOT = "{\"voterId\":\"v1\",\"choices\":[0,2]}";
    private static final String INVITES = "{\"count\":3}";
    /** Values swapped into a valid body; lone surrogates are left to loneSurrogateEscapeIs400, which they fail. */
    private static final String[] VALUES = {
        "null", "true", "0", "-1", "3", "2147483647", "-2147483648", "1e3", "0.0", "\"\"", "\" \"", "\"\\u0000\"",
        "\"\\u00e9t\\u00e9\"", "\"\\ud83d\\ude00\"", "\"x\\ny\"", "\"\u2028\"", "[]", "[null]", "[0,0]", "[[0]]", "{}",
        "[\"a\",\"A\"]", "\"" + "z".repeat(600) + "\"", "\"1970-01-01T00:00:00Z\"", "\"+1000000000-12-31T23:59:59Z\"",
        "\"invited\"", "\"public\""};
    private static final String[] CONTENT_TYPES = {
        "text/plain", "application/x+json", "application/json; charset=utf-8", "application/json;", null};
    private static final String BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /** Mostly the right method and token on a real endpoint, so that the body gets parsed rather than refused. */
    static RandomRequest next(Random random, String publicId, String invitedId, Credentials credentials) {
      String contentType = random.nextInt(10) == 0 ? pick(random, CONTENT_TYPES) : ApiClient.JSON;
      String pollId = random.nextInt(3) == 0 ? invitedId : publicId;
      String organizer = token(random, pick(random, credentials.organizers()), credentials);
      String voter = token(random, pick(random, credentials.voters()), credentials);
      return switch (random.nextInt(12)) {
        case 0, 1, 2, 3 -> new RandomRequest("POST", "/api/polls", contentType, body(random, CREATE), organizer);
        case 4, 5, 6 -> new RandomRequest(
            "POST", "/api/polls/" + pollId + "/ballots", contentType, body(random, BALLOT), voter);
        case 7 -> new RandomRequest("DELETE", "/api/polls/" + pollId + "/ballots/"
            + (random.nextInt(4) == 0 ? randomSegment(random) : "me"), null, null, voter);
        case 8 -> new RandomRequest("GET", "/api/polls/" + randomSegment(random), null, null, null);
        case 9 -> new RandomRequest(
            "POST", "/api/polls/" + pollId + "/invites", contentType, body(random, INVITES), organizer);
        default -> new RandomRequest(pick(random, new String[] {"POST", "PUT", "PATCH", "DELETE"}),
            "/api/polls/" + randomSegment(random)
                + pick(random, new String[] {"", "/ballots", "/ballots/me", "/close", "/invites", "/x"}),
            contentType, body(random, pick(random, new String[] {BALLOT, INVITES})),
            random.nextBoolean() ? organizer : voter);
      };
    }

    /** The right token seven times in ten; otherwise none, garbage, a tampered one, or a forged or misplaced one. */
    private static String token(Random random, String right, Credentials credentials) {
      return switch (random.nextInt(10)) {
        case 0 -> null;
        case 1 -> garbageToken(random);
        case 2 -> tampered(random, right);
        case 3 -> random.nextBoolean() ? pick(random, credentials.invalid())
            : pick(random, random.nextBoolean() ? credentials.organizers() : credentials.voters());
        default -> right;
      };
    }

    /** Printable ASCII (what a header value may hold), sometimes shaped like a JWT. */
    private static String garbageToken(Random random) {
      StringBuilder token = new StringBuilder();
      int parts = random.nextBoolean() ? 3 : 1 + random.nextInt(5);
      for (int part = 0; part < parts; part++) {
        if (part > 0) {
          token.append('.');
        }
        for (int n = random.nextInt(60); n > 0; n--) {
          token.append(random.nextInt(4) == 0
              ? (char) (0x21 + random.nextInt(0x5e)) : BASE64URL.charAt(random.nextInt(BASE64URL.length())));
        }
      }
      return token.toString();
    }

    /** A valid token with one character changed, dropped or added: header, claims or signature. */
    private static String tampered(Random random, String token) {
      StringBuilder text = new StringBuilder(token);
      int at = random.nextInt(text.length());
      switch (random.nextInt(3)) {
        case 0 -> text.deleteCharAt(at);
        case 1 -> text.insert(at, BASE64URL.charAt(random.nextInt(BASE64URL.length())));
        default -> text.setCharAt(at, BASE64URL.charAt(random.nextInt(BASE64URL.length())));
      }
      return text.toString();
    }

    private static byte[] body(Random random, String template) {
      return switch (random.nextInt(3)) {
        case 0 -> randomBytes(random);
        case 1 -> tokenSoup(random);
        default -> mutated(random, template);
      };
    }

    private static byte[] randomBytes(Random random) {
      byte[] bytes = new byte[random.nextInt(300)];
      random.nextBytes(bytes);
      return bytes;
    }

    private static byte[] tokenSoup(Random random) {
      StringBuilder soup = new StringBuilder();
      for (int n = random.nextInt(40); n > 0; n--) {
        soup.append(pick(random, TOKENS));
      }
      return soup.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A valid body with up to three edits: either swapped values, which keep it JSON and probe the rules, or
     * character edits, which probe the parser. No edit at times, so valid requests are mixed in.
     */
    private static byte[] mutated(Random random, String template) {
      StringBuilder text = new StringBuilder(template);
      boolean swapValues = random.nextBoolean();
      for (int n = random.nextInt(4); n > 0 && text.length() > 0; n--) {
        int at = random.nextInt(text.length());
        if (swapValues) {
          replaceValueAfter(text, at, pick(random, VALUES));
          continue;
        }
        switch (random.nextInt(3)) {
          case 0 -> text.deleteCharAt(at);
          case 1 -> text.insert(at, pick(random, TOKENS));
          default -> text.setCharAt(at, (char) (0x20 + random.nextInt(0x5f)));
        }
      }
      return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Swaps the value after the first colon at or past {@code from} (or the first colon at all) for {@code value}. */
    private static void replaceValueAfter(StringBuilder text, int from, String value) {
      int colon = text.indexOf(":", from);
      if (colon < 0) {
        colon = text.indexOf(":");
      }
      if (colon < 0) {
        return;
      }
      int end = colon + 1;
      int depth = 0;
      boolean inString = false;
      for (; end < text.length(); end++) {
        char c = text.charAt(end);
        if (inString) {
          if (c == '\\') {
            end++;
          } else if (c == '"') {
            inString = false;
          }
        } else if (c == '"') {
          inString = true;
        } else if (c == '[' || c == '{') {
          depth++;
        } else if (c == ']' || c == '}' || c == ',') {
          if (depth == 0) {
            break;
          }
          if (c != ',') {
            depth--;
          }
        }
      }
      text.replace(colon + 1, end, value);
    }

    /** A percent-encoded path segment of random bytes, or a near-valid id. */
    private static String randomSegment(Random random) {
      if (random.nextBoolean()) {
        StringBuilder id = new StringBuilder();
        for (int n = 10 + random.nextInt(4); n > 0; n--) {
          id.append("abcdefghijklmnopqrstuvwxyz0123456789ABC-_.~".charAt(random.nextInt(43)));
        }
        return id.toString();
      }
      StringBuilder segment = new StringBuilder();
      for (int n = 1 + random.nextInt(20); n > 0; n--) {
        segment.append('%').append(HexFormat.of().withUpperCase().toHexDigits((byte) random.nextInt(256)));
      }
      return segment.toString();
    }

    private static <T> T pick(Random random, T[] choices) {
      return choices[random.nextInt(choices.length)];
    }

    private static <T> T pick(Random random, List<T> choices) {
      return choices.get(random.nextInt(choices.size()));
    }

    @Override
    public String toString() {
      String text = body == null ? "<none>" : new String(body, StandardCharsets.UTF_8);
      String shownToken = token == null ? "<no token>" : token.length() > 40 ? token.substring(0, 40) + "..." : token;
      return method + " " + path + " [" + contentType + "] [" + shownToken + "] "
          + (text.length() > 200 ? text.substring(0, 200) : text);
    }
  }

  // ---------------------------------------------------------------------------------------------------- helpers

  /** Single quotes keep the JSON in Java literals readable; no test body needs a real single quote. */
  private static String json(String singleQuoted) {
    return singleQuoted.replace('\'', '"');
  }

  /** The client of this test's voter {@code name}, who gets a token from POST /api/voters on first use. */
  private ApiClient voter(String name) {
    return api.as(registered(name).get("token").asText());
  }

  private String voterIdOf(String name) {
    return registered(name).get("voterId").asText();
  }

  private JsonNode registered(String name) {
    return voters.computeIfAbsent(name, unused -> assertCreated(api.post("/api/voters", "")));
  }

  /** {@code body} (single-quoted) with {@code $me} replaced by the voter id of this test's voter {@code name}. */
  private String ballotBody(String name, String body) {
    return json(body).replace("$me", voterIdOf(name));
  }

  private ApiClient.Reply vote(String id, String name, int... choices) {
    String list = String.join(",", Arrays.stream(choices).mapToObj(String::valueOf).toList());
    return voter(name).post("/api/polls/" + id + "/ballots", json("{'choices':[" + list + "]}"));
  }

  /** A voter token for any voter id, signed with the test server's key as the server would sign it. */
  private static String voterTokenFor(String voterId) {
    return ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims(voterId, "voter").build());
  }

  private static JsonNode assertCreated(ApiClient.Reply reply) {
    assertEquals(201, reply.status(), () -> "unexpected reply: " + reply);
    assertEquals("application/json", reply.mediaType(), () -> "unexpected reply: " + reply);
    return reply.json();
  }

  private static JsonNode createPoll(String body) {
    return assertView(organizer.post("/api/polls", body), 201);
  }

  private static String newPoll(String body) {
    return createPoll(body).get("id").asText();
  }

  private static JsonNode view(String id) {
    return assertView(api.get("/api/polls/" + id), 200);
  }

  /** A valid poll body padded with whitespace to exactly {@code size} bytes. */
  private static byte[] paddedPoll(int size) {
    String poll = json("{'question':'Q?','options':['a','b']}");
    return (poll.substring(0, poll.length() - 1) + " ".repeat(size - poll.length()) + "}")
        .getBytes(StandardCharsets.UTF_8);
  }


  private static List<String> labels(JsonNode view) {
    List<String> labels = new ArrayList<>();
    view.get("options").forEach(option -> labels.add(option.get("label").asText()));
    return labels;
  }

  private static void sleep(Duration duration) {
    if (duration.isNegative()) {
      return;
    }
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
