package http;

import actors.Poll;
import actors.PollView;
import actors.Polls;
import actors.TallyUpdate;
import auth.Identity;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * One live socket on a poll: a snapshot first, then conflated tallies (at most one frame per interval, the latest
 * always last), and ballots cast on the socket answered with ack or error frames under the same rules as REST.
 */
final class LiveSocket {
  /** What a socket sends: exactly one of these shapes per frame. */
  record SnapshotFrame(String type, PollView poll, long seq) {}

  record TallyFrame(String type, List<Long> counts, long totalBallots, String status, long seq) {}

  record AckFrame(String type, String ref, long seq, long totalBallots) {}

  record ErrorFrame(String type, String ref, int status, String title, String detail) {}

  private final Polls polls;
  private final LiveFeeds feeds;
  private final Json json;
  private final Throttling throttle;
  private final Duration interval;
  private final Duration slowReaderTimeout;
  private final int maxFrameChars;
  private final Materializer materializer;

  LiveSocket(Polls polls, LiveFeeds feeds, Json json, Throttling throttle, EdgeLimits limits,
      Materializer materializer) {
    this.polls = polls;
    this.feeds = feeds;
    this.json = json;
    this.throttle = throttle;
    this.interval = limits.tallyInterval();
    this.slowReaderTimeout = limits.slowReaderTimeout();
    this.maxFrameChars = limits.maxFrameChars();
    this.materializer = materializer;
  }

  /** The socket's flow; {@code caller} is null for a socket opened without a token, which may watch only. */
  Flow<Message, Message, NotUsed> flow(PollView snapshot, Identity caller) {
    String pollId = snapshot.id();
    // the feed may repeat a state (it re-reads the poll now and then): a socket sends each seq once, in order
    AtomicLong sent = new AtomicLong(snapshot.version());
    Source<Message, NotUsed> tallies = feeds.updates(pollId)
        .filter(update -> update.seq() > sent.get())
        // a slow socket holds one pending tally, the newest, however many changes it misses
        .conflate((older, newer) -> newer.seq() > older.seq() ? newer : older)
        .throttle(1, interval)
        .filter(update -> update.seq() > sent.get())
        .map(update -> {
          sent.set(update.seq());
          return text(new TallyFrame("tally", update.counts(), update.totalBallots(), update.status(), update.seq()));
        });
    Source<Message, NotUsed> out = Source.single(text(new SnapshotFrame("snapshot", snapshot, snapshot.version())))
        .concat(tallies);
    return Flow.<Message>create()
        .mapAsync(1, message -> answer(pollId, caller, message))
        .merge(out, true)
        // a client that stops reading for this long is disconnected instead of being written to forever
        .backpressureTimeout(slowReaderTimeout);
  }

  private CompletionStage<Message> answer(String pollId, Identity caller, Message message) {
    if (!message.isText()) {
      return message.asBinaryMessage().getStreamedData().runWith(Sink.ignore(), materializer)
          .thenApply(drained -> malformed(null, "frames are JSON text, not binary"));
    }
    // read the whole message, fragments included, keeping no more than the limit: failing the message's stream
    // would fail the socket, and one bad frame must not cost a client its connection
    return message.asTextMessage().getStreamedText()
        .runFold(new BoundedText(maxFrameChars), BoundedText::append, materializer)
        .thenCompose(frame -> frame.overLimit()
            ? done(malformed(null, "a frame must be JSON text of at most " + maxFrameChars + " characters"))
            : ballot(pollId, caller, frame.text()));
  }

  /** Text of one message up to a limit, and whether more arrived. */
  private static final class BoundedText {
    private final StringBuilder text = new StringBuilder();
    private final int limit;
    private boolean overLimit;

    BoundedText(int limit) {
      this.limit = limit;
    }

    BoundedText append(String part) {
      if (!overLimit && text.length() + part.length() <= limit) {
        text.append(part);
      } else {
        overLimit = true;
      }
      return this;
    }

    boolean overLimit() {
      return overLimit;
    }

    String text() {
      return text.toString();
    }
  }

  private Message malformed(String ref, String detail) {
    return error(ref, new Problems.Problem(StatusCodes.BAD_REQUEST, "malformed-frame", "Malformed frame", detail));
  }

  private CompletionStage<Message> ballot(String pollId, Identity caller, String frame) {
    Requests.SocketBallot ballot;
    try {
      ballot = json.read(frame.getBytes(java.nio.charset.StandardCharsets.UTF_8), Requests.SocketBallot.class);
    } catch (Json.BadJson bad) {
      return done(malformed(null, bad.getMessage()));
    }
    String ref = ballot.ref();
    if (!"ballot".equals(ballot.type())) {
      return done(malformed(ref,
          "the only frame a client sends is {\"type\":\"ballot\",\"choices\":[...],\"ref\":\"...\"}"));
    }
    if (caller == null) {
      return done(error(ref, new Problems.Problem(StatusCodes.UNAUTHORIZED, "missing-token", "Unauthorized",
          "open the socket with ?token=<voter token> to vote on it")));
    }
    if (!(caller instanceof Identity.Voter voter)) {
      return done(error(ref, new Problems.Problem(StatusCodes.FORBIDDEN, "voter-token-required", "Forbidden",
          "this needs a voter token (POST /api/voters), not an organizer token")));
    }
    if (voter.invitedTo() != null && !voter.invitedTo().equals(pollId)) {
      return done(error(ref, new Problems.Problem(StatusCodes.FORBIDDEN, "invite-for-another-poll", "Forbidden",
          "this invite token is for another poll")));
    }
    var overLimit = throttle.ballotOverLimit(voter.voterId());
    if (overLimit.isPresent()) {
      return done(error(ref, overLimit.get()));
    }
    return polls.castBallot(pollId, voter.voterId(), ballot.choices(), voter.invitedTo())
        .thenApply(reply -> reply instanceof Poll.Accepted accepted
            ? text(new AckFrame("ack", ref, accepted.poll().version(), accepted.poll().totalBallots()))
            : error(ref, Problems.problemOf((Poll.Rejected) reply)))
        .exceptionally(failure -> error(ref, new Problems.Problem(StatusCodes.SERVICE_UNAVAILABLE, "unavailable",
            "Service unavailable", "the poll did not answer in time; retry the ballot")));
  }

  private Message error(String ref, Problems.Problem problem) {
    return text(new ErrorFrame("error", ref, problem.status().intValue(), problem.title(), problem.detail()));
  }

  private Message text(Object frame) {
    return TextMessage.create(new String(json.write(frame), java.nio.charset.StandardCharsets.UTF_8));
  }

  private static CompletionStage<Message> done(Message message) {
    return CompletableFuture.completedFuture(message);
  }
}
