package server;

import static support.Views.votes;
import static support.Views.counts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import actors.PollEntity;
import auth.Tokens;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import support.ApiClient;
import support.FreePorts;
import support.RealServer;
import support.LiveSocketClient;
import support.LiveSocketClient.Frame;
import support.TestConfig;

/**
 * Live sockets across a real two-node cluster (both nodes in this JVM, one real Cassandra node as a child JVM): a
 * poll is owned by one node, watched from both, voted on through both (REST and a socket), and closed through the
 * other node's API. Every socket ends on the exact final state, with strictly increasing seq, whichever node owns
 * the poll and whichever node took the ballot.
 */
class LiveClusterIT {
  private static final Tokens TOKENS = TestConfig.tokens();
  private static final String KEYSPACE = "live_cluster_it";
  private static final String THREE_OPTIONS = "{\"question\":\"Cluster?\",\"options\":[\"a\",\"b\",\"c\"]}";
  /**
   * How long the latest state may take to reach a socket once the ballot (or close) is acknowledged. The topic
   * delivers in milliseconds once a node's subscription has spread through the cluster; until then (up to a few
   * seconds after a node's first socket on a poll) the node's 2 s re-read of the poll is what delivers.
   */
  private static final Duration LATEST_STATE_TIMEOUT = Duration.ofSeconds(4);
  private static final Duration FRAME_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration MEMBERSHIP_TIMEOUT = Duration.ofSeconds(30);
  /**
   * REST ballots of the burst, half through each node. Printed latencies count from the moment the client has the
   * ack; a frame may beat the HTTP reply to the client, so some are zero or slightly negative.
   */
  private static final int BURST = 120;

