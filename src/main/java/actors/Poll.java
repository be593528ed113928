package actors;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.Recovery;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One poll: the single writer of its question, ballots and tally, event sourced. {@link PollInbox} is its sharded
 * front and hands it requests in batches, so a busy poll writes many ballots in one journal write (group commit).
 *
 * <p>Every reply is sent after the events it depends on are persisted, so an acknowledged ballot is never lost.
 */
public final class Poll extends EventSourcedBehavior<Poll.Command, Poll.Event, Poll.State> {

  // ---------------------------------------------------------------------------------------------------- protocol

  /** What the poll's writer accepts: one request, or a batch of them. */
  public sealed interface Command permits Request, Batch {}

  /** What can be asked of a poll; every request is answered with exactly one {@link Reply}. */
  public sealed interface Request extends Command, CborSerializable, PollInbox.Message
      permits Create, CastBallot, RetractBallot, Close, Invite, Get {
    ActorRef<Reply> replyTo();
  }

  /** Opens the poll as drafted; the entity checks the draft. */
  public record Create(PollDraft draft, ActorRef<Reply> replyTo) implements Request {}

  /** {@code invitedTo} is the poll the voter's invite is for, or null for a voter of the general public. */
  public record CastBallot(String voterId, List<Integer> choices, String invitedTo, ActorRef<Reply> replyTo)
      implements Request {}

  public record RetractBallot(String voterId, ActorRef<Reply> replyTo) implements Request {}

  /** Closes the poll now (its owner or an admin only); closing a closed poll changes nothing. */
  public record Close(Requester requester, ActorRef<Reply> replyTo) implements Request {}

  /** Asks whether {@code requester} may invite {@code count} voters; the caller mints their tokens when accepted. */
  public record Invite(Requester requester, int count, ActorRef<Reply> replyTo) implements Request {}

  public record Get(ActorRef<Reply> replyTo) implements Request {}

  /**
   * Requests decided in order and persisted in one write; {@code writtenTo} gets their answers. Sent only by the
   * poll's own inbox to its child writer, so it never crosses the network and is not serializable.
   */
  public record Batch(long batchId, List<Request> requests, ActorRef<Written> writtenTo) implements Command {}

  /**
   * A batch is written: the poll's version after it, and each request's answer for the inbox to deliver. When the
   * batch created a poll that closes itself, {@code closesAt} says when: the inbox has the close scheduled before it
   * answers, so the close happens even if the poll's node crashes right after.
   */
  public record Written(long batchId, long version, List<Answer> answers, Instant closesAt) {}

  /** The answer to one request of a batch, and where it goes. */
  public record Answer(ActorRef<Reply> to, Reply reply) {}

  /** The answer to every request: the poll as it now stands, or why the request was refused. */
  public sealed interface Reply extends CborSerializable permits Accepted, Rejected {}

  public record Accepted(PollView poll) implements Reply {}

  public record Rejected(Rejection reason, String detail) implements Reply {}

  /** Why a request was refused. */
  public enum Rejection {
    INVALID_POLL,
    INVALID_BALLOT,
    UNKNOWN_POLL,
    POLL_EXISTS,
    POLL_CLOSED,
    ALREADY_VOTED,
    VOTE_CHANGE_NOT_ALLOWED,
    NO_SUCH_BALLOT,
    /** The requester is not the poll's owner nor an admin. */
    FORBIDDEN,
    /** The poll takes ballots from invited voters only. */
    NOT_INVITED,
    INVALID_INVITE,
    /** Too many requests are queued for this poll; retry shortly. */
    BUSY,
    /** The node holding the poll was downed (it lost the cluster) and writes no more; another node takes over. */
    NODE_DOWNED
  }

  /**
   * What happened to a poll, as stored in the journal. Each event carries what a read model needs on its own.
   *
   * <p>Events are records in Jackson CBOR and journals outlive versions: a new field must be optional (absent in old
   * events) and a changed meaning needs a new event type; an old type stays here, replayed by {@link #evolve}, for
   * as long as journals holding it may exist (see {@code PollJournalFixtureIT}).
   */
  public sealed interface Event extends CborSerializable
      permits PollCreated, BallotsRecorded, PollClosed, BallotCast, BallotChanged, BallotRetracted {
    String pollId();
  }

  public record PollCreated(String pollId, PollDefinition definition) implements Event {}

