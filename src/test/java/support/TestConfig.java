package support;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/** The application's configuration with test overrides applied before substitutions are resolved. */
public final class TestConfig {
  private TestConfig() {}

  /**
   * {@code overrides} win over application.conf, and settings derived from them by substitution (the journal's
   * keyspace from livepoll.cassandra.keyspace, say) follow them. Shutting down never exits the test JVM.
   */
  public static Config with(String overrides) {
    return ConfigFactory.load(ConfigFactory.parseString(overrides)
        .withFallback(ConfigFactory.parseString("""
            livepoll.http.port = 0
            livepoll.remote.port = 0
            pekko.coordinated-shutdown.exit-jvm = off
            pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
            """))
        .withFallback(ConfigFactory.parseResourcesAnySyntax("application")));
  }
}
