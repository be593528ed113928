package actors;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The write side's front door: sends each command to the poll entity that owns it, wherever in the cluster that
 * entity lives, and returns its reply. Callers (the HTTP edge, load tools) see no actors.
 *
 * <p>A stage fails with a {@link java.util.concurrent.TimeoutException} when the owner does not answer in time, for
 * instance while its shard moves or the database is unreachable; nothing was acknowledged then.
 */
public final class Polls {
  private final ClusterSharding sharding;
  private final Duration askTimeout;

  public Polls(ActorSystem<?> system, Duration askTimeout) {
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
  }

  /** Creates a poll under a new id; the accepted view carries the id. */
  public CompletionStage<Poll.Reply> create(PollDraft draft) {
    return ask(PollId.newId(), replyTo -> new Poll.Create(draft, replyTo));
  }

  public CompletionStage<Poll.Reply> get(String pollId) {
    return ask(pollId, Poll.Get::new);
  }

  /** {@code invitedTo} is the poll the voter was invited to, or null for a public voter. */
  public CompletionStage<Poll.Reply> castBallot(
      String pollId, String voterId, List<Integer> choices, String invitedTo) {
    return ask(pollId, replyTo -> new Poll.CastBallot(voterId, choices, invitedTo, replyTo));
  }

  public CompletionStage<Poll.Reply> retractBallot(String pollId, String voterId) {
    return ask(pollId, replyTo -> new Poll.RetractBallot(voterId, replyTo));
  }

  public CompletionStage<Poll.Reply> close(String pollId, Requester requester) {
    return ask(pollId, replyTo -> new Poll.Close(requester, replyTo));
  }

  public CompletionStage<Poll.Reply> invite(String pollId, Requester requester, int count) {
    return ask(pollId, replyTo -> new Poll.Invite(requester, count, replyTo));
  }

  private CompletionStage<Poll.Reply> ask(String pollId, Function<ActorRef<Poll.Reply>, Poll.Request> command) {
    if (!PollId.isWellFormed(pollId)) {
      return java.util.concurrent.CompletableFuture.completedFuture(
          new Poll.Rejected(Poll.Rejection.UNKNOWN_POLL, "no poll has this id"));
    }
    return sharding.entityRefFor(PollInbox.ENTITY_KEY, pollId).ask(command::apply, askTimeout);
  }
}
