package metrics;

/** Where {@link Metrics} sends what it is told: nowhere, or Kamon's instruments. */
sealed interface Recorder permits Recorder.Off, KamonRecorder {

  void ballotAccepted(long ackNanos);

  void ballotRejected(String reason);

  void journalBatch(int requests);

  void journalWrite(long nanos);

  void liveSockets(int change);

  void liveFrameSent();

  void projectionLag(String projection, String key, long lagMillis);

  void rateLimited(String limit);

  void retentionSweep(long examined, long deleted);
  /** The HTTP handler of one connection, with Kamon's HTTP server metrics around it when they are on. */
  org.apache.pekko.stream.javadsl.Flow<org.apache.pekko.http.javadsl.model.HttpRequest,
      org.apache.pekko.http.javadsl.model.HttpResponse, org.apache.pekko.NotUsed> httpServer(
      org.apache.pekko.stream.javadsl.Flow<org.apache.pekko.http.javadsl.model.HttpRequest,
          org.apache.pekko.http.javadsl.model.HttpResponse, org.apache.pekko.NotUsed> handler,
      String host, int port);

  /** Metrics are off: every call returns at once. */
  enum Off implements Recorder {
    INSTANCE;

    @Override
    public void ballotAccepted(long ackNanos) {}

    @Override
    public void ballotRejected(String reason) {}

    @Override
    public void journalBatch(int requests) {}

    @Override
    public void journalWrite(long nanos) {}

    @Override
    public void liveSockets(int change) {}

    @Override
    public void liveFrameSent() {}

    @Override
    public void projectionLag(String projection, String key, long lagMillis) {}

    @Override
    public void rateLimited(String limit) {}

    @Override
    public void retentionSweep(long examined, long deleted) {}
    public org.apache.pekko.stream.javadsl.Flow<org.apache.pekko.http.javadsl.model.HttpRequest,
        org.apache.pekko.http.javadsl.model.HttpResponse, org.apache.pekko.NotUsed> httpServer(
        org.apache.pekko.stream.javadsl.Flow<org.apache.pekko.http.javadsl.model.HttpRequest,
            org.apache.pekko.http.javadsl.model.HttpResponse, org.apache.pekko.NotUsed> handler,
        String host, int port) {
      return handler;
    }
  }
}
