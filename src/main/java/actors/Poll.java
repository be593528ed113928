package actors;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.Recovery;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One poll: the single writer of its question, ballots and tally, event sourced. Its inbox, the sharded entity in
 * front of it, hands it requests in batches, so a busy poll writes many ballots in one journal write (group commit).
 *
 * <p>Every reply is sent after the events it depends on are persisted, so an acknowledged ballot is never lost.
 */
public final class Poll extends EventSourcedBehavior<Poll.Command, Poll.Event, Poll.State> {

  // ---------------------------------------------------------------------------------------------------- protocol

  /** What the poll's writer accepts: one request, or a batch of them. */
  public sealed interface Command permits Request, Batch {}

  /** What can be asked of a poll; every request is answered with exactly one {@link Reply}. */
  public sealed interface Request extends Command, CborSerializable, PollEntity.Message
      permits Create, CastBallot, RetractBallot, Close, Invite, Get, Reveal, HideWord, ShowWord, NextRound,
          GetRounds, Delete, Read, SignUp, RevokeInvite, ListAdmissions {
    ActorRef<Reply> replyTo();
  }

  /**
   * Opens the poll as drafted; the entity checks the draft. {@code repeatable}: the id came from the owner's
   * idempotency key ({@link PollId#forIdempotencyKey}), so a poll that exists already, by the same owner with the same
   * question, is this creation done before and is answered as accepted (absent in older nodes' messages: false).
   */
  public record Create(PollDraft draft, ActorRef<Reply> replyTo, Boolean repeatable) implements Request {
    public Create(PollDraft draft, ActorRef<Reply> replyTo) {
      this(draft, replyTo, null);
    }
  }

  /**
   * {@code invitedTo} is the poll the voter's invite is for, or null for a voter of the general public. The ballot is
   * the one of {@code choices}, {@code rating}, {@code ranking} and {@code words} that is set (see {@link Ballot});
   * the last three came later and are absent in the messages of older nodes.
   */
  public record CastBallot(String voterId, List<Integer> choices, String invitedTo, ActorRef<Reply> replyTo,
      Integer rating, List<Integer> ranking, List<String> words, Long seq, Instant notAfter) implements Request {

    /** An unnumbered ballot without a deadline. */
    public CastBallot(String voterId, Ballot ballot, String invitedTo, ActorRef<Reply> replyTo) {
      this(voterId, ballot, invitedTo, new Freshness(null, null), replyTo);
    }

    public CastBallot(String voterId, Ballot ballot, String invitedTo, Freshness freshness, ActorRef<Reply> replyTo) {
      this(voterId, ballot.choices(), invitedTo, replyTo, ballot.rating(), ballot.ranking(), ballot.words(),
          freshness.seq(), freshness.notAfter());
    }

    /** A choice ballot. */
    public CastBallot(String voterId, List<Integer> choices, String invitedTo, ActorRef<Reply> replyTo) {
      this(voterId, Ballot.ofChoices(choices), invitedTo, replyTo);
    }

    Freshness freshness() {
      return new Freshness(seq, notAfter);
    }

    Ballot ballot() {
      return new Ballot(choices, rating, ranking, words);
    }
  }

  /** Takes the voter's ballot back; {@code seq} and {@code notAfter} as for {@link CastBallot} (absent: old nodes). */
  public record RetractBallot(String voterId, ActorRef<Reply> replyTo, Long seq, Instant notAfter)
      implements Request {

    public RetractBallot(String voterId, ActorRef<Reply> replyTo) {
      this(voterId, replyTo, null, null);
    }

    public RetractBallot(String voterId, Freshness freshness, ActorRef<Reply> replyTo) {
      this(voterId, replyTo, freshness.seq(), freshness.notAfter());
    }

    Freshness freshness() {
      return new Freshness(seq, notAfter);
    }
  }

  /**
   * What keeps a voter's late request from overwriting a newer one when the poll allows changing a vote. {@code seq}
   * is chosen by the voter's client, larger for each new ballot or retraction of that voter: the poll refuses a
   * change numbered at most the latest one it accepted from the voter ({@link Rejection#STALE_BALLOT}), whenever it
   * arrives. {@code notAfter} is set by the edge to the moment it gives up on the request (and answers 503): the
   * poll refuses a request that reaches it later ({@link Rejection#EXPIRED}), so a request the client was told had
   * failed never counts after the client's next one. Either may be null (clients and nodes that predate them).
   */
  public record Freshness(Long seq, Instant notAfter) {}

  /** Closes the poll now (its owner or an admin only); closing a closed poll changes nothing. */
  public record Close(Requester requester, ActorRef<Reply> replyTo) implements Request {}

  /**
   * Invites the voters {@code voterIds} ({@code count} of them): the poll records them, and the caller mints their
   * tokens once accepted. {@code voterIds} came later: a request of an older node carries none, and is only checked.
   */
  public record Invite(Requester requester, int count, ActorRef<Reply> replyTo, List<String> voterIds)
      implements Request {
    public Invite(Requester requester, List<String> voterIds, ActorRef<Reply> replyTo) {
      this(requester, voterIds.size(), replyTo, List.copyOf(voterIds));
    }

    /** Only asks whether {@code count} invites are allowed, recording none (as nodes before invite records did). */
    public Invite(Requester requester, int count, ActorRef<Reply> replyTo) {
      this(requester, count, replyTo, null);
    }
  }

  /** Revokes the admission of {@code voterId} (owner or admin only): their ballots are refused from then on. */
  public record RevokeInvite(Requester requester, String voterId, ActorRef<Reply> replyTo) implements Request {}

  /** Lists the poll's admissions of one way, oldest first (owner or admin only). */
  public record ListAdmissions(Requester requester, Admissions.Way way, int offset, int limit,
      ActorRef<Reply> replyTo) implements Request {}

  /**
   * A voter signs up through the poll's join code: {@code voterId} is fresh, and the caller mints its token, good for
   * this poll only, once accepted. Open polls of a public or join-code audience take sign-ups up to their limit.
   */
  public record SignUp(String voterId, ActorRef<Reply> replyTo) implements Request {}