  @RegisterExtension static final RealServer servers = new RealServer(KEYSPACE);
  private static LivepollServer nodeA;
  private static LivepollServer nodeB;
  private static ExecutorService voters;
  private final List<Live> opened = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws Exception {
    int remoteA = FreePorts.next();
    long start = System.nanoTime();
    nodeA = startNode(remoteA, "");
    nodeB = startNode(FreePorts.next(), "livepoll.cluster.seed-nodes = \"127.0.0.1:" + remoteA + "\"");
    awaitUpMembers(2, nodeA, nodeB);
    System.out.printf("LiveClusterIT: two nodes Up (remote ports %d, %d) %d ms after node A began to start "
            + "(schema included)%n",
        remoteA, Cluster.get(nodeB.system()).selfMember().address().getPort().get(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    voters = Executors.newFixedThreadPool(16);
  }

  @AfterEach
  void closeSockets() {
    for (Live live : opened) {
      live.abort();
    }
  }

  @AfterAll
  static void stopCluster() {
    if (voters != null) {
      voters.shutdownNow();
    }
  }

  /**
   * Join codes across the cluster: codes claimed through both nodes at once are all different, and each resolves to
   * its poll through either node, until the poll closes.
   */
  @Test
  void joinCodesAreUniqueAcrossNodesAndResolveThroughEither() throws Exception {
    ApiClient viaA = new ApiClient(nodeA.httpPort()).as(TOKENS.organizer("codes", false));
    ApiClient viaB = new ApiClient(nodeB.httpPort()).as(TOKENS.organizer("codes", false));
    List<CompletableFuture<JsonNode>> creations = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      ApiClient via = i % 2 == 0 ? viaA : viaB;
      creations.add(CompletableFuture.supplyAsync(() -> via.post("/api/polls", THREE_OPTIONS).json(), voters));
    }
    java.util.Map<String, String> pollOfCode = new java.util.HashMap<>();
    for (CompletableFuture<JsonNode> creation : creations) {
      JsonNode poll = creation.get(60, TimeUnit.SECONDS);
      assertEquals(null, pollOfCode.put(poll.get("joinCode").asText(), poll.get("id").asText()), poll::toString);
    }
    for (var entry : pollOfCode.entrySet()) {
      for (LivepollServer node : List.of(nodeA, nodeB)) {
        ApiClient.Reply joined = new ApiClient(node.httpPort()).get("/api/join/" + entry.getKey());
        assertEquals(200, joined.status(), joined::toString);
        assertEquals(entry.getValue(), joined.json().get("pollId").asText());
      }
    }
    var first = pollOfCode.entrySet().iterator().next();
    assertEquals(200, viaA.post("/api/polls/" + first.getValue() + "/close", "").status());
    assertEquals(404, new ApiClient(nodeB.httpPort()).get("/api/join/" + first.getKey()).status());
  }

  private static LivepollServer startNode(int remotePort, String extra) {
    return servers.start("livepoll.remote.port = " + remotePort + "\n" + extra);
  }

  /** Waits until every node sees {@code count} members Up; a node that is Up itself may not yet see the other. */
  private static void awaitUpMembers(int count, LivepollServer... nodes) throws InterruptedException {
    long deadline = System.nanoTime() + MEMBERSHIP_TIMEOUT.toNanos();
    for (LivepollServer node : nodes) {
      while (upMembers(node) != count) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(node.system().address() + " sees " + upMembers(node) + " members Up, not "
              + count + ", after " + MEMBERSHIP_TIMEOUT + ": " + Cluster.get(node.system()).state().getMembers());
        }
        Thread.sleep(50);
      }
    }
  }

  private static long upMembers(LivepollServer node) {
    Iterable<Member> members = Cluster.get(node.system()).state().getMembers();
    return StreamSupport.stream(members.spliterator(), false)
        .filter(member -> member.status() == MemberStatus.up())
        .count();
  }

  /**
   * Run twice, each time on a new poll: shards go to the node with the fewest, so the two polls usually live on
   * different nodes, and each node is then once the owner and once the other one (the owner is printed).
   */
  @RepeatedTest(value = 2, name = "poll {currentRepetition} of {totalRepetitions}")
  void socketsOnBothNodesFollowBallotsThroughEitherNodeToTheExactFinalStateAndTheClose(RepetitionInfo repetition)
      throws Exception {
    String run = "LiveClusterIT[poll " + repetition.getCurrentRepetition() + "]";
    ApiClient apiA = new ApiClient(nodeA.httpPort());
    ApiClient apiB = new ApiClient(nodeB.httpPort());
    String organizer = TOKENS.organizer("alice", false);
    ApiClient.Reply created = apiA.as(organizer).post("/api/polls", THREE_OPTIONS);
    assertEquals(201, created.status(), created::toString);
    String id = ApiClient.createdId(created);
    System.out.printf("%s: poll %s is owned by node %s%n", run, id, ownerOf(id));

    Live onA = open(nodeA, id, null);
    Live onB = open(nodeB, id, TOKENS.newVoter().token());
    long snapshotSeqA = onA.snapshot().path("seq").asLong();
    long snapshotSeqB = onB.snapshot().path("seq").asLong();
    assertEquals(snapshotSeqA, snapshotSeqB, "both nodes show the same poll");

    long[] expected = new long[3];

    // a ballot through node A reaches the socket on node B
    JsonNode first = vote(apiA, TOKENS.newVoter().token(), id, 0);
    long firstAck = System.nanoTime();
    expected[0]++;
    Frame onBFirst = onB.awaitTally(tally -> matches(tally, expected, 1), firstAck, "the ballot cast via A");
    assertEquals(first.get("version").asLong(), onBFirst.json().path("seq").asLong(), onBFirst::toString);

    // and a ballot through node B reaches the socket on node A
    JsonNode second = vote(apiB, TOKENS.newVoter().token(), id, 1);
    long secondAck = System.nanoTime();
    expected[1]++;
    Frame onASecond = onA.awaitTally(tally -> matches(tally, expected, 2), secondAck, "the ballot cast via B");
    assertEquals(second.get("version").asLong(), onASecond.json().path("seq").asLong(), onASecond::toString);
    System.out.printf("%s: lone ballot via A -> tally on B's socket %d ms; via B -> A's socket %d ms%n", run,
        millis(onBFirst.receivedAt() - firstAck), millis(onASecond.receivedAt() - secondAck));

    // a burst: half of the REST ballots through each node (so both through the owner and through the other one),
    // distinct voters, and one more ballot on B's socket meanwhile
    List<CompletableFuture<Long>> acks = new ArrayList<>();
    for (int i = 0; i < BURST; i++) {
      ApiClient via = i % 2 == 0 ? apiA : apiB;
      String token = TOKENS.newVoter().token();
      int choice = i % 3;
      expected[choice]++;
      acks.add(CompletableFuture.supplyAsync(() -> {
        vote(via, token, id, choice);
        return System.nanoTime();
      }, voters));
    }
    onB.send("{\"type\":\"ballot\",\"choices\":[2],\"ref\":\"on-b\"}");
    expected[2]++;
    JsonNode socketAck = onB.awaitReply(FRAME_TIMEOUT);
    long lastAck = System.nanoTime();
    assertEquals("ack", socketAck.path("type").asText(), socketAck::toString);
    assertEquals("on-b", socketAck.path("ref").asText(), socketAck::toString);
    for (CompletableFuture<Long> ack : acks) {
      lastAck = Math.max(lastAck, ack.get(30, TimeUnit.SECONDS));
    }
    long total = 2 + BURST + 1;
    assertEquals(total, expected[0] + expected[1] + expected[2]);

    JsonNode viewA = json(apiA.get("/api/polls/" + id), 200);
    JsonNode viewB = json(apiB.get("/api/polls/" + id), 200);
    assertEquals(viewA, viewB, "both nodes answer with the same poll");
    assertEquals(List.of(expected[0], expected[1], expected[2]), votes(viewA), viewA::toString);
    assertEquals(total, viewA.get("totalBallots").asLong(), viewA::toString);
    long finalSeq = viewA.get("version").asLong();

    long ackedAt = lastAck;
    Frame finalOnA = onA.awaitTally(tally -> matches(tally, expected, total), ackedAt, "the final state");
    Frame finalOnB = onB.awaitTally(tally -> matches(tally, expected, total), ackedAt, "the final state");
    System.out.printf("%s: last ack -> final tally frame: node A %d ms, node B %d ms (%d ballots)%n", run,
        millis(finalOnA.receivedAt() - lastAck), millis(finalOnB.receivedAt() - lastAck), total);
    for (Frame last : List.of(finalOnA, finalOnB)) {
      assertEquals(finalSeq, last.json().path("seq").asLong(), () -> "the final tally carries the poll's version: "
          + last);
      assertEquals("open", last.json().path("status").asText(), last::toString);
    }

    // closing through node B's API sends a final closed tally to the socket on node A (and on B)
    JsonNode closed = json(apiB.as(organizer).post("/api/polls/" + id + "/close", ""), 200);
    long closeAck = System.nanoTime();
    assertEquals("closed", closed.get("status").asText(), closed::toString);
    Predicate<JsonNode> closedTally = tally -> "closed".equals(tally.path("status").asText());
    Frame closedOnA = onA.awaitTally(closedTally, closeAck, "the closed tally");
    Frame closedOnB = onB.awaitTally(closedTally, closeAck, "the closed tally");
    System.out.printf("%s: close via B -> closed tally frame: node A %d ms, node B %d ms%n", run,
        millis(closedOnA.receivedAt() - closeAck), millis(closedOnB.receivedAt() - closeAck));
    for (Frame last : List.of(closedOnA, closedOnB)) {
      assertTrue(matches(last.json(), expected, total), () -> "the closed tally keeps the final counts: " + last);
      assertEquals(closed.get("version").asLong(), last.json().path("seq").asLong(), last::toString);
    }

    onA.assertSeqStrictlyIncreasing(snapshotSeqA);
    onB.assertSeqStrictlyIncreasing(snapshotSeqB);
    System.out.printf("%s: tally frames: node A %d, node B %d%n", run, onA.tallies.size(), onB.tallies.size());
  }

  // ------------------------------------------------------------------------------------------- helpers

  /** "A" or "B": the node whose shard region holds the poll's entity. */
  private static String ownerOf(String pollId) throws Exception {
    List<String> owners = new ArrayList<>();
    for (LivepollServer node : List.of(nodeA, nodeB)) {
      ActorSystem<Void> system = node.system();
      ShardRegion.CurrentShardRegionState state = AskPattern.<org.apache.pekko.cluster.sharding.typed
              .ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
              ClusterSharding.get(system).shardState(),
              replyTo -> new GetShardRegionState(PollEntity.ENTITY_KEY, replyTo),
              Duration.ofSeconds(5), system.scheduler())
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
      boolean holds = state.getShards().stream().anyMatch(shard -> shard.getEntityIds().contains(pollId));
      if (holds) {
        owners.add(node == nodeA ? "A" : "B");
      }
    }
    return owners.isEmpty() ? "unknown" : String.join("+", owners);
  }

  private static boolean matches(JsonNode tally, long[] counts, long totalBallots) {
    return tally.path("totalBallots").asLong() == totalBallots
        && counts(tally).equals(List.of(counts[0], counts[1], counts[2]));
  }

  private static JsonNode vote(ApiClient api, String token, String pollId, int choice) {
    return json(api.as(token).post("/api/polls/" + pollId + "/ballots", "{\"choices\":[" + choice + "]}"), 200);
  }

  private static JsonNode json(ApiClient.Reply reply, int status) {
    assertEquals(status, reply.status(), reply::toString);
    return reply.json();
  }



  private static long millis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  private Live open(LivepollServer node, String pollId, String token) {
    Live live = LiveSocketClient.open(node.httpPort(), pollId, token, new Live(node == nodeA ? "A" : "B"));
    opened.add(live);
    return live;
  }

  /**
   * One client socket: snapshot and tally frames in one queue, replies to its own ballots (ack, error) in another,
   * and every tally frame the test took from the queue, in order.
   */
  private static final class Live extends LiveSocketClient {
    final String node;
    final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
    final BlockingQueue<Frame> replies = new LinkedBlockingQueue<>();
    final List<Frame> tallies = new ArrayList<>();

    Live(String node) {
      this.node = node;
    }

    @Override
    protected void onFrame(Frame frame) {
      String type = frame.json().path("type").asText();
      (type.equals("ack") || type.equals("error") ? replies : frames).add(frame);
    }

    JsonNode snapshot() {
      Frame first = pollUntil(frames, System.nanoTime() + FRAME_TIMEOUT.toNanos());
      if (first == null) {
        throw new AssertionError("no snapshot on node " + node + "'s socket within " + FRAME_TIMEOUT
            + " (closed: " + describeClose() + ")");
      }
      assertEquals("snapshot", first.json().path("type").asText(), () -> "the first frame is not a snapshot: "
          + first);
      return first.json();
    }

    JsonNode awaitReply(Duration timeout) {
      Frame reply = pollUntil(replies, System.nanoTime() + timeout.toNanos());
      if (reply == null) {
        throw new AssertionError("no ack or error on node " + node + "'s socket within " + timeout
            + " (closed: " + describeClose() + ")");
      }
      return reply.json();
    }

    /**
     * The first tally matching {@code wanted}, which must arrive within {@link #LATEST_STATE_TIMEOUT} of
     * {@code from} (a System.nanoTime instant); tallies before it are kept, any other frame fails.
     */
    Frame awaitTally(Predicate<JsonNode> wanted, long from, String what) {
      long deadline = from + LATEST_STATE_TIMEOUT.toNanos();
      List<Frame> skipped = new ArrayList<>();
      while (true) {
        Frame frame = pollUntil(frames, deadline);
        if (frame == null) {
          throw new AssertionError("no tally with " + what + " on node " + node + "'s socket within "
              + LATEST_STATE_TIMEOUT + " of its acknowledgement; tallies meanwhile: " + skipped + " (closed: "
              + describeClose() + ")");
        }
        assertEquals("tally", frame.json().path("type").asText(),
            () -> "unexpected frame on node " + node + "'s socket: " + frame);
        tallies.add(frame);
        if (wanted.test(frame.json())) {
          return frame;
        }
        skipped.add(frame);
      }
    }

    void assertSeqStrictlyIncreasing(long snapshotSeq) {
      long previous = snapshotSeq;
      for (Frame frame : tallies) {
        long seq = frame.json().path("seq").asLong();
        assertTrue(seq > previous, "node " + node + ": seq " + seq + " after " + previous + " in " + tallies);
        previous = seq;
      }
    }
  }
}
