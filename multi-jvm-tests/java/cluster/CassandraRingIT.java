package cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Three Livepoll nodes on a ring of three Cassandra nodes (replication 3, journal writes and reads at QUORUM), part of
 * {@code mvn verify}: after {@link FailoverScenarios}' scenario 1, one Cassandra node is killed under load and
 * restarted. {@link CassandraRingFailoverRun} runs {@link ClusterFailoverIT}'s server scenarios on such a ring too,
 * on request.
 */
class CassandraRingIT extends FailoverScenarios {

  @Override
  int cassandraNodes() {
    return 3;
  }

  /**
   * A database node dies under load (kill -9) and comes back: the journal's QUORUM writes go on with two of three
   * replicas, and the restarted node catches up. Writes stall at most while the driver notices the dead node.
   */
  @Test
  @Order(2)
  void aCassandraNodeKilledUnderLoadLosesNoAcknowledgedBallotAndWritesGoOn() {
    DatabaseNode victim = cluster.databases.get(1);
    long downMs;
    long restartMs;
    long ballotsWhileDown;
    VoterCrowd crowd = crowd(cluster.nodes);
    try (crowd) {
      TestCluster.sleep(2000);
      long killedAt = System.nanoTime();
      long before = crowd.ballots();
      victim.crash();
      TestCluster.sleep(10_000);
      ballotsWhileDown = crowd.ballots() - before;
      long restart = System.nanoTime();
      victim.start();
      victim.awaitReady();
      restartMs = TestCluster.millisSince(restart);
      downMs = TestCluster.millisSince(killedAt);
      TestCluster.sleep(3000);
    }
    System.out.printf("ring scenario (kill -9 Cassandra node %s of 3 under load): %d ballots acknowledged in the 10 s "
            + "after the kill; it was down %d ms and restarted in %d ms; writes stalled at most %d ms (the longest "
            + "time without any acknowledged ballot); %s%n", victim.name, ballotsWhileDown, downMs, restartMs,
        crowd.longestStallMillis(), crowd.summary());
    assertTrue(ballotsWhileDown > 0, "ballots are acknowledged while one of three database nodes is down");
    assertEveryAcknowledgedBallotCountedOnce(crowd, cluster.nodes);
  }
}