  /**
   * Reads the poll as {@code reader} may: an invited poll exists only for its managers and its admitted voters;
   * anyone else is answered as if it did not exist.
   */
  public record Read(Reader reader, ActorRef<Reply> replyTo) implements Request {}

  public record Get(ActorRef<Reply> replyTo) implements Request {}

  /** Shows a poll's hidden results to everyone from now on (its owner or an admin only); idempotent. */
  public record Reveal(Requester requester, ActorRef<Reply> replyTo) implements Request {}

  /** Keeps a word of a word cloud out of everyone's view but its owner's and admins' (owner or admin only). */
  public record HideWord(Requester requester, String text, ActorRef<Reply> replyTo) implements Request {}

  /** Shows a hidden word again (owner or admin only); showing a word that is not hidden changes nothing. */
  public record ShowWord(Requester requester, String text, ActorRef<Reply> replyTo) implements Request {}

  /** Ends the current round and opens the next (owner or admin only): counts start from zero, everyone may vote. */
  public record NextRound(Requester requester, ActorRef<Reply> replyTo) implements Request {}

  /** Asks for the finished rounds' final results. */
  public record GetRounds(ActorRef<Reply> replyTo) implements Request {}

  /**
   * Deletes the poll for good (its owner or an admin only): it answers as an unknown poll from then on, to everyone.
   * Deleting a deleted poll answers {@link Deleted} again; anyone else is told there is no such poll.
   */
  public record Delete(Requester requester, ActorRef<Reply> replyTo) implements Request {}

  /**
   * Requests decided in order and persisted in one write; {@code writtenTo} gets their answers. Sent only by the
   * poll's own inbox to its child writer, so it never crosses the network and is not serializable.
   */
  public record Batch(long batchId, List<Request> requests, ActorRef<Written> writtenTo) implements Command {}

  /**
   * A batch is written: the poll's version after it, and each request's answer for the inbox to deliver. When the
   * batch created a poll that closes itself, {@code closesAt} says when: the inbox has the close scheduled before it
   * answers, so the close happens even if the poll's node crashes right after.
   */
  public record Written(long batchId, long version, List<Answer> answers, Instant closesAt) {}

  /** The answer to one request of a batch, and where it goes. */
  public record Answer(ActorRef<Reply> to, Reply reply) {}

  /** The answer to every request: the poll as it now stands, or why the request was refused. */
  public sealed interface Reply extends CborSerializable
      permits Accepted, Rejected, RoundsListed, Deleted, AdmissionsListed {}

  /** A page of a poll's admissions of one way, and how many of each way it has. */
  public record AdmissionsListed(String pollId, Admissions.Way way, int invited, int joined,
      List<Admissions.Admission> admissions) implements Reply {
    public AdmissionsListed {
      admissions = List.copyOf(admissions);
    }
  }

  /** The poll as its owner sees it; {@link PollView#seenBy} gives anyone else's view. */
  public record Accepted(PollView poll) implements Reply {}

  /** The poll and every finished round's final results, oldest first, as the owner sees them. */
  public record RoundsListed(PollView poll, List<PollView.RoundView> rounds) implements Reply {
    public RoundsListed {
      rounds = List.copyOf(rounds);
    }

    /** What {@code reader} may see of them, by the same rules as the poll's view. */
    public RoundsListed seenBy(Requester reader) {
      if (reader != null && reader.mayManage(poll.owner())) {
        return this;
      }
      boolean withhold = poll.withholdsResults();
      return new RoundsListed(poll.forPublic(), rounds.stream().map(round -> round.forPublic(withhold)).toList());
    }
  }

  public record Rejected(Rejection reason, String detail) implements Reply {}

  /** The poll is deleted: who owned it and when it went, and nothing of its content. */
  public record Deleted(String pollId, String owner, Instant deletedAt) implements Reply {}

  /** Why a request was refused. */
  public enum Rejection {
    INVALID_POLL,
    INVALID_BALLOT,
    UNKNOWN_POLL,
    POLL_EXISTS,
    POLL_CLOSED,
    ALREADY_VOTED,
    VOTE_CHANGE_NOT_ALLOWED,
    NO_SUCH_BALLOT,
    /** The requester is not the poll's owner nor an admin. */
    FORBIDDEN,
    /** The poll takes ballots from invited voters only. */
    NOT_INVITED,
    INVALID_INVITE,
    /** Too many requests are queued for this poll; retry shortly. */
    BUSY,
    /**
     * The node holding the poll was downed or cannot reach a majority of the members (it lost the cluster) and does
     * not write; another node takes over, or this one once it reaches the majority again.
     */
    NODE_DOWNED,
    /** A word to hide or show is not a valid word, or the poll is no word cloud. */
    INVALID_WORD,
    /** The poll reached one of its limits (distinct words, hidden words, rounds, invites, sign-ups). */
    LIMIT_REACHED,
    /** The voter's client numbered this ballot or retraction below one the poll accepted already: it came late. */
    STALE_BALLOT,
    /** The request reached the poll after its deadline, when the edge had already answered that it failed. */
    EXPIRED
  }

  /**
   * What happened to a poll, as stored in the journal. Each event carries what a read model needs on its own.
   *
   * <p>Events are records in Jackson CBOR and journals outlive versions: a new field must be optional (absent in old
   * events) and a changed meaning needs a new event type; an old type stays here, replayed by {@link #evolve}, for
   * as long as journals holding it may exist (see {@code PollJournalFixtureIT}).
   */
  public sealed interface Event extends CborSerializable
      permits PollCreated, BallotsRecorded, PollClosed, ResultsRevealed, WordHidden, WordShown, RoundStarted,
          PollDeleted, VotersInvited, InviteRevoked, VoterJoined, BallotCast, BallotChanged, BallotRetracted {
    String pollId();
  }

  public record PollCreated(String pollId, PollDefinition definition) implements Event {}

  /**
   * The ballots of one journal write, in the order they were decided at {@code at}. A busy poll writes one event per
   * group commit, not one per ballot, so journal work grows with writes rather than with ballots.
   */
  public record BallotsRecorded(String pollId, Instant at, List<BallotChange> changes) implements Event {
    public BallotsRecorded {
      changes = List.copyOf(changes);
    }

