package cluster;

/**
 * {@link ClusterFailoverIT}'s scenarios (a server node crashing, leaving, a rolling update) on a ring of three
 * Cassandra nodes (replication 3, QUORUM). Run on request, not by {@code mvn verify} (its name is outside the test
 * runner's pattern): about 9 minutes on the 2-core development machine, three of them the rolling update.
 *
 * <pre>mvn verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=CassandraRingFailoverRun</pre>
 *
 * The suite runs a Cassandra node of a ring dying under load in {@link CassandraRingIT}.
 */
class CassandraRingFailoverRun extends ClusterFailoverIT {

  @Override
  int cassandraNodes() {
    return 3;
  }
}
