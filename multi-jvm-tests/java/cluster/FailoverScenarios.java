package cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import support.ApiClient;
import support.Views;

/**
 * What the failover scenarios share: three Livepoll nodes, each a JVM of its own started through {@code ./livepoll},
 * on one or three Cassandra nodes ({@code ./livepoll cassandra}), driven over real HTTP and WebSockets; the polls
 * (scenario 1, which every subclass runs first); voter crowds; and the check after each scenario that every
 * acknowledged ballot is counted exactly once and the journal shows one writer per poll at any time. The scenarios of
 * a subclass run in order on one cluster; each leaves three nodes Up.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class FailoverScenarios {
  static final int POLLS = 24;
  static final int OPTIONS = 3;
  static final int VOTERS = 8;
  static final Duration VOTER_PAUSE = Duration.ofMillis(20);
  /**
   * The rolling update's voters pause longer: it restarts three JVMs on two cores, and at the crash scenarios' rate
   * each restart took 45-64 s instead of about 16 (the CI's longest scenario). Ballots still flow all the way through.
   */
  static final Duration ROLLING_UPDATE_VOTER_PAUSE = Duration.ofMillis(100);
  /** How long a crashed or leaving node's polls may take to serve again on the others. */
  static final Duration SERVE_AGAIN_WITHIN = Duration.ofSeconds(45);
  static final String VERSION = "1.0.0";
  static final String NEXT_VERSION = "1.0.1";

  @TempDir static Path dataDir;
  static TestCluster cluster;
  static List<String> polls;
  /** Acknowledged ballots per poll and option over all scenarios so far. */
  static final Map<String, List<Long>> acknowledgedSoFar = new java.util.HashMap<>();

  /** How many Cassandra nodes the cluster runs on: 1, or a ring of 3 (replication as many). */
  abstract int cassandraNodes();

  /**
   * Three server nodes on {@link #cassandraNodes()} Cassandra nodes (replication as many, journal writes and reads at
   * QUORUM), with logs in target/multi-jvm/(the test class's name). One method for every subclass: a subclass of a
   * subclass starts one cluster, not one per class (a hidden static {@code @BeforeAll} of a superclass still ran).
   */
  @BeforeAll
  void startCluster() {
    start(cassandraNodes(), getClass().getSimpleName());
  }

  private static void start(int cassandraNodes, String name) {
    acknowledgedSoFar.clear();
    Path logs = Path.of("target", "multi-jvm", name);
    cluster = TestCluster.startCassandraRing(logs, dataDir.resolve("cassandra"), "failover", cassandraNodes);
    for (int i = 1; i <= 3; i++) {
      cluster.addNode("node" + i, ServerNode.Placement.loopback(), cluster.serverEnv());
    }
    cluster.startAll(VERSION);
  }

  /**
   * A scenario that fails half-way must not leave a node down or leaving for the next one: every node that is not
   * Up in the cluster (it crashed, or is still shutting down) is waited for, started again and awaited Up.
   */
  @AfterEach
  void everyNodeRunsAgain() {
    boolean restarted = false;
    for (ServerNode node : cluster.nodes) {
      if (node.isRunning() && node.isUp()) {
        continue;
      }
      if (node.isRunning()) {
        node.terminate();
        node.awaitExit(Duration.ofSeconds(60));
      }
      node.start(cluster.seedNodes(), VERSION);
      node.awaitReady();
      restarted = true;
    }
    if (restarted) {
      cluster.awaitUp(cluster.nodes, cluster.nodes);
    }
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void theClusterFormsAndPollsAreSpreadOverAllThreeNodes() {
    for (ServerNode node : cluster.nodes) {
      assertEquals(3, node.upMembers().size(), () -> node + " sees " + node.members());
    }
    polls = cluster.createPolls(POLLS, OPTIONS);
    Map<String, ServerNode> owners = cluster.owners(polls);
    assertEquals(POLLS, owners.size(), () -> "every poll's shard is on some node: " + owners);
    Map<String, Long> spread = owners.values().stream()
        .collect(Collectors.groupingBy(node -> node.name, java.util.TreeMap::new, Collectors.counting()));
    System.out.printf("scenario 1: %d polls over the nodes: %s%n", POLLS, spread);
    assertEquals(3, spread.size(), () -> "polls live on every node: " + spread);

    // a creation repeated with its Idempotency-Key through any node names the one poll the first created
    String key = java.util.UUID.randomUUID().toString();
    List<String> keyed = cluster.nodes.stream().map(node -> {
      ApiClient.Reply created = node.api().as(TestCluster.ORGANIZER)
          .postWithKey("/api/polls", key, "{\"question\":\"Once?\",\"options\":[\"a\",\"b\"]}");
      assertEquals(201, created.status(), created::toString);
      return ApiClient.createdId(created);
    }).distinct().toList();
    assertEquals(1, keyed.size(), () -> "one poll for one Idempotency-Key on three nodes: " + keyed);
  }

  // ------------------------------------------------------------------------------------------- helpers

  /**
   * Every ballot acknowledged in any scenario so far is in the counts, and nothing else: the crowds retried every
   * ballot until it was acknowledged, so exact counts prove that no ballot was lost and none counted twice. The
   * journal shows that no poll ever had two writers.
   */
  static void assertEveryAcknowledgedBallotCountedOnce(VoterCrowd crowd, List<ServerNode> via) {
    assertEquals(List.of(), crowd.wrongAnswers(), "answers that are wrong for a new voter's ballot");
    assertEquals(List.of(), crowd.givenUp(), "ballots never acknowledged");
    assertTrue(crowd.ballots() > 0, "the crowd voted");
    List<String> mismatches = new ArrayList<>();
    for (int i = 0; i < polls.size(); i++) {
      String poll = polls.get(i);
      List<Long> expected = acknowledgedSoFar.get(poll);
      ApiClient.Reply reply = via.get(i % via.size()).api().get("/api/polls/" + poll);
      assertEquals(200, reply.status(), reply::toString);
      List<Long> counted = Views.votes(reply.json());
      if (!counted.equals(expected)) {
        mismatches.add(poll + ": acknowledged " + expected + ", counted " + counted);
      }
    }
    assertEquals(List.of(), mismatches, "polls whose counts differ from their acknowledged ballots");
    Map<String, Journal.PollJournal> journals = Journal.read("127.0.0.1", cluster.cqlPort, cluster.keyspace, cluster.credentials());
    assertEquals(List.of(), Journal.pollsWithTwoWriters(journals), "polls with two writers");
    System.out.printf("  every acknowledged ballot counted exactly once (%d polls); journal: %d persistent ids, "
        + "one writer at a time, %d of them written by more than one incarnation%n", polls.size(), journals.size(),
        Journal.pollsThatMoved(journals));
  }

  /** A crowd of voters whose acknowledged ballots are added to {@link #acknowledgedSoFar} when it stops. */
  static VoterCrowd crowd(List<ServerNode> targets) {
    return crowd(targets, VOTER_PAUSE);
  }

  static VoterCrowd crowd(List<ServerNode> targets, Duration pause) {
    return new VoterCrowd(polls, OPTIONS, targets, VOTERS, pause, stopped -> polls.forEach(poll ->
        acknowledgedSoFar.merge(poll, stopped.acknowledged(poll), VoterCrowd::add)));
  }

  static List<String> pollsOf(ServerNode node) {
    Map<String, ServerNode> owners = cluster.owners(polls);
    return polls.stream().filter(poll -> owners.get(poll) == node).toList();
  }

  static List<ServerNode> others(ServerNode node) {
    return cluster.nodes.stream().filter(other -> other != node).toList();
  }

  /** The oldest member: it runs the shard coordinator and the closing schedule, so its crash moves those too. */
  static ServerNode oldest() {
    String oldest = cluster.nodes.get(0).members().path("oldest").asText();
    return cluster.nodes.stream().filter(node -> node.clusterAddress().equals(oldest)).findFirst()
        .orElseThrow(() -> new AssertionError("no node is the oldest member " + oldest));
  }

  static ServerNode busiest() {
    Map<String, ServerNode> owners = cluster.owners(polls);
    return cluster.nodes.stream()
        .max(Comparator.comparingLong(node -> owners.values().stream().filter(owner -> owner == node).count()))
        .orElseThrow();
  }
}