    /**
     * The ballots an event recorded, whichever version wrote it (the one-ballot events of older versions too); empty
     * for an event that records no ballot. Everything that reads ballots from events reads them through this.
     */
    public static Optional<BallotsRecorded> of(Event event) {
      if (event instanceof BallotsRecorded recorded) {
        return Optional.of(recorded);
      } else if (event instanceof BallotCast cast) {
        return Optional.of(new BallotsRecorded(cast.pollId(), cast.at(),
            List.of(BallotChange.cast(cast.voterId(), cast.choices()))));
      } else if (event instanceof BallotChanged changed) {
        return Optional.of(new BallotsRecorded(changed.pollId(), changed.at(),
            List.of(BallotChange.changed(changed.voterId(), changed.previousChoices(), changed.choices()))));
      } else if (event instanceof BallotRetracted retracted) {
        return Optional.of(new BallotsRecorded(retracted.pollId(), retracted.at(),
            List.of(BallotChange.retracted(retracted.voterId(), retracted.choices()))));
      }
      return Optional.empty();
    }
  }

  /**
   * One voter's ballot changing: the ballot before ({@code previous} or {@code previousWords}) is absent for the
   * voter's first ballot, the new one ({@code choices} or {@code words}) for a retraction. {@code choices} holds
   * option indexes in ascending order (single, multiple), in order of preference (ranking), or the one rating;
   * a word cloud's ballots are {@code words}, normalized. The word fields came later: absent, not null, in JSON;
   * so did {@code seq}, the client's number of the change ({@link Freshness}), absent when it sent none.
   */
  public record BallotChange(String voterId, List<Integer> previous, List<Integer> choices,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<String> previousWords,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<String> words,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long seq)
      implements CborSerializable {

    public BallotChange(String voterId, List<Integer> previous, List<Integer> choices) {
      this(voterId, previous, choices, null, null, null);
    }

    public BallotChange(String voterId, List<Integer> previous, List<Integer> choices, List<String> previousWords,
        List<String> words) {
      this(voterId, previous, choices, previousWords, words, null);
    }

    /** This change as the voter's client numbered it ({@link Freshness#seq}); null: unnumbered. */
    public BallotChange numbered(Long seq) {
      return new BallotChange(voterId, previous, choices, previousWords, words, seq);
    }

    public static BallotChange cast(String voterId, List<?> ballot) {
      return changed(voterId, null, ballot);
    }

    /** {@code previous} and {@code ballot} as {@link PollDefinition#check} gives them: integers or words. */
    @SuppressWarnings("unchecked")
    public static BallotChange changed(String voterId, List<?> previous, List<?> ballot) {
      boolean words = isWords(previous) || isWords(ballot);
      return words
          ? new BallotChange(voterId, null, null, (List<String>) previous, (List<String>) ballot)
          : new BallotChange(voterId, (List<Integer>) previous, (List<Integer>) ballot, null, null);
    }

    public static BallotChange retracted(String voterId, List<?> previous) {
      return changed(voterId, previous, null);
    }

    private static boolean isWords(List<?> ballot) {
      return ballot != null && !ballot.isEmpty() && ballot.get(0) instanceof String;
    }

    public boolean isCast() {
      return previous == null && previousWords == null;
    }

    public boolean isRetraction() {
      return choices == null && words == null;
    }

    /** The voter's ballot before this change, whichever its kind; null for a first ballot. */
    public List<?> previousBallot() {
      return previous != null ? previous : previousWords;
    }

    /** The voter's ballot after this change, whichever its kind; null for a retraction. */
    public List<?> ballot() {
      return choices != null ? choices : words;
    }
  }

  /** {@code at} is when the poll stopped taking ballots: its {@code closesAt} for a scheduled close. */
  public record PollClosed(String pollId, Instant at) implements Event {}

  /** The owner revealed a poll's hidden results: everyone sees them from now on. */
  public record ResultsRevealed(String pollId, Instant at) implements Event {}

  /** The owner hid a word of a word cloud; {@code text} is normalized, and every spelling of it is hidden. */
  public record WordHidden(String pollId, String text, Instant at) implements Event {}

  /** The owner showed a hidden word again. */
  public record WordShown(String pollId, String text, Instant at) implements Event {}

  /**
   * The owner ended a round and opened round number {@code round} (2 for the first one started): its counts start
   * from zero and every voter may vote again. The ended round's final results stay readable.
   */
  public record RoundStarted(String pollId, int round, Instant at) implements Event {}

  /**
   * The poll was deleted at {@code at} by {@code by} (a name, never a voter): its last event. The poll's journal is
   * erased right after it is written (see {@code lifecycle.PollDeletion}); until then, and if the erasure is
   * interrupted, this event keeps the poll deleted on every replay.
   */
  public record PollDeleted(String pollId, String owner, String by, Instant at) implements Event {}

  /** The owner ({@code by}) invited these voters; their tokens were minted after this was written. */
  public record VotersInvited(String pollId, List<String> voterIds, String by, Instant at) implements Event {
    public VotersInvited {
      voterIds = List.copyOf(voterIds);
    }
  }

  /** {@code by} revoked the admission of {@code voterId}: the voter's ballots are refused from then on. */
  public record InviteRevoked(String pollId, String voterId, String by, Instant at) implements Event {}

  /** A voter signed up through the poll's join code. */
  public record VoterJoined(String pollId, String voterId, Instant at) implements Event {}

  /** Written until 2026-11-29, one event per ballot; replayed as a {@link BallotChange}, never written again. */
  public record BallotCast(String pollId, String voterId, List<Integer> choices, Instant at) implements Event {}

  /** Written until 2026-11-29; see {@link BallotCast}. */
  public record BallotChanged(
      String pollId, String voterId, List<Integer> previousChoices, List<Integer> choices, Instant at)
      implements Event {}

  /** Written until 2026-11-29; see {@link BallotCast}. */
  public record BallotRetracted(String pollId, String voterId, List<Integer> choices, Instant at) implements Event {}

