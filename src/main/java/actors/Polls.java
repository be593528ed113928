package actors;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
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
 * changes nothing), deletes (a deleted poll stays deleted), each attempt waiting {@code askTimeout}. Creating a poll, retracting a ballot and starting a
 * round are sent once and wait up to {@code retryWithin} for the answer: a repeat could
 * create a second poll, or answer "no such ballot" to a retraction that succeeded. When a cluster member is removed,
 * every repeatable request in flight is sent again at once ({@link Resends}) instead of waiting out its attempt.
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
  /** Codes tried before a creation gives up: with few open polls among ~887 million codes, the first one is free. */
  private static final int MAX_CODE_ATTEMPTS = 8;
  /** How long a code claimed for a poll that does not exist yet stays taken: its creation may still be under way. */
  private static final Duration CLAIM_IN_FLIGHT = Duration.ofMinutes(1);
  /** Names each instance's removal listener apart (tests build several per actor system). */
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final ActorSystem<?> system;
  private final BooleanSupplier nodeDowned;
  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final Duration retryWithin;
  private final PollRegistry registry;
  private final Resends resends;

  /** {@code askTimeout} bounds each attempt; retries stop once {@code retryWithin} has passed (zero: never retry). */
  public Polls(ActorSystem<?> system, Duration askTimeout, Duration retryWithin) {
    this(system, askTimeout, retryWithin, PollRegistry.NONE);
  }

  /** The same; requests for ids that {@code registry} never registered are answered UNKNOWN_POLL at once. */
  public Polls(ActorSystem<?> system, Duration askTimeout, Duration retryWithin, PollRegistry registry) {
    this.registry = registry;
    this.system = system;
    this.nodeDowned = PollEntity.nodeDowned(system);
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
    this.retryWithin = retryWithin;
    this.resends = Resends.onMemberRemoved(system, "polls-resends-" + INSTANCES.incrementAndGet());
  }

  /**
   * Creates a poll under a new id and a join code claimed for it first; the accepted view carries both. The creation
   * is sent once; the claim may be asked again (a code claimed twice for one poll is claimed once).
   */
  public CompletionStage<Poll.Reply> create(PollDraft draft) {
    String pollId = PollId.newId();
    if (!PollDefinition.of(draft, Instant.now()).ok()) {
      // the entity refuses it and says why: no code is claimed for a poll that will not exist
      return createOnce(pollId, draft);
    }
    // registered first, so that a node asked for the poll right after its creation finds it
    return registry.register(pollId).thenCompose(registered -> claimJoinCode(pollId, 1)).thenCompose(code ->
        createOnce(pollId, draft.withJoinCode(code)));
  }

  /**
   * Creates at most one poll per owner and {@code idempotencyKey} (see {@link PollId#isAcceptableKey}): its id is
   * derived from them, so a repeat on any node, after any restart, names the poll created first and is answered as
   * accepted with it. Unlike {@link #create(PollDraft)} it is safe to send again, and it is (until it is answered).
   */
  public CompletionStage<Poll.Reply> create(PollDraft draft, String idempotencyKey) {
    String pollId = PollId.forIdempotencyKey(draft.owner(), idempotencyKey);
    Function<PollDraft, Function<ActorRef<Poll.Reply>, Poll.Request>> creation =
        toCreate -> replyTo -> new Poll.Create(toCreate, replyTo, true);
    if (!PollDefinition.of(draft, Instant.now()).ok()) {
      // the entity refuses it and says why; nothing is registered for a poll that will not exist
      return ask(pollId, creation.apply(draft), patience());
    }
    // registered first (a repeat registers again, which changes nothing); a repeat finds its poll and claims no join
    // code; a first creation claims one, then creates
    return registry.register(pollId).thenCompose(registered -> get(pollId)).thenCompose(existing ->
        existing instanceof Poll.Rejected rejected && rejected.reason() == Poll.Rejection.UNKNOWN_POLL
            ? claimJoinCode(pollId, 1).thenCompose(code -> askRetrying(pollId, creation.apply(draft.withJoinCode(code))))
            : askRetrying(pollId, creation.apply(draft)));
  }

  /**
   * The id of the open poll that holds join code {@code typed} (any case), or empty: no such code, its poll is
   * closed or gone, or it is a poll of invited voters (which exists only for those who hold its invites).
   */
  public CompletionStage<Optional<String>> resolveJoinCode(String typed) {
    String code = JoinCode.normalize(typed);
    if (code == null) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return lookUp(code).thenCompose(holding -> holding.pollId() == null
        ? CompletableFuture.completedFuture(Optional.<String>empty())
        : get(holding.pollId()).thenApply(reply -> reply instanceof Poll.Accepted accepted
            && PollView.OPEN.equals(accepted.poll().status()) && code.equals(accepted.poll().joinCode())
            && accepted.poll().audience() != Audience.INVITED
            ? Optional.of(accepted.poll().id()) : Optional.<String>empty()));
  }

  /**
   * A random code that {@code pollId} now holds. A code whose holder is open is tried no further; a holder that
   * does not exist (yet) within {@link #CLAIM_IN_FLIGHT} of its claim is a creation under way, so it is open too.
   */
  private CompletableFuture<String> claimJoinCode(String pollId, int attempt) {
    if (attempt > MAX_CODE_ATTEMPTS) {
      return CompletableFuture.failedFuture(new IllegalStateException(
          "no free join code after " + MAX_CODE_ATTEMPTS + " tries"));
    }
    String code = JoinCode.random();
    return lookUp(code)
        .thenCompose(holding -> holding.pollId() == null
            ? claim(code, pollId, null)
            : get(holding.pollId()).thenCompose(reply -> holderStillOpen(holding, reply)
                ? CompletableFuture.completedFuture(holding)
                : claim(code, pollId, holding.pollId())))
        .thenCompose(holding -> holding.heldBy(pollId)
            ? CompletableFuture.completedFuture(code)
            : claimJoinCode(pollId, attempt + 1));
  }

  private static boolean holderStillOpen(JoinCode.Holding holding, Poll.Reply reply) {
    if (reply instanceof Poll.Accepted accepted) {
      return PollView.OPEN.equals(accepted.poll().status());
    }
    boolean unknown = reply instanceof Poll.Rejected rejected && rejected.reason() == Poll.Rejection.UNKNOWN_POLL;
    return !unknown || holding.since() == null || holding.since().plus(CLAIM_IN_FLIGHT).isAfter(Instant.now());
  }

  private CompletableFuture<JoinCode.Holding> lookUp(String code) {
    return askCode(code, JoinCode.Lookup::new);
  }

  private CompletableFuture<JoinCode.Holding> claim(String code, String pollId, String replacing) {
    return askCode(code, replyTo -> new JoinCode.Claim(pollId, replacing, replyTo));
  }

  /** One ask of a code's entity, within the patience of a creation; its callbacks run where the answer arrives. */
  private CompletableFuture<JoinCode.Holding> askCode(
      String code, Function<ActorRef<JoinCode.Holding>, JoinCode.Command> command) {
    CompletableFuture<JoinCode.Holding> answer = new CompletableFuture<>();
    Duration timeout = patience();
    sharding.entityRefFor(JoinCode.ENTITY_KEY, code).ask(command::apply, timeout)
        .whenCompleteAsync((holding, failure) -> {
          if (failure != null) {
            answer.completeExceptionally(unwrap(failure));
          } else {
            answer.complete(holding);
          }
        }, Runnable::run);
    return answer;
  }

  public CompletionStage<Poll.Reply> get(String pollId) {
    return askRetrying(pollId, Poll.Get::new);
  }

  /** {@code invitedTo} is the poll the voter was invited to, or null for a public voter. */
  public CompletionStage<Poll.Reply> castBallot(String pollId, String voterId, Ballot ballot, String invitedTo) {
    return castBallot(pollId, voterId, ballot, invitedTo, null);
  }

  /**
   * {@code seq} is the voter's client's number of this ballot, or null (see {@link Poll.Freshness}). Every attempt
   * carries the moment this call gives up, so the poll never counts a ballot whose caller was told it failed.
   */
  public CompletionStage<Poll.Reply> castBallot(String pollId, String voterId, Ballot ballot, String invitedTo,
      Long seq) {
    Poll.Freshness freshness = new Poll.Freshness(seq, Instant.now().plus(patience()));
    return askRetrying(pollId, replyTo -> new Poll.CastBallot(voterId, ballot, invitedTo, freshness, replyTo));
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

  /** Sent once; {@code seq} as for {@link #castBallot(String, String, Ballot, String, Long)}. */
  public CompletionStage<Poll.Reply> retractBallot(String pollId, String voterId, Long seq) {
    Poll.Freshness freshness = new Poll.Freshness(seq, Instant.now().plus(patience()));
    return askOnce(pollId, replyTo -> new Poll.RetractBallot(voterId, freshness, replyTo));
  }

  public CompletionStage<Poll.Reply> retractBallot(String pollId, String voterId) {
    return retractBallot(pollId, voterId, null);
  }

  /** How long a call waits for its answer at most, over all its attempts. */
  private Duration patience() {
    return retryWithin.compareTo(askTimeout) > 0 ? retryWithin : askTimeout;
  }

  public CompletionStage<Poll.Reply> close(String pollId, Requester requester) {
    return askRetrying(pollId, replyTo -> new Poll.Close(requester, replyTo));
  }

  /** Deletes the poll (owner or admin); asked again while its owner moves, since deleting twice deletes once. */
  public CompletionStage<Poll.Reply> delete(String pollId, Requester requester) {
    return askRetrying(pollId, replyTo -> new Poll.Delete(requester, replyTo));
  }

  /** Records the invitations of {@code voterIds}; a repeat records nothing new. */
  public CompletionStage<Poll.Reply> invite(String pollId, Requester requester, List<String> voterIds) {
    return askRetrying(pollId, replyTo -> new Poll.Invite(requester, voterIds, replyTo));
  }

  /**
   * Revokes a voter's admission (invite or sign-up); revoking a revoked one changes nothing. The voter's tokens
   * (good for this poll only) are then revoked too, so that a live socket the voter holds closes; should that fail,
   * the poll still refuses the voter's ballots and its view.
   */
  public CompletionStage<Poll.Reply> revokeInvite(String pollId, Requester requester, String voterId) {
    return askRetrying(pollId, replyTo -> new Poll.RevokeInvite(requester, voterId, replyTo))
        .thenCompose(reply -> {
          if (!(reply instanceof Poll.Accepted)) {
            return CompletableFuture.completedFuture(reply);
          }
          Requester forTheOwner = new Requester(requester.name() + " (admissions of poll " + pollId + ")", true);
          return TokenRevocations.revoke(system, forTheOwner, voterId, askTimeout)
              .handleAsync((revoked, failure) -> reply, Runnable::run);
        });
  }

  public CompletionStage<Poll.Reply> admissions(
      String pollId, Requester requester, Admissions.Way way, int offset, int limit) {
    return askRetrying(pollId, replyTo -> new Poll.ListAdmissions(requester, way, offset, limit, replyTo));
  }

  /** Signs {@code voterId} up through the poll's join code; a repeat records nothing new. */
  public CompletionStage<Poll.Reply> signUp(String pollId, String voterId) {
    return askRetrying(pollId, replyTo -> new Poll.SignUp(voterId, replyTo));
  }

  /** The poll as {@code reader} may see it: an invited poll answers UNKNOWN_POLL to those not admitted to it. */
  public CompletionStage<Poll.Reply> read(String pollId, Reader reader) {
    return askRetrying(pollId, replyTo -> new Poll.Read(reader, replyTo));
  }

  private CompletionStage<Poll.Reply> askOnce(
      String pollId, Function<ActorRef<Poll.Reply>, Poll.Request> command) {
    if (!PollId.isWellFormed(pollId)) {
      return unknownPoll();
    }
    return ifRegistered(pollId, () -> ask(pollId, command, patience()));
  }

  /** A creation goes to an id that is registered but has no poll yet. */
  private CompletionStage<Poll.Reply> createOnce(String pollId, PollDraft draft) {
    return ask(pollId, replyTo -> new Poll.Create(draft, replyTo), patience());
  }

  /** {@code request} if {@code pollId} was ever registered, else UNKNOWN_POLL without asking any entity. */
  private CompletionStage<Poll.Reply> ifRegistered(
      String pollId, java.util.function.Supplier<CompletionStage<Poll.Reply>> request) {
    CompletableFuture<Poll.Reply> result = new CompletableFuture<>();
    registry.exists(pollId).whenComplete((exists, failure) -> {
      // the registry unreachable: ask the poll itself, as before there was one
      CompletionStage<Poll.Reply> next = failure != null || exists ? request.get() : unknownPoll();
      next.whenComplete((reply, problem) -> {
        if (problem != null) {
          result.completeExceptionally(unwrap(problem));
        } else {
          result.complete(reply);
        }
      });
    });
    return result;
  }

  private CompletionStage<Poll.Reply> askRetrying(
      String pollId, Function<ActorRef<Poll.Reply>, Poll.Request> command) {
    if (!PollId.isWellFormed(pollId)) {
      return unknownPoll();
    }
    return ifRegistered(pollId, () -> {
      CompletableFuture<Poll.Reply> result = new CompletableFuture<>();
      // a member's removal sends it again at once: the attempt may have gone to the removed node
      resends.track(result, () -> ask(pollId, command, askTimeout).whenComplete((reply, failure) -> {
        if (failure == null && !ownerMoving(reply)) {
          result.complete(reply);
        }
      }));
      attempt(pollId, command, System.nanoTime() + retryWithin.toNanos(), askTimeout, result);
      return result;
    });
  }

  /** Completes {@code result} with the first answer that is not "the owner is moving", or the last one. */
  private void attempt(String pollId, Function<ActorRef<Poll.Reply>, Poll.Request> command, long deadline,
      Duration timeout, CompletableFuture<Poll.Reply> result) {
    ask(pollId, command, timeout).whenComplete((reply, failure) -> {
      if (result.isDone()) {
        // a repeat after a member's removal answered first
        return;
      }
      Throwable cause = failure == null ? null : unwrap(failure);
      boolean ownerMoving = cause != null ? cause instanceof TimeoutException : ownerMoving(reply);
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

  /** A refusal from a downed node: the poll serves elsewhere in a moment. */
  private static boolean ownerMoving(Poll.Reply reply) {
    return reply instanceof Poll.Rejected rejected && rejected.reason() == Poll.Rejection.NODE_DOWNED;
  }

  /**
   * The owner's answer as a plain {@link CompletableFuture}. Pekko's Java API hands out futures that run even a plain
   * {@code whenComplete} or {@code thenApply} on the JDK's default async executor, which on a machine with two cores
   * starts a new thread for every callback; callers of this class get futures without that trap.
   */
  private CompletableFuture<Poll.Reply> ask(
      String pollId, Function<ActorRef<Poll.Reply>, Poll.Request> command, Duration timeout) {
    CompletableFuture<Poll.Reply> answer = new CompletableFuture<>();
    sharding.entityRefFor(PollEntity.ENTITY_KEY, pollId).ask(command::apply, timeout)
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
