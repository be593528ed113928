package server;

import java.util.Optional;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.cluster.MemberStatus;

/**
 * How a node's process ends: status 0 when it stopped because it was asked to (SIGTERM, Ctrl-C, an operator's leave)
 * and finished leaving the cluster, otherwise non-zero with the reason, which {@link Main} prints as the last line.
 */
public record Exit(int status, String reason) {

  /** The node could not start. */
  public static final int START_FAILED = 1;
  /** The node stopped, but not as asked or not cleanly: downed by the cluster, left unfinished, its database died. */
  public static final int SHUTDOWN_FAILED = 3;

  /** The reason given when SIGTERM or SIGINT starts the shutdown. */
  public enum Signalled implements CoordinatedShutdown.Reason { INSTANCE }

  public boolean clean() {
    return status == 0;
  }

  public static Exit startFailed(String reason) {
    return new Exit(START_FAILED, "Livepoll could not start: " + reason);
  }

  /**
   * Judges a finished coordinated shutdown: {@code reason} is why it ran, {@code statusAtEnd} the node's membership
   * just before the actor system terminated, {@code databaseFailure} why the local Cassandra did not stop cleanly,
   * {@code terminated} whether the actor system finished terminating ({@link Termination}).
   */
  public static Exit of(Optional<CoordinatedShutdown.Reason> reason, MemberStatus statusAtEnd,
      Optional<String> databaseFailure, boolean terminated) {
    Exit exit = byReason(reason, statusAtEnd, databaseFailure);
    if (terminated) {
      return exit;
    }
    String unfinished = "its actor system did not finish terminating (the threads it left are in the log)";
    return exit.clean() ? failed(unfinished) : new Exit(exit.status, exit.reason + "; " + unfinished);
  }

  private static Exit byReason(Optional<CoordinatedShutdown.Reason> reason, MemberStatus statusAtEnd,
      Optional<String> databaseFailure) {
    CoordinatedShutdown.Reason why = reason.orElse(CoordinatedShutdown.unknownReason());
    if (why == CoordinatedShutdown.clusterDowningReason()) {
      return failed("this node was downed by the cluster (it was unreachable or on the minority side of a "
          + "partition); the other nodes serve its polls. Start it again to rejoin");
    }
    if (why == CoordinatedShutdown.clusterJoinUnsuccessfulReason()) {
      return failed("this node could not join the cluster at LIVEPOLL_SEED_NODES");
    }
    if (why == CoordinatedShutdown.incompatibleConfigurationDetectedReason()) {
      return failed("the cluster refused this node: its configuration is incompatible with the running nodes'");
    }
    if (databaseFailure.isPresent()) {
      return failed(databaseFailure.get());
    }
    if (statusAtEnd != null && statusAtEnd != MemberStatus.removed() && statusAtEnd != MemberStatus.exiting()) {
      return failed("this node stopped before it finished leaving the cluster (still " + statusAtEnd
          + "): its polls move only once the others notice it is gone");
    }
    return new Exit(0, "Livepoll stopped cleanly (" + describe(why) + ")");
  }

  private static Exit failed(String reason) {
    return new Exit(SHUTDOWN_FAILED, "Livepoll stopped with an error: " + reason);
  }

  private static String describe(CoordinatedShutdown.Reason why) {
    if (why == Signalled.INSTANCE) {
      return "signalled";
    } else if (why == CoordinatedShutdown.clusterLeavingReason()) {
      return "it left the cluster";
    }
    return why.getClass().getSimpleName().replace("$", "");
  }
}