  /** A poll before it was created, or a created one. Rebuilt from the journal on recovery, never stored. */
  public sealed interface State permits Blank, Created, Tombstone {}

  public record Blank() implements State {}

  /** A deleted poll: only who owned it and when it went are left, so that a repeated delete is answered alike. */
  public record Tombstone(String pollId, String owner, Instant deletedAt, long version) implements State {}

  /**
   * {@code version} counts the poll's events, so it equals the journal's sequence number of the latest one.
   * {@code ballots} and {@code tally} are the current round's; {@code rounds} holds the finished ones' results.
   * {@code hiddenWords} maps the key of each hidden word to how the owner wrote it. {@code admissions} are the
   * voters invited or signed up by name.
   */
  public record Created(
      String pollId, PollDefinition definition, Ballots ballots, Tally tally, Instant closedAt, long version,
      int round, Instant revealedAt, Map<String, String> hiddenWords, List<PollView.RoundView> rounds,
      Admissions admissions)
      implements State {

    public Created {
      hiddenWords = Map.copyOf(hiddenWords);
      rounds = List.copyOf(rounds);
    }

    static Created of(String pollId, PollDefinition definition) {
      return new Created(pollId, definition, Ballots.empty(), Tally.empty(definition), null, 1, 1, null, Map.of(),
          List.of(), Admissions.none());
    }

    boolean closed() {
      return closedAt != null;
    }

    /** Past its closing time but not yet closed: the next request persists the close first. */
    boolean dueToClose(Instant now) {
      return !closed() && definition.closesAt() != null && !now.isBefore(definition.closesAt());
    }

    /** Whether this exact ballot (as {@link PollDefinition#check} gives it) is already counted for the voter. */
    boolean counts(String voterId, List<?> ballot) {
      return ballots.ballotOf(voterId).map(ballot::equals).orElse(false);
    }

    PollView view() {
      return PollView.of(this);
    }

    /** The finished rounds as the owner sees them now (hidden words as they are now). */
    List<PollView.RoundView> finishedRounds() {
      return rounds.stream().map(round -> round.regrouped(hiddenWords)).toList();
    }

    /** The poll after one more event that changes these ballots, in order. */
    Created withBallots(List<BallotChange> changes) {
      Ballots next = ballots;
      for (BallotChange change : changes) {
        next = change.isRetraction() ? next.without(change.voterId()) : next.with(change.voterId(), change.ballot());
        next = next.numbered(change.voterId(), change.seq());
      }
      return new Created(pollId, definition, next, tally.with(changes), closedAt, version + 1, round, revealedAt,
          hiddenWords, rounds, admissions);
    }

    Created closedAt(Instant at) {
      return new Created(pollId, definition, ballots, tally, at, version + 1, round, revealedAt, hiddenWords, rounds,
          admissions);
    }

    Created revealedAt(Instant at) {
      return new Created(pollId, definition, ballots, tally, closedAt, version + 1, round, at, hiddenWords, rounds,
          admissions);
    }

    Created withHiddenWords(Map<String, String> hidden) {
      return new Created(pollId, definition, ballots, tally, closedAt, version + 1, round, revealedAt, hidden,
          rounds, admissions);
    }

    /** The next round: this one's results kept, no ballots, nothing counted. */
    Created nextRound(int number, Instant at) {
      List<PollView.RoundView> finished = new ArrayList<>(rounds);
      finished.add(PollView.RoundView.of(round, at, definition, tally, hiddenWords));
      return new Created(pollId, definition, ballots.nextRound(), Tally.empty(definition), closedAt, version + 1,
          number, revealedAt, hiddenWords, finished, admissions);
    }

    Created withAdmissions(Admissions next) {
      return new Created(pollId, definition, ballots, tally, closedAt, version + 1, round, revealedAt, hiddenWords,
          rounds, next);
    }

    /**
     * Whether a reader sees the poll at all: a poll of invited voters exists only for those who manage it and the
     * voters admitted to it (an invite or join token for it, not revoked).
     */
    boolean readableBy(Reader reader) {
      if (definition.audience() != Audience.INVITED) {
        return true;
      }
      return reader.manager() != null && reader.manager().mayManage(definition)
          || reader.admittedTo(pollId) && !admissions.revoked(reader.voterId());
    }
  }

  /** The one place where events change state: used for recovery and for deciding a batch. */
  static State evolve(State state, Event event) {
    if (state instanceof Blank && event instanceof PollCreated created) {
      return Created.of(created.pollId(), created.definition());
    }
    if (state instanceof Created poll) {
      if (event instanceof PollClosed closing) {
        return poll.closedAt(closing.at());
      } else if (event instanceof ResultsRevealed revealed) {
        return poll.revealedAt(revealed.at());
      } else if (event instanceof WordHidden hidden) {
        Map<String, String> words = new HashMap<>(poll.hiddenWords());
        words.put(WordCloud.key(hidden.text()), hidden.text());
        return poll.withHiddenWords(words);
      } else if (event instanceof WordShown shown) {
        Map<String, String> words = new HashMap<>(poll.hiddenWords());
        words.remove(WordCloud.key(shown.text()));
        return poll.withHiddenWords(words);
      } else if (event instanceof RoundStarted started) {
        return poll.nextRound(started.round(), started.at());
      } else if (event instanceof PollDeleted deleted) {
        return new Tombstone(poll.pollId(), poll.definition().owner(), deleted.at(), poll.version() + 1);
      } else if (event instanceof VotersInvited invited) {
        return poll.withAdmissions(poll.admissions().admit(invited.voterIds(), Admissions.Way.INVITED, invited.by(),
            invited.at()));
      } else if (event instanceof InviteRevoked revoked) {
        return poll.withAdmissions(poll.admissions().revoke(revoked.voterId(), revoked.by(), revoked.at()));
      } else if (event instanceof VoterJoined joined) {
        return poll.withAdmissions(poll.admissions().admit(List.of(joined.voterId()), Admissions.Way.JOINED, null,
            joined.at()));
      }
      Optional<BallotsRecorded> ballots = BallotsRecorded.of(event);
      if (ballots.isPresent()) {
        return poll.withBallots(ballots.get().changes());
      }
    }
    throw new IllegalStateException("event " + event + " does not apply to " + state);
  }

