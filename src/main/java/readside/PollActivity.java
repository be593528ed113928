package readside;

import actors.Poll;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The results read model of one poll: participation figures, and ballots per minute and option for the minutes an
 * update touches. {@code seq} is the poll version it reflects, so applying an event twice is impossible.
 */
public record PollActivity(
    String pollId,
    String owner,
    int options,
    Participation participation,
    Set<String> retractedVoters,
    Map<Minute, MinuteCounts> minutes,
    Instant asOf,
    long seq) implements PerPollHandler.PollState<PollActivity> {

  /** Figures over the poll's whole life. {@code uniqueVoters} counts every voter who ever cast, retracted or not. */
  public record Participation(
      long ballotsCast, long ballotsChanged, long ballotsRetracted, long uniqueVoters,
      Instant firstBallotAt, Instant lastBallotAt) {
    static final Participation NONE = new Participation(0, 0, 0, 0, null, null);
  }

  /** One minute of one option, or of whole ballots ({@link #BALLOTS}). */
  public record Minute(Instant start, int option) implements Comparable<Minute> {
    /** The option number under which whole ballots are counted, whatever their choices. */
    public static final int BALLOTS = -1;

    static Minute of(Instant at, int option) {
      return new Minute(at.truncatedTo(ChronoUnit.MINUTES), option);
    }

    @Override
    public int compareTo(Minute other) {
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

  /** The same activity with these minutes' counts as well (loaded to apply events that fall in them). */
  PollActivity withMinutes(Map<Minute, MinuteCounts> loaded) {
    Map<Minute, MinuteCounts> all = new TreeMap<>(minutes);
    all.putAll(loaded);
    return new PollActivity(pollId, owner, options, participation, retractedVoters, Map.copyOf(all), asOf, seq);
  }

  static PollActivity created(Poll.PollCreated created) {
    return new PollActivity(created.pollId(), created.definition().owner(), created.definition().options().size(),
        Participation.NONE, Set.of(), Map.of(), created.definition().createdAt(), 1);
  }

  /** The minute a ballot event falls in, or null for events that are not ballots. */
  static Instant minuteOf(Poll.Event event) {
    return Poll.BallotsRecorded.of(event).map(ballots -> ballots.at().truncatedTo(ChronoUnit.MINUTES)).orElse(null);
  }

  /**
   * The activity after the poll's event number {@code seq}. The minutes of ballot events must be among
   * {@link #minutes} (as stored, or absent when they have no counts yet).
   */
  @Override
  public PollActivity apply(Poll.Event event, long seq) {
    Optional<Poll.BallotsRecorded> ballots = Poll.BallotsRecorded.of(event);
    if (ballots.isEmpty()) {
      Instant eventTime = event instanceof Poll.PollClosed closed ? closed.at() : asOf;
      return new PollActivity(pollId, owner, options, participation, retractedVoters, minutes, eventTime, seq);
    }
    Instant at = ballots.get().at();
    Participation p = participation;
    Set<String> retracted = retractedVoters;
    Map<Minute, MinuteCounts> counts = new TreeMap<>(minutes);
    for (Poll.BallotChange change : ballots.get().changes()) {
      if (change.isCast()) {
        boolean returning = retracted.contains(change.voterId());
        p = new Participation(p.ballotsCast() + 1, p.ballotsChanged(), p.ballotsRetracted(),
            p.uniqueVoters() + (returning ? 0 : 1), first(p.firstBallotAt(), at), at);
        add(counts, at, change.choices(), new MinuteCounts(1, 0, 0, 0));
      } else if (change.isRetraction()) {
        p = new Participation(p.ballotsCast(), p.ballotsChanged(), p.ballotsRetracted() + 1, p.uniqueVoters(),
            first(p.firstBallotAt(), at), at);
        add(counts, at, change.previous(), new MinuteCounts(0, 0, 0, 1));
        if (!retracted.contains(change.voterId())) {
          Set<String> more = new HashSet<>(retracted);
          more.add(change.voterId());
          retracted = Set.copyOf(more);
        }
      } else {
        p = new Participation(p.ballotsCast(), p.ballotsChanged() + 1, p.ballotsRetracted(), p.uniqueVoters(),
            first(p.firstBallotAt(), at), at);
        add(counts, at, change.choices(), new MinuteCounts(0, 1, 0, 0));
        addVotes(counts, at, change.previous(), new MinuteCounts(0, 0, 1, 0));
      }
    }
    return new PollActivity(pollId, owner, options, p, retracted, Map.copyOf(counts), at, seq);
  }

  /** Counts a ballot event once for the ballot and once for each of its choices. */
  private static void add(Map<Minute, MinuteCounts> counts, Instant at, List<Integer> choices, MinuteCounts delta) {
    counts.merge(Minute.of(at, Minute.BALLOTS), delta, MinuteCounts::plus);
    addVotes(counts, at, choices, delta);
  }

  private static void addVotes(Map<Minute, MinuteCounts> counts, Instant at, List<Integer> choices,
      MinuteCounts delta) {
    for (int option : choices) {
      counts.merge(Minute.of(at, option), delta, MinuteCounts::plus);
    }
  }

  private static Instant first(Instant current, Instant at) {
    return current == null || at.isBefore(current) ? at : current;
  }
}
