package metrics;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/**
 * What Kamon's agent is told to instrument, as the server's configuration resolves it (Telemetry hands this whole
 * configuration to Kamon): the per-message actor and dispatcher timings only when {@code livepoll.metrics.actors} is
 * on; the modules that do work per request or per remote message for traces, never.
 */
class InstrumentationSettingsTest {

  @Test
  void actorAndDispatcherTimingsAreOffByDefault() {
    Config config = withActors(null);
    assertFalse(config.getBoolean("livepoll.metrics.actors"));
    assertFalse(config.getBoolean("kanela.modules.pekko.enabled"));
  }

  @Test
  void actorsOnTurnsThemOn() {
    Config config = withActors("on");
    assertTrue(config.getBoolean("kanela.modules.pekko.enabled"));
  }

  @Test
  void tracingOnlyModulesStayOffEitherWay() {
    for (String actors : new String[] {"on", "off"}) {
      Config config = withActors(actors);
      assertFalse(config.getBoolean("kanela.modules.pekko-http.enabled"), "pekko-http, actors " + actors);
      assertFalse(config.getBoolean("kanela.modules.pekko-remote.enabled"), "pekko-remote, actors " + actors);
      // Cluster Sharding's metrics come from a module of their own, which stays on
      assertTrue(config.getBoolean("kanela.modules.pekko-remote-sharding.enabled"), "sharding, actors " + actors);
    }
  }

  /** The server's configuration (application.conf and what it includes), {@code actors} set when not null. */
  private static Config withActors(String actors) {
    Config application = ConfigFactory.defaultApplication();
    if (actors != null) {
      application = ConfigFactory.parseString("livepoll.metrics.actors = " + actors).withFallback(application);
    }
    return ConfigFactory.load(application);
  }
}