  // ------------------------------------------------------------------------------------------------- the entity

  /**
   * Settings every poll entity shares: group commit ({@code maxBatch}, {@code maxQueued}, {@code writeInterval},
   * {@code writeTimeout}), and how long answers wait for the change log to record a write ({@code recordWithin}).
   */
  public record Settings(int maxBatch, int maxQueued, Duration writeInterval, Duration writeTimeout,
      Duration recordWithin, Clock clock, Limits limits) {

    public Settings(int maxBatch, int maxQueued, Duration writeInterval, Duration writeTimeout,
        Duration recordWithin, Clock clock) {
      this(maxBatch, maxQueued, writeInterval, writeTimeout, recordWithin, clock, Limits.DEFAULT);
    }
  }

  /**
   * What one poll may hold, checked when requests are decided (never on replay, so changing them never changes a
   * recovered poll): distinct words in a word cloud's current round, hidden words, rounds.
   */
  public record Limits(int maxDistinctWords, int maxHiddenWords, int maxRounds, int maxInvites, int maxSignUps) {
    public static final Limits DEFAULT = new Limits(10_000, 1_000, 100, 10_000, 10_000);

    public Limits(int maxDistinctWords, int maxHiddenWords, int maxRounds) {
      this(maxDistinctWords, maxHiddenWords, maxRounds, DEFAULT.maxInvites(), DEFAULT.maxSignUps());
    }
  }

  private final String pollId;
  private final ActorRef<ClosingSchedule.Command> closingSchedule;
  private final ActorRef<Topic.Command<TallyUpdate>> tallies;
  private final Settings settings;

  private Poll(
      String pollId,
      ActorRef<ClosingSchedule.Command> closingSchedule,
      ActorRef<Topic.Command<TallyUpdate>> tallies,
      Settings settings) {
    super(
        PollEntity.persistenceId(pollId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.pollId = pollId;
    this.closingSchedule = closingSchedule;
    this.tallies = tallies;
    this.settings = settings;
  }

  /** {@code tallies} is the poll's topic: the writer publishes there once per write, and never talks to sockets. */
  public static Behavior<Command> create(
      String pollId,
      ActorRef<ClosingSchedule.Command> closingSchedule,
      ActorRef<Topic.Command<TallyUpdate>> tallies,
      Settings settings) {
    return new Poll(pollId, closingSchedule, tallies, settings);
  }

  @Override
  public State emptyState() {
    return new Blank();
  }

  /**
   * No snapshots: a poll's state is every voter's ballot, so a snapshot's cost grows with the voters while the
   * journal holds the same ballots a write at a time. Recovery replays the journal, and ignores the snapshots
   * that versions before 2026-11-30 saved every 1000 events (their events were never deleted).
   */
  @Override
  public Recovery recovery() {
    return Recovery.withSnapshotSelectionCriteria(SnapshotSelectionCriteria.none());
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::scheduleCloseIfPending)
        .build();
  }

  // Told again after every recovery, so a scheduled close survives even a crash right after creation.
  private void scheduleCloseIfPending(State state) {
    if (state instanceof Created created && !created.closed() && created.definition().closesAt() != null) {
      closingSchedule.tell(new ClosingSchedule.Schedule(pollId, created.definition().closesAt(), null));
    }
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Batch.class, (state, batch) -> handle(state, batch.requests(), batch.writtenTo(), batch.batchId()))
        .onCommand(Request.class, (state, request) -> handle(state, List.of(request), null, 0))
        .build();
  }

  /**
   * Decides each request in order against the state the earlier ones left, and persists what they caused in one
   * write: the ballots of consecutive requests become one {@link BallotsRecorded}. Every answer comes after the
   * write, from the poll as the write left it, so all accepted requests of a batch share one view and version. A
   * batch's answers go to its inbox, which delivers them; a lone request is answered here.
   */
  private Effect<Event, State> handle(
      State state, List<Request> requests, ActorRef<Written> writtenTo, long batchId) {
    Instant now = settings.clock().instant();
    List<Event> events = new ArrayList<>();
    List<Decision> decisions = new ArrayList<>(requests.size());
    State decided = state;
    for (Request request : requests) {
      Decision decision = decide(decided, request, now);
      for (Event event : decision.events()) {
        decided = evolve(decided, event);
        events.add(event);
      }
      decisions.add(decision);
    }
    List<Event> written = groupBallots(events);
    boolean created = events.stream().anyMatch(PollCreated.class::isInstance);
    EffectBuilder<Event, State> effect = written.isEmpty() ? Effect().none() : Effect().persist(written);
    return effect.thenRun(persisted -> {
      Outcome outcome = new Outcome(persisted);
      List<Answer> answers = new ArrayList<>(requests.size());
      for (int i = 0; i < requests.size(); i++) {
        Request request = requests.get(i);
        // a request decided before a delete in the same write went with the poll: it is answered as the poll is now
        Reply reply = outcome.gone() && !(request instanceof Delete)
            ? new Rejected(Rejection.UNKNOWN_POLL, "poll " + pollId + " was deleted")
            : decisions.get(i).reply().apply(outcome);
        answers.add(new Answer(request.replyTo(), reply));
      }
      Instant toSchedule = created && persisted instanceof Created poll && !poll.closed()
          ? poll.definition().closesAt() : null;
      if (toSchedule != null && writtenTo == null) {
        scheduleCloseIfPending(persisted);
      }
      if (persisted instanceof Tombstone tombstone) {
        // live sockets learn that the poll is gone; nothing more is ever published for it
        if (!written.isEmpty()) {
          tallies.tell(Topic.publish(TallyUpdate.gone(pollId)));
        }
      } else if (!written.isEmpty()) {
        tallies.tell(Topic.publish(TallyUpdate.of(outcome.accepted().poll())));
      }
      if (writtenTo != null) {
        writtenTo.tell(new Written(batchId, outcome.version(), answers, toSchedule));
      } else {
        answers.forEach(answer -> answer.to().tell(answer.reply()));
      }
    });
  }

