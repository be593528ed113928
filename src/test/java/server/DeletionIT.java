package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import auth.Tokens;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import support.RealServer;
import support.ApiClient;
import support.FreePorts;
import support.LiveSocketClient;
import support.TestConfig;

/**
 * Deleting polls on a real two-node cluster (both nodes in this JVM) over one real Cassandra node (a child JVM): a
 * deleted poll answers 404 everywhere through either node, also after both nodes restart; nothing of it is left in
 * the journal, the snapshots, the tag tables, the persistence-id list or any read model (read with CQL); its live
 * sockets get a 410 frame and close; the audit log keeps who deleted it and outlives it. And a deletion in the middle
 * of heavy voting acknowledges no ballot after its 204 and leaves none behind. Retention (closed polls kept 3 s here)
 * deletes closed polls the same way, and leaves open ones alone.
 */
class DeletionIT {
  private static final Tokens TOKENS = TestConfig.tokens();
  private static final String KEYSPACE = "deletion_it";
  private static final String QUESTION = "Which secret project name?";
  private static final String POLL = "{\"question\":\"" + QUESTION
      + "\",\"options\":[\"Falcon\",\"Heron\",\"Osprey\"],\"allowVoteChange\":true}";
  private static final Duration ERASED_WITHIN = Duration.ofSeconds(20);

  @RegisterExtension static final RealServer servers = new RealServer(KEYSPACE);
  private static CqlSession cql;
  private static LivepollServer nodeA;
  private static LivepollServer nodeB;
  private static int remoteA;
  private static int remoteB;
  private static ExecutorService voters;

  @BeforeAll
  static void start() throws Exception {
    remoteA = FreePorts.next();
    remoteB = FreePorts.next();
    startCluster();
    cql = servers.cql();
    voters = Executors.newFixedThreadPool(12);
  }

  @AfterAll
  static void stop() {
    if (voters != null) {
      voters.shutdownNow();
    }
  }

  private static void startCluster() throws InterruptedException {
    nodeA = startNode(remoteA, "");
    nodeB = startNode(remoteB, "livepoll.cluster.seed-nodes = \"127.0.0.1:" + remoteA + "\"");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (LivepollServer node : List.of(nodeA, nodeB)) {
      while (upMembers(node) != 2) {
        assertTrue(System.nanoTime() < deadline, "both nodes Up within 60 s");
        Thread.sleep(50);
      }
    }
  }

  private static void stopCluster() {
    if (nodeB != null) {
      servers.stop(nodeB);
      nodeB = null;
    }
    if (nodeA != null) {
      servers.stop(nodeA);
      nodeA = null;
    }
  }

  private static LivepollServer startNode(int remotePort, String extra) {
    return servers.start("""
        livepoll.remote.port = %d
        livepoll.lifecycle.forget-again-after = 2s
        livepoll.retention.closed = 3s
        livepoll.retention.sweep-every = 2s
        %s
        """.formatted(remotePort, extra));
  }

  private static long upMembers(LivepollServer node) {
    Iterable<Member> members = Cluster.get(node.system()).state().getMembers();
    return StreamSupport.stream(members.spliterator(), false)
        .filter(member -> member.status() == MemberStatus.up()).count();
  }

  private static ApiClient api(LivepollServer node) {
    return new ApiClient(node.httpPort());
  }

