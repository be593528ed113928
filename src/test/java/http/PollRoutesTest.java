package http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
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

/** The /api/polls HTTP contract, exercised over real sockets against a single-node server on the in-memory journal. */
class PollRoutesTest {
  private static final int MAX_BODY_BYTES = 16 * 1024;
  private static final String UNKNOWN_ID = "abcdefabcdef";

  private static LivepollServer server;
  private static ApiClient api;

  @BeforeAll
  static void startServer() {
    server = startServer("");
    api = new ApiClient(server.httpPort());
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
    ApiClient.Reply reply = api.post("/api/polls", json(
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

    assertEquals(view, assertView(api.get(reply.header("location").orElseThrow()), 200), "GET of Location");
  }

  @Test
  void createFillsInDefaultsForOptionalFields() {
    JsonNode view = createPoll(json("{'question':'Lunch?','options':['pizza','sushi']}"));
    assertEquals("single", view.get("kind").asText());
    assertEquals(1, view.get("maxChoices").asInt());
    assertFalse(view.get("allowVoteChange").asBoolean());
    assertTrue(view.get("closesAt").isNull());

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
    JsonNode problem = assertProblem(api.post("/api/polls", json(body)), 400, "invalid-poll");
    assertTrue(problem.get("detail").asText().contains(detail), "detail: " + problem.get("detail"));
  }

  /** Lone UTF-16 surrogates are legal JSON escapes but no text: the poll must refuse them, not fail to store them. */
  @ParameterizedTest
  @ValueSource(strings = {
      "{'question':'Q\\ud800?','options':['a','b']}", "{'question':'Q?','options':['\\udc00','b']}"})
  void loneSurrogateEscapeIs400(String body) {
    assertProblem(api.post("/api/polls", json(body)), 400, null);
  }

  // --------------------------------------------------------------------------------------------------- get poll

  @Test
  void unknownWellFormedIdIs404() {
    JsonNode problem = assertProblem(api.get("/api/polls/" + UNKNOWN_ID), 404, "unknown-poll");
    assertTrue(problem.get("detail").asText().contains(UNKNOWN_ID));
  }

  /** Ids that can never exist, on every endpoint that takes one: always 404 problem, never a 5xx. */
  @ParameterizedTest
  @ValueSource(strings = {
      "abc", "abcdefabcdefa", "ABCDEFABCDEF", "abcdef-bcdef", "..%2F..%2Fetc", "..%2F..%2F..%2Fetc%2Fpasswd",
      "%2e%2e", "%C3%A9t%C3%A9abcdefgh", "%F0%9F%98%80%F0%9F%98%80abcd", "abcdef%00bcdef", "%FF%FE", "%20"})
  void malformedIdIs404Everywhere(String encodedId) {
    String base = "/api/polls/" + encodedId;
    assertProblem(api.get(base), 404, null);
    assertProblem(api.post(base + "/ballots", json("{'voterId':'v1','choices':[0]}")), 404, null);
    assertProblem(api.delete(base + "/ballots/v1"), 404, null);
    assertProblem(api.post(base + "/close", ""), 404, null);
  }

  @Test
  void veryLongIdIs404() {
    assertProblem(api.get("/api/polls/" + "a".repeat(1000)), 404, "unknown-poll");
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

  @Test
  void longestValidVoterIdIsAccepted() {
    String id = newPoll(json("{'question':'Q?','options':['a','b']}"));
    String voterId = ("Az09._:-".repeat(16));
    assertEquals(128, voterId.length());
    assertView(api.post("/api/polls/" + id + "/ballots", json("{'voterId':'" + voterId + "','choices':[1]}")), 200);
  }

  static Stream<Arguments> invalidBallots() {
    return Stream.of(
        Arguments.of("single", "{'voterId':'','choices':[0]}", "voterId"),
        Arguments.of("single", "{'voterId':'has space','choices':[0]}", "voterId"),
        Arguments.of("single", "{'voterId':'" + "v".repeat(129) + "','choices':[0]}", "voterId"),
        Arguments.of("single", "{'voterId':'v\u00fc','choices':[0]}", "voterId"),
        Arguments.of("single", "{'voterId':'a/b','choices':[0]}", "voterId"),
        Arguments.of("single", "{'choices':[0]}", "voterId"),
        Arguments.of("single", "{'voterId':'v1','choices':[3]}", "option indexes from 0 to 2"),
        Arguments.of("single", "{'voterId':'v1','choices':[-1]}", "option indexes from 0 to 2"),
        Arguments.of("single", "{'voterId':'v1','choices':[2147483647]}", "option indexes from 0 to 2"),
        Arguments.of("single", "{'voterId':'v1','choices':[null]}", "option indexes"),
        Arguments.of("single", "{'voterId':'v1','choices':[]}", "at least one option"),
        Arguments.of("single", "{'voterId':'v1'}", "at least one option"),
        Arguments.of("single", "{'voterId':'v1','choices':null}", "at least one option"),
        Arguments.of("single", "{'voterId':'v1','choices':[0,1]}", "exactly one choice"),
        Arguments.of("multiple", "{'voterId':'v1','choices':[1,1]}", "distinct"),
        Arguments.of("multiple", "{'voterId':'v1','choices':[0,1,2]}", "at most 2 choices"),
        Arguments.of("multiple", "{'voterId':'v1','choices':[0,-3]}", "option indexes"));
  }

  @ParameterizedTest
  @MethodSource("invalidBallots")
  void invalidBallotIs400AndNotCounted(String kind, String body, String detail) {
    String id = newPoll(json("{'question':'Q?','options':['a','b','c'],'kind':'" + kind + "'"
        + ("multiple".equals(kind) ? ",'maxChoices':2" : "") + "}"));
    JsonNode problem = assertProblem(api.post("/api/polls/" + id + "/ballots", json(body)), 400, "invalid-ballot");
    assertTrue(problem.get("detail").asText().contains(detail), "detail: " + problem.get("detail"));
    assertEquals(0, view(id).get("totalBallots").asLong());
  }

  @Test
  void unknownPollIs404OnEveryEndpoint() {
    String base = "/api/polls/" + UNKNOWN_ID;
    assertProblem(api.post(base + "/ballots", json("{'voterId':'v1','choices':[0]}")), 404, "unknown-poll");
    assertProblem(api.delete(base + "/ballots/v1"), 404, "unknown-poll");
    assertProblem(api.post(base + "/close", ""), 404, "unknown-poll");
    // Asking must not have created it.
    assertProblem(api.get(base), 404, "unknown-poll");
  }

  // ------------------------------------------------------------------------------------------------- retraction

  @Test
  void retractionRemovesTheBallotOnce() {
    String id = newPoll(json("{'question':'Q?','options':['a','b'],'allowVoteChange':true}"));
    assertView(vote(id, "v1", 0), 200);
    assertView(vote(id, "v2", 1), 200);

    JsonNode retracted = assertView(api.delete("/api/polls/" + id + "/ballots/v1"), 200);
    assertEquals(List.of(0L, 1L), votes(retracted));
    assertEquals(1, retracted.get("totalBallots").asLong());

    assertProblem(api.delete("/api/polls/" + id + "/ballots/v1"), 404, "no-such-ballot");
    assertProblem(api.delete("/api/polls/" + id + "/ballots/never-voted"), 404, "no-such-ballot");
    // A retracted voter may vote again.
    assertEquals(List.of(0L, 2L), votes(assertView(vote(id, "v1", 1), 200)));
  }

  @Test
  void retractionWithoutVoteChangeIs409() {
    String id = newPoll(json("{'question':'Q?','options':['a','b']}"));
    assertView(vote(id, "v1", 0), 200);
    assertProblem(api.delete("/api/polls/" + id + "/ballots/v1"), 409, "vote-change-not-allowed");
    assertEquals(1, view(id).get("totalBallots").asLong());
  }

  @Test
  void retractionWithInvalidVoterIdIs400() {
    String id = newPoll(json("{'question':'Q?','options':['a','b'],'allowVoteChange':true}"));
    assertProblem(api.delete("/api/polls/" + id + "/ballots/bad%20voter"), 400, "invalid-ballot");
    assertProblem(api.delete("/api/polls/" + id + "/ballots/" + "v".repeat(129)), 400, "invalid-ballot");
  }

  // ------------------------------------------------------------------------------------------------------ close

  @Test
  void closeIs200AndIdempotent() {
    String id = newPoll(json("{'question':'Q?','options':['a','b'],'allowVoteChange':true}"));
    assertView(vote(id, "v1", 1), 200);

    Instant before = Instant.now();
    JsonNode closed = assertView(api.post("/api/polls/" + id + "/close", ""), 200);
    assertEquals("closed", closed.get("status").asText());
    Instant closedAt = Instant.parse(closed.get("closedAt").asText());
    assertFalse(closedAt.isBefore(before) || closedAt.isAfter(Instant.now()), "closedAt " + closedAt);
    assertEquals(List.of(0L, 1L), votes(closed));

    JsonNode again = assertView(api.post("/api/polls/" + id + "/close", ""), 200);
    assertEquals("closed", again.get("status").asText());
    assertEquals(closedAt, Instant.parse(again.get("closedAt").asText()), "closing again changes nothing");
    assertEquals("closed", view(id).get("status").asText());
  }

  @Test
  void closedPollRefusesChangesButAcknowledgesARetry() {
    String id = newPoll(json("{'question':'Q?','options':['a','b'],'allowVoteChange':true}"));
    assertView(vote(id, "v1", 1), 200);
    assertView(api.post("/api/polls/" + id + "/close", ""), 200);

    assertProblem(vote(id, "v2", 0), 409, "poll-closed");
    assertProblem(vote(id, "v1", 0), 409, "poll-closed");
    assertProblem(api.delete("/api/polls/" + id + "/ballots/v1"), 409, "poll-closed");
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
      "{'question':'Q?','question':'R?','options':['a','b']}",
      "{'question':'Q?','options':['a','b'],'closesAt':'tomorrow'}",
      "{'question':'Q?','options':['a','b'],'closesAt':'2030-01-01'}",
      "{'question':'Q\\x41','options':['a','b']}", "{'question':'Q\u0001','options':['a','b']}"})
  void malformedPollBodyIs400(String body) {
    assertProblem(api.post("/api/polls", json(body)), 400, "malformed-request");
  }

  @Test
  void singleQuotedJsonIs400() {
    assertProblem(api.post("/api/polls", "{'question':'Q?','options':['a','b']}"), 400, "malformed-request");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{'voterId':'v1','choices':['1']}", "{'voterId':'v1','choices':[1.5]}", "{'voterId':'v1','choices':[1.0]}",
      "{'voterId':'v1','choices':[1e0]}", "{'voterId':7,'choices':[1]}", "{'voterId':'v1','choices':[true]}",
      "{'voterId':'v1','choices':1}", "{'voterId':'v1','choices':'1'}", "{'voterId':'v1','choices':[2147483648]}",
      "{'voterId':'v1','choices':[-2147483649]}", "{'voterId':'v1','choices':[99999999999999999999999999999999999]}",
      "{'voterId':'v1','choices':[0],'weight':2}", "{'voterId':'v1','voterId':'v2','choices':[0]}",
      "{'voterId':['v1'],'choices':[0]}", "[{'voterId':'v1','choices':[0]}]", "{'voterId':'v1','choices':[0]",
      "null", ""})
  void malformedBallotBodyIs400AndNotCounted(String body) {
    String id = newPoll(json("{'question':'Q?','options':['a','b']}"));
    assertProblem(api.post("/api/polls/" + id + "/ballots", json(body)), 400, "malformed-request");
    assertEquals(0, view(id).get("totalBallots").asLong());
  }

  /** The limit is max-json-depth (16): one level more is refused by the parser itself, before any field check. */
  @Test
  void nestingIsLimitedToMaxJsonDepth() {
    JsonNode atLimit = assertProblem(api.post("/api/polls", nestedUnknownField(16)), 400, "malformed-request");
    assertTrue(atLimit.get("detail").asText().contains("unknown field 'x'"), "detail: " + atLimit.get("detail"));
    for (int depth : new int[] {17, 5000}) {
      JsonNode tooDeep = assertProblem(api.post("/api/polls", nestedUnknownField(depth)), 400, "malformed-request");
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
    assertProblem(api.post("/api/polls", ApiClient.JSON, body), 400, "malformed-request");
  }

  // ------------------------------------------------------------------------------------------- size and media type

  @Test
  void bodyOfExactlyMaxBodyBytesIsAccepted() {
    assertView(api.post("/api/polls", ApiClient.JSON, paddedPoll(MAX_BODY_BYTES)), 201);
  }

  @Test
  void bodyOneByteOverMaxBodyBytesIs413() {
    JsonNode problem = assertProblem(
        api.post("/api/polls", ApiClient.JSON, paddedPoll(MAX_BODY_BYTES + 1)), 413, "request-too-large");
    assertTrue(problem.get("detail").asText().contains(String.valueOf(MAX_BODY_BYTES)), problem.toString());
  }

  @Test
  void chunkedBodyOverMaxBodyBytesIs413() {
    assertProblem(api.postChunked("/api/polls", paddedPoll(4 * MAX_BODY_BYTES)), 413, "request-too-large");
  }

  /** A declared length over the limit (even over the transport's 1m) is refused without waiting for the bytes. */
  @ParameterizedTest
  @ValueSource(ints = {MAX_BODY_BYTES + 1, 100_000, 5_000_000})
  void declaredContentLengthOverMaxBodyBytesIs413(int declared) {
    byte[] request = ApiClient.concat(
        ApiClient.head("POST /api/polls HTTP/1.1", "Content-Type: application/json", "Content-Length: " + declared),
        paddedPoll(MAX_BODY_BYTES / 2));
    assertProblem(api.raw(request), 413, "request-too-large");
  }

  /** A client that stops mid-body is a client error (408), not a server failure. Takes the 10 s body timeout. */
  @Test
  void stalledBodyIs408() {
    byte[] request = ApiClient.concat(
        ApiClient.head("POST /api/polls HTTP/1.1", "Content-Type: application/json", "Content-Length: 100"),
        "{\"question\"".getBytes(StandardCharsets.UTF_8));
    assertProblem(api.raw(request), 408, null);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "text/plain", "application/x-www-form-urlencoded", "application/xml", "application/octet-stream"})
  void nonJsonContentTypeIs415(String contentType) {
    byte[] body = json("{'question':'Q?','options':['a','b']}").getBytes(StandardCharsets.UTF_8);
    assertProblem(api.post("/api/polls", contentType, body), 415, "unsupported-media-type");
    String id = newPoll(json("{'question':'Q?','options':['a','b']}"));
    byte[] ballot = json("{'voterId':'v1','choices':[0]}").getBytes(StandardCharsets.UTF_8);
    assertProblem(api.post("/api/polls/" + id + "/ballots", contentType, ballot), 415, "unsupported-media-type");
    assertEquals(0, view(id).get("totalBallots").asLong());
  }

  @Test
  void missingContentTypeIs415() {
    String body = json("{'question':'Q?','options':['a','b']}");
    assertProblem(api.send("POST", "/api/polls", null, BodyPublishers.ofString(body)), 415, "unsupported-media-type");
  }

  @ParameterizedTest
  @ValueSource(strings = {"application/json; charset=utf-8", "application/vnd.livepoll+json"})
  void jsonContentTypeVariantsAreAccepted(String contentType) {
    byte[] body = json("{'question':'Q?','options':['a','b']}").getBytes(StandardCharsets.UTF_8);
    assertView(api.post("/api/polls", contentType, body), 201);
  }

  // ----------------------------------------------------------------------------------------- routing and transport

  @ParameterizedTest
  @ValueSource(strings = {
      "GET /", "GET /api", "GET /api/pollz", "GET /api/polls/" + UNKNOWN_ID + "/votes",
      "DELETE /api/polls/" + UNKNOWN_ID + "/ballots/v1/extra", "POST /api/polls/" + UNKNOWN_ID + "/close/now",
      "GET /favicon.ico"})
  void unknownPathIs404(String request) {
    String[] methodAndPath = request.split(" ");
    assertProblem(api.send(methodAndPath[0], methodAndPath[1], null, null), 404, "not-found");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "PUT /api/polls/" + UNKNOWN_ID + " GET", "DELETE /api/polls/" + UNKNOWN_ID + " GET", "GET /api/polls POST",
      "PATCH /api/polls/" + UNKNOWN_ID + "/close POST", "GET /api/polls/" + UNKNOWN_ID + "/ballots POST",
      "GET /api/polls/" + UNKNOWN_ID + "/ballots/v1 DELETE"})
  void wrongMethodIs405WithAllow(String request) {
    String[] parts = request.split(" ");
    ApiClient.Reply reply = api.send(parts[0], parts[1], ApiClient.JSON, BodyPublishers.ofString("{}"));
    assertProblem(reply, 405, "method-not-allowed");
    assertEquals(parts[2], reply.header("allow").orElse(null));
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

  // ------------------------------------------------------------------------------------------------------- busy

  @Test
  void fullPollQueueIs503WithRetryAfter() {
    LivepollServer busy = startServer("livepoll.poll.max-queued = 0\n");
    try {
      ApiClient busyApi = new ApiClient(busy.httpPort());
      for (ApiClient.Reply reply : List.of(
          busyApi.post("/api/polls", json("{'question':'Q?','options':['a','b']}")),
          busyApi.get("/api/polls/" + UNKNOWN_ID),
          busyApi.post("/api/polls/" + UNKNOWN_ID + "/ballots", json("{'voterId':'v1','choices':[0]}")))) {
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

  /** Random bytes, JSON token soup and mutated valid bodies on every endpoint: 4xx or success, never a 5xx. */
  @Test
  void randomRequestsNeverGet5xx() {
    Random random = new Random(20_261_123L);
    String id = newPoll(json("{'question':'Q?','options':['a','b','c'],'kind':'multiple','allowVoteChange':true}"));
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      RandomRequest request = RandomRequest.next(random, id);
      ApiClient.Reply reply = api.send(request.method(), request.path(), request.contentType(),
          request.body() == null ? null : BodyPublishers.ofByteArray(request.body()));
      boolean ok = reply.status() < 500
          && (reply.status() < 400 || "application/problem+json".equals(reply.mediaType()));
      if (!ok) {
        failures.add("#" + i + " " + request + " -> " + reply);
      }
    }
    assertTrue(failures.isEmpty(), failures.size() + " bad responses:\n" + String.join("\n", failures));
  }

  /** One random request; {@code body} null means none. */
  private record RandomRequest(String method, String path, String contentType, byte[] body) {
    private static final String[] TOKENS = {
        "{", "}", "[", "]", ",", ":", " ", "\"question\"", "\"options\"", "\"kind\"", "\"maxChoices\"",
        "\"allowVoteChange\"", "\"closesAt\"", "\"voterId\"", "\"choices\"", "\"single\"", "\"multiple\"", "\"a\"",
        "\"b\"", "\"\"", "\"v1\"", "true", "false", "null", "0", "1", "-1", "2", "1.5", "1e999", "-0",
        "99999999999999999999", "\"2030-01-01T00:00:00Z\"", "\"\\u00e9\"", "\"\\ud83d\\ude00\"", "\"\\n\"", "\"",
        "\\", "NaN", "'", "/*", "\u00e9"};
    private static final String CREATE =
        "{\"question\":\"Q?\",\"options\":[\"a\",\"b\",\"c\"],\"kind\":\"multiple\",\"maxChoices\":2,"
            + "\"allowVoteChange\":true,\"closesAt\":\"2099-01-01T00:00:00Z\"}";
    private static final String BALLOT = "{\"voterId\":\"v1\",\"choices\":[0,2]}";
    /** Values swapped into a valid body; lone surrogates are left to loneSurrogateEscapeIs400, which they fail. */
    private static final String[] VALUES = {
        "null", "true", "0", "-1", "3", "2147483647", "-2147483648", "1e3", "0.0", "\"\"", "\" \"", "\"\\u0000\"",
        "\"\\u00e9t\\u00e9\"", "\"\\ud83d\\ude00\"", "\"x\\ny\"", "\"\u2028\"", "[]", "[null]", "[0,0]", "[[0]]", "{}",
        "[\"a\",\"A\"]", "\"" + "z".repeat(600) + "\"", "\"1970-01-01T00:00:00Z\"", "\"+1000000000-12-31T23:59:59Z\""};
    private static final String[] CONTENT_TYPES = {
        "text/plain", "application/x+json", "application/json; charset=utf-8", "application/json;", null};

    /** Mostly the right method on a real endpoint, so that the body gets parsed rather than the route refused. */
    static RandomRequest next(Random random, String pollId) {
      String contentType = random.nextInt(10) == 0 ? pick(random, CONTENT_TYPES) : ApiClient.JSON;
      return switch (random.nextInt(10)) {
        case 0, 1, 2, 3 -> new RandomRequest("POST", "/api/polls", contentType, body(random, CREATE));
        case 4, 5, 6 -> new RandomRequest(
            "POST", "/api/polls/" + pollId + "/ballots", contentType, body(random, BALLOT));
        case 7 -> new RandomRequest("DELETE", "/api/polls/" + pollId + "/ballots/" + randomSegment(random), null, null);
        case 8 -> new RandomRequest("GET", "/api/polls/" + randomSegment(random), null, null);
        default -> new RandomRequest(pick(random, new String[] {"POST", "PUT", "PATCH", "DELETE"}),
            "/api/polls/" + randomSegment(random) + pick(random, new String[] {"", "/ballots", "/close", "/x"}),
            contentType, body(random, BALLOT));
      };
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

    @Override
    public String toString() {
      String text = body == null ? "<none>" : new String(body, StandardCharsets.UTF_8);
      return method + " " + path + " [" + contentType + "] " + (text.length() > 200 ? text.substring(0, 200) : text);
    }
  }

  // ---------------------------------------------------------------------------------------------------- helpers

  /** Single quotes keep the JSON in Java literals readable; no test body needs a real single quote. */
  private static String json(String singleQuoted) {
    return singleQuoted.replace('\'', '"');
  }

  private static JsonNode createPoll(String body) {
    return assertView(api.post("/api/polls", body), 201);
  }

  private static String newPoll(String body) {
    return createPoll(body).get("id").asText();
  }

  private static JsonNode view(String id) {
    return assertView(api.get("/api/polls/" + id), 200);
  }

  private static ApiClient.Reply vote(String id, String voterId, int... choices) {
    String list = String.join(",", Arrays.stream(choices).mapToObj(String::valueOf).toList());
    return api.post("/api/polls/" + id + "/ballots", json("{'voterId':'" + voterId + "','choices':[" + list + "]}"));
  }

  /** A valid poll body padded with whitespace to exactly {@code size} bytes. */
  private static byte[] paddedPoll(int size) {
    String poll = json("{'question':'Q?','options':['a','b']}");
    return (poll.substring(0, poll.length() - 1) + " ".repeat(size - poll.length()) + "}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static JsonNode assertView(ApiClient.Reply reply, int status) {
    assertEquals(status, reply.status(), () -> "unexpected reply: " + reply);
    assertEquals("application/json", reply.mediaType(), () -> "unexpected reply: " + reply);
    JsonNode view = reply.json();
    for (String field : List.of("id", "question", "kind", "maxChoices", "allowVoteChange", "status", "createdAt",
        "closesAt", "closedAt", "options", "totalBallots")) {
      assertTrue(view.has(field), () -> "view lacks " + field + ": " + reply);
    }
    return view;
  }

  /** Asserts an RFC 9457 problem with this status; {@code type} null accepts any problem type. */
  private static JsonNode assertProblem(ApiClient.Reply reply, int status, String type) {
    assertEquals(status, reply.status(), () -> "unexpected reply: " + reply);
    assertEquals("application/problem+json", reply.mediaType(), () -> "unexpected reply: " + reply);
    JsonNode problem = reply.json();
    if (type != null) {
      assertEquals("/problems/" + type, problem.path("type").asText(), () -> "unexpected problem: " + reply);
    } else {
      assertTrue(problem.path("type").asText().startsWith("/problems/"), () -> "problem type: " + reply);
    }
    assertFalse(problem.path("title").asText().isBlank(), () -> "problem without title: " + reply);
    assertEquals(status, problem.path("status").asInt(), () -> "problem status: " + reply);
    assertFalse(problem.path("detail").asText().isBlank(), () -> "problem without detail: " + reply);
    return problem;
  }

  private static List<Long> votes(JsonNode view) {
    List<Long> votes = new ArrayList<>();
    view.get("options").forEach(option -> votes.add(option.get("votes").asLong()));
    return votes;
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