  /** Runs of ballot events, as each request decided them, become one event per run. */
  private List<Event> groupBallots(List<Event> events) {
    List<Event> grouped = new ArrayList<>(Math.min(events.size(), 4));
    List<BallotChange> run = new ArrayList<>();
    Instant runAt = null;
    for (Event event : events) {
      if (event instanceof BallotsRecorded ballots) {
        run.addAll(ballots.changes());
        runAt = ballots.at();
        continue;
      }
      if (!run.isEmpty()) {
        grouped.add(new BallotsRecorded(pollId, runAt, run));
        run = new ArrayList<>();
      }
      grouped.add(event);
    }
    if (!run.isEmpty()) {
      grouped.add(new BallotsRecorded(pollId, runAt, run));
    }
    return grouped;
  }

  /** The poll as a write left it, and the one answer that accepts a request of that write. */
  private static final class Outcome {
    private final State state;
    private Accepted accepted;

    Outcome(State state) {
      this.state = state;
    }

    Created poll() {
      return (Created) state;
    }

    long version() {
      if (state instanceof Tombstone tombstone) {
        return tombstone.version();
      }
      return state instanceof Created poll ? poll.version() : 0;
    }

    boolean gone() {
      return state instanceof Tombstone;
    }

    Deleted deleted() {
      Tombstone tombstone = (Tombstone) state;
      return new Deleted(tombstone.pollId(), tombstone.owner(), tombstone.deletedAt());
    }

    Accepted accepted() {
      if (accepted == null) {
        accepted = new Accepted(poll().view());
      }
      return accepted;
    }

    RoundsListed rounds() {
      return new RoundsListed(accepted().poll(), poll().finishedRounds());
    }
  }

  /** What one request does: the events it causes, and its answer once the write that holds them is done. */
  private record Decision(List<Event> events, Function<Outcome, Reply> reply) {
    static Decision answer(Reply reply) {
      return new Decision(List.of(), outcome -> reply);
    }

    static Decision accept() {
      return new Decision(List.of(), Outcome::accepted);
    }

    static Decision reject(Rejection reason, String detail) {
      return answer(new Rejected(reason, detail));
    }

    static Decision persist(Event event) {
      return new Decision(List.of(event), Outcome::accepted);
    }
  }

  private Decision decide(State state, Request request, Instant now) {
    if (state instanceof Created poll) {
      return decide(poll, request, now);
    }
    if (state instanceof Tombstone tombstone) {
      return decideDeleted(tombstone, request);
    }
    if (request instanceof Create create) {
      PollDefinition.Validated<PollDefinition> definition = PollDefinition.of(create.draft(), now);
      return definition.ok()
          ? Decision.persist(new PollCreated(pollId, definition.value()))
          : Decision.reject(Rejection.INVALID_POLL, definition.problem());
    }
    return Decision.answer(unknown());
  }

  /** What a poll that does not exist answers, and an invited poll to those who may not know it exists. */
  private Rejected unknown() {
    return new Rejected(Rejection.UNKNOWN_POLL, "no poll with id " + pollId);
  }

  private Decision decide(Created poll, Request request, Instant now) {
    if (poll.dueToClose(now)) {
      // Closing is due: persist it first, then decide as the closed poll would.
      PollClosed closing = new PollClosed(pollId, poll.definition().closesAt());
      Decision decision = decide((Created) evolve(poll, closing), request, now);
      List<Event> events = new ArrayList<>(decision.events().size() + 1);
      events.add(closing);
      events.addAll(decision.events());
      return new Decision(events, decision.reply());
    }
    if (request instanceof Create create && Boolean.TRUE.equals(create.repeatable())) {
      return decideRepeatedCreate(poll, create);
    }
    // what the owner may still do once the poll is closed
    if (request instanceof Delete delete) {
      return decideDelete(poll, delete, now);
    } else if (request instanceof Reveal reveal) {
      return decideReveal(poll, reveal, now);
    } else if (request instanceof HideWord hide) {
      return decideWord(poll, hide.requester(), hide.text(), true, now);
    } else if (request instanceof ShowWord show) {
      return decideWord(poll, show.requester(), show.text(), false, now);
    } else if (request instanceof GetRounds) {
      return new Decision(List.of(), Outcome::rounds);
    } else if (request instanceof Read read) {
      return poll.readableBy(read.reader()) ? Decision.accept() : Decision.answer(unknown());
    } else if (request instanceof ListAdmissions list) {
      return decideListAdmissions(poll, list);
    } else if (request instanceof RevokeInvite revoke) {
      return decideRevoke(poll, revoke, now);
    }
    if (poll.closed()) {
      return new Decision(List.of(), outcome -> answerClosed(outcome, request));
    }
    if (request instanceof CastBallot ballot) {
      return decideBallot(poll, ballot, now);
    } else if (request instanceof RetractBallot retraction) {
      return decideRetraction(poll, retraction, now);
    } else if (request instanceof Close close) {
      return close.requester().mayManage(poll.definition())
          ? Decision.persist(new PollClosed(pollId, now))
          : Decision.answer(forbidden(close.requester()));
    } else if (request instanceof Invite invite) {
      return decideInvite(poll, invite, now);
    } else if (request instanceof SignUp signUp) {
      return decideSignUp(poll, signUp, now);
    } else if (request instanceof NextRound next) {
      return decideNextRound(poll, next, now);
    } else if (request instanceof Get) {
      return Decision.accept();
    }
    return Decision.reject(Rejection.POLL_EXISTS, "poll " + pollId + " already exists");
  }

  /** Only a manager learns the poll exists: anyone else is told there is no such poll, as after the deletion. */
  private Decision decideDelete(Created poll, Delete delete, Instant now) {
    if (!delete.requester().mayManage(poll.definition())) {
      return Decision.reject(Rejection.UNKNOWN_POLL, "no poll with id " + pollId);
    }
    return new Decision(List.of(new PollDeleted(pollId, poll.definition().owner(), delete.requester().name(), now)),
        outcome -> outcome.deleted());
  }

