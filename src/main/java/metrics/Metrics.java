package metrics;

/**
 * Livepoll's own metrics under their domain names: each place that records one makes one call here. Until
 * {@link Telemetry} starts Kamon every call does nothing, so code that runs without metrics (tests, a node started
 * with {@code LIVEPOLL_METRICS_ENABLED=false}) pays nothing and loads no Kamon class.
 *
 * <p>Labels are bounded sets named by code (a rejection reason, a limit, a projection), never a poll or a voter.
 */
public final class Metrics {
  /** What a ballot that the edge forwarded came to, when it was not acknowledged. */
  public static final String NO_ANSWER = "no_answer";

  private static volatile Recorder recorder = Recorder.Off.INSTANCE;

  private Metrics() {}

  static void recordWith(Recorder next) {
    recorder = next;
  }

  /** A ballot acknowledged to its voter; {@code receivedNanos} is {@link System#nanoTime()} when it arrived. */
  public static void ballotAccepted(long receivedNanos) {
    recorder.ballotAccepted(System.nanoTime() - receivedNanos);
  }

  /** A ballot refused by its poll ({@code reason}: the rejection, lower case) or left without an answer. */
  public static void ballotRejected(String reason) {
    recorder.ballotRejected(reason);
  }

  /**
   * A poll's write is durable: its batch went to the poll's writer at {@code startedNanos} ({@link System#nanoTime()}),
   * and the writer has decided it and persisted its event.
   */
  public static void journalWritten(long startedNanos) {
    recorder.journalWrite(System.nanoTime() - startedNanos);
  }

  /** A poll sent this many requests to its journal in one write (group commit). */
  public static void journalBatch(int requests) {
    recorder.journalBatch(requests);
  }

  public static void liveSocketOpened() {
    recorder.liveSockets(1);
  }

  public static void liveSocketClosed() {
    recorder.liveSockets(-1);
  }

  /** One frame written to a live socket (snapshot, tally, ack or error). */
  public static void liveFrameSent() {
    recorder.liveFrameSent();
  }

  /**
   * How far read-side projection {@code projection} (its instance {@code key}, a tag slice) was behind the journal
   * when it finished its latest group of events: from the newest event's write to the end of its processing.
   */
  public static void projectionLag(String projection, String key, long lagMillis) {
    recorder.projectionLag(projection, key, lagMillis);
  }

  /** A request refused with 429 by rate limit {@code limit} (its name in livepoll.limits / livepoll.live). */
  /** The HTTP handler of one connection, measured by Kamon when metrics are on (see KamonRecorder). */
  public static org.apache.pekko.stream.javadsl.Flow<org.apache.pekko.http.javadsl.model.HttpRequest,
      org.apache.pekko.http.javadsl.model.HttpResponse, org.apache.pekko.NotUsed> instrumentHttpServer(
      org.apache.pekko.stream.javadsl.Flow<org.apache.pekko.http.javadsl.model.HttpRequest,
          org.apache.pekko.http.javadsl.model.HttpResponse, org.apache.pekko.NotUsed> handler,
      String host, int port) {
    return recorder.httpServer(handler, host, port);
  }

  public static void rateLimited(String limit) {
    recorder.rateLimited(limit);
  }

  /** A retention sweep finished: closed polls it examined, and those it deleted for being past retention. */
  public static void retentionSweep(long examined, long deleted) {
    recorder.retentionSweep(examined, deleted);
  }
}