  /**
   * The ballots of one journal write, in the order they were decided at {@code at}. A busy poll writes one event per
   * group commit, not one per ballot, so journal work grows with writes rather than with ballots.
   */
  public record BallotsRecorded(String pollId, Instant at, List<BallotChange> changes) implements Event {
    public BallotsRecorded {
      changes = List.copyOf(changes);
    }

    /**
     * The ballots an event recorded, whichever version wrote it (the one-ballot events of older versions too); empty
     * for an event that records no ballot. Everything that reads ballots from events reads them through this.
     */
    public static Optional<BallotsRecorded> of(Event event) {
      if (event instanceof BallotsRecorded recorded) {
        return Optional.of(recorded);
      } else if (event instanceof BallotCast cast) {
        return Optional.of(new BallotsRecorded(cast.pollId(), cast.at(),
            List.of(BallotChange.cast(cast.voterId(), cast.choices()))));
      } else if (event instanceof BallotChanged changed) {
        return Optional.of(new BallotsRecorded(changed.pollId(), changed.at(),
            List.of(BallotChange.changed(changed.voterId(), changed.previousChoices(), changed.choices()))));
      } else if (event instanceof BallotRetracted retracted) {
        return Optional.of(new BallotsRecorded(retracted.pollId(), retracted.at(),
            List.of(BallotChange.retracted(retracted.voterId(), retracted.choices()))));
      }
      return Optional.empty();
    }
  }

  /**
   * One voter's ballot changing: {@code previous} is null for the voter's first ballot, {@code choices} null for a
   * retraction; choices are option indexes in ascending order.
   */
  public record BallotChange(String voterId, List<Integer> previous, List<Integer> choices)
      implements CborSerializable {

    public static BallotChange cast(String voterId, List<Integer> choices) {
      return new BallotChange(voterId, null, choices);
    }

    public static BallotChange changed(String voterId, List<Integer> previous, List<Integer> choices) {
      return new BallotChange(voterId, previous, choices);
    }

    public static BallotChange retracted(String voterId, List<Integer> previous) {
      return new BallotChange(voterId, previous, null);
    }

    public boolean isCast() {
      return previous == null;
    }

    public boolean isRetraction() {
      return choices == null;
    }
  }

  /** {@code at} is when the poll stopped taking ballots: its {@code closesAt} for a scheduled close. */
  public record PollClosed(String pollId, Instant at) implements Event {}

  /** Written until 2026-11-29, one event per ballot; replayed as a {@link BallotChange}, never written again. */
  public record BallotCast(String pollId, String voterId, List<Integer> choices, Instant at) implements Event {}

  /** Written until 2026-11-29; see {@link BallotCast}. */
  public record BallotChanged(
      String pollId, String voterId, List<Integer> previousChoices, List<Integer> choices, Instant at)
      implements Event {}

  /** Written until 2026-11-29; see {@link BallotCast}. */
  public record BallotRetracted(String pollId, String voterId, List<Integer> choices, Instant at) implements Event {}

  /** A poll before it was created, or a created one. Rebuilt from the journal on recovery, never stored. */
  public sealed interface State permits Blank, Created {}

  public record Blank() implements State {}

  /** {@code version} counts the poll's events, so it equals the journal's sequence number of the latest one. */
  public record Created(
      String pollId, PollDefinition definition, Ballots ballots, Tally tally, Instant closedAt, long version)
      implements State {

    boolean closed() {
      return closedAt != null;
    }

    /** Past its closing time but not yet closed: the next request persists the close first. */
    boolean dueToClose(Instant now) {
      return !closed() && definition.closesAt() != null && !now.isBefore(definition.closesAt());
    }

    /** Whether this exact ballot (choices in ascending order) is already counted for the voter. */
    boolean counts(String voterId, List<Integer> sortedChoices) {
      return ballots.ballotOf(voterId).map(sortedChoices::equals).orElse(false);
    }

    PollView view() {
      return PollView.of(pollId, definition, tally, closedAt, version);
    }

    /** The poll after one more event that changes these ballots, in order. */
    Created withBallots(List<BallotChange> changes) {
      Ballots next = ballots;
      for (BallotChange change : changes) {
        next = change.isRetraction() ? next.without(change.voterId()) : next.with(change.voterId(), change.choices());
      }
      return new Created(pollId, definition, next, tally.with(changes), closedAt, version + 1);
    }
  }

