package actors;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The sharded entity of a poll: queues the poll's requests and hands them to its {@link Poll} writer in batches.
 *
 * <p>While one batch is being written, new requests queue up and go out together as the next batch as soon as the
 * write completes (group commit). An idle poll writes a lone ballot at once; a busy one writes up to
 * {@code maxBatch} ballots per journal round trip. The queue is bounded: beyond {@code maxQueued} waiting requests
 * the poll answers {@link Poll.Rejection#BUSY} instead of growing without limit.
 *
 * <p>When Cluster Sharding moves the poll to another node (hand-off, a node leaving) or passivates it, the inbox
 * first finishes the write in flight and the requests already queued, then stops: the next owner replays a journal
 * that holds every acknowledged event, and never writes alongside an old writer. A node that was downed (it lost the
 * cluster and is shutting down) writes nothing more: its polls restart elsewhere after the removal margin.
 */
public final class PollInbox extends AbstractBehavior<Object> {

  /** What the sharded entity of a poll takes: the poll's requests, and Cluster Sharding's {@link Stop}. */
  public sealed interface Message permits Poll.Request, Stop {}

  /** Sent by Cluster Sharding (hand-off, passivation) instead of stopping the entity outright. */
  public enum Stop implements Message { INSTANCE }

  public static final EntityTypeKey<Message> ENTITY_KEY = EntityTypeKey.create(Message.class, "Poll");

  private record WriteTimedOut(long batchId) {}

  private final ActorRef<Poll.Command> writer;
  private final ActorRef<Poll.Written> written;
  private final TimerScheduler<Object> timers;
  private final Poll.Settings settings;
  private final BooleanSupplier nodeDowned;
  private final ArrayDeque<Poll.Request> queue = new ArrayDeque<>();
  private long inFlight = -1;
  private long nextBatchId = 0;
  private boolean stopping = false;

  private PollInbox(
      ActorContext<Object> context,
      TimerScheduler<Object> timers,
      String pollId,
      ActorRef<ClosingSchedule.Command> closingSchedule,
      Poll.Settings settings,
      BooleanSupplier nodeDowned) {
    super(context);
    this.timers = timers;
    this.settings = settings;
    this.nodeDowned = nodeDowned;
    ActorRef<Topic.Command<TallyUpdate>> tallies =
        context.spawn(Topic.create(TallyUpdate.class, TallyUpdate.topicName(pollId)), "tallies");
    this.writer = context.spawn(Poll.create(pollId, closingSchedule, tallies, settings), "writer");
    this.written = context.getSelf().narrow();
    context.watch(writer);
  }

  /** An inbox outside Cluster Sharding, on a node that is never downed (tests of the entity). */
  public static Behavior<Poll.Request> create(
      String pollId, ActorRef<ClosingSchedule.Command> closingSchedule, Poll.Settings settings) {
    return behavior(pollId, closingSchedule, settings, () -> false).narrow();
  }

  static Behavior<Object> behavior(String pollId, ActorRef<ClosingSchedule.Command> closingSchedule,
      Poll.Settings settings, BooleanSupplier nodeDowned) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new PollInbox(context, timers, pollId, closingSchedule, settings, nodeDowned)));
  }

  /** Registers the poll entity with Cluster Sharding on this node. */
  public static void init(
      ActorSystem<?> system, ActorRef<ClosingSchedule.Command> closingSchedule, Poll.Settings settings) {
    BooleanSupplier downed = nodeDowned(system);
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, context ->
            behavior(context.getEntityId(), closingSchedule, settings, downed).<Message>narrow())
        .withStopMessage(Stop.INSTANCE));
  }

  /** Whether this node has been downed (or removed): it lost the cluster and is shutting down. */
  static BooleanSupplier nodeDowned(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(system);
    return () -> {
      MemberStatus status = cluster.selfMember().status();
      return status == MemberStatus.down() || status == MemberStatus.removed() || cluster.isTerminated();
    };
  }

  @Override
  public Receive<Object> createReceive() {
    return newReceiveBuilder()
        .onMessage(Poll.Request.class, this::onRequest)
        .onMessage(Poll.Written.class, done -> onBatchOver(done.batchId()))
        // A write that never reports back (the writer restarted after a journal failure): its requests were not
        // acknowledged, and the queue must not wait for it forever.
        .onMessage(WriteTimedOut.class, timedOut -> onBatchOver(timedOut.batchId()))
        .onMessageEquals(Stop.INSTANCE, this::onStop)
        .onSignal(Terminated.class, terminated -> Behaviors.stopped())
        .build();
  }

  private Behavior<Object> onStop() {
    stopping = true;
    return idle() ? Behaviors.stopped() : this;
  }

  private boolean idle() {
    return inFlight < 0 && queue.isEmpty();
  }

  private Behavior<Object> onRequest(Poll.Request request) {
    if (nodeDowned.getAsBoolean()) {
      // This node lost the cluster; the survivors start this poll after the removal margin. Writing now could
      // overlap with the next writer, so the request is refused here and the edge retries it on its new owner.
      refuseOnDownedNode(request);
      return this;
    }
    if (queue.size() >= settings.maxQueued()) {
      request.replyTo().tell(new Poll.Rejected(Poll.Rejection.BUSY,
          "this poll has " + settings.maxQueued() + " requests waiting; retry shortly"));
      return this;
    }
    queue.add(request);
    if (inFlight < 0) {
      sendBatch();
    }
    return this;
  }

  private Behavior<Object> onBatchOver(long batchId) {
    if (batchId == inFlight) {
      timers.cancel("write");
      inFlight = -1;
      if (!queue.isEmpty()) {
        sendBatch();
      }
    }
    return stopping && idle() ? Behaviors.stopped() : this;
  }

  private void sendBatch() {
    if (nodeDowned.getAsBoolean()) {
      queue.forEach(PollInbox::refuseOnDownedNode);
      queue.clear();
      return;
    }
    List<Poll.Request> batch = new ArrayList<>(Math.min(queue.size(), settings.maxBatch()));
    while (!queue.isEmpty() && batch.size() < settings.maxBatch()) {
      batch.add(queue.poll());
    }
    inFlight = nextBatchId++;
    writer.tell(new Poll.Batch(inFlight, batch, written));
    metrics.Metrics.journalBatch(batch.size());
    timers.startSingleTimer("write", new WriteTimedOut(inFlight), settings.writeTimeout());
  }

  private static void refuseOnDownedNode(Poll.Request request) {
    request.replyTo().tell(new Poll.Rejected(Poll.Rejection.NODE_DOWNED,
        "this poll's node has left the cluster; retry shortly"));
  }
}
