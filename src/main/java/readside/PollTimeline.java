package readside;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Ballots of one round of a poll per time bucket (only buckets with activity), whole ballots and per option, with
 * changes and retractions. {@code seq} is the poll version the read model reflects, {@code asOf} the time of that
 * event.
 */
public record PollTimeline(String pollId, int round, String bucket, List<Bucket> buckets, long seq, Instant asOf) {

  /** One bucket: ballots cast, changed and retracted in it, and the same per option. */
  public record Bucket(Instant start, long cast, long changed, long retracted, List<OptionVotes> options) {}

  /** One option in one bucket: votes cast for it, moved to it, moved away from it, retracted from it. */
  public record OptionVotes(int option, long cast, long changedTo, long changedFrom, long retracted) {}

  /** The current round's timeline. */
  public static PollTimeline of(PollActivity activity, Duration length, String name) {
    return of(activity, activity.round(), length, name);
  }

  /** Buckets of {@code length} (whole minutes), aligned on the epoch; {@code name} is how the caller wrote it. */
  public static PollTimeline of(PollActivity activity, int round, Duration length, String name) {
    long bucketMillis = length.toMillis();
    Map<Instant, Map<Integer, PollActivity.MinuteCounts>> byBucket = new TreeMap<>();
    activity.minutes().forEach((minute, counts) -> {
      if (minute.round() != round) {
        return;
      }
      long start = Math.floorDiv(minute.start().toEpochMilli(), bucketMillis) * bucketMillis;
      byBucket.computeIfAbsent(Instant.ofEpochMilli(start), key -> new TreeMap<>())
          .merge(minute.option(), counts, PollActivity.MinuteCounts::plus);
    });
    List<Bucket> buckets = new ArrayList<>(byBucket.size());
    byBucket.forEach((start, options) -> {
      PollActivity.MinuteCounts ballots =
          options.getOrDefault(PollActivity.Minute.BALLOTS, PollActivity.MinuteCounts.NONE);
      List<OptionVotes> votes = new ArrayList<>(activity.options());
      for (int option = 0; option < activity.options(); option++) {
        PollActivity.MinuteCounts counts = options.getOrDefault(option, PollActivity.MinuteCounts.NONE);
        votes.add(new OptionVotes(option, counts.casts(), counts.changesTo(), counts.changesFrom(),
            counts.retractions()));
      }
      buckets.add(new Bucket(start, ballots.casts(), ballots.changesTo(), ballots.retractions(), votes));
    });
    return new PollTimeline(activity.pollId(), round, name, buckets, activity.seq(), activity.asOf());
  }
}
