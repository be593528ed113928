package cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * {@link ClusterFailoverIT}'s scenarios on a ring of three Cassandra nodes (replication 3, QUORUM), plus one of its
 * own: a Cassandra node killed under load. Run on request, not by {@code mvn verify} (its name is outside the test
 * runner's pattern):
 *
 * <pre>mvn verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=CassandraRingFailoverRun</pre>
 *
 * On the 2-core development machine, with three Cassandra nodes, three servers and the voters on the same cores, the
 * rolling update's restarted node did not become ready within two minutes in two runs out of two once the ring
 * required a login (docs/reliability.md); the suite therefore runs the cluster on one Cassandra node.
 */
class CassandraRingFailoverRun extends ClusterFailoverIT {

  @BeforeAll
  static void startCluster() {
    start(3, "CassandraRingFailoverRun");
  }

  /**
   * A database node dies under load (kill -9) and comes back: the journal's QUORUM writes go on with two of three
   * replicas, and the restarted node catches up. Writes stall at most while the driver notices the dead node.
   */
  @Test
  @Order(5)
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
    System.out.printf("scenario 5 (kill -9 Cassandra node %s of 3 under load): %d ballots acknowledged in the 10 s "
            + "after the kill; it was down %d ms and restarted in %d ms; writes stalled at most %d ms (the longest "
            + "time without any acknowledged ballot); %s%n", victim.name, ballotsWhileDown, downMs, restartMs,
        crowd.longestStallMillis(), crowd.summary());
    assertTrue(ballotsWhileDown > 0, "ballots are acknowledged while one of three database nodes is down");
    assertEveryAcknowledgedBallotCountedOnce(crowd, cluster.nodes);
  }

}
