package http;

import static support.ApiAssertions.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import server.LivepollServer;
import support.ApiClient;
import support.LiveSocketClient;
import support.TestConfig;

/**
 * The HTTP and live-socket contract of rating, ranking and word-cloud polls, hidden results, hidden words and rounds,
 * against a real server on the in-memory journal: every status each new endpoint answers, and what each kind of
 * reader sees in views and frames.
 */
class KindsRoutesTest {
  private static final String OWNER = "kinds-owner";
  private static final String OWNER_TOKEN = TestConfig.tokens().organizer(OWNER, false);
  private static final String STRANGER_TOKEN = TestConfig.tokens().organizer("someone-else", false);
  private static final String ADMIN_TOKEN = TestConfig.tokens().organizer("root", true);

  private static LivepollServer server;
  private static ApiClient api;
  private static ApiClient owner;
  private static ApiClient stranger;
  private final List<Live> opened = new ArrayList<>();

  @BeforeAll
  static void startServer() {
    server = LivepollServer.startNode(TestConfig.inMemory("""
        livepoll.http.ask-timeout = 3s
        livepoll.live.tally-interval = 20ms
        livepoll.poll.max-distinct-words = 50
        """));
    api = new ApiClient(server.httpPort());
    owner = api.as(OWNER_TOKEN);
    stranger = api.as(STRANGER_TOKEN);
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.stop();
    }
  }

  @AfterEach
  void closeSockets() {
    opened.forEach(LiveSocketClient::abort);
  }

  // ------------------------------------------------------------------------------------------------ creating

  @Test
  void eachKindIsCreatedWithItsOwnSettings() {
    JsonNode rating = create("{'question':'Talk?','kind':'rating','scale':{'min':1,'max':5,'minLabel':'meh',"
        + "'maxLabel':'wow'}}");
    assertEquals("rating", rating.get("kind").asText());
    assertEquals(5, rating.get("scale").get("max").asInt());
    assertEquals("wow", rating.get("scale").get("maxLabel").asText());
    assertEquals(0, rating.get("options").size());
    assertFalse(rating.has("maxChoices"));
    assertEquals(0, rating.get("rating").get("count").asInt());
    assertTrue(rating.get("rating").get("average").isNull());
    assertEquals(5, rating.get("rating").get("distribution").size());
    assertEquals(1, rating.get("round").asInt());
    assertEquals("live", rating.get("resultsVisibility").asText());

    JsonNode ranking = create("{'question':'Order?','kind':'ranking','options':['a','b','c']}");
    assertEquals(3, ranking.get("maxRanked").asInt());
    assertEquals(0, ranking.get("options").get(0).get("points").asInt());

    JsonNode cloud = create("{'question':'One word?','kind':'wordcloud','maxWords':3}");
    assertEquals(3, cloud.get("maxWords").asInt());
    assertEquals(0, cloud.get("words").size());
    assertEquals(0, cloud.get("hiddenWords").size(), "the owner sees the hidden words");
    assertFalse(view(cloud.get("id").asText(), api).has("hiddenWords"), "nobody else does");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{'question':'Q?','kind':'rating'}",
      "{'question':'Q?','kind':'rating','scale':{'min':3,'max':3}}",
      "{'question':'Q?','kind':'rating','scale':{'min':0,'max':101}}",
      "{'question':'Q?','kind':'rating','scale':{'max':5}}",
      "{'question':'Q?','kind':'rating','scale':{'min':1,'max':5},'options':['a','b']}",
      "{'question':'Q?','kind':'ranking','options':['a','b'],'maxRanked':3}",
      "{'question':'Q?','kind':'ranking','options':['a','b'],'maxChoices':1}",
      "{'question':'Q?','kind':'wordcloud','maxWords':11}",
      "{'question':'Q?','kind':'wordcloud','maxWords':0}",
      "{'question':'Q?','kind':'single','options':['a','b'],'maxWords':2}",
      "{'question':'Q?','kind':'poll','options':['a','b']}",
      "{'question':'Q?','options':['a','b'],'resultsVisibility':'secret'}",
      "{'question':'Q?','kind':'rating','scale':{'min':1,'max':5,'step':2}}",
      "{'question':'Q?','kind':'rating','scale':{'min':'1','max':5}}",
  })
  void invalidSettingsAre400(String body) {
    ApiClient.Reply reply = owner.post("/api/polls", json(body));
    assertProblem(reply, 400);
  }

  // ------------------------------------------------------------------------------------------------ ballots

  @Test
  void ratingBallotsOverRestAndTheirStatuses() {
    String id = newPoll("{'question':'Talk?','kind':'rating','scale':{'min':0,'max':10},'allowVoteChange':true}");
    ApiClient alice = voter();
    JsonNode view = assertOk(alice.post(ballots(id), json("{'rating':7}")));
    assertEquals(7.0, view.get("rating").get("average").asDouble());
    assertEquals(1, view.get("rating").get("distribution").get(7).asInt());
    assertOk(voter().post(ballots(id), json("{'rating':10}")));
    assertEquals(8.5, view(id, api).get("rating").get("average").asDouble());
    assertProblem(alice.post(ballots(id), json("{'rating':11}")), 400);
    assertProblem(alice.post(ballots(id), json("{'choices':[1]}")), 400);
    assertProblem(alice.post(ballots(id), json("{'rating':1.5}")), 400);
    assertProblem(alice.post(ballots(id), json("{'rating':'7'}")), 400);
    assertProblem(alice.post(ballots(id), json("{'rating':7,'words':['x']}")), 400);
    assertOk(alice.delete(ballots(id) + "/me"));
    assertEquals(1, view(id, api).get("rating").get("count").asInt());
  }

  @Test
  void rankingBallotsCarryPointsAndAveragePositions() {
    String id = newPoll("{'question':'Order?','kind':'ranking','options':['a','b','c'],'maxRanked':2}");
    assertOk(voter().post(ballots(id), json("{'ranking':[2,0]}")));
    JsonNode view = assertOk(voter().post(ballots(id), json("{'ranking':[0]}")));
    assertEquals(5, view.get("options").get(0).get("points").asInt());
    assertEquals(1.5, view.get("options").get(0).get("averagePosition").asDouble());
    assertEquals(3, view.get("options").get(2).get("points").asInt());
    assertFalse(view.get("options").get(1).has("averagePosition"), "nobody ranked b");
    assertProblem(voter().post(ballots(id), json("{'ranking':[0,1,2]}")), 400);
    assertProblem(voter().post(ballots(id), json("{'ranking':[1,1]}")), 400);
    assertProblem(voter().post(ballots(id), json("{'ranking':[]}")), 400);
  }

  @Test
  void wordCloudBallotsAndTheirStatuses() {
    String id = newPoll("{'question':'Word?','kind':'wordcloud','maxWords':2}");
    assertOk(voter().post(ballots(id), json("{'words':['  Pekko ','Scala']}")));
    JsonNode view = assertOk(voter().post(ballots(id), json("{'words':['PEKKO']}")));
    assertEquals("Pekko", view.get("words").get(0).get("text").asText());
    assertEquals(2, view.get("words").get(0).get("count").asInt());
    assertProblem(voter().post(ballots(id), json("{'words':['a','b','c']}")), 400);
    assertProblem(voter().post(ballots(id), json("{'words':['x\\u202Ey']}")), 400);
    assertProblem(voter().post(ballots(id), json("{'words':['" + "w".repeat(41) + "']}")), 400);
    assertProblem(voter().post(ballots(id), json("{'words':[null]}")), 400);
    assertProblem(voter().post(ballots(id), json("{'words':['\\uD800']}")), 400);
    assertProblem(voter().post(ballots(id), json("{'words':'pekko'}")), 400);
    assertProblem(voter().post(ballots(id), json("{'words':[1]}")), 400);
  }

  @Test
  void aFullWordCloudAnswers409ForNewWordsAndStillCountsKnownOnes() {
    String id = newPoll("{'question':'Word?','kind':'wordcloud','maxWords':10}");
    for (int voter = 0; voter < 5; voter++) {
      StringBuilder words = new StringBuilder();
      for (int i = 0; i < 10; i++) {
        words.append(i == 0 ? "" : ",").append("'w").append(voter * 10 + i).append("'");
      }
      assertOk(voter().post(ballots(id), json("{'words':[" + words + "]}")));
    }
    ApiClient.Reply full = voter().post(ballots(id), json("{'words':['brand new']}"));
    assertProblem(full, 409);
    assertTrue(full.body().contains("limit-reached"), full::toString);
    assertOk(voter().post(ballots(id), json("{'words':['W7']}")));
  }

  // ------------------------------------------------------------------------------------------------ hidden words

  @Test
  void hiddenWordsEndpointsAndWhoSeesWhat() {
    String id = newPoll("{'question':'Word?','kind':'wordcloud'}");
    assertOk(voter().post(ballots(id), json("{'words':['nice']}")));
    assertOk(voter().post(ballots(id), json("{'words':['rude']}")));
    String path = "/api/polls/" + id + "/hidden-words";
    assertProblem(api.post(path, json("{'text':'rude'}")), 401);
    assertProblem(voter().post(path, json("{'text':'rude'}")), 403);
    assertProblem(stranger.post(path, json("{'text':'rude'}")), 403);
    assertProblem(owner.post(path, json("{'text':''}")), 400);
    assertProblem(owner.post(path, json("{'text':'a\\u200Bb'}")), 400);
    assertProblem(owner.post(path, json("{'word':'rude'}")), 400);
    assertProblem(owner.post("/api/polls/abcdefabcdef/hidden-words", json("{'text':'rude'}")), 404);
    JsonNode owners = assertOk(owner.post(path, json("{'text':'Rude'}")));
    assertEquals("Rude", owners.get("hiddenWords").get(0).get("text").asText(), owners::toString);
    assertEquals(1, owners.get("words").size());
    JsonNode everyone = view(id, api);
    assertEquals(1, everyone.get("words").size());
    assertFalse(everyone.toString().toLowerCase(java.util.Locale.ROOT).contains("rude"), everyone::toString);
    assertFalse(view(id, stranger).toString().toLowerCase(java.util.Locale.ROOT).contains("rude"));
    assertTrue(view(id, api.as(ADMIN_TOKEN)).toString().toLowerCase(java.util.Locale.ROOT).contains("rude"));
    assertTrue(view(id, owner).toString().toLowerCase(java.util.Locale.ROOT).contains("rude"));
    // DELETE with the same body shows it again
    assertOk(owner.send("DELETE", path, ApiClient.JSON,
        java.net.http.HttpRequest.BodyPublishers.ofString(json("{'text':'RUDE'}"))));
    assertTrue(view(id, api).toString().toLowerCase(java.util.Locale.ROOT).contains("rude"));
    String choice = newPoll("{'question':'Q?','options':['a','b']}");
    assertProblem(owner.post("/api/polls/" + choice + "/hidden-words", json("{'text':'a'}")), 400);
  }

  // ------------------------------------------------------------------------------------------------ hidden results

  @Test
  void hiddenResultsAreWithheldFromEveryoneButTheOwnerUntilRevealed() {
    String id = newPoll("{'question':'Q?','options':['a','b'],'resultsVisibility':'hidden'}");
    JsonNode voted = assertOk(voter().post(ballots(id), json("{'choices':[1]}")));
    assertTrue(voted.get("resultsWithheld").asBoolean(), voted::toString);
    assertFalse(voted.get("options").get(1).has("votes"));
    assertEquals(1, voted.get("totalBallots").asInt());
    assertFalse(view(id, api).get("options").get(1).has("votes"));
    assertFalse(view(id, stranger).get("options").get(1).has("votes"));
    assertEquals(1, view(id, owner).get("options").get(1).get("votes").asInt());
    assertEquals(1, view(id, api.as(ADMIN_TOKEN)).get("options").get(1).get("votes").asInt());
    assertProblem(api.as("not-a-token").get("/api/polls/" + id), 401);

    String reveal = "/api/polls/" + id + "/reveal";
    assertProblem(api.post(reveal, "{}"), 401);
    assertProblem(voter().post(reveal, "{}"), 403);
    assertProblem(stranger.post(reveal, "{}"), 403);
    assertProblem(owner.post("/api/polls/abcdefabcdef/reveal", "{}"), 404);
    JsonNode revealed = assertOk(owner.post(reveal, "{}"));
    assertNotNull(revealed.get("revealedAt"));
    assertEquals(1, view(id, api).get("options").get(1).get("votes").asInt());
    assertFalse(view(id, api).has("resultsWithheld"));
    assertOk(owner.post(reveal, "{}"));
  }

  @Test
  void liveFramesOfHiddenResultsAndHiddenWordsDependOnTheReader() throws Exception {
    String id = newPoll("{'question':'Word?','kind':'wordcloud','resultsVisibility':'hidden'}");
    owner.post("/api/polls/" + id + "/hidden-words", json("{'text':'rude'}"));
    Live watcher = open(id, null);
    Live ownerSocket = open(id, OWNER_TOKEN);
    JsonNode snapshot = watcher.next(frame -> frame.get("type").asText().equals("snapshot"));
    assertTrue(snapshot.get("poll").get("resultsWithheld").asBoolean());
    assertFalse(ownerSocket.next(frame -> frame.get("type").asText().equals("snapshot")).get("poll")
        .has("resultsWithheld"));
    assertOk(voter().post(ballots(id), json("{'words':['rude']}")));
    assertOk(voter().post(ballots(id), json("{'words':['fine']}")));
    JsonNode hidden = watcher.next(frame -> frame.path("totalBallots").asInt() == 2);
    assertTrue(hidden.get("resultsWithheld").asBoolean(), hidden::toString);
    assertFalse(hidden.has("words"));
    assertFalse(hidden.has("counts"));
    JsonNode owners = ownerSocket.next(frame -> frame.path("totalBallots").asInt() == 2);
    assertEquals("fine", owners.get("words").get(0).get("text").asText(), owners::toString);
    assertEquals("rude", owners.get("hiddenWords").get(0).get("text").asText());
    assertOk(owner.post("/api/polls/" + id + "/reveal", "{}"));
    JsonNode revealed = watcher.next(frame -> frame.has("words"));
    assertEquals(1, revealed.get("words").size(), revealed::toString);
    assertFalse(revealed.toString().contains("rude"), revealed::toString);
  }

  @Test
  void frameOfEachKindCarriesItsResults() throws Exception {
    String rating = newPoll("{'question':'Talk?','kind':'rating','scale':{'min':1,'max':3}}");
    String ranking = newPoll("{'question':'Order?','kind':'ranking','options':['a','b']}");
    Live ratings = open(rating, null);
    Live rankings = open(ranking, null);
    ratings.next(frame -> frame.get("type").asText().equals("snapshot"));
    rankings.next(frame -> frame.get("type").asText().equals("snapshot"));
    assertOk(voter().post(ballots(rating), json("{'rating':3}")));
    assertOk(voter().post(ballots(ranking), json("{'ranking':[1,0]}")));
    JsonNode rated = ratings.next(frame -> frame.get("type").asText().equals("tally"));
    assertEquals(3.0, rated.get("rating").get("average").asDouble(), rated::toString);
    assertEquals(1, rated.get("round").asInt());
    JsonNode ranked = rankings.next(frame -> frame.get("type").asText().equals("tally"));
    assertEquals(List.of(1, 2), List.of(ranked.get("points").get(0).asInt(), ranked.get("points").get(1).asInt()));
    assertEquals(1.0, ranked.get("averagePositions").get(1).asDouble());
    // a ballot of each kind on the socket itself
    Live socketVoter = open(ranking, TestConfig.tokens().newVoter().token());
    socketVoter.next(frame -> frame.get("type").asText().equals("snapshot"));
    socketVoter.send(json("{'type':'ballot','ranking':[0],'ref':'r1'}"));
    JsonNode ack = socketVoter.next(frame -> frame.get("type").asText().equals("ack"));
    assertEquals(2, ack.get("totalBallots").asInt());
    socketVoter.send(json("{'type':'ballot','rating':2,'ref':'r2'}"));
    assertEquals(400, socketVoter.next(frame -> frame.get("type").asText().equals("error")).get("status").asInt());
  }

  // ------------------------------------------------------------------------------------------------ rounds

  @Test
  void roundsEndpointsAndStatuses() {
    String id = newPoll("{'question':'Q?','options':['a','b']}");
    ApiClient alice = voter();
    assertOk(alice.post(ballots(id), json("{'choices':[0]}")));
    String rounds = "/api/polls/" + id + "/rounds";
    assertProblem(api.post(rounds, "{}"), 401);
    assertProblem(voter().post(rounds, "{}"), 403);
    assertProblem(stranger.post(rounds, "{}"), 403);
    assertProblem(owner.post("/api/polls/abcdefabcdef/rounds", "{}"), 404);
    assertProblem(api.get("/api/polls/abcdefabcdef/rounds"), 404);
    assertEquals(0, assertOk(api.get(rounds)).get("rounds").size());
    JsonNode second = assertOk(owner.post(rounds, "{}"));
    assertEquals(2, second.get("round").asInt());
    assertEquals(0, second.get("totalBallots").asInt());
    assertOk(alice.post(ballots(id), json("{'choices':[1]}")));
    JsonNode listed = assertOk(api.get(rounds));
    assertEquals(2, listed.get("round").asInt());
    JsonNode first = listed.get("rounds").get(0);
    assertEquals(1, first.get("round").asInt());
    assertEquals(1, first.get("totalBallots").asInt());
    assertEquals(1, first.get("options").get(0).get("votes").asInt());
    assertNotNull(first.get("endedAt"));
    assertOk(owner.post("/api/polls/" + id + "/close", "{}"));
    assertProblem(owner.post(rounds, "{}"), 409);
  }

  @Test
  void roundsOfHiddenResultsAreWithheldToo() {
    String id = newPoll("{'question':'Q?','options':['a','b'],'resultsVisibility':'hidden'}");
    assertOk(voter().post(ballots(id), json("{'choices':[0]}")));
    assertOk(owner.post("/api/polls/" + id + "/rounds", "{}"));
    JsonNode everyone = assertOk(api.get("/api/polls/" + id + "/rounds")).get("rounds").get(0);
    assertTrue(everyone.get("resultsWithheld").asBoolean());
    assertFalse(everyone.get("options").get(0).has("votes"));
    JsonNode owners = assertOk(owner.get("/api/polls/" + id + "/rounds")).get("rounds").get(0);
    assertEquals(1, owners.get("options").get(0).get("votes").asInt());
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private static String json(String singleQuoted) {
    return singleQuoted.replace('\'', '"');
  }

  private static String ballots(String id) {
    return "/api/polls/" + id + "/ballots";
  }

  private static ApiClient voter() {
    ApiClient.Reply reply = api.post("/api/voters", "");
    assertEquals(201, reply.status(), reply::toString);
    return api.as(reply.json().get("token").asText());
  }

  private static JsonNode create(String body) {
    ApiClient.Reply reply = owner.post("/api/polls", json(body));
    assertEquals(201, reply.status(), reply::toString);
    return reply.json();
  }

  private static String newPoll(String body) {
    return create(body).get("id").asText();
  }

  private static JsonNode view(String id, ApiClient client) {
    return assertOk(client.get("/api/polls/" + id));
  }

  private static JsonNode assertOk(ApiClient.Reply reply) {
    assertEquals(200, reply.status(), reply::toString);
    assertEquals("application/json", reply.mediaType(), reply::toString);
    return reply.json();
  }

  private Live open(String pollId, String token) {
    Live live = LiveSocketClient.open(server.httpPort(), pollId, token, new Live());
    opened.add(live);
    return live;
  }

  /** A socket that keeps every frame it reads. */
  private static final class Live extends LiveSocketClient {
    final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();

    @Override
    protected void onFrame(Frame frame) {
      frames.add(frame);
    }

    /** The first frame from now on that matches, within ten seconds. */
    JsonNode next(Predicate<JsonNode> matching) throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (System.nanoTime() < deadline) {
        Frame frame = frames.poll(100, TimeUnit.MILLISECONDS);
        if (frame != null && matching.test(frame.json())) {
          return frame.json();
        }
      }
      throw new AssertionError("no matching frame within 10 s");
    }
  }
}
