package actors;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The requests this node has in flight to polls, sent again when a cluster member is removed. A request sent to a
 * poll whose node crashed went to that node's shard region and is lost; it would otherwise wait out its ask timeout
 * (seconds) before its next attempt, after the poll already serves again elsewhere. The shard regions drop a removed
 * member's regions when they learn of the removal, so a repeat sent a moment later waits in this node's region for
 * the poll's new home and reaches the poll as soon as it serves again. Only requests that are safe to repeat are
 * tracked; whichever attempt answers first answers the caller.
 */
final class Resends {
  /** From a removal to the repeats: the shard regions learn of it from the same event and need a moment. */
  static final Duration AFTER_REMOVAL = Duration.ofMillis(300);

  private final Set<Runnable> inFlight = ConcurrentHashMap.newKeySet();

  /** Resends on every removal of another member of {@code system}'s cluster; {@code name} names its listener. */
  static Resends onMemberRemoved(ActorSystem<?> system, String name) {
    Resends resends = new Resends();
    system.systemActorOf(Behaviors.<Object>setup(context -> {
      Cluster cluster = Cluster.get(system);
      cluster.subscriptions().tell(Subscribe.create(context.getSelf().narrow(), ClusterEvent.MemberRemoved.class));
      return Behaviors.receiveMessage(event -> {
        if (event instanceof ClusterEvent.MemberRemoved removed
            && !removed.member().uniqueAddress().equals(cluster.selfMember().uniqueAddress())) {
          context.scheduleOnce(AFTER_REMOVAL, context.getSelf(), new Removed(removed.member().address().toString()));
        } else if (event instanceof Removed removed) {
          int sent = resends.resendAll();
          if (sent > 0) {
            context.getLog().info("{} removed: {} requests in flight sent again", removed.address(), sent);
          }
        }
        return Behaviors.same();
      });
    }), name, Props.empty());
    return resends;
  }

  private record Removed(String address) {}

  /** Tracks {@code resend}, the repeat of a request, until {@code answered} completes. */
  void track(CompletableFuture<?> answered, Runnable resend) {
    inFlight.add(resend);
    // runs on the thread that completes it: a plain future, not one of Pekko's
    answered.whenComplete((reply, failure) -> inFlight.remove(resend));
  }

  /** Sends every request in flight again; how many. */
  int resendAll() {
    int sent = 0;
    for (Runnable resend : inFlight) {
      resend.run();
      sent++;
    }
    return sent;
  }

  int inFlight() {
    return inFlight.size();
  }
}
