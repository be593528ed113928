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
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.stream.javadsl.Source;

/**
 * This node's live fan-out: for each poll watched here, one subscription to the poll's cluster-wide topic and one
 * {@link Audience} of one-frame slots, however many sockets watch it. A change costs one message per node, one
 * rendering per node, and then constant work per socket: its slot takes the frame, and a socket waiting for one is
 * woken.
 *
 * <p>Each poll's feed sends at most one frame per {@code tallyInterval} (the newest state always last). A topic
 * reaches a new subscriber only once the cluster has spread the news of it, and membership changes can delay it
 * again, so each feed also re-reads its poll: soon after it starts and after each change of the cluster's
 * membership or reachability ({@link #resyncAll}), at 0.3 s and then twice as long each time, up to
 * {@code resyncInterval}, and from then on every {@code resyncInterval}: the latest state always arrives, and a
 * node that watches many quiet polls does not re-read them all every few seconds.
 *
 * <p>A socket that has been sent nothing for {@code keepAliveInterval} gets the keep-alive frame, so that proxies and
 * NATs on the way keep an idle watcher's connection open. One node-wide sweep finds those sockets: no socket has a
 * timer of its own (a timer per socket ticking every second or two, as a per-socket keep-alive has, was most of what
 * 10,000 idle sockets cost).
 *
 * <p>A socket may also hold a {@link Lease}, e.g. its client's token: a second node-wide sweep, every
 * {@code leaseCheckInterval}, asks each lease whether it still holds, and ends the socket of one that does not with
 * the lease's last frame. This too needs no timer per socket.
 *
 * @param <F> what a frame is on the wire, e.g. a WebSocket message
 */
public final class Fanout<F> {
  private static final Duration FIRST_RESYNC = Duration.ofMillis(300);

  /**
   * How often feeds send and re-read, how long a socket may read nothing while its poll changes, after how long
   * without a frame a socket gets the keep-alive frame (zero: never), and how often sockets' leases are checked
   * (zero: never).
   */
  public record Settings(Duration tallyInterval, Duration resyncInterval, Duration slowReaderTimeout,
      Duration keepAliveInterval, Duration leaseCheckInterval) {}

  /**
   * What a socket holds on to besides its poll and the node, e.g. its client's token. Asked by the lease sweep, on
   * the sweep's thread; it must answer in constant time and never block.
   *
   * @param <F> what a frame is on the wire
   */
  @FunctionalInterface
  public interface Lease<F> {
    /** Empty while the socket may stay; else the last frame to send it before it ends. */
    Optional<F> ended();
  }

  /** Reads a poll's current state; empty if there is none to show (e.g. no such poll). */
  public interface Reader {
    CompletionStage<Optional<TallyUpdate>> read(String pollId);
  }

  private final ActorSystem<?> system;
  private final Reader polls;
  private final Settings settings;
  private final Function<TallyUpdate, F> render;
  private final F keepAliveFrame;
  private final Map<String, Audience<F>> audiences = new HashMap<>();
  private F leavingFrame;
  private long nextFeedId;
  /** Sockets on this node; changed only under this object's lock. */
  private int sockets;

  /**
   * Feeds re-read polls with {@code polls} and render each state once with {@code render}; sockets that have been
   * sent nothing for a while get {@code keepAliveFrame}.
   */
  public Fanout(ActorSystem<?> system, Reader polls, Settings settings, Function<TallyUpdate, F> render,
      F keepAliveFrame) {
    this.system = system;
    this.polls = polls;
    this.settings = settings;
    this.render = render;
    this.keepAliveFrame = keepAliveFrame;
    if (!settings.keepAliveInterval().isZero()) {
      Duration every = sweepPeriod(settings.keepAliveInterval());
      system.scheduler().scheduleWithFixedDelay(every, every, this::keepAlive, system.executionContext());
    }
    if (!settings.leaseCheckInterval().isZero()) {
      Duration every = settings.leaseCheckInterval();
      system.scheduler().scheduleWithFixedDelay(every, every, this::checkLeases, system.executionContext());
    }
  }

  /**
   * The longest a quiet socket goes without a frame when keep-alive frames follow {@code keepAliveInterval} of
   * silence: the interval, plus up to one period of the sweep that finds it.
   */
  public static Duration longestSilence(Duration keepAliveInterval) {
    return keepAliveInterval.plus(sweepPeriod(keepAliveInterval));
  }

  private static Duration sweepPeriod(Duration keepAliveInterval) {
    return keepAliveInterval.dividedBy(3);
  }

  /**
   * A socket's frames: {@code first} (its snapshot, the poll at {@code seq}), then each newer state of the poll that
   * it can take, in order; a slow reader skips to the newest. Joining and leaving the poll's audience follow the
   * stream's life. The source ends after the node's leaving frame, and fails with {@link LatestFrame.SlowReader} when
   * its reader read nothing for the slow-reader timeout while the poll changed.
   */
  public Source<F, NotUsed> frames(String pollId, long seq, F first) {
    return frames(pollId, seq, first, null);
  }