  @Test
  void aDeletedPollIsGoneEverywhereOnBothNodesAndAfterARestartAndOnlyItsAuditRemains() throws Exception {
    ApiClient alice = api(nodeA).as(TOKENS.organizer("alice", false));
    ApiClient.Reply created = alice.post("/api/polls", POLL);
    assertEquals(201, created.status(), created::toString);
    String id = ApiClient.createdId(created);
    String joinCode = created.json().get("joinCode").asText();
    String voter = TOKENS.newVoter().token();
    for (int i = 0; i < 6; i++) {
      ApiClient via = api(i % 2 == 0 ? nodeA : nodeB);
      assertEquals(200, via.as(i == 0 ? voter : TOKENS.newVoter().token())
          .post("/api/polls/" + id + "/ballots", "{\"choices\":[" + (i % 3) + "]}").status());
    }
    assertEquals(200, alice.post("/api/polls/" + id + "/rounds", "").status(), "a second round");
    assertEquals(200, api(nodeB).as(voter).post("/api/polls/" + id + "/ballots", "{\"choices\":[1]}").status());
    awaitStatus(() -> alice.get("/api/polls/" + id + "/stats"), 200, "the read side has the poll");
    awaitStatus(() -> api(nodeB).get("/api/join/" + joinCode), 200, "the join code resolves");
    Watcher watcher = LiveSocketClient.open(nodeB.httpPort(), id, null, new Watcher());
    assertEquals("snapshot", watcher.next().path("type").asText());

    // nobody but the owner or an admin learns that the poll exists
    ApiClient bob = api(nodeB).as(TOKENS.organizer("bob", false));
    assertProblem(bob.delete("/api/polls/" + id), 404);
    assertProblem(api(nodeB).as(voter).delete("/api/polls/" + id), 403);
    assertProblem(api(nodeB).delete("/api/polls/" + id), 401);
    assertEquals(200, alice.get("/api/polls/" + id).status(), "a refused delete changes nothing");

    ApiClient.Reply deleted = api(nodeB).as(TOKENS.organizer("alice", false)).delete("/api/polls/" + id);
    assertEquals(204, deleted.status(), deleted::toString);
    assertEquals(0, deleted.bytes().length);

    // the live socket's last frame, then the close
    JsonNode last = watcher.next();
    assertEquals("error", last.path("type").asText(), last::toString);
    assertEquals(410, last.path("status").asInt(), last::toString);
    assertEquals("Poll deleted", last.path("title").asText(), last::toString);
    assertNotNull(watcher.closed.get(10, TimeUnit.SECONDS));

    assertGoneEverywhere(id, joinCode, voter);
    assertErased(id, "alice");

    // deleting again is answered alike for the owner and an admin, and unknown for anyone else
    assertEquals(204, alice.delete("/api/polls/" + id).status());
    assertEquals(204, api(nodeB).as(TOKENS.organizer("root", true)).delete("/api/polls/" + id).status());
    assertProblem(bob.delete("/api/polls/" + id), 404);

    stopCluster();
    startCluster();

    assertGoneEverywhere(id, joinCode, voter);
    assertErased(id, "alice");
    assertEquals(204, api(nodeB).as(TOKENS.organizer("alice", false)).delete("/api/polls/" + id).status(),
        "the tombstone outlives the journal");
    assertProblem(api(nodeA).as(TOKENS.organizer("bob", false)).delete("/api/polls/" + id), 404);

    // the audit log outlives the poll, without its content
    ApiClient admin = api(nodeA).as(TOKENS.organizer("root", true));
    ApiClient.Reply audit = admin.get("/api/audit?pollId=" + id);
    assertEquals(200, audit.status(), audit::toString);
    List<String> actions = new ArrayList<>();
    for (JsonNode entry : audit.json().get("items")) {
      actions.add(entry.get("action").asText());
      assertEquals(id, entry.get("pollId").asText());
      assertEquals("127.0.0.1", entry.get("address").asText(), entry::toString);
      assertNotNull(entry.get("at").asText());
    }
    assertEquals(List.of("poll-deleted", "poll-deleted", "poll-deleted", "poll-deleted", "round-started",
        "poll-created"), actions, audit.body());
    assertEquals("alice", audit.json().get("items").get(5).get("actor").asText());
    assertEquals("organizer", audit.json().get("items").get(5).get("role").asText());
    assertEquals("root", audit.json().get("items").get(1).get("actor").asText());
    assertEquals("admin", audit.json().get("items").get(1).get("role").asText());
    assertFalse(audit.body().contains(QUESTION) || audit.body().contains("Falcon"), audit.body());

    // paging: two entries a page, then the rest, by cursor
    JsonNode first = admin.get("/api/audit?pollId=" + id + "&limit=2").json();
    assertEquals(2, first.get("items").size());
    JsonNode second = admin.get("/api/audit?pollId=" + id + "&limit=10&cursor="
        + first.get("nextCursor").asText()).json();
    assertEquals(4, second.get("items").size(), second::toString);
    assertTrue(second.get("nextCursor").isNull(), second::toString);
    JsonNode byAlice = admin.get("/api/audit?actor=alice&pollId=" + id).json();
    assertEquals(5, byAlice.get("items").size(), byAlice::toString);
    JsonNode everything = admin.get("/api/audit?since=2026-01-01T00:00:00Z&limit=200").json();
    assertTrue(everything.get("items").size() >= 6, everything::toString);

    assertProblem(api(nodeA).as(TOKENS.organizer("alice", false)).get("/api/audit"), 403);
    assertProblem(admin.get("/api/audit?limit=0"), 400);
    assertProblem(admin.get("/api/audit?since=yesterday"), 400);
    assertProblem(admin.get("/api/audit?cursor=nonsense"), 400);
  }

