package readside;

import java.time.Instant;

/**
 * Participation in one round of a poll. {@code peakBucket} is the minute with the most ballot events (casts, changes,
 * retractions), null before the first ballot. {@code seq} and {@code asOf} as in the timeline.
 */
public record PollStats(
    String pollId,
    int round,
    long uniqueVoters,
    long ballotsCast,
    long ballotsChanged,
    long ballotsRetracted,
    Peak peakBucket,
    Instant firstBallotAt,
    Instant lastBallotAt,
    long seq,
    Instant asOf) {

  /** The busiest minute and its ballot events. */
  public record Peak(Instant start, long ballots) {}

  /** The current round's figures. */
  public static PollStats of(PollActivity activity) {
    return of(activity, activity.round());
  }

  public static PollStats of(PollActivity activity, int round) {
    Peak peak = null;
    for (var minute : activity.minutes().entrySet()) {
      if (minute.getKey().option() != PollActivity.Minute.BALLOTS || minute.getKey().round() != round) {
        continue;
      }
      long ballots = minute.getValue().ballotEvents();
      Instant start = minute.getKey().start();
      if (peak == null || ballots > peak.ballots() || (ballots == peak.ballots() && start.isBefore(peak.start()))) {
        peak = new Peak(start, ballots);
      }
    }
    var p = activity.participation(round);
    return new PollStats(activity.pollId(), round, p.uniqueVoters(), p.ballotsCast(), p.ballotsChanged(),
        p.ballotsRetracted(), peak, p.firstBallotAt(), p.lastBallotAt(), activity.seq(), activity.asOf());
  }
}