  /**
   * The same, for a socket that ends with its lease's last frame once {@code lease} no longer holds (null: no
   * lease), found by the lease sweep: at most {@code leaseCheckInterval} late.
   */
  public Source<F, NotUsed> frames(String pollId, long seq, F first, Lease<F> lease) {
    return Source.fromGraph(
        new LatestFrame<>(this, pollId, new Frame<>(seq, first), settings.slowReaderTimeout(), lease));
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
    sockets++;
    return audience;
  }

  /** A slot has left its audience; the last one out stops the poll's feed. */
  synchronized void part(String pollId) {
    Audience<F> audience = audiences.get(pollId);
    if (audience == null) {
      return;
    }
    sockets--;
    if (audience.members() > 1) {
      audience.members(audience.members() - 1);
    } else {
      audiences.remove(pollId);
      audience.feed().tell(Stop.INSTANCE);
    }
  }

  /** Live sockets on this node now. */
  public synchronized int sockets() {
    return sockets;
  }

  /** How many polls this node watches now: one feed each. */
  synchronized int watchedPolls() {
    return audiences.size();
  }

  /**
   * Calls {@link #resyncAll} whenever a member joins, leaves or changes reachability: topic registrations follow the
   * membership, and an update published meanwhile may not reach this node.
   */
  public Fanout<F> resyncOnClusterChanges() {
    system.systemActorOf(Behaviors.setup(context -> {
      Cluster cluster = Cluster.get(context.getSystem());
      cluster.subscriptions().tell(Subscribe.create(context.getSelf().narrow(), ClusterEvent.MemberEvent.class));
      cluster.subscriptions().tell(
          Subscribe.create(context.getSelf().narrow(), ClusterEvent.ReachabilityEvent.class));
      return Behaviors.receiveMessage(event -> {
        resyncAll();
        return Behaviors.same();
      });
    }), "live-membership", Props.empty());
    return this;
  }

  /** Every feed re-reads its poll soon again, and then at growing intervals: the cluster's membership changed. */
  public void resyncAll() {
    List<Audience<F>> all;
    synchronized (this) {
      all = new ArrayList<>(audiences.values());
    }
    all.forEach(audience -> audience.feed().tell(Resync.AGAIN));
  }

  /** The keep-alive sweep: one pass over every socket of the node, each a couple of field reads if it is busy. */
  private void keepAlive() {
    long now = System.nanoTime();
    long quiet = settings.keepAliveInterval().toNanos();
    audiencesUnlessLeaving().forEach(audience -> audience.keepAlive(now, quiet));
  }

  /** The lease sweep: one pass over every socket of the node, asking each lease whether it still holds. */
  private void checkLeases() {
    audiencesUnlessLeaving().forEach(Audience::checkLeases);
  }

  private synchronized List<Audience<F>> audiencesUnlessLeaving() {
    return leavingFrame != null ? List.of() : new ArrayList<>(audiences.values());
  }

  F keepAliveFrame() {
    return keepAliveFrame;
  }

  /** Ends every socket of a deleted poll with {@code last}; sockets that open later find the poll unknown. */
  private void leaveDeleted(String pollId, Audience<F> audience, F last) {
    synchronized (this) {
      if (audiences.get(pollId) == audience) {
        audiences.remove(pollId);
        sockets -= audience.members();
      }
    }
    audience.leave(last);
  }

  synchronized F leavingFrame() {
    return leavingFrame;
  }

  private enum Stop { INSTANCE }

  private enum Resync {
    /** A timer's: re-read now. */
    NOW,
    /** Start over from the first, short, delay. */
    AGAIN
  }

  private enum Flush { INSTANCE }

  private enum Unchanged { INSTANCE }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

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
      timers.startSingleTimer(Resync.NOW, Resync.NOW, FIRST_RESYNC);
      var state = new Object() {
        TallyUpdate pending;
        long publishedSeq = Long.MIN_VALUE;
        long publishedAt = System.nanoTime() - intervalNanos;
        boolean flushScheduled;
        Duration resyncDelay = FIRST_RESYNC;

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
            if (update.gone()) {
              // the poll was deleted: its sockets get the last frame and end, and this feed is done
              leaveDeleted(pollId, audience, render.apply(update));
              return Behaviors.stopped();
            }
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
          .onMessageEquals(Resync.AGAIN, () -> {
            state.resyncDelay = FIRST_RESYNC;
            timers.startSingleTimer(Resync.NOW, Resync.NOW, FIRST_RESYNC);
            return Behaviors.same();
          })
          .onMessageEquals(Resync.NOW, () -> {
            state.resyncDelay = min(state.resyncDelay.multipliedBy(2), settings.resyncInterval());
            timers.startSingleTimer(Resync.NOW, Resync.NOW, state.resyncDelay);
            context.pipeToSelf(polls.read(pollId), (current, failure) ->
                current != null && current.isPresent() ? current.get() : Unchanged.INSTANCE);
            return Behaviors.same();
          })
          .onAnyMessage(unchanged -> Behaviors.same())
          .build();
    }));
  }
}
