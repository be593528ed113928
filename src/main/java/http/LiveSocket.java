package http;

import actors.Poll;
import actors.PollView;
import actors.Polls;
import actors.Requester;
import actors.TallyUpdate;
import com.fasterxml.jackson.annotation.JsonInclude;
import auth.Identity;
import auth.Tokens;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import live.Fanout;
import metrics.Metrics;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * One live socket on a poll: a snapshot first, then conflated tallies (at most one frame per interval, the latest
 * always last), and ballots cast on the socket answered with ack or error frames under the same rules as REST.
 */
final class LiveSocket {
  /** Ballots a relay socket may have waiting for their acks at once; its answers still come in frame order. */
  private static final int RELAY_IN_FLIGHT = 256;

  /** What a socket sends: exactly one of these shapes per frame. */
  record SnapshotFrame(String type, PollView poll, long seq) {}

  /**
   * A change: the counts of the options (absent while results are withheld from this reader), the kind's results
   * (ranking: {@code points} and {@code averagePositions} per option; rating; words), the round.
   */
  record TallyFrame(
      String type,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<Long> counts,
      long totalBallots,
      String status,
      long seq,
      @JsonInclude(JsonInclude.Include.NON_NULL) Integer round,
      @JsonInclude(JsonInclude.Include.NON_NULL) Boolean resultsWithheld,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<Long> points,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<Double> averagePositions,
      @JsonInclude(JsonInclude.Include.NON_NULL) PollView.RatingResult rating,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<PollView.WordCount> words,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<PollView.WordCount> hiddenWords) {

    /** The frame of a reader who manages the poll ({@code manager}) or of anyone else. */
    static TallyFrame of(TallyUpdate update, boolean manager) {
      if (update.poll() == null) {
        // an update from a node of an older version: the counts are all it has
        return new TallyFrame("tally", update.counts(), update.totalBallots(), update.status(), update.seq(), null,
            null, null, null, null, null, null);
      }
      PollView poll = manager ? update.poll() : update.poll().forPublic();
      boolean withheld = Boolean.TRUE.equals(poll.resultsWithheld());
      boolean ranking = poll.kind() == actors.Kind.RANKING;
      return new TallyFrame("tally",
          withheld ? null : poll.options().stream().map(PollView.OptionView::votes).toList(),
          poll.totalBallots(), poll.status(), poll.version(), poll.round(), poll.resultsWithheld(),
          ranking && !withheld ? poll.options().stream().map(PollView.OptionView::points).toList() : null,
          ranking && !withheld
              ? poll.options().stream().map(PollView.OptionView::averagePosition).toList() : null,
          poll.rating(), poll.words(), poll.hiddenWords());
    }
  }

  /**
   * One state of a poll as its live sockets send it, rendered and encoded once per node: the WebSocket frame of
   * readers who manage the poll, and everyone else's (the same bytes when they see the same).
   */
  record Rendered(ByteString forManagers, ByteString forEveryone) {
    ByteString frame(boolean manager) {
      return manager ? forManagers : forEveryone;
    }
  }

  private Rendered render(TallyUpdate update) {
    if (update.gone()) {
      ByteString gone = error(null, new Problems.Problem(StatusCodes.GONE, "poll-deleted", "Poll deleted",
          "poll " + update.pollId() + " was deleted; the server closes this socket"));
      return new Rendered(gone, gone);
    }
    ByteString forEveryone = text(TallyFrame.of(update, false));
    boolean same = update.poll() == null || !update.poll().hasPrivateParts();
    return new Rendered(same ? forEveryone : text(TallyFrame.of(update, true)), forEveryone);
  }

  record AckFrame(String type, String ref, long seq, long totalBallots) {}

  /** Sent to a socket that has been sent nothing for the keep-alive interval; it carries no state. */
  record KeepAliveFrame(String type) {}

  record ErrorFrame(String type, String ref, int status, String title, String detail) {}

  private final Polls polls;
  private final Fanout<Rendered> fanout;
  private final Json json;
  private final Throttling throttle;
  private final int maxFrameChars;
  private final RateLimiter.Limit framesPerSocket;
  private final RateLimiter.Limit framesPerRelay;
  private final Tokens tokens;
  private final int maxBadFrames;
  private final int maxSockets;
  private final int maxSocketsPerAddress;
  /** Live sockets of this node per client address; an address with none has no entry. */
  private final java.util.Map<String, Integer> perAddress = new java.util.concurrent.ConcurrentHashMap<>();
  private final Duration closeTimeout;
  private final Executor dispatcher;

