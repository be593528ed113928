package actors;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.pekko.actor.DeadLetterSuppression;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.Recovery;

/**
 * Which polls changed, as a durable log per slice of polls: the read side follows these few logs instead of every
 * poll's journal. After each write a poll records here that its journal now reaches sequence number n; the read side
 * reads each recorded poll's new events from its journal.
 *
 * <p>One log per slice ({@code PollChanges|<slice>}), each the single writer of its journal under Cluster Sharding.
 * Records that arrive while a write is in flight go into the next write together (group commit), so the log's work
 * grows with its writes, not with the polls' writes. A record says "up to n", so recording again is harmless, and a
 * poll whose record was lost is caught up by its next one.
 */
public final class PollChanges {
  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "PollChanges");

  /** What a slice's log takes: records, and Cluster Sharding's {@link Stop}. */
  public sealed interface Command permits Record, Stop {}

  /** Poll {@code pollId}'s journal reaches {@code seq}; answered with {@link Recorded} once that is durable. */
  public record Record(String pollId, long seq, ActorRef<Recorded> replyTo) implements Command, CborSerializable {}

  public record Recorded(String pollId, long seq) implements CborSerializable {}

  /** Sent by Cluster Sharding (hand-off, passivation): the log finishes its write first. */
  public enum Stop implements Command { INSTANCE }

  /** The journal event of one write: polls and how far each one's journal reaches. */
  public record PollsChanged(List<PollSeq> polls) implements CborSerializable {
    public PollsChanged {
      polls = List.copyOf(polls);
    }

    /** One entry per poll, with the furthest sequence number given for it, in the order the polls first come. */
    public static PollsChanged furthest(Stream<PollSeq> seqs) {
      Map<String, Long> furthest = new LinkedHashMap<>();
      seqs.forEach(seq -> furthest.merge(seq.pollId(), seq.seq(), Math::max));
      return new PollsChanged(furthest.entrySet().stream().map(e -> new PollSeq(e.getKey(), e.getValue())).toList());
    }
  }

  public record PollSeq(String pollId, long seq) implements CborSerializable {}

  /**
   * Published to the slice's topic ({@link #topicName}) after each write of its log, so that its readers read at once
   * instead of at their next look. Nobody listening is fine: the update is dropped, not logged as a dead letter.
   */
  public record Appended(int slice) implements CborSerializable, DeadLetterSuppression {}

  /** The cluster-wide topic of slice {@code slice}'s log. */
  public static String topicName(int slice) {
    return "poll-changes-" + slice;
  }

  /**
   * This node's instance of each slice's topic, started with the node: the logs on this node publish through them
   * and the read side here listens on them. A topic instance started only when its log starts would drop what it
   * publishes until it has heard of the others (on one node too), and the first records after a start would wait
   * for the read side's next look.
   */
  public record Topics(List<ActorRef<Topic.Command<Appended>>> bySlice) {
    public ActorRef<Topic.Command<Appended>> of(int slice) {
      return bySlice.get(slice);
    }
  }
  /** How the logs run: {@code slices} logs; a write at most every {@code writeInterval}, of up to {@code maxBatch}. */
  public record Settings(int slices, int maxBatch, int maxQueued, Duration writeInterval, Duration writeTimeout) {}

  private PollChanges() {}

  /** The slice a poll's changes are recorded in. Changing the number of slices is safe: records only say "up to". */
  public static int sliceOf(String pollId, int slices) {
    return Math.floorMod(pollId.hashCode(), slices);
  }

  /** The persistence id of slice {@code slice}'s log. */
  public static String persistenceId(int slice) {
    return PersistenceId.of(ENTITY_KEY.name(), Integer.toString(slice)).id();
  }

  /** Registers the logs with Cluster Sharding on this node, and returns this node's instances of their topics. */
  public static Topics init(ActorSystem<?> system, Settings settings) {
    BooleanSupplier cutOff = PollEntity.cutOff(system);
    List<ActorRef<Topic.Command<Appended>>> topics = new ArrayList<>();
    for (int slice = 0; slice < settings.slices(); slice++) {
      topics.add(system.systemActorOf(Topic.create(Appended.class, topicName(slice)), "poll-changes-" + slice,
          Props.empty()));
    }
    Topics announcements = new Topics(List.copyOf(topics));
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, context -> {
          int slice = Integer.parseInt(context.getEntityId());
          return Behaviors.<Object>setup(log -> Behaviors.withTimers(timers ->
              new Log(log, timers, slice, settings, announcements.of(slice), cutOff))).<Command>narrow();
        })
        .withStopMessage(Stop.INSTANCE));
    return announcements;
  }

  /** The log that records {@code pollId}'s changes. */
  public static EntityRef<Command> logOf(ActorSystem<?> system, String pollId, int slices) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_KEY, Integer.toString(sliceOf(pollId, slices)));
  }

  /** A log outside Cluster Sharding, on a node that is never downed, announcing its writes on its own topic. */
  public static Behavior<Command> create(int slice, Settings settings) {
    return Behaviors.<Object>setup(log -> Behaviors.withTimers(timers -> new Log(log, timers, slice, settings,
        log.spawn(Topic.create(Appended.class, topicName(slice)), "appended"), () -> false))).narrow();
  }

  // ---------------------------------------------------------------------------------------------------- the log

  private record Write(long batchId, PollsChanged changes, ActorRef<Written> writtenTo) {}

  private record Written(long batchId) {}

  /** The sharded front of one slice's log: queues records and hands them to its writer a write at a time. */
  private static final class Log extends AbstractBehavior<Object> {
    private final ActorRef<Write> writer;
    private final ActorRef<Topic.Command<Appended>> appended;
    private final Appended news;
    private final BooleanSupplier cutOff;
    private final GroupCommit<Record> commits;
    private final Map<Long, List<Record>> inFlight = new LinkedHashMap<>();
    private boolean stopping;

    Log(ActorContext<Object> context, TimerScheduler<Object> timers, int slice, Settings settings,
        ActorRef<Topic.Command<Appended>> appended, BooleanSupplier cutOff) {
      super(context);
      this.cutOff = cutOff;
      this.writer = context.spawn(writer(slice), "writer");
      this.appended = appended;
      this.news = new Appended(slice);
      context.watch(writer);
      ActorRef<Written> written = context.getSelf().narrow();
      this.commits = new GroupCommit<>(settings.maxBatch(), settings.maxQueued(), settings.writeInterval(),
          settings.writeTimeout(), timers,
          batch -> {
            inFlight.put(batch.id(), batch.requests());
            writer.tell(new Write(batch.id(), changesOf(batch.requests()), written));
          });
    }

    @Override
    public Receive<Object> createReceive() {
      return newReceiveBuilder()
          .onMessage(Record.class, this::onRecord)
          .onMessage(Written.class, written -> {
            List<Record> records = inFlight.remove(written.batchId());
            if (records != null) {
              records.forEach(record -> record.replyTo().tell(new Recorded(record.pollId(), record.seq())));
            }
            appended.tell(Topic.publish(news));
            return over(written.batchId());
          })
          .onMessage(GroupCommit.Due.class, due -> {
            commits.due();
            return this;
          })
          // unanswered records are sent again by their polls
          .onMessage(GroupCommit.TimedOut.class, timedOut -> {
            inFlight.remove(timedOut.batchId());
            return over(timedOut.batchId());
          })
          .onMessageEquals(Stop.INSTANCE, () -> {
            stopping = true;
            return commits.idle() ? Behaviors.stopped() : this;
          })
          .onSignal(Terminated.class, terminated -> Behaviors.stopped())
          .build();
    }

    private Behavior<Object> onRecord(Record record) {
      // A cut-off node's log writes nothing: the log's next owner might already write. The poll sends again.
      if (!cutOff.getAsBoolean()) {
        commits.offer(record);
      }
      return this;
    }

    private Behavior<Object> over(long batchId) {
      commits.done(batchId);
      return stopping && commits.idle() ? Behaviors.stopped() : this;
    }

    /** One entry per poll, with the furthest sequence number recorded for it. */
    private static PollsChanged changesOf(List<Record> records) {
      return PollsChanged.furthest(records.stream().map(record -> new PollSeq(record.pollId(), record.seq())));
    }
  }

  /**
   * The log's journal writer. Its state is nothing, so it never replays its journal (which grows for ever): a start
   * only reads the highest sequence number, and the next write goes after it.
   */
  private static Behavior<Write> writer(int slice) {
    return new EventSourcedBehavior<Write, PollsChanged, Done>(PersistenceId.ofUniqueId(persistenceId(slice)),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1)) {
      @Override
      public Done emptyState() {
        return Done.INSTANCE;
      }

      @Override
      public Recovery recovery() {
        return Recovery.disabled();
      }

      @Override
      public CommandHandler<Write, PollsChanged, Done> commandHandler() {
        return newCommandHandlerBuilder().forAnyState().onAnyCommand((state, write) -> Effect()
            .persist(write.changes())
            .thenRun(done -> write.writtenTo().tell(new Written(write.batchId()))));
      }

      @Override
      public EventHandler<Done, PollsChanged> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> state);
      }
    };
  }

  /** The writer's state: there is none worth keeping. */
  private enum Done { INSTANCE }
}
