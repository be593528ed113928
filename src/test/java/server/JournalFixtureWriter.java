package server;

import actors.Ballot;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.ColumnDefinition;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import support.ApiClient;
import support.RealServer;
import support.TestConfig;

/**
 * Writes a journal fixture for {@code PollJournalFixtureIT}: polls of this version, voted on, changed, retracted and
 * closed, of every kind, with rounds, hidden results, invites, sign-ups and a deletion, their journal rows and the
 * views this version answers for them (as an admin sees them). Run only on request, before changing the
 * events: {@code mvn verify -Dit.test=JournalFixtureWriter -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false
 * -Dlivepoll.write-fixture=src/test/resources/fixtures/journal-<commit>.json}. Its name is outside the test
 * runners' patterns, so a plain {@code mvn verify} neither runs nor skips it.
 */
@EnabledIfSystemProperty(named = "livepoll.write-fixture", matches = ".+")
class JournalFixtureWriter {
  private static final String KEYSPACE = "fixture_writer";

  @RegisterExtension static final RealServer servers = new RealServer(KEYSPACE);

  @Test
  void writeTheFixture() throws Exception {
    Path target = Path.of(System.getProperty("livepoll.write-fixture"));
    LivepollServer server = servers.start("");
    List<String> pollIds = new ArrayList<>();
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode fixture = json.createObjectNode();
    try {
      ApiClient alice = new ApiClient(server.httpPort()).as(TestConfig.tokens().organizer("alice", false));
      ApiClient bob = new ApiClient(server.httpPort()).as(TestConfig.tokens().organizer("bob", false));
      var polls = server.polls();
      // single choice, vote change: casts, changes and a retraction, several of them in one write
      String open = ApiClient.createdId(alice.post("/api/polls",
          "{\"question\":\"Which day suits you?\",\"options\":[\"mon\",\"tue\",\"wed\"],\"allowVoteChange\":true}"));
      List<java.util.concurrent.CompletableFuture<?>> batch = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        batch.add(polls.castBallot(open, "voter-" + i, List.of(i % 3), null).toCompletableFuture());
      }
      batch.forEach(java.util.concurrent.CompletableFuture::join);
      polls.castBallot(open, "voter-0", List.of(2), null).toCompletableFuture().join();
      polls.retractBallot(open, "voter-2").toCompletableFuture().join();
      pollIds.add(open);
      // multiple choice, invited, closed by its owner
      String invited = ApiClient.createdId(bob.post("/api/polls", "{\"question\":\"Which talks did you enjoy?\","
          + "\"options\":[\"keynote\",\"streams\",\"sharding\",\"persistence\"],\"kind\":\"multiple\","
          + "\"maxChoices\":3,\"audience\":\"invited\"}"));
      polls.castBallot(invited, "guest-1", List.of(0, 2), invited).toCompletableFuture().join();
      polls.castBallot(invited, "guest-2", List.of(3, 1), invited).toCompletableFuture().join();
      polls.castBallot(invited, "guest-3", List.of(2, 3), invited).toCompletableFuture().join();
      bob.post("/api/polls/" + invited + "/close", "{}");
      pollIds.add(invited);
      // a scheduled close
      String scheduled = ApiClient.createdId(alice.post("/api/polls", "{\"question\":\"Next year's venue?\","
          + "\"options\":[\"Lisbon\",\"Oslo\"],\"closesAt\":\"" + Instant.now().plusSeconds(3) + "\"}"));
      polls.castBallot(scheduled, "early", List.of(1), null).toCompletableFuture().join();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!alice.get("/api/polls/" + scheduled).json().get("status").asText().equals("closed")
          && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      pollIds.add(scheduled);
      // since 01b6a14: the other kinds, rounds, hidden results, invites and sign-ups, client sequence numbers
      actors.Requester owner = new actors.Requester("alice", false);
      String rating = ApiClient.createdId(alice.post("/api/polls", "{\"question\":\"How was the talk?\","
          + "\"kind\":\"rating\",\"scale\":{\"min\":1,\"max\":5,\"minLabel\":\"meh\",\"maxLabel\":\"great\"},"
          + "\"allowVoteChange\":true}"));
      polls.castBallot(rating, "rater-1", Ballot.ofRating(4), null, 1L).toCompletableFuture().join();
      polls.castBallot(rating, "rater-2", Ballot.ofRating(2), null).toCompletableFuture().join();
      // rater-1's second ballot, with its client's next sequence number
      polls.castBallot(rating, "rater-1", Ballot.ofRating(5), null, 2L).toCompletableFuture().join();
      pollIds.add(rating);
      String ranking = ApiClient.createdId(alice.post("/api/polls", "{\"question\":\"Order these\","
          + "\"kind\":\"ranking\",\"options\":[\"tests\",\"docs\",\"speed\"],\"maxRanked\":2}"));
      polls.castBallot(ranking, "ranker-1", Ballot.ofRanking(List.of(2, 0)), null).toCompletableFuture().join();
      polls.castBallot(ranking, "ranker-2", Ballot.ofRanking(List.of(0)), null).toCompletableFuture().join();
      polls.nextRound(ranking, owner).toCompletableFuture().join();
      polls.castBallot(ranking, "ranker-1", Ballot.ofRanking(List.of(1, 2)), null).toCompletableFuture().join();
      pollIds.add(ranking);
      String words = ApiClient.createdId(alice.post("/api/polls", "{\"question\":\"One word for today?\","
          + "\"kind\":\"wordcloud\",\"maxWords\":3,\"resultsVisibility\":\"hidden\"}"));
      polls.castBallot(words, "writer-1", Ballot.ofWords(List.of("calm", "Sunny")), null).toCompletableFuture()
          .join();
      polls.castBallot(words, "writer-2", Ballot.ofWords(List.of("sunny", "rude")), null).toCompletableFuture()
          .join();
      polls.hideWord(words, owner, "rude").toCompletableFuture().join();
      polls.reveal(words, owner).toCompletableFuture().join();
      pollIds.add(words);
      String guests = ApiClient.createdId(alice.post("/api/polls", "{\"question\":\"Dinner?\","
          + "\"options\":[\"fish\",\"pasta\"],\"audience\":\"invited\"}"));
      polls.invite(guests, owner, List.of("guest-a", "guest-b", "guest-c")).toCompletableFuture().join();
      polls.castBallot(guests, "guest-a", List.of(1), guests).toCompletableFuture().join();
      polls.revokeInvite(guests, owner, "guest-c").toCompletableFuture().join();
      pollIds.add(guests);
      String joined = ApiClient.createdId(alice.post("/api/polls", "{\"question\":\"Room for the workshop?\","
          + "\"options\":[\"A\",\"B\"],\"audience\":\"joined\"}"));
      polls.signUp(joined, "walk-in-1").toCompletableFuture().join();
      polls.signUp(joined, "walk-in-2").toCompletableFuture().join();
      polls.castBallot(joined, "walk-in-1", List.of(0), joined).toCompletableFuture().join();
      pollIds.add(joined);
      // deleted through the entity alone (its journal keeps the deletion; the server would erase it as well)
      String deleted = ApiClient.createdId(alice.post("/api/polls", "{\"question\":\"Gone?\","
          + "\"options\":[\"yes\",\"no\"]}"));
      polls.castBallot(deleted, "voter-x", List.of(0), null).toCompletableFuture().join();
      polls.delete(deleted, owner).toCompletableFuture().join();
      pollIds.add(deleted);
      fixture.put("deleted", deleted);
      // every view as an admin sees it (invited and joined polls are private); the deleted one is unknown
      ApiClient admin = new ApiClient(server.httpPort()).as(TestConfig.tokens().organizer("fixture-admin", true));
      ArrayNode views = fixture.putArray("polls");
      for (String pollId : pollIds) {
        if (!pollId.equals(deleted)) {
          views.add(admin.get("/api/polls/" + pollId).json());
        }
      }
      ObjectNode admissions = fixture.putObject("admissions");
      admissions.set(guests, admin.get("/api/polls/" + guests + "/invites").json());
      admissions.set(joined, admin.get("/api/polls/" + joined + "/sign-ups").json());
    } finally {
      servers.stop(server);
    }
    ArrayNode messages = fixture.putArray("messages");
    fixture.putArray("snapshots");
    CqlSession session = servers.cql();
    for (String pollId : pollIds) {
      for (Row row : session.execute("SELECT * FROM " + KEYSPACE + ".messages WHERE persistence_id = ? "
          + "AND partition_nr = 0", "Poll|" + pollId)) {
        ObjectNode out = messages.addObject();
        for (ColumnDefinition column : row.getColumnDefinitions()) {
          String name = column.getName().asInternal();
          Object value = row.getObject(name);
          if (value == null) {
            continue;
          }
          out.put(name, value instanceof ByteBuffer bytes
              ? "base64:" + Base64.getEncoder().encodeToString(toArray(bytes))
              : value instanceof java.util.Set<?> set
                  ? set.toString().replace("[", "{").replace("]", "}") : value.toString());
        }
      }
    }
    Files.write(target, json.writeValueAsBytes(fixture));
  }

  private static byte[] toArray(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.duplicate().get(bytes);
    return bytes;
  }
}