  /** The one place where events change state: used for recovery and for deciding a batch. */
  static State evolve(State state, Event event) {
    if (state instanceof Blank && event instanceof PollCreated created) {
      return new Created(created.pollId(), created.definition(), Ballots.empty(),
          Tally.empty(created.definition().options().size()), null, 1);
    }
    if (state instanceof Created poll) {
      if (event instanceof PollClosed closing) {
        return new Created(poll.pollId(), poll.definition(), poll.ballots(), poll.tally(), closing.at(),
            poll.version() + 1);
      }
      Optional<BallotsRecorded> ballots = BallotsRecorded.of(event);
      if (ballots.isPresent()) {
        return poll.withBallots(ballots.get().changes());
      }
    }
    throw new IllegalStateException("event " + event + " does not apply to " + state);
  }

  // ------------------------------------------------------------------------------------------------- the entity

  /**
   * Settings every poll entity shares: group commit ({@code maxBatch}, {@code maxQueued}, {@code writeInterval},
   * {@code writeTimeout}), and how long answers wait for the change log to record a write ({@code recordWithin}).
   */
  public record Settings(int maxBatch, int maxQueued, Duration writeInterval, Duration writeTimeout,
      Duration recordWithin, Clock clock) {}

  private final String pollId;
  private final ActorRef<ClosingSchedule.Command> closingSchedule;
  private final ActorRef<Topic.Command<TallyUpdate>> tallies;
  private final Settings settings;

  private Poll(
      String pollId,
      ActorRef<ClosingSchedule.Command> closingSchedule,
      ActorRef<Topic.Command<TallyUpdate>> tallies,
      Settings settings) {
    super(
        PersistenceId.of(PollInbox.ENTITY_KEY.name(), pollId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.pollId = pollId;
    this.closingSchedule = closingSchedule;
    this.tallies = tallies;
    this.settings = settings;
  }

  /** {@code tallies} is the poll's topic: the writer publishes there once per write, and never talks to sockets. */
  public static Behavior<Command> create(
      String pollId,
      ActorRef<ClosingSchedule.Command> closingSchedule,
      ActorRef<Topic.Command<TallyUpdate>> tallies,
      Settings settings) {
    return new Poll(pollId, closingSchedule, tallies, settings);
  }

  @Override
  public State emptyState() {
    return new Blank();
  }

  /**
   * No snapshots: a poll's state is every voter's ballot, so a snapshot's cost grows with the voters while the
   * journal holds the same ballots a write at a time. Recovery replays the journal, and ignores the snapshots
   * that versions before 2026-11-30 saved every 1000 events (their events were never deleted).
   */
  @Override
  public Recovery recovery() {
    return Recovery.withSnapshotSelectionCriteria(SnapshotSelectionCriteria.none());
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::scheduleCloseIfPending)
        .build();
  }

  // Told again after every recovery, so a scheduled close survives even a crash right after creation.
  private void scheduleCloseIfPending(State state) {
    if (state instanceof Created created && !created.closed() && created.definition().closesAt() != null) {
      closingSchedule.tell(new ClosingSchedule.Schedule(pollId, created.definition().closesAt(), null));
    }
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Batch.class, (state, batch) -> handle(state, batch.requests(), batch.writtenTo(), batch.batchId()))
        .onCommand(Request.class, (state, request) -> handle(state, List.of(request), null, 0))
        .build();
  }

  /**
   * Decides each request in order against the state the earlier ones left, and persists what they caused in one
   * write: the ballots of consecutive requests become one {@link BallotsRecorded}. Every answer comes after the
   * write, from the poll as the write left it, so all accepted requests of a batch share one view and version. A
   * batch's answers go to its inbox, which delivers them; a lone request is answered here.
   */
  private Effect<Event, State> handle(
      State state, List<Request> requests, ActorRef<Written> writtenTo, long batchId) {
    Instant now = settings.clock().instant();
    List<Event> events = new ArrayList<>();
    List<Decision> decisions = new ArrayList<>(requests.size());
    State decided = state;
    for (Request request : requests) {
      Decision decision = decide(decided, request, now);
      for (Event event : decision.events()) {
        decided = evolve(decided, event);
        events.add(event);
      }
      decisions.add(decision);
    }
    List<Event> written = groupBallots(events);
    boolean created = events.stream().anyMatch(PollCreated.class::isInstance);
    EffectBuilder<Event, State> effect = written.isEmpty() ? Effect().none() : Effect().persist(written);
    return effect.thenRun(persisted -> {
      Outcome outcome = new Outcome(persisted);
      List<Answer> answers = new ArrayList<>(requests.size());
      for (int i = 0; i < requests.size(); i++) {
        answers.add(new Answer(requests.get(i).replyTo(), decisions.get(i).reply().apply(outcome)));
      }
      Instant toSchedule = created && persisted instanceof Created poll && !poll.closed()
          ? poll.definition().closesAt() : null;
      if (toSchedule != null && writtenTo == null) {
        scheduleCloseIfPending(persisted);
      }
      if (!written.isEmpty()) {
        tallies.tell(Topic.publish(TallyUpdate.of(outcome.accepted().poll())));
      }
      if (writtenTo != null) {
        writtenTo.tell(new Written(batchId, outcome.version(), answers, toSchedule));
      } else {
        answers.forEach(answer -> answer.to().tell(answer.reply()));
      }
    });
  }

