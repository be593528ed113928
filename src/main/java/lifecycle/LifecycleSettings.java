package lifecycle;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Optional;

/**
 * The data-lifecycle settings ({@code livepoll.lifecycle}, {@code livepoll.retention}, {@code livepoll.audit}):
 * how deleted polls are erased, how long closed polls are kept, and how the audit log pages.
 */
public record LifecycleSettings(Duration forgetAgainAfter, Optional<Duration> retainClosed, Duration sweepEvery,
    int auditDefaultLimit, int auditMaxLimit, int auditMaxScanned) {

  public static LifecycleSettings from(Config config) {
    Config c = config.getConfig("livepoll");
    String closed = c.getString("retention.closed").strip();
    Optional<Duration> retain = closed.equals("off") || closed.isEmpty()
        ? Optional.empty() : Optional.of(c.getDuration("retention.closed"));
    if (retain.isPresent() && (retain.get().isNegative() || retain.get().isZero())) {
      throw new IllegalArgumentException("livepoll.retention.closed (LIVEPOLL_RETENTION_CLOSED): off or a positive "
          + "duration such as 90d, got '" + closed + "'");
    }
    return new LifecycleSettings(c.getDuration("lifecycle.forget-again-after"), retain,
        c.getDuration("retention.sweep-every"), c.getInt("audit.default-limit"), c.getInt("audit.max-limit"),
        c.getInt("audit.max-scanned"));
  }
}
