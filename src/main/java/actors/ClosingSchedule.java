package actors;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The durable list of polls that close themselves at a set time, one per cluster (a singleton).
 *
 * <p>Polls register here when created with a {@code closesAt}. When the time comes the schedule sends the poll a
 * {@link Poll.Close}, waking its entity if it was passivated, and keeps retrying until the poll confirms. Because the
 * schedule is event sourced, a close still fires after a restart or a failover of the node that held it.
 */
public final class ClosingSchedule
    extends EventSourcedBehavior<ClosingSchedule.Command, ClosingSchedule.Event, ClosingSchedule.State> {

  /** Timers cannot reach further than ~248 days; distant closes are re-checked at this interval instead. */
  private static final Duration MAX_TIMER = Duration.ofDays(1);

  private static final Duration RETRY_AFTER = Duration.ofSeconds(2);

  public sealed interface Command extends CborSerializable {}

  /**
   * Idempotent: scheduling the same poll for the same time again changes nothing. {@code replyTo}, if not null, hears
   * {@link Scheduled} once the close is durably scheduled.
   */
  public record Schedule(String pollId, Instant closesAt, ActorRef<Scheduled> replyTo) implements Command {}

  public record Scheduled(String pollId) implements CborSerializable {}

  record Due(String pollId) implements Command {}

  record Confirmed(String pollId) implements Command {}

  record Unconfirmed(String pollId) implements Command {}

  public sealed interface Event extends CborSerializable {}

  public record CloseScheduled(String pollId, Instant closesAt) implements Event {}

  public record CloseDone(String pollId) implements Event {}

  /** Pending closes by poll id. */
  public record State(Map<String, Instant> pending) implements CborSerializable {
    public State {
      pending = Map.copyOf(pending);
    }

    State with(String pollId, Instant closesAt) {
      Map<String, Instant> next = new HashMap<>(pending);
      next.put(pollId, closesAt);
      return new State(next);
    }

    State without(String pollId) {
      Map<String, Instant> next = new HashMap<>(pending);
      next.remove(pollId);
      return new State(next);
    }
  }

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Function<String, RecipientRef<? super Poll.Request>> polls;
  private final Clock clock;

  private ClosingSchedule(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Function<String, RecipientRef<? super Poll.Request>> polls,
      Clock clock) {
    super(
        PersistenceId.ofUniqueId("closing-schedule"),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.context = context;
    this.timers = timers;
    this.polls = polls;
    this.clock = clock;
  }

  public static Behavior<Command> create(Function<String, RecipientRef<? super Poll.Request>> polls, Clock clock) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> new ClosingSchedule(context, timers, polls, clock)));
  }

  /** Starts (or joins) the cluster-wide singleton and returns its proxy. */
  public static ActorRef<Command> init(ActorSystem<?> system, Clock clock) {
    ClusterSharding sharding = ClusterSharding.get(system);
    Function<String, RecipientRef<? super Poll.Request>> polls =
        pollId -> sharding.entityRefFor(PollEntity.ENTITY_KEY, pollId);
    return ClusterSingleton.get(system)
        .init(SingletonActor.of(create(polls, clock), "closing-schedule"));
  }

  @Override
  public State emptyState() {
    return new State(Map.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> state.pending().forEach(this::wakeAt))
        .build();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Schedule.class, this::onSchedule)
        .onCommand(Due.class, this::onDue)
        .onCommand(Confirmed.class, (state, confirmed) -> state.pending().containsKey(confirmed.pollId())
            ? Effect().persist(new CloseDone(confirmed.pollId()))
            : Effect().none())
        .onCommand(Unconfirmed.class, unconfirmed -> {
          // the poll's shard may be moving; ask again shortly
          timers.startSingleTimer(unconfirmed.pollId(), new Due(unconfirmed.pollId()), RETRY_AFTER);
          return Effect().none();
        })
        .build();
  }

  private Effect<Event, State> onSchedule(State state, Schedule schedule) {
    if (schedule.closesAt().equals(state.pending().get(schedule.pollId()))) {
      confirm(schedule);
      return Effect().none();
    }
    return Effect()
        .persist(new CloseScheduled(schedule.pollId(), schedule.closesAt()))
        .thenRun(next -> {
          wakeAt(schedule.pollId(), schedule.closesAt());
          confirm(schedule);
        });
  }

  private static void confirm(Schedule schedule) {
    if (schedule.replyTo() != null) {
      schedule.replyTo().tell(new Scheduled(schedule.pollId()));
    }
  }

  private Effect<Event, State> onDue(State state, Due due) {
    Instant closesAt = state.pending().get(due.pollId());
    if (closesAt == null) {
      return Effect().none();
    }
    if (clock.instant().isBefore(closesAt)) {
      wakeAt(due.pollId(), closesAt);
      return Effect().none();
    }
    context.ask(
        Poll.Reply.class,
        polls.apply(due.pollId()),
        Duration.ofSeconds(5),
        replyTo -> new Poll.Close(Requester.SCHEDULE, replyTo),
        (reply, failure) -> failure == null ? new Confirmed(due.pollId()) : new Unconfirmed(due.pollId()));
    return Effect().none();
  }

  private void wakeAt(String pollId, Instant closesAt) {
    Duration delay = Duration.between(clock.instant(), closesAt);
    if (delay.isNegative()) {
      delay = Duration.ZERO;
    }
    timers.startSingleTimer(pollId, new Due(pollId), delay.compareTo(MAX_TIMER) > 0 ? MAX_TIMER : delay);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(CloseScheduled.class, (state, scheduled) -> state.with(scheduled.pollId(), scheduled.closesAt()))
        .onEvent(CloseDone.class, (state, done) -> state.without(done.pollId()))
        .build();
  }
}
