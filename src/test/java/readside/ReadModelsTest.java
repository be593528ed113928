package readside;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import actors.Audience;
import actors.Kind;
import actors.Poll;
import actors.PollDefinition;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The read models' pure parts: how events change a summary and an activity, and the timeline and stats views. */
class ReadModelsTest {
  private static final Instant CREATED = Instant.parse("2026-11-23T10:00:30Z");
  private static final String POLL = "abcdefabcdef";
  private static final Poll.PollCreated CREATION = new Poll.PollCreated(POLL, new PollDefinition("Q?",
      List.of("a", "b", "c"), Kind.MULTIPLE, 2, true, CREATED, CREATED.plusSeconds(3600), Audience.PUBLIC, "alice"));

  private static Instant at(String time) {
    return Instant.parse("2026-11-23T" + time + "Z");
  }

  @Test
  void aSummaryFollowsBallotsAndTheCloseAndRemembersTheVersion() {
    PollSummary summary = PollSummary.created(CREATION);
    assertEquals(new PollSummary(POLL, "alice", "Q?", "open", 0, CREATED, CREATED.plusSeconds(3600), 1), summary);
    summary = summary.apply(new Poll.BallotCast(POLL, "v1", List.of(0), at("10:01:00")), 2);
    summary = summary.apply(new Poll.BallotCast(POLL, "v2", List.of(1, 2), at("10:01:10")), 3);
    summary = summary.apply(new Poll.BallotChanged(POLL, "v1", List.of(0), List.of(2), at("10:02:00")), 4);
    assertEquals(2, summary.totalBallots(), "a change is no new ballot");
    summary = summary.apply(new Poll.BallotRetracted(POLL, "v2", List.of(1, 2), at("10:03:00")), 5);
    assertEquals(1, summary.totalBallots());
    summary = summary.apply(new Poll.RoundStarted(POLL, 2, at("10:03:30")), 6);
    assertEquals(0, summary.totalBallots(), "a new round counts from zero");
    summary = summary.apply(new Poll.PollClosed(POLL, at("10:04:00")), 7);
    assertEquals("closed", summary.status());
    assertEquals(7, summary.seq());
  }

  @Test
  void activityCountsEveryVoterOnceEvenAfterARetractionAndARecast() {
    PollActivity activity = PollActivity.created(CREATION);
    activity = activity.apply(new Poll.BallotCast(POLL, "v1", List.of(0), at("10:01:00")), 2);
    activity = activity.apply(new Poll.BallotCast(POLL, "v2", List.of(1, 2), at("10:01:30")), 3);
    activity = activity.apply(new Poll.BallotRetracted(POLL, "v1", List.of(0), at("10:02:00")), 4);
    activity = activity.apply(new Poll.BallotCast(POLL, "v1", List.of(1), at("10:02:10")), 5);
    activity = activity.apply(new Poll.BallotChanged(POLL, "v2", List.of(1, 2), List.of(0), at("10:02:20")), 6);

    PollActivity.Participation participation = activity.participation();
    assertEquals(new PollActivity.Participation(3, 1, 1, 2, at("10:01:00"), at("10:02:20")), participation);
    assertEquals(Set.of("v1"), activity.retractedVoters());
    assertEquals(6, activity.seq());
    assertEquals(at("10:02:20"), activity.asOf());

    // minute 10:01: ballots 2 cast; options 0:1, 1:1, 2:1 cast
    assertEquals(new PollActivity.MinuteCounts(2, 0, 0, 0), minute(activity, "10:01:00", -1));
    assertEquals(new PollActivity.MinuteCounts(1, 0, 0, 0), minute(activity, "10:01:00", 2));
    // minute 10:02: one retraction, one recast, one change (counted once for the ballot)
    assertEquals(new PollActivity.MinuteCounts(1, 1, 0, 1), minute(activity, "10:02:00", -1));
    assertEquals(new PollActivity.MinuteCounts(0, 1, 0, 1), minute(activity, "10:02:00", 0));
    assertEquals(new PollActivity.MinuteCounts(1, 0, 1, 0), minute(activity, "10:02:00", 1));
    assertEquals(new PollActivity.MinuteCounts(0, 0, 1, 0), minute(activity, "10:02:00", 2));

    PollActivity closed = activity.apply(new Poll.PollClosed(POLL, at("10:05:00")), 7);
    assertEquals(participation, closed.participation(), "a close is no ballot");
    assertEquals(at("10:05:00"), closed.asOf());
  }

