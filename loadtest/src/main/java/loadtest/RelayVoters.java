package loadtest;

import auth.Tokens;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.http.javadsl.model.ws.WebSocketRequest;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgradeResponse;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Voters over live sockets: a few relay sockets (opened with the polls' owner's token, as a venue's system would),
 * each frame a ballot of a new voter with that voter's fresh token. Either {@code concurrency} ballots in flight in a
 * closed loop, or ballots at a fixed {@code rate} with at most {@code concurrency} in flight.
 */
final class RelayVoters implements AutoCloseable {
  /** A ballot waiting for its ack: where it went, for which option, when. */
  private record Pending(int poll, int option, long sentAt) {}

  private final ActorSystem system;
  private final List<String> polls;
  private final Tokens tokens;
  private final boolean invited;
  private final List<Relay> relays = new ArrayList<>();
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private Semaphore inFlight;
  private Acks acks;

  /** One relay socket on one poll. */
  private record Relay(int poll, BoundedSourceQueue<Message> out, CompletionStage<Done> closed) {}

  RelayVoters(ActorSystem system, String url, List<String> polls, Tokens tokens, String ownerToken, boolean invited,
      int sockets) throws Exception {
    this.system = system;
    this.polls = polls;
    this.tokens = tokens;
    this.invited = invited;
    Materializer materializer = Materializer.matFromSystem(system);
    for (int i = 0; i < sockets; i++) {
      int poll = i % polls.size();
      Sink<Message, CompletionStage<Done>> in = Flow.<Message>create()
          .filter(Message::isText)
          .mapAsync(1, message -> message.asTextMessage().toStrict(5_000, materializer))
          .toMat(Sink.foreach(message -> onFrame(message.getStrictText())), Keep.right());
      Pair<CompletionStage<WebSocketUpgradeResponse>, Pair<CompletionStage<Done>, BoundedSourceQueue<Message>>>
          socket = Http.get(system).singleWebSocketRequest(
              WebSocketRequest.create(url.replaceFirst("^http", "ws") + "/api/polls/" + polls.get(poll)
                  + "/live?token=" + ownerToken),
              Flow.fromSinkAndSourceMat(in, Source.<Message>queue(4096), Keep.both()), materializer);
      WebSocketUpgradeResponse upgrade = socket.first().toCompletableFuture().get(30, TimeUnit.SECONDS);
      if (!upgrade.isValid()) {
        throw new IllegalStateException("relay socket refused: HTTP " + upgrade.response().status().intValue());
      }
      relays.add(new Relay(poll, socket.second().second(), socket.second().first()));
    }
  }

  /** Votes from {@code start} until {@code end} (nanoTime); {@code rate} 0 means a closed loop. */
  void run(int concurrency, double rate, long start, long end, Acks acks) throws InterruptedException {
    this.acks = acks;
    this.inFlight = new Semaphore(concurrency);
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (long i = 0; ; i++) {
      if (rate > 0) {
        if (start + (long) (i * 1e9 / rate) >= end) {
          break;
        }
        BenchSupport.pace(start, i, rate);
        if (!inFlight.tryAcquire()) {
          acks.failed("not sent: " + concurrency + " in flight", System.nanoTime());
          continue;
        }
      } else {
        if (System.nanoTime() >= end) {
          break;
        }
        if (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
          continue;
        }
      }
      Relay relay = relays.get((int) (i % relays.size()));
      int option = random.nextInt(BenchSupport.OPTIONS);
      String pollId = polls.get(relay.poll());
      String token = invited ? tokens.newInvitee(pollId).token() : tokens.newVoter().token();
      String ref = Long.toString(i);
      pending.put(ref, new Pending(relay.poll(), option, System.nanoTime()));
      QueueOfferResult offered = relay.out().offer(TextMessage.create(
          "{\"type\":\"ballot\",\"choices\":[" + option + "],\"ref\":\"" + ref + "\",\"token\":\"" + token + "\"}"));
      if (offered != QueueOfferResult.enqueued()) {
        pending.remove(ref);
        inFlight.release();
        acks.failed("not sent: socket queue " + offered, System.nanoTime());
      }
    }
    // the ballots still in flight get their answers
    inFlight.tryAcquire(concurrency, 30, TimeUnit.SECONDS);
  }

  private void onFrame(String frame) {
    boolean ack = frame.startsWith("{\"type\":\"ack\"");
    if (!ack && !frame.startsWith("{\"type\":\"error\"")) {
      return; // snapshot and tally frames
    }
    String ref = BenchSupport.stringField(frame, "ref");
    Pending ballot = ref == null ? null : pending.remove(ref);
    if (ballot == null) {
      acks.failed("error frame without a ballot: " + frame, System.nanoTime());
      return;
    }
    if (ack) {
      acks.acknowledged(ballot.poll(), ballot.option(), ballot.sentAt());
    } else {
      acks.failed("error frame " + BenchSupport.field(frame, "status"), ballot.sentAt());
    }
    inFlight.release();
  }

  @Override
  public void close() throws Exception {
    relays.forEach(relay -> relay.out().complete());
    CompletableFuture.allOf(relays.stream().map(relay -> relay.closed().toCompletableFuture())
        .toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
  }
}
