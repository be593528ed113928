package cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.ApiClient;
import support.Views;

/**
 * A real network partition: node3 runs in a network namespace of its own, and its cluster link is cut while voters
 * keep voting through all three nodes, node3 included (its clients and its database stay reachable). The split
 * brain resolver must make node3, the minority, down itself and exit, and the other two take its polls over; no
 * poll may ever have two writers (the journal would show a sequence number written twice), and every acknowledged
 * ballot must be counted exactly once.
 */
class NetworkPartitionIT {
  private static final int POLLS = 24;
  private static final int OPTIONS = 3;
  private static final Duration WITHIN = Duration.ofSeconds(60);

  @TempDir static Path dataDir;
  private static NetworkNamespace network;
  private static TestCluster cluster;
  private static TcpRelay databaseRelay;

  @BeforeAll
  static void startClusterAcrossTwoNetworks() throws IOException {
    try {
      network = NetworkNamespace.create();
    } catch (RuntimeException cannot) {
      System.out.println("NetworkPartitionIT skipped: this machine cannot make network namespaces: "
          + cannot.getMessage());
      assumeTrue(false, "network namespaces (root and the ip tool) are needed: " + cannot.getMessage());
    }
    cluster = TestCluster.startCassandra(Path.of("target", "multi-jvm", "NetworkPartitionIT"),
        dataDir.resolve("cassandra"), "partition");
    databaseRelay = new TcpRelay(network.hostServiceAddress, new InetSocketAddress("127.0.0.1", cluster.cqlPort));
    Map<String, String> outside = cluster.serverEnv("127.0.0.1", cluster.cqlPort);
    for (int i = 1; i <= 2; i++) {
      cluster.addNode("node" + i, new ServerNode.Placement(List.of(), network.hostClusterAddress, "127.0.0.1"),
          outside);
    }
    cluster.addNode("node3", new ServerNode.Placement(network.exec(), network.namespaceClusterAddress,
            network.namespaceServiceAddress),
        cluster.serverEnv(network.hostServiceAddress, databaseRelay.port()));
    cluster.startAll("1.0.0");
  }

  @AfterAll
  static void stopEverything() throws IOException {
    if (cluster != null) {
      cluster.close();
    }
    if (databaseRelay != null) {
      databaseRelay.close();
    }
    if (network != null) {
      network.close();
    }
  }

  @Test
  void theMinorityDownsItselfAndNoPollEverHasTwoWriters() {
    ServerNode isolated = cluster.nodes.get(2);
    List<ServerNode> majority = cluster.nodes.subList(0, 2);
    List<String> polls = cluster.createPolls(POLLS, OPTIONS);
    Map<String, ServerNode> owners = cluster.owners(polls);
    List<String> isolatedPolls = polls.stream().filter(poll -> owners.get(poll) == isolated).toList();
    assertFalse(isolatedPolls.isEmpty(), () -> "node3 holds polls: " + owners);

    long cutAt;
    long removedMs;
    long servingAgainMs;
    java.util.concurrent.atomic.AtomicLong exitedAt = new java.util.concurrent.atomic.AtomicLong();
    isolated.process().process().onExit().thenRun(() -> exitedAt.set(System.nanoTime()));
    // everyone votes through every node; and node3's own clients keep voting on node3's polls through node3, so
    // node3 writes them right up to the moment it gives up: the case where a late stop would mean two writers
    VoterCrowd crowd = new VoterCrowd(polls, OPTIONS, cluster.nodes, 6, Duration.ofMillis(20), stopped -> { });
    VoterCrowd isolatedClients = new VoterCrowd(isolatedPolls, OPTIONS, List.of(isolated), 4, Duration.ofMillis(20),
        stopped -> { });
    try (crowd; isolatedClients) {
      TestCluster.sleep(2000);
      cutAt = System.nanoTime();
      network.cutClusterLink();
      cluster.awaitUp(majority, majority);
      removedMs = TestCluster.millisSince(cutAt);
      servingAgainMs = cluster.awaitServing(isolatedPolls, majority, cutAt, WITHIN);
      assertTrue(isolated.awaitExit(WITHIN), "node3, alone on its side, did not down itself and exit within "
          + WITHIN);
      // clients sent to node3 until it was gone, as clients of a load balancer would: those requests failed
      crowd.pointAt(majority);
      isolatedClients.pointAt(majority);
      TestCluster.sleep(2000);
    }
    long isolatedExitedMs = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(exitedAt.get() - cutAt);
    System.out.printf("scenario 5 (cluster link of node3 cut; it held %d of %d polls): the majority removed it "
            + "%d ms after the cut; node3 downed itself and exited %d ms after the cut; its polls serve on the "
            + "majority %d ms after the cut; %s%n",
        isolatedPolls.size(), POLLS, removedMs, isolatedExitedMs, servingAgainMs,
        crowd.summary() + "; node3's own clients: " + isolatedClients.summary());

    assertTrue(isolated.process().printed("SBR took decision DownReachable"),
        "node3 decided to down its own side (see its log)");
    String lastLine = isolated.process().lastLine();
    System.out.printf("scenario 5: node3 exited with status %d: %s%n", isolated.process().exitStatus(), lastLine);
    assertEquals(server.Exit.SHUTDOWN_FAILED, isolated.process().exitStatus(), "a downed node exits non-zero");
    assertTrue(lastLine.contains("downed by the cluster"), lastLine);
    for (VoterCrowd voters : List.of(crowd, isolatedClients)) {
      assertEquals(List.of(), voters.wrongAnswers(), "answers that are wrong for a new voter's ballot");
      assertEquals(List.of(), voters.givenUp(), "ballots never acknowledged");
    }
    List<String> mismatches = new ArrayList<>();
    for (String poll : polls) {
      ApiClient.Reply reply = majority.get(0).api().get("/api/polls/" + poll);
      assertEquals(200, reply.status(), reply::toString);
      List<Long> counted = Views.votes(reply.json());
      List<Long> acknowledged = isolatedPolls.contains(poll)
          ? VoterCrowd.add(crowd.acknowledged(poll), isolatedClients.acknowledged(poll))
          : crowd.acknowledged(poll);
      if (!counted.equals(acknowledged)) {
        mismatches.add(poll + ": acknowledged " + acknowledged + ", counted " + counted);
      }
    }
    assertEquals(List.of(), mismatches, "polls whose counts differ from their acknowledged ballots");
    Map<String, Journal.PollJournal> journals = Journal.read("127.0.0.1", cluster.cqlPort, cluster.keyspace, cluster.credentials());
    assertEquals(List.of(), Journal.pollsWithTwoWriters(journals), "polls with two writers");
    List<Long> gaps = isolatedPolls.stream()
        .flatMap(poll -> journals.get("Poll|" + poll).handOverGaps().stream())
        .sorted()
        .collect(Collectors.toList());
    System.out.printf("scenario 5: every acknowledged ballot counted exactly once; journal: one writer at a time "
        + "for all %d persistent ids; %d of node3's %d polls changed writer, the new writer's first event came "
        + "%s ms after the old writer's last (shortest first)%n", journals.size(), gaps.size(), isolatedPolls.size(),
        gaps);
  }
}
