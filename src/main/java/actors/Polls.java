package actors;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The write side's front door: sends each command to the poll entity that owns it, wherever in the cluster that
 * entity lives, and returns its reply. Callers (the HTTP edge, load tools) see no actors.
 *
 * <p>While a poll's owner moves (a node crashed, left or was cut off), a request sent to the old owner is lost or
 * refused. Requests that are safe to repeat are therefore sent again until {@code retryWithin} has passed since the
 * call: reads, ballots (a voter's identical ballot is counted once however often it arrives), closes (closing a
 * closed poll changes nothing), invites (which change nothing), reveals and hiding or showing a word (a repeat
 * changes nothing), each attempt waiting {@code askTimeout}. Creating a poll, retracting a ballot and starting a
 * round are sent once and wait up to {@code retryWithin} for the answer: a repeat could
 * create a second poll, or answer "no such ballot" to a retraction that succeeded.
 *
 * <p>A stage fails with a {@link TimeoutException} when the owner did not answer in time, or completes with
 * {@link Poll.Rejection#NODE_DOWNED} when it stays on a downed node; the request may have taken effect or not, and
 * repeating it is safe for the requests above.
 */
public final class Polls {
  /** Shortest attempt worth making: below this the remaining time is too short for a round trip under load. */
  private static final Duration SHORTEST_ATTEMPT = Duration.ofMillis(200);
  /** Pause before asking again after a downed node refused: the survivors need a moment to take the poll over. */
  private static final Duration PAUSE_AFTER_REFUSAL = Duration.ofMillis(250);

  private final ActorSystem<?> system;
  private final BooleanSupplier nodeDowned;
  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final Duration retryWithin;

  /** {@code askTimeout} bounds each attempt; retries stop once {@code retryWithin} has passed (zero: never retry). */
  public Polls(ActorSystem<?> system, Duration askTimeout, Duration retryWithin) {
    this.system = system;
    this.nodeDowned = PollInbox.nodeDowned(system);
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
    this.retryWithin = retryWithin;
  }

  /** Creates a poll under a new id; the accepted view carries the id. Sent once. */
  public CompletionStage<Poll.Reply> create(PollDraft draft) {
    return askOnce(PollId.newId(), replyTo -> new Poll.Create(draft, replyTo));
  }

  public CompletionStage<Poll.Reply> get(String pollId) {
    return askRetrying(pollId, Poll.Get::new);
  }

  /** {@code invitedTo} is the poll the voter was invited to, or null for a public voter. */
  public CompletionStage<Poll.Reply> castBallot(String pollId, String voterId, Ballot ballot, String invitedTo) {
    return askRetrying(pollId, replyTo -> new Poll.CastBallot(voterId, ballot, invitedTo, replyTo));
  }

  /** A choice ballot. */
  public CompletionStage<Poll.Reply> castBallot(
      String pollId, String voterId, List<Integer> choices, String invitedTo) {
    return castBallot(pollId, voterId, Ballot.ofChoices(choices), invitedTo);
  }

  public CompletionStage<Poll.Reply> reveal(String pollId, Requester requester) {
    return askRetrying(pollId, replyTo -> new Poll.Reveal(requester, replyTo));
  }

  public CompletionStage<Poll.Reply> hideWord(String pollId, Requester requester, String text) {
    return askRetrying(pollId, replyTo -> new Poll.HideWord(requester, text, replyTo));
  }

  public CompletionStage<Poll.Reply> showWord(String pollId, Requester requester, String text) {
    return askRetrying(pollId, replyTo -> new Poll.ShowWord(requester, text, replyTo));
  }

  /** Sent once: a repeat would end a second round. */
  public CompletionStage<Poll.Reply> nextRound(String pollId, Requester requester) {
    return askOnce(pollId, replyTo -> new Poll.NextRound(requester, replyTo));
  }

  public CompletionStage<Poll.Reply> rounds(String pollId) {
    return askRetrying(pollId, Poll.GetRounds::new);
  }

  /** Sent once. */
  public CompletionStage<Poll.Reply> retractBallot(String pollId, String voterId) {
    return askOnce(pollId, replyTo -> new Poll.RetractBallot(voterId, replyTo));
  }

  public CompletionStage<Poll.Reply> close(String pollId, Requester requester) {
    return askRetrying(pollId, replyTo -> new Poll.Close(requester, replyTo));
  }

  public CompletionStage<Poll.Reply> invite(String pollId, Requester requester, int count) {
    return askRetrying(pollId, replyTo -> new Poll.Invite(requester, count, replyTo));
  }

  private CompletionStage<Poll.Reply> askOnce(
      String pollId, Function<ActorRef<Poll.Reply>, Poll.Request> command) {
    if (!PollId.isWellFormed(pollId)) {
      return unknownPoll();
    }
    // no second attempt, but the same patience: a slow owner (busy, or a shard being placed) may still answer
    return ask(pollId, command, retryWithin.compareTo(askTimeout) > 0 ? retryWithin : askTimeout);
  }

  private CompletionStage<Poll.Reply> askRetrying(
      String pollId, Function<ActorRef<Poll.Reply>, Poll.Request> command) {
    if (!PollId.isWellFormed(pollId)) {
      return unknownPoll();
    }
    CompletableFuture<Poll.Reply> result = new CompletableFuture<>();
    attempt(pollId, command, System.nanoTime() + retryWithin.toNanos(), askTimeout, result);
    return result;
  }

  /** Completes {@code result} with the first answer that is not "the owner is moving", or the last one. */
  private void attempt(String pollId, Function<ActorRef<Poll.Reply>, Poll.Request> command, long deadline,
      Duration timeout, CompletableFuture<Poll.Reply> result) {
    ask(pollId, command, timeout).whenComplete((reply, failure) -> {
      Throwable cause = failure == null ? null : unwrap(failure);
      boolean ownerMoving = cause != null
          ? cause instanceof TimeoutException
          : reply instanceof Poll.Rejected rejected && rejected.reason() == Poll.Rejection.NODE_DOWNED;
      // a timeout has waited already; a refusal came at once, and the survivors need a moment to take over
      Duration pause = cause != null ? Duration.ZERO : PAUSE_AFTER_REFUSAL;
      Duration left = Duration.ofNanos(deadline - System.nanoTime()).minus(pause);
      // a downed node answers at once: its clients should go elsewhere, and it should drain and exit soon
      if (!ownerMoving || left.compareTo(SHORTEST_ATTEMPT) < 0 || nodeDowned.getAsBoolean()) {
        if (cause != null) {
          result.completeExceptionally(cause);
        } else {
          result.complete(reply);
        }
        return;
      }
      Duration next = left.compareTo(askTimeout) < 0 ? left : askTimeout;
      system.scheduler().scheduleOnce(pause, () -> attempt(pollId, command, deadline, next, result),
          system.executionContext());
    });
  }

  /**
   * The owner's answer as a plain {@link CompletableFuture}. Pekko's Java API hands out futures that run even a plain
   * {@code whenComplete} or {@code thenApply} on the JDK's default async executor, which on a machine with two cores
   * starts a new thread for every callback; callers of this class get futures without that trap.
   */
  private CompletableFuture<Poll.Reply> ask(
      String pollId, Function<ActorRef<Poll.Reply>, Poll.Request> command, Duration timeout) {
    CompletableFuture<Poll.Reply> answer = new CompletableFuture<>();
    sharding.entityRefFor(PollInbox.ENTITY_KEY, pollId).ask(command::apply, timeout)
        // cheap: runs where the reply arrives
        .whenCompleteAsync((reply, failure) -> {
          if (failure != null) {
            answer.completeExceptionally(unwrap(failure));
          } else {
            answer.complete(reply);
          }
        }, Runnable::run);
    return answer;
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }

  private static CompletionStage<Poll.Reply> unknownPoll() {
    return CompletableFuture.completedFuture(new Poll.Rejected(Poll.Rejection.UNKNOWN_POLL, "no poll has this id"));
  }
}
