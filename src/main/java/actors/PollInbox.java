package actors;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * The sharded entity of a poll: queues the poll's requests, hands them to its {@link Poll} writer in batches, and
 * answers them once their write is durable and the read side can find it.
 *
 * <p>While one batch is being written, new requests queue up and go out together as the next batch as soon as the
 * write completes (group commit, {@link GroupCommit}). The queue is bounded: beyond {@code maxQueued} waiting requests
 * the poll answers {@link Poll.Rejection#BUSY} instead of growing without limit.
 *
 * <p>After each write the inbox records in its slice's {@link PollChanges} log how far the poll's journal reaches, and
 * holds the write's answers until that record is durable too, so that whatever was acknowledged reaches the read
 * side. A batch is over only then: the requests that arrive meanwhile go into the next batch, so a busy poll's
 * writes grow with the round trip to its log instead of costing a journal write each. If the log does not confirm
 * within {@code recordWithin} (its node is failing over) the answers go out anyway, the next batch is written, and
 * the inbox keeps recording until the log confirms; a poll whose node crashes before that is recorded again by its
 * next request.
 *
 * <p>When Cluster Sharding moves the poll to another node (hand-off, a node leaving) or passivates it, the inbox
 * first finishes the write in flight, the requests already queued and their answers, then stops: the next owner
 * replays a journal that holds every acknowledged event, and never writes alongside an old writer. A node that was
 * downed (it lost the cluster and is shutting down), or that cannot reach a majority of the members, writes nothing
 * more ({@link PollEntity#cutOff}): its polls restart elsewhere after the removal margin.
 */
public final class PollInbox extends AbstractBehavior<Object> {

  /** How often the change log is asked again while it has not confirmed the poll's latest write. */
  private static final Duration RECORD_AGAIN_AFTER = Duration.ofSeconds(1);

  private enum RecordAgain { INSTANCE }

  private enum ReleaseHeld { INSTANCE }

  /**
   * The answers of written batch {@code batchId}, waiting until the change log has recorded {@code version} and, if
   * the batch created a poll that closes itself, the closing schedule has the close; or until {@code deadline}.
   */
  private record Held(long batchId, long version, java.util.List<Poll.Answer> answers, boolean scheduling,
      long deadline) {
    Held scheduled() {
      return new Held(batchId, version, answers, false, deadline);
    }
  }

  private final String pollId;
  private final ActorRef<ClosingSchedule.Command> closingSchedule;
  private final ActorRef<Poll.Command> writer;
  private final TimerScheduler<Object> timers;
  private final Poll.Settings settings;
  private final BooleanSupplier cutOff;
  private final RecipientRef<PollChanges.Command> changes;
  private final ActorRef<PollChanges.Recorded> recordedTo;
  private final GroupCommit<Poll.Request> commits;
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  /** The poll's version after its latest write (or read), and how far the change log has confirmed it. */
  private long written = 0;
  private long recorded = 0;
  /** The version of the record in flight to the change log, or 0 when none is. */
  private long recording = 0;
  private boolean stopping = false;

  private PollInbox(
      ActorContext<Object> context,
      TimerScheduler<Object> timers,
      String pollId,
      ActorRef<ClosingSchedule.Command> closingSchedule,
      RecipientRef<PollChanges.Command> changes,
      Poll.Settings settings,
      BooleanSupplier cutOff) {
    super(context);
    this.pollId = pollId;
    this.closingSchedule = closingSchedule;
    this.timers = timers;
    this.settings = settings;
    this.cutOff = cutOff;
    this.changes = changes;
    this.recordedTo = context.getSelf().narrow();
    ActorRef<Topic.Command<TallyUpdate>> tallies =
        context.spawn(Topic.create(TallyUpdate.class, TallyUpdate.topicName(pollId)), "tallies");
    this.writer = context.spawn(Poll.create(pollId, closingSchedule, tallies, settings), "writer");
    context.watch(writer);
    ActorRef<Poll.Written> writtenTo = context.getSelf().narrow();
    this.commits = new GroupCommit<>(settings.maxBatch(), settings.maxQueued(), settings.writeInterval(),
        settings.writeTimeout(), timers,
        batch -> {
          if (cutOff.getAsBoolean()) {
            batch.requests().forEach(PollInbox::refuseWhileCutOff);
            commits().done(batch.id());
          } else {
            writer.tell(new Poll.Batch(batch.id(), batch.requests(), writtenTo));
            metrics.Metrics.journalBatch(batch.requests().size());
          }
        });
  }

  private GroupCommit<Poll.Request> commits() {
    return commits;
  }

  /** An inbox outside Cluster Sharding, on a node that is never downed (tests of the entity). */
  public static Behavior<Poll.Request> create(String pollId, ActorRef<ClosingSchedule.Command> closingSchedule,
      RecipientRef<PollChanges.Command> changes, Poll.Settings settings) {
    return behavior(pollId, closingSchedule, changes, settings, () -> false).narrow();
  }

  /**
   * The inbox of a poll in Cluster Sharding ({@link PollEntity#init}): {@code changes} is the poll's change log, and
   * {@code cutOff} ({@link PollEntity#cutOff}) says when this node must write nothing more.
   */
  public static Behavior<Object> behavior(String pollId, ActorRef<ClosingSchedule.Command> closingSchedule,
      RecipientRef<PollChanges.Command> changes, Poll.Settings settings, BooleanSupplier cutOff) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new PollInbox(context, timers, pollId, closingSchedule, changes, settings, cutOff)));
  }

  @Override
  public Receive<Object> createReceive() {
    return newReceiveBuilder()
        .onMessage(Poll.Request.class, this::onRequest)
        .onMessage(Poll.Written.class, this::onWritten)
        // A write that never reports back (the writer restarted after a journal failure): its requests were not
        // acknowledged, and the queue must not wait for it forever.
        .onMessage(GroupCommit.TimedOut.class, timedOut -> {
          commits.done(timedOut.batchId());
          return continueOrStop();
        })
        .onMessage(GroupCommit.Due.class, due -> {
          commits.due();
          return this;
        })
        .onMessage(PollChanges.Recorded.class, this::onRecorded)
        .onMessage(ClosingSchedule.Scheduled.class, scheduled -> {
          java.util.List<Held> waiting = new java.util.ArrayList<>(held);
          held.clear();
          waiting.forEach(batch -> held.add(batch.scheduled()));
          return releaseReady();
        })
        .onMessageEquals(RecordAgain.INSTANCE, () -> {
          recording = 0;
          recordIfBehind();
          return this;
        })
        // answers that waited too long go out; the inbox keeps recording meanwhile
        .onMessageEquals(ReleaseHeld.INSTANCE, this::releaseReady)
        .onMessageEquals(PollEntity.Stop.INSTANCE, () -> {
          stopping = true;
          return continueOrStop();
        })
        .onSignal(Terminated.class, terminated -> Behaviors.stopped())
        .build();
  }

  private Behavior<Object> onRequest(Poll.Request request) {
    if (cutOff.getAsBoolean()) {
      // This node lost the cluster or cannot reach its majority; the others may start this poll soon. Writing now
      // could overlap with the next writer, so the request is refused here and the edge retries it (on its new
      // owner, or here once the majority is reached again).
      refuseWhileCutOff(request);
    } else if (!commits.offer(request)) {
      request.replyTo().tell(new Poll.Rejected(Poll.Rejection.BUSY,
          "this poll has " + commits.maxQueued() + " requests waiting; retry shortly"));
    }
    return this;
  }

  private Behavior<Object> onWritten(Poll.Written done) {
    commits.startedAt(done.batchId()).ifPresent(metrics.Metrics::journalWritten);
    written = Math.max(written, done.version());
    boolean scheduling = done.closesAt() != null;
    if (scheduling) {
      closingSchedule.tell(new ClosingSchedule.Schedule(pollId, done.closesAt(), getContext().getSelf().narrow()));
    }
    // refusals carry no version: nothing to wait for
    java.util.List<Poll.Answer> waiting = done.answers().stream()
        .filter(answer -> !(answer.reply() instanceof Poll.Rejected)).toList();
    if ((done.version() <= recorded && !scheduling) || waiting.isEmpty()) {
      done.answers().forEach(PollInbox::deliver);
      commits.done(done.batchId());
    } else {
      done.answers().stream().filter(answer -> answer.reply() instanceof Poll.Rejected)
          .forEach(PollInbox::deliver);
      // a new poll's close is scheduled by a singleton, which may take a while to start: creations wait longer
      long deadline = System.nanoTime() + (scheduling ? settings.writeTimeout() : settings.recordWithin()).toNanos();
      held.add(new Held(done.batchId(), done.version(), waiting, scheduling, deadline));
      timers.startSingleTimer(ReleaseHeld.INSTANCE, ReleaseHeld.INSTANCE,
          Duration.ofNanos(Math.max(0, held.peek().deadline() - System.nanoTime())));
    }
    recordIfBehind();
    return continueOrStop();
  }

  /** One record in flight at a time, for the latest version: later writes wait for the next one. */
  private void recordIfBehind() {
    if (recording == 0 && written > recorded) {
      recording = written;
      changes.tell(new PollChanges.Record(pollId, written, recordedTo));
      timers.startSingleTimer(RecordAgain.INSTANCE, RecordAgain.INSTANCE, RECORD_AGAIN_AFTER);
    }
  }

  private Behavior<Object> onRecorded(PollChanges.Recorded confirmed) {
    recorded = Math.max(recorded, confirmed.seq());
    if (recording != 0 && recorded >= recording) {
      recording = 0;
      timers.cancel(RecordAgain.INSTANCE);
      recordIfBehind();
    }
    return releaseReady();
  }

  /** Held answers go, in order, once all they wait for is done or their deadline has passed. */
  private Behavior<Object> releaseReady() {
    long now = System.nanoTime();
    while (!held.isEmpty()
        && ((held.peek().version() <= recorded && !held.peek().scheduling()) || held.peek().deadline() <= now)) {
      release(held.poll());
    }
    if (held.isEmpty()) {
      timers.cancel(ReleaseHeld.INSTANCE);
    } else {
      timers.startSingleTimer(ReleaseHeld.INSTANCE, ReleaseHeld.INSTANCE,
          Duration.ofNanos(Math.max(0, held.peek().deadline() - now)));
    }
    return continueOrStop();
  }

  private Behavior<Object> continueOrStop() {
    return stopping && commits.idle() && held.isEmpty() ? Behaviors.stopped() : this;
  }

  /** A held batch's answers go, and its batch is over: the next one may be written. */
  private void release(Held batch) {
    batch.answers().forEach(PollInbox::deliver);
    commits.done(batch.batchId());
  }

  private static void deliver(Poll.Answer answer) {
    answer.to().tell(answer.reply());
  }

  private static void refuseWhileCutOff(Poll.Request request) {
    request.replyTo().tell(new Poll.Rejected(Poll.Rejection.NODE_DOWNED,
        "this poll's node has lost the cluster; retry shortly"));
  }
}
