package metrics;

import com.typesafe.config.Config;
import java.util.concurrent.TimeUnit;
import kamon.Kamon;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.concurrent.Await;
import scala.concurrent.duration.Duration;

/**
 * Kamon for one server process: its instrumentation (Pekko actors and dispatchers, Pekko HTTP, Cluster Sharding, the
 * JVM), Livepoll's own {@link Metrics}, and the Prometheus scrape endpoint. Started before the actor system, since
 * Kamon's agent must be attached before the classes it instruments are loaded; once per process, as Kamon is global.
 */
public final class Telemetry implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Telemetry.class);

  private final boolean running;

  private Telemetry(boolean running) {
    this.running = running;
  }

  /**
   * Starts Kamon with the server's own configuration ({@code kamon.*} as set in metrics.conf), unless
   * {@code livepoll.metrics.enabled} is off, in which case no Kamon class is loaded at all.
   */
  public static Telemetry start(Config config) {
    Config metrics = config.getConfig("livepoll.metrics");
    if (!metrics.getBoolean("enabled")) {
      log.info("Metrics are off (livepoll.metrics.enabled)");
      return new Telemetry(false);
    }
    Kamon.init(config);
    Metrics.recordWith(new KamonRecorder());
    log.info("Metrics for Prometheus on http://{}:{}/metrics", metrics.getString("host"), metrics.getInt("port"));
    return new Telemetry(true);
  }

  /** Stops the scrape endpoint and Kamon's threads; the process can then exit on its own. */
  @Override
  public void close() {
    if (!running) {
      return;
    }
    Metrics.recordWith(Recorder.Off.INSTANCE);
    try {
      Await.result(Kamon.stop(), Duration.create(10, TimeUnit.SECONDS));
    } catch (Exception e) {
      log.warn("Kamon did not stop cleanly", e);
    }
  }
}
