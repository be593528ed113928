package cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Three Livepoll nodes on one Cassandra node while nodes crash, leave and are updated one by one (scenarios 2-4, after
 * {@link FailoverScenarios}' scenario 1). The same scenarios on a ring of three Cassandra nodes are
 * {@link CassandraRingFailoverRun}; a Cassandra node of a ring dying under load is {@link CassandraRingIT}.
 */
class ClusterFailoverIT extends FailoverScenarios {

  @Override
  int cassandraNodes() {
    return 1;
  }

  @Test
  @Order(2)
  void aCrashedNodesPollsServeAgainOnTheSurvivorsAndEveryAcknowledgedBallotCountsOnce() {
    ServerNode victim = oldest();
    List<ServerNode> survivors = others(victim);
    List<String> victimPolls = pollsOf(victim);
    assertFalse(victimPolls.isEmpty(), "the victim holds polls");

    long killedAt;
    long servingAgainMs;
    long removedMs;
    VoterCrowd crowd = crowd(survivors);
    try (crowd) {
      TestCluster.sleep(2000);
      killedAt = System.nanoTime();
      victim.crash();
      // a downed node is removed before its polls move: first the removal, then the polls
      cluster.awaitUp(survivors, survivors);
      removedMs = TestCluster.millisSince(killedAt);
      servingAgainMs = cluster.awaitServing(victimPolls, survivors, killedAt, SERVE_AGAIN_WITHIN);
      TestCluster.sleep(2000);
    }
    System.out.printf("scenario 2 (kill -9 %s, the oldest node, holding %d of %d polls): removed from the "
            + "cluster %d ms after the kill; all its polls serve again on the survivors %d ms after the kill; %s%n",
        victim, victimPolls.size(), POLLS, removedMs, servingAgainMs, crowd.summary());
    assertEveryAcknowledgedBallotCountedOnce(crowd, survivors);

    long restart = System.nanoTime();
    victim.start(cluster.seedNodes(), VERSION);
    victim.awaitReady();
    cluster.awaitUp(cluster.nodes, cluster.nodes);
    System.out.printf("scenario 2: %s restarted and Up on every node in %d ms%n", victim,
        TestCluster.millisSince(restart));
  }

  @Test
  @Order(3)
  void aNodeStoppedWithSigtermHandsItsPollsOffWithoutLosingAnAcknowledgedBallot() {
    ServerNode leaving = busiest();
    List<ServerNode> staying = others(leaving);
    List<String> leavingPolls = pollsOf(leaving);

    long shutdownMs;
    long servingAgainMs;
    VoterCrowd crowd = crowd(cluster.nodes);
    try (crowd) {
      TestCluster.sleep(2000);
      long terminatedAt = System.nanoTime();
      leaving.terminate();
      // voters keep sending to it, as a load balancer would until it notices: those requests fail and are retried
      servingAgainMs = cluster.awaitOwnedBy(leavingPolls, staying, terminatedAt, SERVE_AGAIN_WITHIN);
      assertTrue(leaving.awaitExit(Duration.ofSeconds(60)), leaving + " did not exit within 60 s of SIGTERM");
      shutdownMs = TestCluster.millisSince(terminatedAt);
      crowd.pointAt(staying);
      cluster.awaitUp(staying, staying);
      TestCluster.sleep(2000);
    }
    assertTrue(leaving.process().printed("Exiting completed"), leaving + " left the cluster gracefully");
    assertEquals(0, leaving.process().exitStatus(), () -> leaving + " exits 0 after a clean stop; last line: "
        + leaving.process().lastLine());
    System.out.printf("scenario 3 (SIGTERM %s, holding %d polls): its polls were handed off to the others %d ms "
            + "after SIGTERM; it exited after %d ms; %s%n",
        leaving, leavingPolls.size(), servingAgainMs, shutdownMs, crowd.summary());
    assertEveryAcknowledgedBallotCountedOnce(crowd, staying);

    leaving.start(cluster.seedNodes(), VERSION);
    leaving.awaitReady();
    cluster.awaitUp(cluster.nodes, cluster.nodes);
  }

  @Test
  @Order(4)
  void aRollingUpdateOfEveryNodeLosesNoBallotAndLiveSubscribersEndOnTheExactTally() {
    List<ServerNode> serving = new ArrayList<>(cluster.nodes);
    List<LiveWatcher> watchers = new ArrayList<>();
    VoterCrowd crowd = crowd(serving, ROLLING_UPDATE_VOTER_PAUSE);
    List<String> steps = new ArrayList<>();
    long rollStart = System.nanoTime();
    try (crowd) {
      for (int i = 0; i < 6; i++) {
        watchers.add(new LiveWatcher(polls.get(i), () -> List.copyOf(serving), i));
      }
      TestCluster.sleep(2000);
      for (ServerNode node : List.copyOf(cluster.nodes)) {
        // the load balancer stops sending to the node first, as Kubernetes does with a terminating pod
        serving.remove(node);
        crowd.pointAt(serving);
        long stop = System.nanoTime();
        node.terminate();
        assertTrue(node.awaitExit(Duration.ofSeconds(60)), node + " did not exit within 60 s of SIGTERM");
        long stoppedMs = TestCluster.millisSince(stop);
        long start = System.nanoTime();
        node.start(cluster.seedNodes(), NEXT_VERSION);
        node.awaitReady();
        cluster.awaitUp(cluster.nodes, cluster.nodes);
        serving.add(node);
        crowd.pointAt(serving);
        steps.add(String.format("%s stopped in %d ms, back Up as %s in %d ms", node, stoppedMs, NEXT_VERSION,
            TestCluster.millisSince(start)));
      }
      TestCluster.sleep(2000);
    } finally {
      crowd.close();
    }
    System.out.printf("scenario 4 (rolling update %s -> %s in %d ms): %s; %s%n", VERSION, NEXT_VERSION,
        TestCluster.millisSince(rollStart), String.join("; ", steps), crowd.summary());
    try {
      for (ServerNode node : cluster.nodes) {
        assertTrue(node.process().printed("app-version " + NEXT_VERSION), node + " runs " + NEXT_VERSION);
      }
      assertEveryAcknowledgedBallotCountedOnce(crowd, cluster.nodes);
      List<String> reconnects = new ArrayList<>();
      for (LiveWatcher watcher : watchers) {
        List<Long> expected = acknowledgedSoFar.get(watcher.pollId());
        assertTrue(watcher.awaitCounts(expected, Duration.ofSeconds(10)), () -> "the live subscriber of "
            + watcher.pollId() + " ends on " + watcher.counts() + ", not the final tally " + expected);
        assertEquals(List.of(), watcher.violations(), "frames the subscriber of " + watcher.pollId() + " got");
        reconnects.add(Integer.toString(watcher.connections() - 1));
      }
      System.out.printf("scenario 4: %d live subscribers ended on the exact final tally; reconnections each: %s%n",
          watchers.size(), String.join(", ", reconnects));
    } finally {
      watchers.forEach(LiveWatcher::close);
    }
  }
}
