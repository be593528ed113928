package readside;

import actors.Poll;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The results read model of one poll, per round: participation figures of every round, and ballots per minute and
 * option for the minutes an update touches. {@code round} is the poll's current round; {@code seq} the poll version
 * the model reflects, so applying an event twice is impossible.
 */
public record PollActivity(
    String pollId,
    String owner,
    int options,
    int round,
    Map<Integer, Participation> rounds,
    Set<String> retractedVoters,
    Map<Minute, MinuteCounts> minutes,
    Instant asOf,
    long seq) implements PerPollHandler.PollState<PollActivity> {

  /**
   * Figures over one round. {@code uniqueVoters} counts every voter who ever cast in the round, retracted or not.
   */
  public record Participation(
      long ballotsCast, long ballotsChanged, long ballotsRetracted, long uniqueVoters,
      Instant firstBallotAt, Instant lastBallotAt) {
    static final Participation NONE = new Participation(0, 0, 0, 0, null, null);
  }

  /**
   * One minute of one round and option, or of whole ballots ({@link #BALLOTS}). The option of a rating ballot is the
   * point it rates; a word-cloud ballot counts as a whole ballot only.
   */
  public record Minute(int round, Instant start, int option) implements Comparable<Minute> {
    /** The option number under which whole ballots are counted, whatever their choices. */
    public static final int BALLOTS = -1;

    /** A minute of the first round. */
    public Minute(Instant start, int option) {
      this(1, start, option);
    }

    static Minute of(int round, Instant at, int option) {
      return new Minute(round, at.truncatedTo(ChronoUnit.MINUTES), option);
    }

    @Override
    public int compareTo(Minute other) {
      int byRound = Integer.compare(round, other.round);
      if (byRound != 0) {
        return byRound;
      }
      int byStart = start.compareTo(other.start);
      return byStart != 0 ? byStart : Integer.compare(option, other.option);
    }
  }

  /** Ballot events of one option in one minute: cast for it, changed to it, changed away from it, retracted. */
  public record MinuteCounts(long casts, long changesTo, long changesFrom, long retractions) {
    static final MinuteCounts NONE = new MinuteCounts(0, 0, 0, 0);

    MinuteCounts plus(MinuteCounts other) {
      return new MinuteCounts(casts + other.casts, changesTo + other.changesTo, changesFrom + other.changesFrom,
          retractions + other.retractions);
    }

    /** Ballot events of a {@link Minute#BALLOTS} row: a change counts once (as changed to). */
    long ballotEvents() {
      return casts + changesTo + retractions;
    }
  }

  /** The current round's figures. */
  public Participation participation() {
    return participation(round);
  }

  public Participation participation(int round) {
    return rounds.getOrDefault(round, Participation.NONE);
  }

  /** The same activity with these minutes' counts as well (loaded to apply events that fall in them). */
  PollActivity withMinutes(Map<Minute, MinuteCounts> loaded) {
    Map<Minute, MinuteCounts> all = new TreeMap<>(minutes);
    all.putAll(loaded);
    return new PollActivity(pollId, owner, options, round, rounds, retractedVoters, Map.copyOf(all), asOf, seq);
  }

  /** The same activity holding the counts of its latest minute only (of any round), every option of it. */
  PollActivity withLatestMinuteOnly() {
    if (minutes.isEmpty()) {
      return this;
    }
    Minute latest = java.util.Collections.max(minutes.keySet(),
        java.util.Comparator.comparing(Minute::start).thenComparing(Minute::round));
    Map<Minute, MinuteCounts> kept = new TreeMap<>();
    minutes.forEach((minute, counts) -> {
      if (minute.round() == latest.round() && minute.start().equals(latest.start())) {
        kept.put(minute, counts);
      }
    });
    return new PollActivity(pollId, owner, options, round, rounds, retractedVoters, Map.copyOf(kept), asOf, seq);
  }

  static PollActivity created(Poll.PollCreated created) {
    var definition = created.definition();
    int options = definition.scale() != null ? definition.scale().max() + 1 : definition.options().size();
    return new PollActivity(created.pollId(), definition.owner(), options, 1, Map.of(1, Participation.NONE),
        Set.of(), Map.of(), definition.createdAt(), 1);
  }

  /** The minutes, per round, in which these events (applied after {@code round} was current) record ballots. */
  static Map<Integer, Set<Instant>> minutesOf(int round, List<Poll.Event> events) {
    Map<Integer, Set<Instant>> minutes = new HashMap<>();
    int current = round;
    for (Poll.Event event : events) {
      if (event instanceof Poll.RoundStarted started) {
        current = started.round();
      }
      int of = current;
      Poll.BallotsRecorded.of(event).ifPresent(ballots -> minutes.computeIfAbsent(of, r -> new LinkedHashSet<>())
          .add(ballots.at().truncatedTo(ChronoUnit.MINUTES)));
    }
    return minutes;
  }

  /**
   * The activity after the poll's event number {@code seq}. The minutes of ballot events must be among
   * {@link #minutes} (as stored, or absent when they have no counts yet).
   */
  @Override
  public PollActivity apply(Poll.Event event, long seq) {
    if (event instanceof Poll.RoundStarted started) {
      Map<Integer, Participation> next = new HashMap<>(rounds);
      next.put(started.round(), Participation.NONE);
      return new PollActivity(pollId, owner, options, started.round(), Map.copyOf(next), retractedVoters, minutes,
          started.at(), seq);
    }
    Optional<Poll.BallotsRecorded> ballots = Poll.BallotsRecorded.of(event);
    if (ballots.isEmpty()) {
      Instant eventTime = event instanceof Poll.PollClosed closed ? closed.at() : asOf;
      return new PollActivity(pollId, owner, options, round, rounds, retractedVoters, minutes, eventTime, seq);
    }
    Instant at = ballots.get().at();
    Participation p = participation();
    Set<String> retracted = retractedVoters;
    Map<Minute, MinuteCounts> counts = new TreeMap<>(minutes);
    for (Poll.BallotChange change : ballots.get().changes()) {
      // who retracted, per round: a voter who comes back in the same round is no new voter
      String retractedKey = round == 1 ? change.voterId() : round + ":" + change.voterId();
      if (change.isCast()) {
        boolean returning = retracted.contains(retractedKey);
        p = new Participation(p.ballotsCast() + 1, p.ballotsChanged(), p.ballotsRetracted(),
            p.uniqueVoters() + (returning ? 0 : 1), first(p.firstBallotAt(), at), at);
        add(counts, at, marks(change.ballot()), new MinuteCounts(1, 0, 0, 0));
      } else if (change.isRetraction()) {
        p = new Participation(p.ballotsCast(), p.ballotsChanged(), p.ballotsRetracted() + 1, p.uniqueVoters(),
            first(p.firstBallotAt(), at), at);
        add(counts, at, marks(change.previousBallot()), new MinuteCounts(0, 0, 0, 1));
        if (!retracted.contains(retractedKey)) {
          Set<String> more = new HashSet<>(retracted);
          more.add(retractedKey);
          retracted = Set.copyOf(more);
        }
      } else {
        p = new Participation(p.ballotsCast(), p.ballotsChanged() + 1, p.ballotsRetracted(), p.uniqueVoters(),
            first(p.firstBallotAt(), at), at);
        add(counts, at, marks(change.ballot()), new MinuteCounts(0, 1, 0, 0));
        addVotes(counts, at, marks(change.previousBallot()), new MinuteCounts(0, 0, 1, 0));
      }
    }
    Map<Integer, Participation> next = new HashMap<>(rounds);
    next.put(round, p);
    return new PollActivity(pollId, owner, options, round, Map.copyOf(next), retracted, Map.copyOf(counts), at, seq);
  }

  /**
   * The options a ballot counts for, per minute: its choices, the options it ranks, or the point it rates; a word
   * cloud's ballots count as whole ballots only.
   */
  private static List<Integer> marks(List<?> ballot) {
    List<Integer> marks = new java.util.ArrayList<>(ballot.size());
    for (Object mark : ballot) {
      if (mark instanceof Integer option) {
        marks.add(option);
      }
    }
    return marks;
  }

  /** Counts a ballot event once for the ballot and once for each of its choices. */
  private void add(Map<Minute, MinuteCounts> counts, Instant at, List<Integer> choices, MinuteCounts delta) {
    counts.merge(Minute.of(round, at, Minute.BALLOTS), delta, MinuteCounts::plus);
    addVotes(counts, at, choices, delta);
  }

  private void addVotes(Map<Minute, MinuteCounts> counts, Instant at, List<Integer> choices, MinuteCounts delta) {
    for (int option : choices) {
      counts.merge(Minute.of(round, at, option), delta, MinuteCounts::plus);
    }
  }

  private static Instant first(Instant current, Instant at) {
    return current == null || at.isBefore(current) ? at : current;
  }
}
