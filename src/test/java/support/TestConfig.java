package support;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;

/** The application's configuration with test overrides applied before substitutions are resolved. */
public final class TestConfig {
  private TestConfig() {}

  /**
   * {@code overrides} win over application.conf, and settings derived from them by substitution (the journal's
   * keyspace from livepoll.cassandra.keyspace, say) follow them. Shutting down never exits the test JVM.
   */
  public static Config with(String overrides) {
    return load(ConfigFactory.parseString(overrides));
  }

  /** The same on the in-memory journal and snapshot store, for fast tests of everything above persistence. */
  public static Config inMemory(String overrides) {
    return load(ConfigFactory.parseString(overrides)
        .withFallback(PersistenceTestKitPlugin.getInstance().config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config()));
  }

  private static Config load(Config overrides) {
    return ConfigFactory.load(overrides
        .withFallback(ConfigFactory.parseString("""
            livepoll.http.port = 0
            livepoll.remote.port = 0
            livepoll.management.port = 0
            pekko.coordinated-shutdown.exit-jvm = off
            pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            """))
        .withFallback(ConfigFactory.defaultApplication()));
  }
}
