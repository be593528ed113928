package http;

import actors.Poll;
import actors.Polls;
import actors.TallyUpdate;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.BroadcastHub;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * This node's live tally feeds: one subscription to a poll's cluster-wide topic per node, however many sockets
 * watch the poll here, fanned out through one broadcast hub. A change costs one message per node, not per socket.
 * The feed of a poll lives while at least one socket on this node watches it.
 *
 * <p>Each feed conflates to at most one tally per interval (the latest always last) and renders its frame once,
 * before the hub: a socket only forwards frames, so the work of a change does not grow with the sockets watching.
 *
 * <p>A topic reaches a new subscriber only once the cluster has spread the news of it, a few hundred milliseconds;
 * and membership changes can delay it again. So each feed also re-reads its poll now and then and feeds that state
 * in too: the latest state always arrives, and sockets drop what they have already sent.
 */
final class LiveFeeds {
  /** Ends a feed's input: no real update has this sequence. */
  private static final TallyUpdate END = new TallyUpdate("", java.util.List.of(), 0, "", Long.MIN_VALUE);
  private static final int HUB_BUFFER = 16;

  private static final Duration FIRST_RESYNC = Duration.ofMillis(300);

  /**
   * One rendered tally frame of a feed, shared by every socket that sends it: the frame of readers who manage the
   * poll, and everyone else's (the same message when they see the same).
   */
  record Frame(long seq, Message forManagers, Message forEveryone) {
    Message message(boolean manager) {
      return manager ? forManagers : forEveryone;
    }
  }

  /** Renders an update's frame as managers of the poll ({@code true}) or everyone else see it. */
  interface Render {
    Message frame(TallyUpdate update, boolean manager);
  }

  private final ActorSystem<?> system;
  private final Polls polls;
  private final Duration resyncInterval;
  private final Duration interval;
  private final Render render;
  private final Map<String, Feed> feeds = new HashMap<>();
  private long nextFeedId = 0;

  private record Feed(ActorRef<Object> subscription, ActorRef<TallyUpdate> input, Source<Frame, NotUsed> hub,
      int watchers) {
    Feed withWatchers(int count) {
      return new Feed(subscription, input, hub, count);
    }
  }

  /** Feeds send at most one tally per {@code interval}, each rendered once by {@code render}. */
  LiveFeeds(ActorSystem<?> system, Polls polls, Duration resyncInterval, Duration interval,
      Render render) {
    this.system = system;
    this.polls = polls;
    this.resyncInterval = resyncInterval;
    this.interval = interval;
    this.render = render;
  }

  /** The poll's tally frames from now on; joining and leaving the feed follow the stream's life. */
  Source<Frame, NotUsed> updates(String pollId) {
    return Source.fromMaterializer((materializer, attributes) -> acquire(pollId)
            .watchTermination((notUsed, done) -> {
              // runs where the stream ends (Pekko's Java futures would start a thread for it otherwise)
              done.whenCompleteAsync((ok, failure) -> release(pollId), Runnable::run);
              return notUsed;
            }))
        .mapMaterializedValue(ignored -> NotUsed.getInstance());
  }

  private synchronized Source<Frame, NotUsed> acquire(String pollId) {
    Feed feed = feeds.get(pollId);
    if (feed == null) {
      Pair<ActorRef<TallyUpdate>, Source<Frame, NotUsed>> input = ActorSource.<TallyUpdate>actorRef(
              update -> update == END, update -> Optional.empty(), HUB_BUFFER, OverflowStrategy.dropHead())
          .conflate((older, newer) -> newer.seq() > older.seq() ? newer : older)
          .throttle(1, interval)
          .map(update -> {
            Message forEveryone = render.frame(update, false);
            boolean same = update.poll() == null || !update.poll().hasPrivateParts();
            return new Frame(update.seq(), same ? forEveryone : render.frame(update, true), forEveryone);
          })
          .toMat(BroadcastHub.of(Frame.class, HUB_BUFFER), Keep.both())
          .run(system);
      ActorRef<Object> subscription = system.systemActorOf(
          subscription(pollId, input.first()), "live-" + pollId + "-" + nextFeedId++, Props.empty());
      feed = new Feed(subscription, input.first(), input.second(), 0);
    }
    feeds.put(pollId, feed.withWatchers(feed.watchers() + 1));
    return feed.hub();
  }

  private synchronized void release(String pollId) {
    Feed feed = feeds.get(pollId);
    if (feed == null) {
      return;
    }
    if (feed.watchers() > 1) {
      feeds.put(pollId, feed.withWatchers(feed.watchers() - 1));
    } else {
      feeds.remove(pollId);
      feed.subscription().tell(Stop.INSTANCE);
      feed.input().tell(END);
    }
  }

  private enum Stop { INSTANCE }

  private enum Resync { INSTANCE }

  private enum Unchanged { INSTANCE }

  /** Holds this node's instance of the poll's topic, subscribed for the feed, and re-reads the poll until stopped. */
  private Behavior<Object> subscription(String pollId, ActorRef<TallyUpdate> input) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      ActorRef<Topic.Command<TallyUpdate>> topic =
          context.spawn(Topic.create(TallyUpdate.class, TallyUpdate.topicName(pollId)), "topic");
      topic.tell(Topic.subscribe(input));
      timers.startTimerWithFixedDelay(Resync.INSTANCE, Resync.INSTANCE, FIRST_RESYNC, resyncInterval);
      return Behaviors.receive(Object.class)
          .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
          .onMessageEquals(Resync.INSTANCE, () -> {
            context.pipeToSelf(polls.get(pollId), (reply, failure) ->
                reply instanceof Poll.Accepted accepted ? TallyUpdate.of(accepted.poll()) : Unchanged.INSTANCE);
            return Behaviors.same();
          })
          .onMessage(TallyUpdate.class, update -> {
            input.tell(update);
            return Behaviors.same();
          })
          .onAnyMessage(unchanged -> Behaviors.same())
          .build();
    }));
  }
}
