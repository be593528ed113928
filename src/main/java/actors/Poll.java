package actors;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One poll: the single writer of its question, ballots and tally, sharded across the cluster and event sourced.
 *
 * <p>Every reply is sent after the events it depends on are persisted, so an acknowledged ballot is never lost.
 */
public final class Poll extends EventSourcedBehaviorWithEnforcedReplies<Poll.Command, Poll.Event, Poll.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Poll");

  // ---------------------------------------------------------------------------------------------------- protocol

  /** What can be asked of a poll; every command is answered with a {@link Reply}. */
  public sealed interface Command extends CborSerializable {
    ActorRef<Reply> replyTo();
  }

  /** Opens the poll. Fields are the organizer's raw request; the entity checks them. */
  public record Create(
      String question,
      List<String> options,
      Kind kind,
      Integer maxChoices,
      boolean allowVoteChange,
      Instant closesAt,
      ActorRef<Reply> replyTo)
      implements Command {}

  public record CastBallot(String voterId, List<Integer> choices, ActorRef<Reply> replyTo) implements Command {}

  public record RetractBallot(String voterId, ActorRef<Reply> replyTo) implements Command {}

  /** Closes the poll now; closing a closed poll changes nothing. */
  public record Close(ActorRef<Reply> replyTo) implements Command {}

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  /** The answer to every command: the poll as it now stands, or why the command was refused. */
  public sealed interface Reply extends CborSerializable {}

  public record Accepted(PollView poll) implements Reply {}

  public record Rejected(Rejection reason, String detail) implements Reply {}

  /** Why a command was refused. Each reason is a rule of the poll, not of any transport. */
  public enum Rejection {
    INVALID_POLL,
    INVALID_BALLOT,
    UNKNOWN_POLL,
    POLL_EXISTS,
    POLL_CLOSED,
    ALREADY_VOTED,
    VOTE_CHANGE_NOT_ALLOWED,
    NO_SUCH_BALLOT
  }

  /** What happened to a poll, as stored in the journal. Each event carries what a read model needs on its own. */
  public sealed interface Event extends CborSerializable {
    String pollId();
  }

  public record PollCreated(String pollId, PollDefinition definition) implements Event {}

  public record BallotCast(String pollId, String voterId, List<Integer> choices, Instant at) implements Event {}

  public record BallotChanged(
      String pollId, String voterId, List<Integer> previousChoices, List<Integer> choices, Instant at)
      implements Event {}

  public record BallotRetracted(String pollId, String voterId, List<Integer> choices, Instant at) implements Event {}

  /** {@code at} is when the poll stopped taking ballots: its {@code closesAt} for a scheduled close. */
  public record PollClosed(String pollId, Instant at) implements Event {}

  /** A poll before it was created, or a created one. */
  public sealed interface State extends CborSerializable {}

  public record Blank() implements State {}

  public record Created(String pollId, PollDefinition definition, Ballots ballots, Tally tally, Instant closedAt)
      implements State {

    boolean closed() {
      return closedAt != null;
    }

    /** Past its closing time but not yet closed: the next command persists the close first. */
    boolean dueToClose(Instant now) {
      return !closed() && definition.closesAt() != null && !now.isBefore(definition.closesAt());
    }

    /** Whether this exact ballot (choices in ascending order) is already counted for the voter. */
    boolean counts(String voterId, List<Integer> sortedChoices) {
      return ballots.ballotOf(voterId).map(sortedChoices::equals).orElse(false);
    }

    PollView view() {
      return PollView.of(pollId, definition, tally, closedAt);
    }

    Created apply(Event event) {
      if (event instanceof BallotCast cast) {
        return new Created(pollId, definition, ballots.with(cast.voterId(), cast.choices()),
            tally.withBallot(cast.choices()), closedAt);
      } else if (event instanceof BallotChanged changed) {
        return new Created(pollId, definition, ballots.with(changed.voterId(), changed.choices()),
            tally.withChangedBallot(changed.previousChoices(), changed.choices()), closedAt);
      } else if (event instanceof BallotRetracted retracted) {
        return new Created(pollId, definition, ballots.without(retracted.voterId()),
            tally.withoutBallot(retracted.choices()), closedAt);
      } else if (event instanceof PollClosed closing) {
        return new Created(pollId, definition, ballots, tally, closing.at());
      }
      throw new IllegalStateException("poll " + pollId + " is already created: " + event);
    }
  }

  // ------------------------------------------------------------------------------------------------- the entity

  /** Settings every poll entity shares. */
  public record Settings(int tagSlices, int snapshotEvery, Clock clock) {}

  private final String pollId;
  private final ActorRef<ClosingSchedule.Command> closingSchedule;
  private final Settings settings;

  private Poll(String pollId, ActorRef<ClosingSchedule.Command> closingSchedule, Settings settings) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), pollId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.pollId = pollId;
    this.closingSchedule = closingSchedule;
    this.settings = settings;
  }

  public static Behavior<Command> create(
      String pollId, ActorRef<ClosingSchedule.Command> closingSchedule, Settings settings) {
    return Behaviors.setup(context -> new Poll(pollId, closingSchedule, settings));
  }

  /** Registers the poll entity with Cluster Sharding on this node. */
  public static void init(ActorSystem<?> system, ActorRef<ClosingSchedule.Command> closingSchedule, Settings settings) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, context -> create(context.getEntityId(), closingSchedule, settings)));
  }

  /** Each event carries one tag out of a fixed set of slices, so read-side projections can split the work. */
  public static String tagFor(String pollId, int tagSlices) {
    return "polls-" + Math.floorMod(pollId.hashCode(), tagSlices);
  }

  @Override
  public State emptyState() {
    return new Blank();
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(tagFor(pollId, settings.tagSlices()));
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::scheduleCloseIfPending)
        .build();
  }

  // The schedule is told again after every recovery, so a close survives even a crash right after creation.
  private void scheduleCloseIfPending(State state) {
    if (state instanceof Created created && !created.closed() && created.definition().closesAt() != null) {
      closingSchedule.tell(new ClosingSchedule.Schedule(pollId, created.definition().closesAt()));
    }
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder.forStateType(Blank.class)
        .onCommand(Create.class, this::onCreate)
        .onCommand(command -> true, command -> reject(command, Rejection.UNKNOWN_POLL, "no poll with id " + pollId));
    builder.forStateType(Created.class).onAnyCommand(this::onCommand);
    return builder.build();
  }

  private ReplyEffect<Event, State> onCreate(Create create) {
    PollDefinition.Validated<PollDefinition> definition = PollDefinition.of(
        create.question(), create.options(), create.kind(), create.maxChoices(), create.allowVoteChange(),
        create.closesAt(), now());
    if (!definition.ok()) {
      return reject(create, Rejection.INVALID_POLL, definition.problem());
    }
    return Effect()
        .persist(new PollCreated(pollId, definition.value()))
        .thenRun(this::scheduleCloseIfPending)
        .thenReply(create.replyTo(), this::accepted);
  }

  private ReplyEffect<Event, State> onCommand(Created poll, Command command) {
    if (poll.dueToClose(now())) {
      // Closing is due: persist it first, then answer as a closed poll would.
      return Effect()
          .persist(new PollClosed(pollId, poll.definition().closesAt()))
          .thenReply(command.replyTo(), closed -> answerClosed((Created) closed, command));
    }
    if (poll.closed()) {
      return Effect().reply(command.replyTo(), answerClosed(poll, command));
    }
    if (command instanceof CastBallot ballot) {
      return onBallot(poll, ballot);
    } else if (command instanceof RetractBallot retraction) {
      return onRetract(poll, retraction);
    } else if (command instanceof Close close) {
      return Effect().persist(new PollClosed(pollId, now())).thenReply(close.replyTo(), this::accepted);
    } else if (command instanceof Get get) {
      return Effect().reply(get.replyTo(), new Accepted(poll.view()));
    }
    return reject(command, Rejection.POLL_EXISTS, "poll " + pollId + " already exists");
  }

  private ReplyEffect<Event, State> onBallot(Created poll, CastBallot ballot) {
    if (!PollDefinition.isValidVoterId(ballot.voterId())) {
      return reject(ballot, Rejection.INVALID_BALLOT, PollDefinition.voterIdRule());
    }
    var problem = poll.definition().problemWithChoices(ballot.choices());
    if (problem.isPresent()) {
      return reject(ballot, Rejection.INVALID_BALLOT, problem.get());
    }
    List<Integer> choices = sorted(ballot.choices());
    if (poll.counts(ballot.voterId(), choices)) {
      // A retry of a ballot already counted: acknowledge it again, count it once.
      return Effect().reply(ballot.replyTo(), new Accepted(poll.view()));
    }
    var previous = poll.ballots().ballotOf(ballot.voterId());
    if (previous.isEmpty()) {
      return Effect()
          .persist(new BallotCast(pollId, ballot.voterId(), choices, now()))
          .thenReply(ballot.replyTo(), this::accepted);
    }
    if (!poll.definition().allowVoteChange()) {
      return reject(ballot, Rejection.ALREADY_VOTED,
          "voter " + ballot.voterId() + " already voted differently and this poll does not allow changing a vote");
    }
    return Effect()
        .persist(new BallotChanged(pollId, ballot.voterId(), previous.get(), choices, now()))
        .thenReply(ballot.replyTo(), this::accepted);
  }

  private ReplyEffect<Event, State> onRetract(Created poll, RetractBallot retraction) {
    if (!PollDefinition.isValidVoterId(retraction.voterId())) {
      return reject(retraction, Rejection.INVALID_BALLOT, PollDefinition.voterIdRule());
    }
    if (!poll.definition().allowVoteChange()) {
      return reject(retraction, Rejection.VOTE_CHANGE_NOT_ALLOWED, "this poll does not allow retracting a ballot");
    }
    var previous = poll.ballots().ballotOf(retraction.voterId());
    if (previous.isEmpty()) {
      return reject(retraction, Rejection.NO_SUCH_BALLOT, "voter " + retraction.voterId() + " has no ballot here");
    }
    return Effect()
        .persist(new BallotRetracted(pollId, retraction.voterId(), previous.get(), now()))
        .thenReply(retraction.replyTo(), this::accepted);
  }

  /** How a closed poll answers: reads and closes succeed, an identical re-sent ballot is still acknowledged. */
  private Reply answerClosed(Created poll, Command command) {
    if (command instanceof Get || command instanceof Close) {
      return new Accepted(poll.view());
    }
    if (command instanceof CastBallot ballot
        && poll.definition().problemWithChoices(ballot.choices()).isEmpty()
        && poll.counts(ballot.voterId(), sorted(ballot.choices()))) {
      return new Accepted(poll.view());
    }
    if (command instanceof Create) {
      return new Rejected(Rejection.POLL_EXISTS, "poll " + pollId + " already exists");
    }
    return new Rejected(Rejection.POLL_CLOSED, "poll " + pollId + " is closed");
  }

  private static List<Integer> sorted(List<Integer> choices) {
    return choices.stream().sorted().toList();
  }

  private Reply accepted(State state) {
    return new Accepted(((Created) state).view());
  }

  private ReplyEffect<Event, State> reject(Command command, Rejection reason, String detail) {
    return Effect().reply(command.replyTo(), new Rejected(reason, detail));
  }

  private Instant now() {
    return settings.clock().instant();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    var builder = newEventHandlerBuilder();
    builder.forStateType(Blank.class)
        .onEvent(PollCreated.class, created -> new Created(pollId, created.definition(), Ballots.empty(),
            Tally.empty(created.definition().options().size()), null));
    builder.forStateType(Created.class).onAnyEvent((state, event) -> ((Created) state).apply(event));
    return builder.build();
  }
}
