package support;

import auth.Tokens;
import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;

/** The application's configuration with test overrides applied before substitutions are resolved. */
public final class TestConfig {
  /** The signing key of every test server, so tests can mint tokens with {@link #tokens()}. */
  public static final String AUTH_SECRET = "test-secret-for-livepoll-tests-only-0123456789";

  private TestConfig() {}

  /** HOCON settings for a server to log in to {@code cassandra}, the test's own local node. */
  public static String cassandraLogin(storage.LocalCassandra cassandra) {
    return "livepoll.cassandra.username = \"" + cassandra.credentials().username() + "\"\n"
        + "livepoll.cassandra.password = \"" + cassandra.credentials().password() + "\"\n";
  }

  /** Mints tokens the way a test server checks them. */
  public static Tokens tokens() {
    return new Tokens(AUTH_SECRET.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        new Tokens.Lifetimes(Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1)), Clock.systemUTC());
  }

  /**
   * An actor system for entity tests with {@code EventSourcedBehaviorTestKit}: the app's own config supplies the
   * Jackson bindings the serialization checks must use; the kit's journal wins over Cassandra, the provider stays local
   * and shutting the test system down must not exit the JVM.
   */
  public static Config eventSourcedTestKit() {
    return ConfigFactory.parseString("""
            pekko.actor.provider = local
            pekko.coordinated-shutdown.exit-jvm = off
            pekko.loglevel = WARNING
            """)
        .withFallback(org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.config())
        .withFallback(ConfigFactory.load());
  }

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
        .withFallback(ConfigFactory.parseString("""
            livepoll.read-side.enabled = off
            # no database to be ready for
            pekko.management.health-checks.readiness-checks.cassandra = ""
            """))
        .withFallback(PersistenceTestKitPlugin.getInstance().config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config()));
  }

  private static Config load(Config overrides) {
    return ConfigFactory.load(overrides
        .withFallback(ConfigFactory.parseString("""
            livepoll.http.port = 0
            livepoll.remote.port = 0
            livepoll.management.port = 0
            livepoll.auth.secret = "%s"
            pekko.coordinated-shutdown.exit-jvm = off
            pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            # rate limits have tests of their own; elsewhere they would only make runs depend on speed
            livepoll.limits.requests-per-address { per-second = 1000000, burst = 1000000 }
            livepoll.limits.voters-per-address { per-second = 1000000, burst = 1000000 }
            livepoll.limits.ballots-per-voter { per-second = 1000000, burst = 1000000 }
            livepoll.live.frames-per-socket { per-second = 1000000, burst = 1000000 }
            livepoll.limits.creations-per-organizer { per-minute = 100000000, burst = 1000000 }
            livepoll.limits.sign-ups-per-node { per-minute = 100000000, burst = 1000000 }
            livepoll.limits.open-polls-per-organizer = 0
            """.formatted(AUTH_SECRET)))
        .withFallback(ConfigFactory.defaultApplication()));
  }
}