  /** Runs of ballot events, as each request decided them, become one event per run. */
  private List<Event> groupBallots(List<Event> events) {
    List<Event> grouped = new ArrayList<>(Math.min(events.size(), 4));
    List<BallotChange> run = new ArrayList<>();
    Instant runAt = null;
    for (Event event : events) {
      if (event instanceof BallotsRecorded ballots) {
        run.addAll(ballots.changes());
        runAt = ballots.at();
        continue;
      }
      if (!run.isEmpty()) {
        grouped.add(new BallotsRecorded(pollId, runAt, run));
        run = new ArrayList<>();
      }
      grouped.add(event);
    }
    if (!run.isEmpty()) {
      grouped.add(new BallotsRecorded(pollId, runAt, run));
    }
    return grouped;
  }

  /** The poll as a write left it, and the one answer that accepts a request of that write. */
  private static final class Outcome {
    private final State state;
    private Accepted accepted;

    Outcome(State state) {
      this.state = state;
    }

    Created poll() {
      return (Created) state;
    }

    long version() {
      return state instanceof Created poll ? poll.version() : 0;
    }

    Accepted accepted() {
      if (accepted == null) {
        accepted = new Accepted(poll().view());
      }
      return accepted;
    }
  }

  /** What one request does: the events it causes, and its answer once the write that holds them is done. */
  private record Decision(List<Event> events, Function<Outcome, Reply> reply) {
    static Decision answer(Reply reply) {
      return new Decision(List.of(), outcome -> reply);
    }

    static Decision accept() {
      return new Decision(List.of(), Outcome::accepted);
    }

    static Decision reject(Rejection reason, String detail) {
      return answer(new Rejected(reason, detail));
    }

    static Decision persist(Event event) {
      return new Decision(List.of(event), Outcome::accepted);
    }
  }

  private Decision decide(State state, Request request, Instant now) {
    if (state instanceof Created poll) {
      return decide(poll, request, now);
    }
    if (request instanceof Create create) {
      PollDefinition.Validated<PollDefinition> definition = PollDefinition.of(create.draft(), now);
      return definition.ok()
          ? Decision.persist(new PollCreated(pollId, definition.value()))
          : Decision.reject(Rejection.INVALID_POLL, definition.problem());
    }
    return Decision.reject(Rejection.UNKNOWN_POLL, "no poll with id " + pollId);
  }

  private Decision decide(Created poll, Request request, Instant now) {
    if (poll.dueToClose(now)) {
      // Closing is due: persist it first, then answer as the closed poll would.
      return new Decision(List.of(new PollClosed(pollId, poll.definition().closesAt())),
          outcome -> answerClosed(outcome, request));
    }
    if (poll.closed()) {
      return new Decision(List.of(), outcome -> answerClosed(outcome, request));
    }
    if (request instanceof CastBallot ballot) {
      return decideBallot(poll, ballot, now);
    } else if (request instanceof RetractBallot retraction) {
      return decideRetraction(poll, retraction, now);
    } else if (request instanceof Close close) {
      return close.requester().mayManage(poll.definition())
          ? Decision.persist(new PollClosed(pollId, now))
          : Decision.answer(forbidden(close.requester()));
    } else if (request instanceof Invite invite) {
      return decideInvite(poll, invite);
    } else if (request instanceof Get) {
      return Decision.accept();
    }
    return Decision.reject(Rejection.POLL_EXISTS, "poll " + pollId + " already exists");
  }