  /** The sockets of this node; when the node begins to shut down, every socket says so and closes. */
  LiveSocket(ActorSystem<?> system, Polls polls, Tokens tokens, Json json, Throttling throttle, EdgeLimits limits) {
    this.tokens = tokens;
    this.polls = polls;
    this.json = json;
    // a poll that is unknown now was deleted while watched (it was known when its sockets opened)
    Fanout.Reader current = pollId -> polls.get(pollId).thenApply(reply -> reply instanceof Poll.Accepted accepted
        ? Optional.of(TallyUpdate.of(accepted.poll()))
        : reply instanceof Poll.Rejected rejected && rejected.reason() == Poll.Rejection.UNKNOWN_POLL
            ? Optional.of(TallyUpdate.gone(pollId)) : Optional.empty());
    ByteString keepAlive = text(new KeepAliveFrame("keep-alive"));
    this.fanout = new Fanout<>(system, current,
        new Fanout.Settings(limits.tallyInterval(), limits.resyncInterval(), limits.slowReaderTimeout(),
            limits.keepAliveInterval(), limits.tokenCheckInterval()),
        this::render, new Rendered(keepAlive, keepAlive)).resyncOnClusterChanges();
    this.throttle = throttle;
    this.maxFrameChars = limits.maxFrameChars();
    this.framesPerSocket = limits.framesPerSocket();
    this.framesPerRelay = limits.framesPerRelay();
    this.maxBadFrames = limits.maxBadFrames();
    this.maxSockets = limits.maxLiveSockets();
    this.maxSocketsPerAddress = limits.maxLiveSocketsPerAddress();
    this.closeTimeout = limits.closeTimeout();
    this.dispatcher = system.executionContext();
    // A leaving node closes its sockets at once instead of when its connections are cut: clients reconnect to
    // another node and start again from a fresh snapshot there. This runs before the HTTP server unbinds.
    ByteString leaving = error(null, new Problems.Problem(StatusCodes.SERVICE_UNAVAILABLE, "node-leaving",
        "Node leaving", "this node is shutting down; reconnect (to any node) for a fresh snapshot"));
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "close-live-sockets",
        () -> {
          fanout.leave(new Rendered(leaving, leaving));
          return CompletableFuture.completedFuture(Done.getInstance());
        });
  }

  /**
   * Why a new socket from {@code address} is refused, if it is: this node holds as many live sockets as it may
   * (503, until some close), or that address does (429).
   */
  Optional<Problems.Problem> refusal(String address) {
    if (fanout.sockets() >= maxSockets) {
      return Optional.of(new Problems.Problem(StatusCodes.SERVICE_UNAVAILABLE, "too-many-sockets",
          "Too many live sockets",
          "this node holds its maximum of " + maxSockets + " live sockets; retry later or on another node"));
    }
    if (perAddress.getOrDefault(address, 0) >= maxSocketsPerAddress) {
      Metrics.rateLimited("sockets-per-address");
      return Optional.of(new Problems.Problem(StatusCodes.TOO_MANY_REQUESTS, "too-many-sockets-from-address",
          "Too many live sockets from your address", "your address holds " + maxSocketsPerAddress
              + " live sockets on this node already; close one first"));
    }
    return Optional.empty();
  }

  /** What a socket's client may still send: its frame budget and how many bad frames it has left. */
  private final class ClientBudget {
    private final RateLimiter.Limit limit;
    private TokenBucket frames;
    private int badFrames;

    ClientBudget(RateLimiter.Limit limit) {
      this.limit = limit;
    }

    /** Zero if the client may send one more frame now, else how long until it may. */
    Duration takeFrame() {
      long now = System.nanoTime();
      if (frames == null) {
        // watchers never send: their sockets hold no bucket
        frames = new TokenBucket(limit, now);
      }
      return frames.take(now);
    }

    /** Counts the answer if it is a bad frame's (400 or 429); whether the client has now used up its patience. */
    boolean exhaustedBy(Answer answer) {
      return answer.bad() && ++badFrames >= maxBadFrames;
    }
  }

  /** The reply to one client frame, and whether the frame was bad: malformed (400) or over the frame rate (429). */
  private record Answer(ByteString frame, boolean bad) {
    static Answer of(ByteString frame) {
      return new Answer(frame, false);
    }

    static Answer bad(ByteString frame) {
      return new Answer(frame, true);
    }
  }

  /**
   * The answer to the WebSocket upgrade {@code request} for a live socket on the poll of {@code snapshot}: the socket
   * of {@link #flow}, over {@link WebSocketCodec}.
   */
  HttpResponse accept(HttpRequest request, PollView snapshot, Tokens.Verified token, String address) {
    // a character takes at most four bytes of UTF-8: a longer message is surely over the limit
    return WebSocketCodec.accept(request, flow(snapshot, token, address), 4 * maxFrameChars, closeTimeout);
  }

  /**
   * The socket's flow, from the client's whole messages to the frames it is sent, encoded. {@code caller} is null for
   * a socket opened without a token, which may watch only. A socket opened by the poll's owner (or an admin) is a
   * relay: a venue's system or a load tool casting the ballots of many voters, each frame with its voter's token. It
   * may send {@code framesPerRelay} and have that many ballots in flight at once; any other socket's ballots go one at
   * a time, in order.
   *
   * <p>A socket opened with a token ({@code token}, null without one) lasts as long as its token holds: when it
   * expires or is revoked the socket sends a last error frame saying so and closes. The fan-out's lease sweep finds
   * that, at most {@code livepoll.live.token-check-interval} late.
   */
  private Flow<WebSocketCodec.ClientMessage, ByteString, NotUsed> flow(PollView snapshot, Tokens.Verified token,
      String address) {
    String pollId = snapshot.id();
    Identity caller = token == null ? null : token.identity();
    Requester reader = caller instanceof Identity.Organizer organizer
        ? new Requester(organizer.name(), organizer.admin()) : null;
    // the owner or an admin: a relay, and a reader of everything the poll shows its managers
    boolean relay = reader != null && reader.mayManage(snapshot.owner());
    // the snapshot, then each newer state the socket can take, as this reader may see it; the source ends after the
    // node's leaving frame, and fails (closing the socket) when its client stops reading while the poll changes
    ByteString first = text(new SnapshotFrame("snapshot", snapshot.seenBy(reader), snapshot.version()));
    // the frames end with the token's last word, which ends the socket
    Source<ByteString, NotUsed> out = fanout.frames(pollId, snapshot.version(), new Rendered(first, first),
        token == null ? null : () -> tokenProblem(token).map(problem -> {
          ByteString last = error(null, problem);
          return new Rendered(last, last);
        })).map(frame -> frame.frame(relay));
    ClientBudget budget = new ClientBudget(relay ? framesPerRelay : framesPerSocket);
    ByteString goodbye = error(null, new Problems.Problem(StatusCodes.TOO_MANY_REQUESTS, "too-many-bad-frames",
        "Too many bad frames", "this socket sent " + maxBadFrames
            + " malformed or over-the-rate frames; the server closes it"));
    return Flow.<WebSocketCodec.ClientMessage>create()
        .mapAsync(relay ? RELAY_IN_FLIGHT : 1, message -> answer(pollId, caller, message, budget))
        .mapConcat(answer -> budget.exhaustedBy(answer) ? List.of(answer.frame(), goodbye) : List.of(answer.frame()))
        // the socket ends after the goodbye: completing the answers completes the merge, which closes the socket
        .takeWhile(frame -> frame != goodbye, true)
        .merge(out, true)
        // counted while the socket runs: from its start (the flow materializes once the upgrade is answered)
        .watchTermination((notUsed, done) -> {
          perAddress.merge(address, 1, Integer::sum);
          // on the thread that ends the socket: Pekko's Java futures would otherwise run even whenComplete on the
          // JDK's default async executor, which on two cores starts a thread per callback
          done.whenCompleteAsync((ok, failure) ->
              perAddress.computeIfPresent(address, (key, count) -> count <= 1 ? null : count - 1), Runnable::run);
          return notUsed;
        });
  }

  /** Why {@code token} no longer holds, if it does not: expired, or revoked since it was verified. */
  private Optional<Problems.Problem> tokenProblem(Tokens.Verified token) {
    try {
      tokens.stillHolds(token);
      return Optional.empty();
    } catch (Tokens.InvalidToken invalid) {
      return Optional.of(new Problems.Problem(StatusCodes.UNAUTHORIZED, "invalid-token", "Unauthorized",
          invalid.getMessage() + "; the socket closes"));
    }
  }

  private CompletionStage<Answer> answer(String pollId, Identity caller, WebSocketCodec.ClientMessage message,
      ClientBudget budget) {
    long received = System.nanoTime();
    var overLimit = Throttling.overLimit(budget.takeFrame(), "frames-per-socket", "frames on this socket");
    if (overLimit.isPresent()) {
      return done(Answer.bad(error(null, overLimit.get())));
    }
    if (message instanceof WebSocketCodec.Text text && text.text().length() <= maxFrameChars) {
      return ballot(pollId, caller, text.text(), received);
    }
    return done(message instanceof WebSocketCodec.Binary
        ? malformed(null, "frames are JSON text, not binary")
        : malformed(null, "a frame must be JSON text of at most " + maxFrameChars + " characters"));
  }

  private Answer malformed(String ref, String detail) {
    return Answer.bad(error(ref,
        new Problems.Problem(StatusCodes.BAD_REQUEST, "malformed-frame", "Malformed frame", detail)));
  }

  private CompletionStage<Answer> ballot(String pollId, Identity caller, String frame, long received) {
    Requests.SocketBallot ballot;
    actors.Ballot marked;
    try {
      ballot = json.read(frame.getBytes(java.nio.charset.StandardCharsets.UTF_8), Requests.SocketBallot.class);
      marked = ballot.toBallot();
    } catch (Json.BadJson bad) {
      return done(malformed(null, bad.getMessage()));
    }
    String ref = ballot.ref();
    if (!"ballot".equals(ballot.type())) {
      return done(malformed(ref,
          "the only frame a client sends is {\"type\":\"ballot\",\"choices\":[...],\"ref\":\"...\"}"));
    }
    Identity castBy = caller;
    if (ballot.token() != null) {
      try {
        castBy = tokens.verify(ballot.token());
      } catch (Tokens.InvalidToken invalid) {
        return refuse(ref, new Problems.Problem(StatusCodes.UNAUTHORIZED, "invalid-token", "Unauthorized",
            invalid.getMessage()));
      }
    }
    if (castBy == null) {
      return refuse(ref, new Problems.Problem(StatusCodes.UNAUTHORIZED, "missing-token", "Unauthorized",
          "open the socket with ?token=<voter token>, or send the ballot with its voter's \"token\""));
    }
    if (!(castBy instanceof Identity.Voter voter)) {
      return refuse(ref, new Problems.Problem(StatusCodes.FORBIDDEN, "voter-token-required", "Forbidden",
          "this needs a voter token (POST /api/voters), not an organizer token"));
    }
    if (voter.invitedTo() != null && !voter.invitedTo().equals(pollId)) {
      return refuse(ref, new Problems.Problem(StatusCodes.FORBIDDEN, "invite-for-another-poll", "Forbidden",
          "this invite token is for another poll"));
    }
    var overLimit = throttle.ballotOverLimit(voter.voterId());
    if (overLimit.isPresent()) {
      return refuse(ref, overLimit.get());
    }
    // the answer is rendered on the dispatcher, not on the poll's thread that delivers a whole batch of answers
    return BallotOutcome.observe(polls.castBallot(pollId, voter.voterId(), marked, voter.invitedTo(), ballot.seq()),
            received)
        .handleAsync((reply, failure) -> Answer.of(failure != null
            ? error(ref, new Problems.Problem(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", "Service unavailable",
                "the poll did not answer in time; retry the ballot"))
            : reply instanceof Poll.Accepted accepted
                ? text(new AckFrame("ack", ref, accepted.poll().version(), accepted.poll().totalBallots()))
                : error(ref, Problems.problemOf((Poll.Rejected) reply))), dispatcher);
  }

  private ByteString error(String ref, Problems.Problem problem) {
    return text(new ErrorFrame("error", ref, problem.status().intValue(), problem.title(), problem.detail()));
  }

  /** {@code frame} as JSON in a WebSocket text frame, encoded once for every socket that sends it. */
  private ByteString text(Object frame) {
    return WebSocketCodec.text(json.write(frame));
  }

  private CompletionStage<Answer> refuse(String ref, Problems.Problem problem) {
    return done(Answer.of(error(ref, problem)));
  }

  private static CompletionStage<Answer> done(Answer answer) {
    return CompletableFuture.completedFuture(answer);
  }
}