  /** A deleted poll is unknown to everyone; its owner or an admin deleting it again is answered as the first time. */
  private Decision decideDeleted(Tombstone tombstone, Request request) {
    if (request instanceof Delete delete && delete.requester().mayManage(tombstone.owner())) {
      return Decision.answer(new Deleted(pollId, tombstone.owner(), tombstone.deletedAt()));
    }
    return Decision.reject(Rejection.UNKNOWN_POLL, "no poll with id " + pollId);
  }

  /** The same owner and question: the creation under this idempotency key happened already, here is its poll. */
  private Decision decideRepeatedCreate(Created poll, Create create) {
    boolean same = poll.definition().owner().equals(create.draft().owner())
        && poll.definition().question().equals(create.draft().question() == null ? null
            : create.draft().question().strip());
    return same ? Decision.accept() : Decision.reject(Rejection.POLL_EXISTS, "poll " + pollId
        + " was created with this Idempotency-Key for another question; use a new key for a new poll");
  }

  private Decision decideReveal(Created poll, Reveal reveal, Instant now) {
    if (!reveal.requester().mayManage(poll.definition())) {
      return Decision.answer(forbidden(reveal.requester()));
    }
    // live results, or revealed already: nothing to reveal, and a repeated reveal is answered the same
    return poll.definition().visibility() == ResultsVisibility.HIDDEN && poll.revealedAt() == null
        ? Decision.persist(new ResultsRevealed(pollId, now))
        : Decision.accept();
  }

  private Decision decideWord(Created poll, Requester requester, String text, boolean hide, Instant now) {
    if (!requester.mayManage(poll.definition())) {
      return Decision.answer(forbidden(requester));
    }
    if (poll.definition().kind() != Kind.WORDCLOUD) {
      return Decision.reject(Rejection.INVALID_WORD, "poll " + pollId + " is no word cloud: it has no words");
    }
    PollDefinition.Validated<String> word = WordCloud.normalize(text);
    if (!word.ok()) {
      return Decision.reject(Rejection.INVALID_WORD, "text: " + word.problem());
    }
    boolean hidden = poll.hiddenWords().containsKey(WordCloud.key(word.value()));
    if (hidden == hide) {
      return Decision.accept();
    }
    if (hide && poll.hiddenWords().size() >= settings.limits().maxHiddenWords()) {
      return Decision.reject(Rejection.LIMIT_REACHED,
          "a poll may hide at most " + settings.limits().maxHiddenWords() + " words");
    }
    return Decision.persist(hide ? new WordHidden(pollId, word.value(), now) : new WordShown(pollId, word.value(), now));
  }

  private Decision decideNextRound(Created poll, NextRound next, Instant now) {
    if (!next.requester().mayManage(poll.definition())) {
      return Decision.answer(forbidden(next.requester()));
    }
    if (poll.round() >= settings.limits().maxRounds()) {
      return Decision.reject(Rejection.LIMIT_REACHED,
          "a poll may have at most " + settings.limits().maxRounds() + " rounds");
    }
    return Decision.persist(new RoundStarted(pollId, poll.round() + 1, now));
  }

  private Rejected forbidden(Requester requester) {
    return new Rejected(Rejection.FORBIDDEN, requester.name() + " is not the owner of poll " + pollId);
  }

  private Decision decideInvite(Created poll, Invite invite, Instant now) {
    if (!invite.requester().mayManage(poll.definition())) {
      return Decision.answer(forbidden(invite.requester()));
    }
    if (poll.definition().audience() != Audience.INVITED) {
      return Decision.reject(Rejection.INVALID_INVITE, "poll " + pollId + " is public: any voter may vote");
    }
    if (invite.count() < 1 || invite.count() > PollDefinition.MAX_INVITES_PER_REQUEST) {
      return Decision.reject(Rejection.INVALID_INVITE,
          "count must be between 1 and " + PollDefinition.MAX_INVITES_PER_REQUEST);
    }
    int maxInvites = settings.limits().maxInvites();
    if (poll.admissions().invited() + invite.count() > maxInvites) {
      return Decision.reject(Rejection.LIMIT_REACHED, "a poll may invite at most " + maxInvites + " voters; "
          + (maxInvites - poll.admissions().invited()) + " invites are left");
    }
    if (invite.voterIds() == null) {
      return Decision.accept();
    }
    if (invite.voterIds().size() != invite.count()
        || !invite.voterIds().stream().allMatch(PollDefinition::isValidVoterId)) {
      return Decision.reject(Rejection.INVALID_INVITE, "the invited voters' ids are invalid");
    }
    if (invite.voterIds().stream().allMatch(voterId -> poll.admissions().of(voterId).isPresent())) {
      return Decision.accept();
    }
    return Decision.persist(new VotersInvited(pollId, invite.voterIds(), invite.requester().name(), now));
  }

  private Decision decideSignUp(Created poll, SignUp signUp, Instant now) {
    if (poll.definition().audience() == Audience.INVITED) {
      return Decision.reject(Rejection.NOT_INVITED, "poll " + pollId + " takes invited voters only");
    }
    if (!PollDefinition.isValidVoterId(signUp.voterId())) {
      return Decision.reject(Rejection.INVALID_BALLOT, PollDefinition.voterIdRule());
    }
    if (poll.admissions().of(signUp.voterId()).isPresent()) {
      return Decision.accept();
    }
    if (poll.admissions().joined() >= settings.limits().maxSignUps()) {
      return Decision.reject(Rejection.LIMIT_REACHED,
          "poll " + pollId + " has taken its limit of " + settings.limits().maxSignUps() + " sign-ups");
    }
    return Decision.persist(new VoterJoined(pollId, signUp.voterId(), now));
  }

  private Decision decideRevoke(Created poll, RevokeInvite revoke, Instant now) {
    if (!revoke.requester().mayManage(poll.definition())) {
      return Decision.answer(forbidden(revoke.requester()));
    }
    var admission = poll.admissions().of(revoke.voterId());
    if (admission.isEmpty()) {
      return Decision.reject(Rejection.INVALID_INVITE, "poll " + pollId + " admitted no voter "
          + revoke.voterId());
    }
    return admission.get().revoked() ? Decision.accept()
        : Decision.persist(new InviteRevoked(pollId, revoke.voterId(), revoke.requester().name(), now));
  }

