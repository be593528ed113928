package metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import kamon.Kamon;
import kamon.metric.Counter;
import kamon.metric.Gauge;
import kamon.metric.Histogram;
import kamon.metric.MeasurementUnit;
import kamon.metric.Timer;
import kamon.tag.TagSet;

/**
 * {@link Metrics} on Kamon's instruments. Kamon's Prometheus reporter names them: a counter gets {@code _total}, a
 * time in seconds gets {@code _seconds}, dots become underscores ({@code livepoll.ballots} is
 * {@code livepoll_ballots_total}). Instruments are looked up once per label value and kept.
 */
final class KamonRecorder implements Recorder {
  private final Counter accepted =
      Kamon.counter("livepoll.ballots").withTags(TagSet.of("outcome", "accepted").withTag("reason", "none"));
  private final Map<String, Counter> rejected = new ConcurrentHashMap<>();
  private final Timer ack = Kamon.timer("livepoll.ballot.ack").withoutTags();
  private final Histogram batchSize = Kamon.histogram("livepoll.journal.batch.size").withoutTags();
  private final Timer journalWrite = Kamon.timer("livepoll.journal.write").withoutTags();
  private final Gauge liveSockets = Kamon.gauge("livepoll.live.sockets").withoutTags();
  private final Counter liveFrames = Kamon.counter("livepoll.live.frames").withoutTags();
  private final Map<String, Gauge> projectionLags = new ConcurrentHashMap<>();
  private final Map<String, Counter> rateLimited = new ConcurrentHashMap<>();
  private final Counter retentionSweeps = Kamon.counter("livepoll.retention.sweeps").withoutTags();
  private final Counter retentionExamined = Kamon.counter("livepoll.retention.polls.examined").withoutTags();
  private final Counter retentionDeleted = Kamon.counter("livepoll.retention.polls.deleted").withoutTags();

  @Override
  public void ballotAccepted(long ackNanos) {
    accepted.increment();
    ack.record(ackNanos);
  }

  @Override
  public void ballotRejected(String reason) {
    rejected.computeIfAbsent(reason, r -> Kamon.counter("livepoll.ballots")
            .withTags(TagSet.of("outcome", "rejected").withTag("reason", r)))
        .increment();
  }

  @Override
  public void journalBatch(int requests) {
    batchSize.record(requests);
  }

  @Override
  public void journalWrite(long nanos) {
    journalWrite.record(nanos);
  }

  @Override
  public void liveSockets(int change) {
    if (change > 0) {
      liveSockets.increment(change);
    } else {
      liveSockets.decrement(-change);
    }
  }

  @Override
  public void liveFrameSent() {
    liveFrames.increment();
  }

  @Override
  public void projectionLag(String projection, String key, long lagMillis) {
    projectionLags.computeIfAbsent(projection + "/" + key, ignored ->
            Kamon.gauge("livepoll.projection.lag", MeasurementUnit.time().seconds())
                .withTags(TagSet.of("projection", projection).withTag("key", key)))
        .update(lagMillis / 1000.0);
  }

  /**
   * Kamon instruments Pekko HTTP where a server binds through {@code Http.bindAndHandle}; Livepoll binds its own
   * server (http.EdgeServer), so it applies the same wrapper itself: request counts, active requests, connections.
   */
  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public org.apache.pekko.stream.javadsl.Flow<org.apache.pekko.http.javadsl.model.HttpRequest,
      org.apache.pekko.http.javadsl.model.HttpResponse, org.apache.pekko.NotUsed> httpServer(
      org.apache.pekko.stream.javadsl.Flow<org.apache.pekko.http.javadsl.model.HttpRequest,
          org.apache.pekko.http.javadsl.model.HttpResponse, org.apache.pekko.NotUsed> handler,
      String host, int port) {
    // every Java HttpRequest/HttpResponse is the Scala one: the wrapper sees the same objects
    org.apache.pekko.stream.scaladsl.Flow scala = handler.asScala();
    return (org.apache.pekko.stream.javadsl.Flow)
        kamon.instrumentation.pekko.http.ServerFlowWrapper$.MODULE$.apply(scala, host, port).asJava();
  }

  @Override
  public void rateLimited(String limit) {
    rateLimited.computeIfAbsent(limit, l -> Kamon.counter("livepoll.rate.limited").withTags(TagSet.of("limit", l)))
        .increment();
  }

  @Override
  public void retentionSweep(long examined, long deleted) {
    retentionExamined.increment(examined);
    retentionDeleted.increment(deleted);
    retentionSweeps.increment();
  }
}