  /**
   * Voters keep voting through both nodes while the owner deletes the poll: no ballot sent after the 204 is
   * acknowledged, and nothing of any ballot is left in Cassandra.
   */
  @Test
  void deletionDuringHeavyVotingAcknowledgesNoBallotAfterThe204AndLeavesNoneBehind() throws Exception {
    ApiClient carol = api(nodeA).as(TOKENS.organizer("carol", false));
    String id = ApiClient.createdId(carol.post("/api/polls", POLL));
    record Ballot(long sentAt, long answeredAt, int status) {}
    BlockingQueue<Ballot> ballots = new LinkedBlockingQueue<>();
    AtomicBoolean voting = new AtomicBoolean(true);
    AtomicInteger acknowledged = new AtomicInteger();
    List<CompletableFuture<Void>> running = new ArrayList<>();
    for (int v = 0; v < 12; v++) {
      ApiClient via = api(v % 2 == 0 ? nodeA : nodeB);
      running.add(CompletableFuture.runAsync(() -> {
        while (voting.get()) {
          String token = TOKENS.newVoter().token();
          long sent = System.nanoTime();
          int status = via.as(token).post("/api/polls/" + id + "/ballots", "{\"choices\":[0]}").status();
          ballots.add(new Ballot(sent, System.nanoTime(), status));
          if (status == 200) {
            acknowledged.incrementAndGet();
          }
        }
      }, voters));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (acknowledged.get() < 200) {
      assertTrue(System.nanoTime() < deadline, "200 ballots acknowledged within 30 s: " + acknowledged.get());
      Thread.sleep(20);
    }
    ApiClient.Reply deleted = api(nodeB).as(TOKENS.organizer("carol", false)).delete("/api/polls/" + id);
    long answered = System.nanoTime();
    assertEquals(204, deleted.status(), deleted::toString);
    Thread.sleep(1500);
    voting.set(false);
    CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

    int after = 0;
    for (Ballot ballot : ballots) {
      if (ballot.sentAt() > answered) {
        after++;
        assertEquals(404, ballot.status(), "a ballot sent after the 204: " + ballot);
      }
      assertTrue(ballot.status() == 200 || ballot.status() == 404, "a ballot answered " + ballot.status());
    }
    assertTrue(after > 0, "ballots were sent after the 204");
    System.out.printf("DeletionIT: %d ballots acknowledged before the delete, %d refused after it%n",
        acknowledged.get(), after);
    assertErased(id, "carol");
    assertProblem(carol.get("/api/polls/" + id + "/stats"), 404);
  }

  @Test
  void closedPollsPastRetentionAreDeletedByTheSweepAndOperatorsSeeItsProgress() throws Exception {
    ApiClient dora = api(nodeA).as(TOKENS.organizer("dora", false));
    String closed = ApiClient.createdId(dora.post("/api/polls", POLL));
    String open = ApiClient.createdId(dora.post("/api/polls", POLL));
    assertEquals(200, api(nodeB).as(TOKENS.newVoter().token())
        .post("/api/polls/" + closed + "/ballots", "{\"choices\":[2]}").status());
    assertEquals(200, dora.post("/api/polls/" + closed + "/close", "").status());
    awaitStatus(() -> dora.get("/api/polls/" + closed + "/stats"), 200, "the read side has the poll");

    awaitStatus(() -> dora.get("/api/polls/" + closed), 404, "the sweep deletes the closed poll");
    assertErased(closed, "dora");
    assertEquals(200, dora.get("/api/polls/" + open).status(), "an open poll is kept");

    JsonNode audit = api(nodeB).as(TOKENS.organizer("root", true)).get("/api/audit?pollId=" + closed).json();
    JsonNode deletion = audit.get("items").get(0);
    assertEquals("poll-deleted", deletion.get("action").asText(), audit::toString);
    assertEquals("retention", deletion.get("actor").asText());
    assertEquals("system", deletion.get("role").asText());

    java.net.http.HttpResponse<String> progress = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + nodeB.managementPort()
            + "/retention")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, progress.statusCode(), progress::body);
    JsonNode figures = new com.fasterxml.jackson.databind.ObjectMapper().readTree(progress.body());
    assertEquals("3s", figures.get("closedPollsKeptFor").asText(), progress::body);
    assertTrue(figures.get("sweep").get("deletedTotal").asLong() >= 1, progress::body);
    assertNotNull(figures.get("sweep").get("startedAt").asText(), progress::body);
  }

  // ------------------------------------------------------------------------------------------------- assertions

  private void assertGoneEverywhere(String id, String joinCode, String voter) {
    for (LivepollServer node : List.of(nodeA, nodeB)) {
      ApiClient owner = api(node).as(TOKENS.organizer("alice", false));
      ApiClient admin = api(node).as(TOKENS.organizer("root", true));
      for (String path : List.of("", "/rounds", "/stats", "/timeline", "/export.csv", "/join", "/qr.svg", "/live")) {
        assertProblem(owner.get("/api/polls/" + id + path), 404);
        assertProblem(admin.get("/api/polls/" + id + path), 404);
      }
      assertProblem(api(node).get("/api/polls/" + id), 404);
      assertProblem(api(node).as(voter).post("/api/polls/" + id + "/ballots", "{\"choices\":[0]}"), 404);
      assertProblem(api(node).as(voter).delete("/api/polls/" + id + "/ballots/me"), 404);
      assertProblem(api(node).get("/api/join/" + joinCode), 404);
      for (String action : List.of("/close", "/reveal", "/rounds")) {
        assertProblem(owner.post("/api/polls/" + id + action, ""), 404);
      }
      assertProblem(owner.post("/api/polls/" + id + "/invites", "{\"count\":1}"), 404);
      JsonNode catalogue = owner.get("/api/polls?limit=100").json();
      for (JsonNode item : catalogue.get("items")) {
        assertFalse(id.equals(item.get("id").asText()), "the catalogue lists the deleted poll: " + catalogue);
      }
    }
  }

  /** Reads every table that could hold the poll, straight from Cassandra, until none does. */
  private static void assertErased(String id, String owner) throws InterruptedException {
    String pid = "Poll|" + id;
    Map<String, String> queries = new java.util.LinkedHashMap<>();
    queries.put("journal", "SELECT * FROM " + KEYSPACE + ".messages WHERE persistence_id = '" + pid
        + "' AND partition_nr IN (0, 1)");
    queries.put("snapshots", "SELECT * FROM " + KEYSPACE + ".snapshots WHERE persistence_id = '" + pid + "'");
    queries.put("metadata", "SELECT * FROM " + KEYSPACE + ".metadata WHERE persistence_id = '" + pid + "'");
    queries.put("all_persistence_ids", "SELECT * FROM " + KEYSPACE + ".all_persistence_ids WHERE persistence_id = '"
        + pid + "'");
    queries.put("tag_write_progress", "SELECT * FROM " + KEYSPACE + ".tag_write_progress WHERE persistence_id = '"
        + pid + "'");
    queries.put("tag_scanning", "SELECT * FROM " + KEYSPACE + ".tag_scanning WHERE persistence_id = '" + pid + "'");
    queries.put("poll_summaries", "SELECT * FROM " + KEYSPACE + ".poll_summaries WHERE poll_id = '" + id + "'");
    queries.put("polls_by_owner", "SELECT * FROM " + KEYSPACE + ".polls_by_owner WHERE owner = '" + owner + "'");
    queries.put("poll_round_results", "SELECT * FROM " + KEYSPACE + ".poll_round_results WHERE poll_id = '" + id
        + "'");
    queries.put("poll_results", "SELECT * FROM " + KEYSPACE + ".poll_results WHERE poll_id = '" + id + "'");
    long deadline = System.nanoTime() + ERASED_WITHIN.toNanos();
    for (var query : queries.entrySet()) {
      while (true) {
        List<Row> rows = cql.execute(query.getValue()).all().stream()
            .filter(row -> !query.getKey().equals("polls_by_owner") || id.equals(row.getString("poll_id")))
            .toList();
        if (rows.isEmpty()) {
          break;
        }
        assertTrue(System.nanoTime() < deadline, () -> query.getKey() + " still holds poll " + id + ": "
            + rows.stream().map(Row::getFormattedContents).toList());
        Thread.sleep(200);
      }
    }
    // the tombstone is all that is left: no content
    Row tombstone = cql.execute("SELECT * FROM " + KEYSPACE + ".deleted_polls WHERE poll_id = '" + id + "'").one();
    assertNotNull(tombstone, "the tombstone");
    assertEquals(owner, tombstone.getString("owner"));
  }

  private static void assertProblem(ApiClient.Reply reply, int status) {
    assertEquals(status, reply.status(), reply::toString);
    assertEquals("application/problem+json", reply.mediaType(), reply::toString);
  }

  private static void awaitStatus(java.util.function.Supplier<ApiClient.Reply> request, int status, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    ApiClient.Reply reply;
    while ((reply = request.get()).status() != status) {
      assertTrue(System.nanoTime() < deadline, what + ": " + reply);
      Thread.sleep(100);
    }
  }

  /** A live socket that keeps its frames in order. */
  private static final class Watcher extends LiveSocketClient {
    private final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();

    @Override
    protected void onFrame(Frame frame) {
      frames.add(frame);
    }

    /** The next frame that is not a tally (skipping the tallies of ballots in flight), within ten seconds. */
    JsonNode next() {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (true) {
        Frame frame = pollUntil(frames, deadline);
        if (frame == null) {
          throw new AssertionError("no frame within 10 s (closed: " + describeClose() + ")");
        }
        if (!"tally".equals(frame.json().path("type").asText())) {
          return frame.json();
        }
      }
    }
  }
}