  @Test
  void timelineBucketsAddUpMinutesPerBucketAndOption() {
    PollActivity activity = PollActivity.created(CREATION);
    activity = activity.apply(new Poll.BallotCast(POLL, "v1", List.of(0), at("10:01:00")), 2);
    activity = activity.apply(new Poll.BallotCast(POLL, "v2", List.of(0, 1), at("10:04:59")), 3);
    activity = activity.apply(new Poll.BallotCast(POLL, "v3", List.of(2), at("10:05:00")), 4);

    PollTimeline minutes = PollTimeline.of(activity, Duration.ofMinutes(1), "1m");
    assertEquals(List.of(at("10:01:00"), at("10:04:00"), at("10:05:00")),
        minutes.buckets().stream().map(PollTimeline.Bucket::start).toList());

    PollTimeline fives = PollTimeline.of(activity, Duration.ofMinutes(5), "5m");
    assertEquals(2, fives.buckets().size());
    PollTimeline.Bucket first = fives.buckets().get(0);
    assertEquals(at("10:00:00"), first.start());
    assertEquals(2, first.cast());
    assertEquals(List.of(2L, 1L, 0L), first.options().stream().map(PollTimeline.OptionVotes::cast).toList());
    assertEquals(List.of(0L, 0L, 1L),
        fives.buckets().get(1).options().stream().map(PollTimeline.OptionVotes::cast).toList());
    assertEquals("5m", fives.bucket());
    assertEquals(4, fives.seq());
  }

  @Test
  void statsNameTheBusiestMinuteAndNoneBeforeTheFirstBallot() {
    PollActivity activity = PollActivity.created(CREATION);
    PollStats none = PollStats.of(activity);
    assertNull(none.peakBucket());
    assertEquals(0, none.uniqueVoters());

    activity = activity.apply(new Poll.BallotCast(POLL, "v1", List.of(0, 1), at("10:01:00")), 2);
    activity = activity.apply(new Poll.BallotCast(POLL, "v2", List.of(0), at("10:03:00")), 3);
    activity = activity.apply(new Poll.BallotCast(POLL, "v3", List.of(1), at("10:03:30")), 4);
    PollStats stats = PollStats.of(activity);
    assertEquals(new PollStats.Peak(at("10:03:00"), 2), stats.peakBucket(),
        "a ballot with two choices is one ballot, not two");
    assertEquals(3, stats.uniqueVoters());
    assertEquals(3, stats.ballotsCast());
  }

  @Test
  void oneWriteOfManyBallotsChangesTheModelsAsItsBallotsOneByOneWould() {
    // The events of versions before 2026-11-30 (one per ballot) and a write's BallotsRecorded of the same ballots
    // at the same time end in the same read models, but for the version they reflect.
    Instant at = at("10:02:00");
    List<Poll.Event> oneByOne = List.of(
        new Poll.BallotCast(POLL, "v1", List.of(0), at),
        new Poll.BallotCast(POLL, "v2", List.of(1, 2), at),
        new Poll.BallotChanged(POLL, "v1", List.of(0), List.of(2), at),
        new Poll.BallotRetracted(POLL, "v2", List.of(1, 2), at),
        new Poll.BallotCast(POLL, "v2", List.of(1), at));
    Poll.BallotsRecorded together = new Poll.BallotsRecorded(POLL, at, List.of(
        Poll.BallotChange.cast("v1", List.of(0)),
        Poll.BallotChange.cast("v2", List.of(1, 2)),
        Poll.BallotChange.changed("v1", List.of(0), List.of(2)),
        Poll.BallotChange.retracted("v2", List.of(1, 2)),
        Poll.BallotChange.cast("v2", List.of(1))));

    PollSummary summary = PollSummary.created(CREATION);
    PollActivity activity = PollActivity.created(CREATION);
    for (int i = 0; i < oneByOne.size(); i++) {
      summary = summary.apply(oneByOne.get(i), 2 + i);
      activity = activity.apply(oneByOne.get(i), 2 + i);
    }
    PollSummary batchedSummary = PollSummary.created(CREATION).apply(together, 6);
    PollActivity batchedActivity = PollActivity.created(CREATION).apply(together, 6);

    assertEquals(summary, batchedSummary);
    assertEquals(2, batchedSummary.totalBallots());
    assertEquals(activity, batchedActivity);
    assertEquals(new PollActivity.Participation(3, 1, 1, 2, at, at), batchedActivity.participation());
    assertEquals(Set.of("v2"), batchedActivity.retractedVoters());
  }

