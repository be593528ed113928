package actors;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
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

/**
 * The sharded entity of a poll: queues the poll's requests and hands them to its {@link Poll} writer in batches.
 *
 * <p>While one batch is being written, new requests queue up and go out together as the next batch as soon as the
 * write completes (group commit). An idle poll writes a lone ballot at once; a busy one writes up to
 * {@code maxBatch} ballots per journal round trip. The queue is bounded: beyond {@code maxQueued} waiting requests
 * the poll answers {@link Poll.Rejection#BUSY} instead of growing without limit.
 */
public final class PollInbox extends AbstractBehavior<Object> {

  public static final EntityTypeKey<Poll.Request> ENTITY_KEY = EntityTypeKey.create(Poll.Request.class, "Poll");

  private record WriteTimedOut(long batchId) {}

  private final ActorRef<Poll.Command> writer;
  private final ActorRef<Poll.Written> written;
  private final TimerScheduler<Object> timers;
  private final Poll.Settings settings;
  private final ArrayDeque<Poll.Request> queue = new ArrayDeque<>();
  private long inFlight = -1;
  private long nextBatchId = 0;

  private PollInbox(
      ActorContext<Object> context,
      TimerScheduler<Object> timers,
      String pollId,
      ActorRef<ClosingSchedule.Command> closingSchedule,
      Poll.Settings settings) {
    super(context);
    this.timers = timers;
    this.settings = settings;
    ActorRef<Topic.Command<TallyUpdate>> tallies =
        context.spawn(Topic.create(TallyUpdate.class, TallyUpdate.topicName(pollId)), "tallies");
    this.writer = context.spawn(Poll.create(pollId, closingSchedule, tallies, settings), "writer");
    this.written = context.getSelf().narrow();
    context.watch(writer);
  }

  public static Behavior<Poll.Request> create(
      String pollId, ActorRef<ClosingSchedule.Command> closingSchedule, Poll.Settings settings) {
    return Behaviors.<Object>setup(context -> Behaviors.withTimers(timers ->
            new PollInbox(context, timers, pollId, closingSchedule, settings)))
        .narrow();
  }

  /** Registers the poll entity with Cluster Sharding on this node. */
  public static void init(
      ActorSystem<?> system, ActorRef<ClosingSchedule.Command> closingSchedule, Poll.Settings settings) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, context -> create(context.getEntityId(), closingSchedule, settings)));
  }

  @Override
  public Receive<Object> createReceive() {
    return newReceiveBuilder()
        .onMessage(Poll.Request.class, this::onRequest)
        .onMessage(Poll.Written.class, done -> onBatchOver(done.batchId()))
        // A write that never reports back (the writer restarted after a journal failure): its requests were not
        // acknowledged, and the queue must not wait for it forever.
        .onMessage(WriteTimedOut.class, timedOut -> onBatchOver(timedOut.batchId()))
        .onSignal(Terminated.class, terminated -> Behaviors.stopped())
        .build();
  }

  private Behavior<Object> onRequest(Poll.Request request) {
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
    return this;
  }

  private void sendBatch() {
    List<Poll.Request> batch = new ArrayList<>(Math.min(queue.size(), settings.maxBatch()));
    while (!queue.isEmpty() && batch.size() < settings.maxBatch()) {
      batch.add(queue.poll());
    }
    inFlight = nextBatchId++;
    writer.tell(new Poll.Batch(inFlight, batch, written));
    timers.startSingleTimer("write", new WriteTimedOut(inFlight), settings.writeTimeout());
  }
}