  private Decision decideListAdmissions(Created poll, ListAdmissions list) {
    if (!list.requester().mayManage(poll.definition())) {
      return Decision.answer(forbidden(list.requester()));
    }
    Admissions admissions = poll.admissions();
    return Decision.answer(new AdmissionsListed(pollId, list.way(), admissions.invited(), admissions.joined(),
        admissions.list(list.way(), list.offset(), list.limit())));
  }

  private Decision decideBallot(Created poll, CastBallot ballot, Instant now) {
    if (!PollDefinition.isValidVoterId(ballot.voterId())) {
      return Decision.reject(Rejection.INVALID_BALLOT, PollDefinition.voterIdRule());
    }
    if (poll.definition().audience().admitsByName() && !pollId.equals(ballot.invitedTo())) {
      return Decision.reject(Rejection.NOT_INVITED, poll.definition().audience() == Audience.INVITED
          ? "poll " + pollId + " takes ballots from invited voters only"
          : "poll " + pollId + " takes ballots only from voters who signed up through its join code");
    }
    if (poll.admissions().revoked(ballot.voterId())) {
      return Decision.reject(Rejection.NOT_INVITED, "the admission of voter " + ballot.voterId()
          + " to poll " + pollId + " was revoked");
    }
    PollDefinition.Validated<List<?>> checked = poll.definition().check(ballot.ballot());
    if (!checked.ok()) {
      return Decision.reject(Rejection.INVALID_BALLOT, checked.problem());
    }
    List<?> marked = checked.value();
    if (poll.counts(ballot.voterId(), marked)) {
      // A retry of a ballot already counted: acknowledge it again, count it once.
      return Decision.accept();
    }
    Optional<Decision> late = refuseIfLate(poll, ballot.voterId(), ballot.freshness(), now);
    if (late.isPresent()) {
      return late.get();
    }
    var previous = poll.ballots().ballotOf(ballot.voterId());
    if (previous.isPresent() && !poll.definition().allowVoteChange()) {
      return Decision.reject(Rejection.ALREADY_VOTED,
          "voter " + ballot.voterId() + " already voted differently and this poll does not allow changing a vote");
    }
    if (poll.tally() instanceof Tally.Words cloud) {
      long newWords = marked.stream().map(word -> WordCloud.key((String) word))
          .filter(key -> !cloud.words().contains(key)).count();
      if (newWords > 0 && cloud.words().size() + newWords > settings.limits().maxDistinctWords()) {
        return Decision.reject(Rejection.LIMIT_REACHED, "this word cloud holds its limit of "
            + settings.limits().maxDistinctWords() + " distinct words: vote with words already in it");
      }
    }
    return recordBallot((previous.isEmpty() ? BallotChange.cast(ballot.voterId(), marked)
        : BallotChange.changed(ballot.voterId(), previous.get(), marked)).numbered(ballot.seq()), now);
  }

  /**
   * A change that came too late: after its deadline, or numbered at most the voter's latest accepted change. Checked
   * only for changes that would count: an identical re-send is acknowledged however late, it changes nothing.
   */
  private static Optional<Decision> refuseIfLate(Created poll, String voterId, Freshness freshness, Instant now) {
    if (freshness.notAfter() != null && now.isAfter(freshness.notAfter())) {
      return Optional.of(Decision.reject(Rejection.EXPIRED, "this request reached the poll at " + now
          + ", after its deadline " + freshness.notAfter() + ": it was answered as failed already; send it again"));
    }
    Optional<Long> latest = poll.ballots().latestSeq(voterId);
    if (freshness.seq() != null && latest.isPresent() && freshness.seq() <= latest.get()) {
      return Optional.of(Decision.reject(Rejection.STALE_BALLOT, "voter " + voterId + "'s change number "
          + freshness.seq() + " came after their change number " + latest.get() + ": the newer one stands"));
    }
    return Optional.empty();
  }

  private Decision decideRetraction(Created poll, RetractBallot retraction, Instant now) {
    if (!PollDefinition.isValidVoterId(retraction.voterId())) {
      return Decision.reject(Rejection.INVALID_BALLOT, PollDefinition.voterIdRule());
    }
    if (!poll.definition().allowVoteChange()) {
      return Decision.reject(Rejection.VOTE_CHANGE_NOT_ALLOWED, "this poll does not allow retracting a ballot");
    }
    Optional<Decision> late = refuseIfLate(poll, retraction.voterId(), retraction.freshness(), now);
    if (late.isPresent()) {
      return late.get();
    }
    var previous = poll.ballots().ballotOf(retraction.voterId());
    if (previous.isEmpty()) {
      return Decision.reject(Rejection.NO_SUCH_BALLOT, "voter " + retraction.voterId() + " has no ballot here");
    }
    return recordBallot(BallotChange.retracted(retraction.voterId(), previous.get()).numbered(retraction.seq()), now);
  }

  /** One request's ballot; {@link #groupBallots} joins it with the other ballots of its write. */
  private Decision recordBallot(BallotChange change, Instant now) {
    return Decision.persist(new BallotsRecorded(pollId, now, List.of(change)));
  }

  /** How a closed poll answers: reads and closes succeed, an identical re-sent ballot is still acknowledged. */
  private Reply answerClosed(Outcome outcome, Request request) {
    Created poll = outcome.poll();
    if (request instanceof Get) {
      return outcome.accepted();
    }
    if (request instanceof Close close) {
      return close.requester().mayManage(poll.definition()) ? outcome.accepted() : forbidden(close.requester());
    }
    if (request instanceof CastBallot ballot) {
      PollDefinition.Validated<List<?>> checked = poll.definition().check(ballot.ballot());
      if (checked.ok() && poll.counts(ballot.voterId(), checked.value())) {
        return outcome.accepted();
      }
    }
    if (request instanceof Create) {
      return new Rejected(Rejection.POLL_EXISTS, "poll " + pollId + " already exists");
    }
    return new Rejected(Rejection.POLL_CLOSED, "poll " + pollId + " is closed");
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(Poll::evolve);
  }
}
