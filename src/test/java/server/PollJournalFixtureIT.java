package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.TestMethodOrder;
import storage.CassandraSchema;
import support.ApiClient;
import support.RealServer;
import support.TestConfig;

/**
 * Journals written by earlier versions still replay. {@code fixtures/journal-4385bcc.json} holds the journal and
 * snapshot rows that main at 4385bcc (2026-11-29: one event per ballot, tags for events-by-tag, a snapshot every few
 * events) wrote for three polls (casts, changes, retractions, an invited multiple-choice poll closed by its owner, a
 * scheduled close), and the views it answered for them; {@code fixtures/journal-01b6a14.json} the same kinds of polls
 * as main at 01b6a14 wrote them (2026-11-30: one {@code BallotsRecorded} per write, before rating, ranking and word
 * clouds, hidden results and rounds; written by {@code JournalFixtureWriter}); {@code fixtures/journal-dbd7f2e.json}
 * polls of every kind as main at dbd7f2e wrote them, with a second round, hidden results revealed, a hidden word,
 * invites (one revoked), sign-ups through a join code, a client's ballot numbers, and a deletion (every event type of
 * that version; its views are as an admin saw them). The rows go into a real Cassandra as
 * they were; a server of this version must answer the same views (with the fields added since, at their defaults),
 * recognise the recorded voters, go on writing after them, and build its read models from them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PollJournalFixtureIT {
  private static final String KEYSPACE = "fixture_4385bcc";
  private static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension static final RealServer servers = new RealServer(KEYSPACE);
  private static LivepollServer server;
  private static JsonNode fixture;
  private static JsonNode current;
  /** Written at dbd7f2e: every kind, rounds, hidden results, invites, sign-ups, client sequence numbers, a deletion. */
  private static JsonNode kinds;

  @BeforeAll
  static void loadTheOldJournalAndStart() throws Exception {
    try (InputStream in = PollJournalFixtureIT.class.getResourceAsStream("/fixtures/journal-4385bcc.json")) {
      fixture = JSON.readTree(in);
    }
    try (InputStream in = PollJournalFixtureIT.class.getResourceAsStream("/fixtures/journal-01b6a14.json")) {
      current = JSON.readTree(in);
    }
    try (InputStream in = PollJournalFixtureIT.class.getResourceAsStream("/fixtures/journal-dbd7f2e.json")) {
      kinds = JSON.readTree(in);
    }
    CassandraSchema.apply(List.of(servers.contactPoint()), "datacenter1", KEYSPACE,
        "{'class': 'SimpleStrategy', 'replication_factor': 1}",
        java.util.Optional.of(servers.cassandra().credentials()), Duration.ofSeconds(60));
    CqlSession session = servers.cql();
    Set<String> persistenceIds = new LinkedHashSet<>();
    for (JsonNode journal : List.of(fixture, current, kinds)) {
      for (JsonNode row : journal.get("messages")) {
        insert(session, "messages", row);
        persistenceIds.add(row.get("persistence_id").asText());
      }
    }
    for (JsonNode row : fixture.get("snapshots")) {
      insert(session, "snapshots", row);
    }
    // the old journal wrote these with each poll's first event; the read side lists polls from them
    for (String persistenceId : persistenceIds) {
      session.execute("INSERT INTO " + KEYSPACE + ".all_persistence_ids (persistence_id) VALUES (?)",
          persistenceId);
    }
    server = servers.start("");
  }

  @Test
  @Order(1)
  void everyOldPollAnswersAsTheOldVersionDid() {
    // as an admin: the old views named the owner, which only managers see now, and an invited poll is unknown to
    // anyone else; old polls are not in the index of poll ids, and must be found all the same
    ApiClient api = new ApiClient(server.httpPort()).as(TestConfig.tokens().organizer("fixture-admin", true));
    for (JsonNode journal : List.of(fixture, current)) {
      for (JsonNode expected : journal.get("polls")) {
        ApiClient.Reply reply = api.get("/api/polls/" + expected.get("id").asText());
        assertEquals(200, reply.status(), reply::toString);
        assertAnswersAsBefore(expected, reply.json());
      }
    }
  }

  @Test
  @Order(1)
  void pollsOfEveryKindWithRoundsAdmissionsAndADeletionAnswerAsTheyDid() {
    ApiClient admin = new ApiClient(server.httpPort()).as(TestConfig.tokens().organizer("fixture-admin", true));
    for (JsonNode expected : kinds.get("polls")) {
      ApiClient.Reply reply = admin.get("/api/polls/" + expected.get("id").asText());
      assertEquals(200, reply.status(), reply::toString);
      assertEquals(expected, reply.json());
    }
    kinds.get("admissions").fields().forEachRemaining(poll -> {
      String way = poll.getValue().get("way").asText().equals("INVITED") ? "invites" : "sign-ups";
      assertEquals(poll.getValue(), admin.get("/api/polls/" + poll.getKey() + "/" + way).json());
    });
    // the deleted poll stays deleted, for everyone
    ApiClient.Reply deleted = admin.get("/api/polls/" + kinds.get("deleted").asText());
    assertEquals(404, deleted.status(), deleted::toString);
    actors.Polls polls = server.polls();
    String rating = kinds.get("polls").get(3).get("id").asText();
    // rater-1's client numbered its ballots 1 and 2: a ballot numbered 1 again is stale
    assertEquals(actors.Poll.Rejection.STALE_BALLOT, ((actors.Poll.Rejected) polls.castBallot(rating, "rater-1",
        actors.Ballot.ofRating(1), null, 1L).toCompletableFuture().join()).reason());
    // the revoked guest may not vote, the invited one may, the walk-in who signed up may
    String guests = kinds.get("polls").get(6).get("id").asText();
    assertEquals(actors.Poll.Rejection.NOT_INVITED, ((actors.Poll.Rejected) polls.castBallot(guests, "guest-c",
        List.of(0), guests).toCompletableFuture().join()).reason());
    assertEquals(2, ((actors.Poll.Accepted) polls.castBallot(guests, "guest-b", List.of(0), guests)
        .toCompletableFuture().join()).poll().totalBallots());
    String joined = kinds.get("polls").get(7).get("id").asText();
    assertEquals(2, ((actors.Poll.Accepted) polls.castBallot(joined, "walk-in-2", List.of(1), joined)
        .toCompletableFuture().join()).poll().totalBallots());
  }

  /** Every field of the old view, unchanged; the fields added since at the values an old poll has. */
  private static void assertAnswersAsBefore(JsonNode expected, JsonNode actual) {
    String id = expected.get("id").asText();
    expected.fieldNames().forEachRemaining(field ->
        assertEquals(expected.get(field), actual.get(field), "poll " + id + ", field " + field));
    assertEquals(1, actual.get("round").asInt(), "poll " + id);
    assertEquals("live", actual.get("resultsVisibility").asText(), "poll " + id);
    assertTrue(!actual.has("resultsWithheld") && !actual.has("words") && !actual.has("rating"), actual::toString);
  }

  @Test
  @Order(2)
  void votersOfTheBatchedJournalAreRecognisedAndTheirPollsTakeTheNewRequests() {
    JsonNode open = current.get("polls").get(0); // single choice, vote change: 12 casts, a change, a retraction
    String pollId = open.get("id").asText();
    long version = open.get("version").asLong();
    actors.Polls polls = server.polls();
    // voter-0 changed to option 2: the same ballot again is acknowledged and writes nothing
    assertEquals(version, ((actors.Poll.Accepted) polls.castBallot(pollId, "voter-0", List.of(2), null)
        .toCompletableFuture().join()).poll().version());
    // voter-1 voted once (option 1) and may not vote twice differently... but vote changes are allowed here
    actors.PollView changed = ((actors.Poll.Accepted) polls.castBallot(pollId, "voter-1", List.of(0), null)
        .toCompletableFuture().join()).poll();
    assertEquals(version + 1, changed.version());
    assertEquals(open.get("totalBallots").asLong(), changed.totalBallots());
    // the new requests work on an old poll: a round, and reveal (a no-op for live results)
    actors.Requester alice = new actors.Requester("alice", false);
    actors.PollView next = ((actors.Poll.Accepted) polls.nextRound(pollId, alice).toCompletableFuture().join())
        .poll();
    assertEquals(2, next.round());
    assertEquals(0, next.totalBallots());
    actors.Poll.RoundsListed rounds = (actors.Poll.RoundsListed) polls.rounds(pollId).toCompletableFuture().join();
    assertEquals(open.get("totalBallots").asLong(), rounds.rounds().get(0).totalBallots());
    assertEquals(version + 2, ((actors.Poll.Accepted) polls.reveal(pollId, alice).toCompletableFuture().join())
        .poll().version());
  }

  @Test
  @Order(2)
  void recoveredVotersAreRecognisedAndNewBallotsFollowTheOldEvents() {
    JsonNode open = fixture.get("polls").get(0); // single choice, vote change allowed, 11 ballots at version 19
    String pollId = open.get("id").asText();
    long version = open.get("version").asLong();
    // voter-0 changed to option 2 in the old journal: the same ballot again is acknowledged, and writes nothing
    assertEquals(version, server.polls().castBallot(pollId, "voter-0", List.of(2), null).toCompletableFuture()
        .join() instanceof actors.Poll.Accepted accepted ? accepted.poll().version() : -1);
    // voter-2 retracted: a new ballot of theirs counts again, as the next event
    actors.PollView after = ((actors.Poll.Accepted) server.polls()
        .castBallot(pollId, "voter-2", List.of(0), null).toCompletableFuture().join()).poll();
    assertEquals(version + 1, after.version());
    assertEquals(open.get("totalBallots").asLong() + 1, after.totalBallots());
    // the invited poll was closed by its owner
    JsonNode closed = fixture.get("polls").get(1);
    actors.Poll.Reply late = server.polls().castBallot(closed.get("id").asText(), "guest-4", List.of(0),
        closed.get("id").asText()).toCompletableFuture().join();
    assertEquals(actors.Poll.Rejection.POLL_CLOSED, ((actors.Poll.Rejected) late).reason());
  }

  @Test
  @Order(3)
  void theReadSideBuildsItsModelsFromTheOldEvents() throws Exception {
    // the change logs are empty at the first start of this version: every poll in the journal is recorded in them,
    // so the projections read the old polls too
    ApiClient bob = new ApiClient(server.httpPort()).as(TestConfig.tokens().organizer("bob", false));
    JsonNode invited = fixture.get("polls").get(1);
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    ApiClient.Reply stats;
    do {
      stats = bob.get("/api/polls/" + invited.get("id").asText() + "/stats");
      if (stats.status() == 200 && stats.json().get("seq").asLong() == invited.get("version").asLong()) {
        break;
      }
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    assertEquals(200, stats.status(), stats::toString);
    assertEquals(invited.get("version").asLong(), stats.json().get("seq").asLong(), stats::toString);
    assertEquals(3, stats.json().get("ballotsCast").asLong());
    assertEquals(3, stats.json().get("uniqueVoters").asLong());
    JsonNode page = bob.get("/api/polls").json();
    List<String> listed = new ArrayList<>();
    page.get("items").forEach(item -> listed.add(item.get("id").asText() + ":" + item.get("status").asText()));
    assertTrue(listed.contains(invited.get("id").asText() + ":closed"), listed::toString);
  }

  /**
   * Deleting a poll that the old version wrote with tags erases its events-by-tag rows too (written here from its
   * journal rows as the old version's tag writer did: same tags, bucket and time-based id), its snapshots and its
   * journal, and leaves another poll's tag rows alone.
   */
  @Test
  @Order(4)
  void deletingAnOldTaggedPollErasesItsTagRowsSnapshotsAndJournal() {
    JsonNode invited = fixture.get("polls").get(1);
    String deleted = "Poll|" + invited.get("id").asText();
    String kept = "Poll|" + fixture.get("polls").get(0).get("id").asText();
    try (CqlSession session = servers.cassandra().credentials().applyTo(CqlSession.builder())
        .addContactPoint(servers.contactPoint()).withLocalDatacenter("datacenter1").build()) {
      Map<String, Long> tagSeq = new java.util.HashMap<>();
      for (JsonNode row : fixture.get("messages")) {
        String pid = row.get("persistence_id").asText();
        if (!pid.equals(deleted) && !pid.equals(kept)) {
          continue;
        }
        for (String tag : tags(row)) {
          long tagPidSeq = tagSeq.merge(pid + tag, 1L, Long::sum);
          session.execute("INSERT INTO " + KEYSPACE + ".tag_views (tag_name, timebucket, timestamp, persistence_id, "
              + "tag_pid_sequence_nr, sequence_nr) VALUES (?, ?, ?, ?, ?, ?)", tag,
              Long.parseLong(row.get("timebucket").asText()), java.util.UUID.fromString(row.get("timestamp").asText()),
              pid, tagPidSeq, row.get("sequence_nr").asLong());
          session.execute("INSERT INTO " + KEYSPACE + ".tag_write_progress (persistence_id, tag, sequence_nr, "
              + "tag_pid_sequence_nr) VALUES (?, ?, ?, ?)", pid, tag, row.get("sequence_nr").asLong(),
              tagPidSeq);
        }
        session.execute("INSERT INTO " + KEYSPACE + ".tag_scanning (persistence_id, sequence_nr) VALUES (?, ?)", pid,
            row.get("sequence_nr").asLong());
      }
      assertTrue(tagRows(session, deleted) > 0 && tagRows(session, kept) > 0, "tag rows of both polls");
      assertEquals(1, session.execute("SELECT * FROM " + KEYSPACE + ".snapshots WHERE persistence_id = ?", deleted)
          .all().size(), "the old version's snapshot");

      ApiClient.Reply reply = new ApiClient(server.httpPort()).as(TestConfig.tokens().organizer("bob", false))
          .delete("/api/polls/" + invited.get("id").asText());
      assertEquals(204, reply.status(), reply::toString);

      assertEquals(0, tagRows(session, deleted), "tag_views rows of the deleted poll");
      for (String table : List.of("tag_write_progress", "tag_scanning", "snapshots", "metadata",
          "all_persistence_ids")) {
        assertEquals(0, session.execute("SELECT * FROM " + KEYSPACE + "." + table + " WHERE persistence_id = ?",
            deleted).all().size(), table);
      }
      assertEquals(0, session.execute("SELECT * FROM " + KEYSPACE + ".messages WHERE persistence_id = ? AND "
          + "partition_nr IN (0, 1)", deleted).all().size(), "journal rows");
      assertTrue(tagRows(session, kept) > 0, "another poll's tag rows stay");
      assertEquals(1, session.execute("SELECT * FROM " + KEYSPACE + ".tag_write_progress WHERE persistence_id = ?",
          kept).all().size());
    }
    assertEquals(200, new ApiClient(server.httpPort()).get("/api/polls/" + fixture.get("polls").get(0).get("id")
        .asText()).status(), "the other poll still answers");
  }

  /** The tags of a fixture's journal row, kept as CQL prints a set: {@code [polls-1]}. */
  private static List<String> tags(JsonNode row) {
    String text = row.get("tags").asText().replaceAll("[\\[\\]{}' ]", "");
    return text.isEmpty() ? List.of() : List.of(text.split(","));
  }

  /** The tag_views rows of {@code pid} in every (tag, bucket) partition the fixture's journal rows name. */
  private static long tagRows(CqlSession session, String pid) {
    java.util.Set<String> partitions = new java.util.HashSet<>();
    for (JsonNode row : fixture.get("messages")) {
      tags(row).forEach(tag -> partitions.add(tag + "@" + row.get("timebucket").asText()));
    }
    long count = 0;
    for (String partition : partitions) {
      String[] parts = partition.split("@");
      count += session.execute("SELECT persistence_id FROM " + KEYSPACE + ".tag_views WHERE tag_name = ? AND "
              + "timebucket = ?", parts[0], Long.parseLong(parts[1])).all().stream()
          .filter(row -> pid.equals(row.getString("persistence_id"))).count();
    }
    return count;
  }

  /** One row as the old version wrote it: strings as they were, blobs base64, timeuuids and numbers as text. */
  private static void insert(CqlSession session, String table, JsonNode row) {
    List<String> columns = new ArrayList<>();
    List<Object> values = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> fields = row.fields(); fields.hasNext(); ) {
      Map.Entry<String, JsonNode> field = fields.next();
      columns.add(field.getKey());
      values.add(value(table, field.getKey(), field.getValue().asText()));
    }
    session.execute(com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance("INSERT INTO " + KEYSPACE + "."
        + table + " (" + String.join(", ", columns) + ") VALUES (" + "?, ".repeat(columns.size() - 1) + "?)",
        values.toArray()));
  }

  private static Object value(String table, String column, String text) {
    if (text.startsWith("base64:")) {
      return ByteBuffer.wrap(Base64.getDecoder().decode(text.substring("base64:".length())));
    }
    return switch (column) {
      case "partition_nr", "sequence_nr" -> Long.parseLong(text);
      case "timestamp" -> table.equals("snapshots") ? (Object) Long.parseLong(text) : UUID.fromString(text);
      case "ser_id", "meta_ser_id" -> Integer.parseInt(text);
      case "tags" -> Set.of(text.substring(1, text.length() - 1).split(", "));
      default -> text;
    };
  }
}