  @Test
  void activityStatsAndTimelineArePerRound() {
    PollActivity activity = PollActivity.created(CREATION);
    activity = activity.apply(ballots(at("10:01:00"), Poll.BallotChange.cast("v1", List.of(0)),
        Poll.BallotChange.cast("v2", List.of(1))), 2);
    activity = activity.apply(ballots(at("10:01:40"), Poll.BallotChange.retracted("v1", List.of(0))), 3);
    activity = activity.apply(new Poll.RoundStarted(POLL, 2, at("10:02:00")), 4);
    assertEquals(2, activity.round());
    assertEquals(PollActivity.Participation.NONE, activity.participation());
    // the same voters in the new round: new voters of that round, counted in its own minutes
    activity = activity.apply(ballots(at("10:03:00"), Poll.BallotChange.cast("v1", List.of(2)),
        Poll.BallotChange.cast("v2", List.of(2)), Poll.BallotChange.cast("v3", List.of(0))), 5);
    assertEquals(new PollActivity.Participation(3, 0, 0, 3, at("10:03:00"), at("10:03:00")),
        activity.participation(2));
    assertEquals(new PollActivity.Participation(2, 0, 1, 2, at("10:01:00"), at("10:01:40")),
        activity.participation(1));

    PollStats first = PollStats.of(activity, 1);
    assertEquals(1, first.round());
    assertEquals(2, first.uniqueVoters());
    assertEquals(at("10:01:00"), first.peakBucket().start());
    PollStats second = PollStats.of(activity);
    assertEquals(2, second.round());
    assertEquals(3, second.ballotsCast());
    assertEquals(at("10:03:00"), second.peakBucket().start());

    PollTimeline before = PollTimeline.of(activity, 1, Duration.ofMinutes(5), "5m");
    assertEquals(1, before.buckets().size());
    assertEquals(2, before.buckets().get(0).cast());
    assertEquals(1, before.buckets().get(0).retracted());
    PollTimeline after = PollTimeline.of(activity, Duration.ofMinutes(5), "5m");
    assertEquals(2, after.round());
    assertEquals(3, after.buckets().get(0).cast());
    assertEquals(2, after.buckets().get(0).options().get(2).cast());
    assertEquals(java.util.Map.of(1, Set.of(at("10:01:00")), 2, Set.of(at("10:03:00"))),
        PollActivity.minutesOf(1, List.of(ballots(at("10:01:10"), Poll.BallotChange.cast("v9", List.of(0))),
            new Poll.RoundStarted(POLL, 2, at("10:02:00")),
            ballots(at("10:03:59"), Poll.BallotChange.cast("v9", List.of(0))))));
  }

  @Test
  void aRememberedActivityKeepsEveryOptionOfItsLatestMinuteAndNothingOlder() {
    PollActivity activity = PollActivity.created(CREATION);
    activity = activity.apply(ballots(at("10:01:00"), Poll.BallotChange.cast("v1", List.of(0))), 2);
    activity = activity.apply(ballots(at("10:02:10"), Poll.BallotChange.cast("v2", List.of(1)),
        Poll.BallotChange.cast("v3", List.of(0))), 3);
    PollActivity remembered = activity.withLatestMinuteOnly();
    assertEquals(Set.of(at("10:02:00")),
        remembered.minutes().keySet().stream().map(PollActivity.Minute::start).collect(java.util.stream.Collectors
            .toSet()));
    // the latest minute whole: its ballots row and both options, as they were
    activity.minutes().forEach((minute, counts) -> {
      if (minute.start().equals(at("10:02:00"))) {
        assertEquals(counts, remembered.minutes().get(minute));
      }
    });
    assertEquals(3, remembered.minutes().size());
    assertEquals(activity.participation(), remembered.participation());
    assertEquals(activity.seq(), remembered.seq());
    // more ballots in that minute apply to the remembered counts as they would to the whole activity
    Poll.Event more = ballots(at("10:02:50"), Poll.BallotChange.cast("v4", List.of(1)));
    activity.apply(more, 4).minutes().forEach((minute, counts) -> {
      if (minute.start().equals(at("10:02:00"))) {
        assertEquals(counts, remembered.apply(more, 4).minutes().get(minute));
      }
    });
  }

  @Test
  void wordCloudAndRatingBallotsCountAsWholeBallotsAndPoints() {
    PollDefinition definition = new PollDefinition("Word?", List.of(), Kind.WORDCLOUD, 0, true, CREATED, null,
        Audience.PUBLIC, "alice", null, null, 3, null);
    PollActivity cloud = PollActivity.created(new Poll.PollCreated(POLL, definition));
    cloud = cloud.apply(ballots(at("10:01:00"), Poll.BallotChange.cast("v1", List.of("a", "b")),
        Poll.BallotChange.changed("v1", List.of("a", "b"), List.of("c"))), 2);
    assertEquals(1, PollStats.of(cloud).ballotsCast());
    assertEquals(1, PollStats.of(cloud).ballotsChanged());
    assertEquals(List.of(), PollTimeline.of(cloud, Duration.ofMinutes(1), "1m").buckets().get(0).options());

    PollDefinition rated = new PollDefinition("Rate?", List.of(), Kind.RATING, 0, false, CREATED, null,
        Audience.PUBLIC, "alice", new actors.RatingScale(1, 3, null, null), null, null, null);
    PollActivity rating = PollActivity.created(new Poll.PollCreated(POLL, rated));
    rating = rating.apply(ballots(at("10:01:00"), Poll.BallotChange.cast("v1", List.of(3))), 2);
    assertEquals(1, PollTimeline.of(rating, Duration.ofMinutes(1), "1m").buckets().get(0).options().get(3).cast());
  }

  private static Poll.BallotsRecorded ballots(Instant at, Poll.BallotChange... changes) {
    return new Poll.BallotsRecorded(POLL, at, List.of(changes));
  }

  private static PollActivity.MinuteCounts minute(PollActivity activity, String time, int option) {
    return activity.minutes().getOrDefault(new PollActivity.Minute(at(time), option),
        PollActivity.MinuteCounts.NONE);
  }
}
