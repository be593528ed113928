package readside;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import metrics.Metrics;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;

/**
 * How far one projection instance is behind the journal: for each processed group, the time from the newest
 * event's write to the end of its processing. Kept on the node that runs the instance.
 */
final class ProjectionLag {
  /** What operators see of one projection instance on this node; the lag fields are null before any event. */
  record Figures(long eventsProcessed, Instant newestEventAt, Instant processedAt, Long lastLagMillis,
      Long p50LagMillis, Long p99LagMillis, Long maxLagMillis) {}

  private final ProjectionId projection;
  private final Clock clock;
  private final AtomicLong events = new AtomicLong();
  private final Recorder recorder = new Recorder(3);
  private final Histogram total = new Histogram(3);
  private volatile long newestEventAt;
  private volatile long processedAt;

  ProjectionLag(ProjectionId projection, Clock clock) {
    this.projection = projection;
    this.clock = clock;
  }

  void processed(List<? extends EventEnvelope<?>> envelopes) {
    long newest = envelopes.stream().mapToLong(EventEnvelope::timestamp).max().orElse(0);
    long now = clock.millis();
    events.addAndGet(envelopes.size());
    newestEventAt = newest;
    processedAt = now;
    recorder.recordValue(Math.max(0, now - newest));
    Metrics.projectionLag(projection.name(), projection.key(), Math.max(0, now - newest));
  }

  /** Figures since this instance started on this node. */
  synchronized Figures figures() {
    total.add(recorder.getIntervalHistogram());
    if (total.getTotalCount() == 0) {
      return new Figures(0, null, null, null, null, null, null);
    }
    return new Figures(events.get(), Instant.ofEpochMilli(newestEventAt), Instant.ofEpochMilli(processedAt),
        processedAt - newestEventAt, total.getValueAtPercentile(50), total.getValueAtPercentile(99),
        total.getMaxValue());
  }
}
