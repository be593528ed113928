package server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.TestConfig;

/**
 * A node that joins other nodes must write to their database: with seed nodes (or Kubernetes discovery) and no
 * Cassandra contact points it refuses to start, before it starts a private Cassandra of its own.
 */
class ClusterDatabaseTest {
  @TempDir Path dataDir;

  @Test
  void aNodeWithSeedNodesButNoContactPointsRefusesToStartItsOwnCassandra() {
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> LivepollServer.start(
        TestConfig.with("""
            livepoll.data-dir = "%s"
            livepoll.cluster.seed-nodes = "127.0.0.1:17355"
            """.formatted(dataDir))));
    assertTrue(refused.getMessage().contains("LIVEPOLL_CASSANDRA_CONTACT_POINTS is empty"), refused.getMessage());
    assertTrue(refused.getMessage().contains("./livepoll cassandra"), refused.getMessage());
    assertFalse(Files.exists(dataDir.resolve("cassandra")), "no Cassandra may have been started");
  }

  @Test
  void aNodeFormingItsClusterOnKubernetesNeedsContactPointsToo() {
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> LivepollServer.start(
        TestConfig.with("""
            livepoll.data-dir = "%s"
            livepoll.cluster.formation = kubernetes-api
            """.formatted(dataDir))));
    assertTrue(refused.getMessage().contains("LIVEPOLL_CLUSTER_FORMATION=kubernetes-api"), refused.getMessage());
    assertFalse(Files.exists(dataDir.resolve("cassandra")), "no Cassandra may have been started");
  }

  @Test
  void anUnknownFormationIsNamedWithItsVariable() {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> Settings.from(
        TestConfig.with("livepoll.cluster.formation = dns")));
    assertTrue(refused.getMessage().contains("LIVEPOLL_CLUSTER_FORMATION"), refused.getMessage());
  }
}
