package loadtest;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.WebSocketRequest;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgradeResponse;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Live watchers spread over the polls (without a token, or the owner's on invited polls): the frames they get, and
 * where they end.
 */
final class Watchers implements AutoCloseable {
  /** One watcher: its poll, the seq and total of its latest frame, and its tally frames so far. */
  private static final class Watcher {
    final int poll;
    final AtomicLong frames = new AtomicLong();
    volatile long lastSeq = -1;
    volatile long lastTotal = -1;
    CompletableFuture<Optional<Message>> out;
    CompletionStage<Done> closed;

    Watcher(int poll) {
      this.poll = poll;
    }

    void onFrame(String frame) {
      if (frame.startsWith("{\"type\":\"tally\"")) {
        frames.incrementAndGet();
      }
      long seq = BenchSupport.field(frame, "seq");
      if (seq > lastSeq) {
        lastSeq = seq;
        lastTotal = BenchSupport.field(frame, "totalBallots");
      }
    }
  }

  private final List<Watcher> watchers = new ArrayList<>();

  /**
   * {@code token} null: sockets without a token; an invited poll exists only for its owner and invitees, so it is
   * watched with the owner's token.
   */
  Watchers(ActorSystem system, String url, List<String> polls, int count, String token) throws Exception {
    Materializer materializer = Materializer.matFromSystem(system);
    for (int i = 0; i < count; i++) {
      Watcher watcher = new Watcher(i % polls.size());
      Sink<Message, CompletionStage<Done>> in = Flow.<Message>create()
          .filter(Message::isText)
          .mapAsync(1, message -> message.asTextMessage().toStrict(5_000, materializer))
          .toMat(Sink.foreach(message -> watcher.onFrame(message.getStrictText())), Keep.right());
      Pair<CompletionStage<WebSocketUpgradeResponse>, Pair<CompletionStage<Done>, CompletableFuture<Optional<Message>>>>
          socket = Http.get(system).singleWebSocketRequest(
              WebSocketRequest.create(url.replaceFirst("^http", "ws") + "/api/polls/" + polls.get(watcher.poll)
                  + "/live" + (token == null ? "" : "?token=" + token)),
              Flow.fromSinkAndSourceCoupledMat(in, Source.<Message>maybe(), Keep.both()), materializer);
      if (!socket.first().toCompletableFuture().get(30, TimeUnit.SECONDS).isValid()) {
        throw new IllegalStateException("a watcher's socket was refused");
      }
      watcher.out = socket.second().second();
      watcher.closed = socket.second().first();
      watchers.add(watcher);
    }
  }

  long tallyFrames() {
    return watchers.stream().mapToLong(watcher -> watcher.frames.get()).sum();
  }

  int size() {
    return watchers.size();
  }

  /** Watchers whose latest frame is not their poll's final state yet, waiting up to {@code seconds} for them. */
  long notAt(List<BenchSupport.PollState> finals, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long behind;
    do {
      behind = watchers.stream().filter(watcher -> watcher.lastSeq != finals.get(watcher.poll).version()
          || watcher.lastTotal != finals.get(watcher.poll).totalBallots()).count();
      if (behind > 0) {
        Thread.sleep(50);
      }
    } while (behind > 0 && System.nanoTime() < deadline);
    return behind;
  }

  @Override
  public void close() throws Exception {
    watchers.forEach(watcher -> watcher.out.complete(Optional.empty()));
    CompletableFuture.allOf(watchers.stream().map(watcher -> watcher.closed.toCompletableFuture())
        .toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
  }
}