  private Rejected forbidden(Requester requester) {
    return new Rejected(Rejection.FORBIDDEN, requester.name() + " is not the owner of poll " + pollId);
  }

  private Decision decideInvite(Created poll, Invite invite) {
    if (!invite.requester().mayManage(poll.definition())) {
      return Decision.answer(forbidden(invite.requester()));
    }
    if (poll.definition().audience() != Audience.INVITED) {
      return Decision.reject(Rejection.INVALID_INVITE, "poll " + pollId + " is public: any voter may vote");
    }
    if (invite.count() < 1 || invite.count() > PollDefinition.MAX_INVITES_PER_REQUEST) {
      return Decision.reject(Rejection.INVALID_INVITE,
          "count must be between 1 and " + PollDefinition.MAX_INVITES_PER_REQUEST);
    }
    return Decision.accept();
  }

  private Decision decideBallot(Created poll, CastBallot ballot, Instant now) {
    if (!PollDefinition.isValidVoterId(ballot.voterId())) {
      return Decision.reject(Rejection.INVALID_BALLOT, PollDefinition.voterIdRule());
    }
    if (poll.definition().audience() == Audience.INVITED && !pollId.equals(ballot.invitedTo())) {
      return Decision.reject(Rejection.NOT_INVITED, "poll " + pollId + " takes ballots from invited voters only");
    }
    var problem = poll.definition().problemWithChoices(ballot.choices());
    if (problem.isPresent()) {
      return Decision.reject(Rejection.INVALID_BALLOT, problem.get());
    }
    List<Integer> choices = sorted(ballot.choices());
    if (poll.counts(ballot.voterId(), choices)) {
      // A retry of a ballot already counted: acknowledge it again, count it once.
      return Decision.accept();
    }
    var previous = poll.ballots().ballotOf(ballot.voterId());
    if (previous.isEmpty()) {
      return recordBallot(BallotChange.cast(ballot.voterId(), choices), now);
    }
    if (!poll.definition().allowVoteChange()) {
      return Decision.reject(Rejection.ALREADY_VOTED,
          "voter " + ballot.voterId() + " already voted differently and this poll does not allow changing a vote");
    }
    return recordBallot(BallotChange.changed(ballot.voterId(), previous.get(), choices), now);
  }

  private Decision decideRetraction(Created poll, RetractBallot retraction, Instant now) {
    if (!PollDefinition.isValidVoterId(retraction.voterId())) {
      return Decision.reject(Rejection.INVALID_BALLOT, PollDefinition.voterIdRule());
    }
    if (!poll.definition().allowVoteChange()) {
      return Decision.reject(Rejection.VOTE_CHANGE_NOT_ALLOWED, "this poll does not allow retracting a ballot");
    }
    var previous = poll.ballots().ballotOf(retraction.voterId());
    if (previous.isEmpty()) {
      return Decision.reject(Rejection.NO_SUCH_BALLOT, "voter " + retraction.voterId() + " has no ballot here");
    }
    return recordBallot(BallotChange.retracted(retraction.voterId(), previous.get()), now);
  }

  /** One request's ballot; {@link #groupBallots} joins it with the other ballots of its write. */
  private Decision recordBallot(BallotChange change, Instant now) {
    return Decision.persist(new BallotsRecorded(pollId, now, List.of(change)));
  }

  /** How a closed poll answers: reads and closes succeed, an identical re-sent ballot is still acknowledged. */
  private Reply answerClosed(Outcome outcome, Request request) {
    Created poll = outcome.poll();
    if (request instanceof Get) {
      return outcome.accepted();
    }
    if (request instanceof Close close) {
      return close.requester().mayManage(poll.definition()) ? outcome.accepted() : forbidden(close.requester());
    }
    if (request instanceof CastBallot ballot
        && poll.definition().problemWithChoices(ballot.choices()).isEmpty()
        && poll.counts(ballot.voterId(), sorted(ballot.choices()))) {
      return outcome.accepted();
    }
    if (request instanceof Create) {
      return new Rejected(Rejection.POLL_EXISTS, "poll " + pollId + " already exists");
    }
    return new Rejected(Rejection.POLL_CLOSED, "poll " + pollId + " is closed");
  }

  private static List<Integer> sorted(List<Integer> choices) {
    return choices.stream().sorted().toList();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(Poll::evolve);
  }
}
