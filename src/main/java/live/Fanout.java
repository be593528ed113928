package live;

import actors.TallyUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.stream.javadsl.Source;

/**
 * This node's live fan-out: for each poll watched here, one subscription to the poll's cluster-wide topic and one
 * {@link Audience} of one-frame slots, however many sockets watch it. A change costs one message per node, one
 * rendering per node, and then constant work per socket: its slot takes the frame, and a socket waiting for one is
 * woken.
 *
 * <p>Each poll's feed sends at most one frame per {@code tallyInterval} (the newest state always last). A topic
 * reaches a new subscriber only once the cluster has spread the news of it, and membership changes can delay it
 * again, so each feed also re-reads its poll every {@code resyncInterval}: the latest state always arrives.
 *
 * @param <F> what a frame is on the wire, e.g. a WebSocket message
 */
public final class Fanout<F> {
  private static final Duration FIRST_RESYNC = Duration.ofMillis(300);

  /** How often feeds send and re-read, and how long a socket may read nothing while its poll changes. */
  public record Settings(Duration tallyInterval, Duration resyncInterval, Duration slowReaderTimeout) {}

  /** Reads a poll's current state; empty if there is none to show (e.g. no such poll). */
  public interface Reader {
    CompletionStage<Optional<TallyUpdate>> read(String pollId);
  }

  private final ActorSystem<?> system;
  private final Reader polls;
  private final Settings settings;
  private final Function<TallyUpdate, F> render;
  private final Map<String, Audience<F>> audiences = new HashMap<>();
  private F leavingFrame;
  private long nextFeedId;

  /** Feeds re-read polls with {@code polls} and render each state once with {@code render}. */
  public Fanout(ActorSystem<?> system, Reader polls, Settings settings, Function<TallyUpdate, F> render) {
    this.system = system;
    this.polls = polls;
    this.settings = settings;
    this.render = render;
  }

  /**
   * A socket's frames: {@code first} (its snapshot, the poll at {@code seq}), then each newer state of the poll that
   * it can take, in order; a slow reader skips to the newest. Joining and leaving the poll's audience follow the
   * stream's life. The source ends after the node's leaving frame, and fails with {@link LatestFrame.SlowReader} when
   * its reader read nothing for the slow-reader timeout while the poll changed.
   */
  public Source<F, NotUsed> frames(String pollId, long seq, F first) {
    return Source.fromGraph(new LatestFrame<>(this, pollId, new Frame<>(seq, first), settings.slowReaderTimeout()));
  }

  /** Sends {@code last} to every socket on this node and ends them, and ends sockets that open from now on. */
  public void leave(F last) {
    List<Audience<F>> all;
    synchronized (this) {
      leavingFrame = last;
      all = new ArrayList<>(audiences.values());
    }
    all.forEach(audience -> audience.leave(last));
  }

  /** The audience a new slot joins, or null if the node is leaving. */
  synchronized Audience<F> join(String pollId, Audience.Slot<F> slot) {
    if (leavingFrame != null) {
      return null;
    }
    Audience<F> audience = audiences.get(pollId);
    if (audience == null) {
      audience = new Audience<>();
      audiences.put(pollId, audience);
      audience.feed(system.systemActorOf(feed(pollId, audience), "live-" + pollId + "-" + nextFeedId++,
          Props.empty()));
    }
    audience.members(audience.members() + 1);
    return audience;
  }

  /** A slot has left its audience; the last one out stops the poll's feed. */
  synchronized void part(String pollId) {
    Audience<F> audience = audiences.get(pollId);
    if (audience == null) {
      return;
    }
    if (audience.members() > 1) {
      audience.members(audience.members() - 1);
    } else {
      audiences.remove(pollId);
      audience.feed().tell(Stop.INSTANCE);
    }
  }

  /** How many polls this node watches now: one feed each. */
  synchronized int watchedPolls() {
    return audiences.size();
  }

  synchronized F leavingFrame() {
    return leavingFrame;
  }

  private enum Stop { INSTANCE }

  private enum Resync { INSTANCE }

  private enum Flush { INSTANCE }

  private enum Unchanged { INSTANCE }

  /**
   * Holds this node's instance of the poll's topic and re-reads the poll until stopped; publishes each newer state
   * to the audience, at most one per tally interval, the newest always last.
   */
  private Behavior<Object> feed(String pollId, Audience<F> audience) {
    long intervalNanos = settings.tallyInterval().toNanos();
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      ActorRef<Topic.Command<TallyUpdate>> topic =
          context.spawn(Topic.create(TallyUpdate.class, TallyUpdate.topicName(pollId)), "topic");
      topic.tell(Topic.subscribe(context.getSelf().<TallyUpdate>narrow()));
      timers.startTimerWithFixedDelay(Resync.INSTANCE, Resync.INSTANCE, FIRST_RESYNC, settings.resyncInterval());
      var state = new Object() {
        TallyUpdate pending;
        long publishedSeq = Long.MIN_VALUE;
        long publishedAt = System.nanoTime() - intervalNanos;
        boolean flushScheduled;

        void publish() {
          long now = System.nanoTime();
          audience.publish(new Frame<>(pending.seq(), render.apply(pending)), now);
          publishedSeq = pending.seq();
          publishedAt = now;
          pending = null;
        }
      };
      return Behaviors.receive(Object.class)
          .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
          .onMessage(TallyUpdate.class, update -> {
            if (update.seq() <= state.publishedSeq || (state.pending != null
                && update.seq() <= state.pending.seq())) {
              return Behaviors.same();
            }
            state.pending = update;
            if (!state.flushScheduled) {
              long wait = state.publishedAt + intervalNanos - System.nanoTime();
              if (wait <= 0) {
                state.publish();
              } else {
                state.flushScheduled = true;
                timers.startSingleTimer(Flush.INSTANCE, Flush.INSTANCE, Duration.ofNanos(wait));
              }
            }
            return Behaviors.same();
          })
          .onMessageEquals(Flush.INSTANCE, () -> {
            state.flushScheduled = false;
            if (state.pending != null) {
              state.publish();
            }
            return Behaviors.same();
          })
          .onMessageEquals(Resync.INSTANCE, () -> {
            context.pipeToSelf(polls.read(pollId), (current, failure) ->
                current != null && current.isPresent() ? current.get() : Unchanged.INSTANCE);
            return Behaviors.same();
          })
          .onAnyMessage(unchanged -> Behaviors.same())
          .build();
    }));
  }
}
